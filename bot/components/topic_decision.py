"""The one place that decides what a message is about, when the classifier's answer is not enough.

Runs last in the pipeline, after the intent classifier, the fallbacks, the case reference rule
and the safety detector. In this order:

1. **Safety first.** When ``safety_detector`` reports danger, or one sentence of the message is
   confidently about danger on its own (``sentences``), the intent is ``safety_emergency``
   (112, the line, an urgent hand-over), whatever the classifier chose. The other subject, if
   there is one, is kept as ``also`` and the reply offers it as a button: the classifier's own
   choice when safety overruled it, else a sentence about another subject, else the best other
   subject in the ranking.
2. **An actionable request beats background.** The classifier learns this from the training
   data, where a story ending in a request is labelled with the request. Where it is still
   nearly a tie (a request someone can act on, ``ACTIONABLE_TOPICS``: return, reunification,
   case status, a person, scores at least ``actionable_ratio`` of a background intent: the
   asylum story, life in the Netherlands, a greeting), the request wins and the background becomes
   ``also``. On the held-out split a looser ratio (0.5) broke seven answers for one it mended.
3. **A second subject plainly present** is kept as ``also``: a sentence of the message
   (``sentences`` from the intent classifier) whose own intent is of a different topic with at
   least ``sentence_min`` confidence, else a different topic in the whole message's ranking
   scoring at least ``also_ratio`` of the top and ``also_min`` absolute.
4. **Unsure between two topics:** when the top intent scores under ``unsure_below`` and another
   topic's intent is within ``unsure_ratio`` of it, or the fallback classifier already gave
   up, the decision is lifted to topics first: the classifier often spreads one subject over
   its intents ("return", "the ticket home", "money for the return"), so the confidences are
   summed per topic. When one topic holds at least ``unsure_below`` and every other topic less
   than ``unsure_ratio`` of it, that topic's best intent is the answer (``reason: topic``) and
   a sentence about another subject is still offered as ``also``. Otherwise the intent becomes
   ``nlu_fallback`` with ``suggestions``: the two best intents of different topics, for a
   "Did you mean ...?" with buttons (actions/fallback.py). Keyboard mashing
   (``unfamiliar_text_fallback``), or a message whose best subject scores under ``suggest_min``
   (familiar letters, no plausible subject: only "stop" or "out of scope" score), gets no
   suggestions: the topic menu.

The thresholds are this component's config (config.yml), measured on the held-out split
(docs/nlu-report.md). Output ``topic_decision``: ``{"reason", "also", "suggestions", "classifier_intent"}``.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.safety_detector import OUTPUT as SAFETY_OUTPUT, SAFETY_INTENT
from bot.components.tfidf_intent_classifier import SENTENCES
from bot.components.unfamiliar_text_fallback import UNFAMILIAR
from wegwijs.intent_topics import ACTIONABLE_TOPICS, TOPIC_DECISION, is_subject, topic_of

OUTPUT = TOPIC_DECISION
# Set as an entity too when there is a second subject: the rules of answers that give no phone
# line run action_offer_also only then (RulePolicy prefers the longer rule), so a turn without
# one costs no call to the action server.
ALSO_ENTITY = "also"
FALLBACK = "nlu_fallback"
# Every topical answer already says what IOM does there and is followed by the phone line, so
# "what does IOM do?" or "what is your number?" beside a question is answered by its answer.
ANSWERED_BY_EVERY_TOPIC = frozenset({"about_iom", "contact_info"})
# What a story tells before its request: the asylum procedure, life in the Netherlands, a
# greeting. Not where someone is: "I am in Khartoum with my children" is a statement of its own.
BACKGROUND = frozenset({"ask_asylum", "integration_info", "greet", "thank", "about_iom"})


def _ranked(message: Message) -> list[tuple[str, float]]:
    return [
        (r[INTENT_NAME_KEY], float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0))
        for r in message.get(INTENT_RANKING_KEY) or []
        if r.get(INTENT_NAME_KEY) not in (FALLBACK, None)
    ]


def _other_subject(ranked: list[tuple[str, float]], intent: str, minimum: float) -> str | None:
    """The best-ranked subject of another topic than ``intent``'s, scoring at least ``minimum``."""
    for name, confidence in ranked:
        if confidence < minimum:
            break
        if name != intent and is_subject(name) and topic_of(name) != topic_of(intent):
            return name
    return None


def _danger_sentence(message: Message, minimum: float) -> bool:
    """A sentence the classifier, on its own, reads as danger: a question in the next sentence
    ("... he keeps my passport. Can IOM help me go home?") must not dilute it."""
    return any(
        s.get(INTENT_NAME_KEY) == SAFETY_INTENT and float(s.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= minimum
        for s in message.get(SENTENCES) or []
    )


def _sentence_subject(message: Message, intent: str, minimum: float) -> str | None:
    """The most confident sentence intent of another topic than ``intent``'s, if confident enough."""
    found = sorted(
        ((float(s.get(PREDICTED_CONFIDENCE_KEY) or 0.0), s.get(INTENT_NAME_KEY)) for s in message.get(SENTENCES) or []),
        reverse=True,
    )
    return next(
        (
            name
            for confidence, name in found
            if confidence >= minimum
            and name != intent
            and is_subject(name)
            and name not in ANSWERED_BY_EVERY_TOPIC
            and topic_of(name) != topic_of(intent)
        ),
        None,
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TopicDecision(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "actionable_ratio": 0.9,
            "also_ratio": 0.6,
            "also_min": 0.2,
            "safety_also_min": 0.15,
            "unsure_below": 0.3,
            "unsure_ratio": 0.6,
            "suggest_min": 0.05,
            "sentence_min": 0.5,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TopicDecision:
        return cls(config)

    def decide(self, message: Message) -> dict[str, Any] | None:
        """The decision for one message, or None to keep the classifier's intent as it is."""
        c = self._config
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        ranked = _ranked(message)
        if (message.get(SAFETY_OUTPUT) or {}).get("detected") or _danger_sentence(message, c["sentence_min"]):
            # The classifier's own choice, when safety overruled it, is the likeliest other subject.
            overruled = intent if intent not in (SAFETY_INTENT, FALLBACK) and is_subject(intent or "") else None
            also = (
                overruled
                or _sentence_subject(message, SAFETY_INTENT, c["sentence_min"])
                or _other_subject(ranked, SAFETY_INTENT, c["safety_also_min"])
            )
            return {"intent": SAFETY_INTENT, "reason": "safety", "also": also, "suggestions": []}
        if intent == SAFETY_INTENT or not ranked:
            return None
        if intent == FALLBACK:
            best_subject = next((s for n, s in ranked if is_subject(n)), 0.0)
            if message.get(UNFAMILIAR) or best_subject < c["suggest_min"]:
                return None
            return self._settled(message, ranked) or self._unsure(ranked)
        top, top_confidence = next(((n, s) for n, s in ranked if n == intent), ranked[0])
        if top in BACKGROUND:
            for name, confidence in ranked[:3]:
                if topic_of(name) in ACTIONABLE_TOPICS and confidence >= c["actionable_ratio"] * top_confidence:
                    return {
                        "intent": name,
                        "reason": "actionable_first",
                        "also": top if is_subject(top) and topic_of(top) != topic_of(name) else None,
                        "suggestions": [],
                    }
        second = _other_subject(ranked, top, c["also_min"])
        second_confidence = dict(ranked).get(second, 0.0) if second else 0.0
        if top_confidence < c["unsure_below"] and second and second_confidence >= c["unsure_ratio"] * top_confidence:
            # Lifted to topics only for a subject or background: "yes" or "stop" answer a question.
            settled = self._settled(message, ranked) if is_subject(top) or top in BACKGROUND else None
            if settled is None:
                return self._unsure(ranked)
            if settled["intent"] != top:
                return settled
            second = None
        also = _sentence_subject(message, top, c["sentence_min"])
        if not also and second and second_confidence >= c["also_ratio"] * top_confidence:
            also = second
        if also:
            return {"intent": top, "reason": "classifier", "also": also, "suggestions": []}
        return None

    def _settled(self, message: Message, ranked: list[tuple[str, float]]) -> dict[str, Any] | None:
        """The answer when the subjects' confidences, summed per topic, make one topic clear."""
        c = self._config
        mass: dict[str, float] = {}
        for name, confidence in ranked:
            if is_subject(name):
                mass[topic_of(name)] = mass.get(topic_of(name), 0.0) + confidence
        topics = sorted(mass.items(), key=lambda item: item[1], reverse=True)
        if not topics or topics[0][1] < c["unsure_below"]:
            return None
        if len(topics) > 1 and topics[1][1] >= c["unsure_ratio"] * topics[0][1]:
            return None
        intent = next(n for n, _ in ranked if is_subject(n) and topic_of(n) == topics[0][0])
        return {
            "intent": intent,
            "reason": "topic",
            "also": _sentence_subject(message, intent, c["sentence_min"]),
            "suggestions": [],
        }

    def _unsure(self, ranked: list[tuple[str, float]]) -> dict[str, Any]:
        first = next((n for n, _ in ranked if is_subject(n)), None)
        second = _other_subject(ranked, first, 0.0) if first else None
        suggestions = [name for name in (first, second) if name]
        return {"intent": FALLBACK, "reason": "unsure", "also": None, "suggestions": suggestions}

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if (message.get(TEXT) or "").startswith("/"):
                continue
            decision = self.decide(message)
            if decision is None:
                continue
            chosen = decision.pop("intent")
            current = message.get(INTENT) or {}
            decision["classifier_intent"] = current.get(INTENT_NAME_KEY)
            if chosen != current.get(INTENT_NAME_KEY):
                confidence = dict(_ranked(message)).get(chosen, 0.0)
                if chosen == SAFETY_INTENT:
                    confidence = max(confidence, float((message.get(SAFETY_OUTPUT) or {}).get("probability") or 0.0))
                new = {INTENT_NAME_KEY: chosen, PREDICTED_CONFIDENCE_KEY: confidence}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != chosen]
                message.set(INTENT, new, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [new] + ranking, add_to_output=True)
            message.set(OUTPUT, decision, add_to_output=True)
            if decision.get("also"):
                entity = {
                    "entity": ALSO_ENTITY,
                    "value": decision["also"],
                    "start": 0,
                    "end": len(message.get(TEXT) or ""),
                    "extractor": self.__class__.__name__,
                }
                message.set(ENTITIES, (message.get(ENTITIES) or []) + [entity], add_to_output=True)
        return messages
