"""Sends messages made of unfamiliar letter sequences to ``nlu_fallback``.

A classifier's confidence is a poor judge of nonsense: on keyboard mashing ("asdkjh qwe",
"ضصثق فغعهخ") it still spreads its belief over the intents, and a threshold low enough to keep
real, misspelled messages also lets nonsense through. This component learns which letter
trigrams and four-letter sequences occur in the training examples (after the tokenizer's
normalisation) and replaces the predicted intent with ``nlu_fallback`` when too few of a
message's trigrams were ever seen (``min_familiarity``), or when a message long enough to judge
(at least ``long_grams`` four-letter sequences) has too few known ones (``min_long_familiarity``).

The four-letter rule exists because random letters of a script the training data covers well
(Persian, Arabic) form familiar trigrams: "خسیبل منتشسی ضصثق" is 60 % familiar by trigrams and
25 % by four-letter sequences. Measured on a random 20 % of the training examples held out from
the rest: the trigram rule alone sent 0.14 % of the real messages to the fallback and caught
77-84 % of random strings of 1-3 words (Latin, Arabic, Persian letters); with the four-letter
rule 0.19 % and 87-90 %. Short messages ("ty", "nvm") have too few four-letter sequences to
judge, so only the trigram rule applies to them. Danger is never lost this way: the safety
detector, after this component, ignores the fallback (bot/components/safety_detector.py).
Intent payloads (``/intent``) are left alone.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

FALLBACK = "nlu_fallback"
# Set on a message this component sent to the fallback: no "did you mean" for keyboard mashing.
UNFAMILIAR = "unfamiliar"
FILE = "trigrams.json"
LONG_FILE = "fourgrams.json"


def letter_grams(words: list[str], size: int) -> list[str]:
    grams = []
    for word in words:
        padded = f" {word.lower()} "
        grams += [padded[i : i + size] for i in range(len(padded) - size + 1)]
    return grams


def trigrams(words: list[str]) -> list[str]:
    return letter_grams(words, 3)


def known_share(grams: list[str], known: set[str]) -> float:
    return sum(g in known for g in grams) / len(grams) if grams else 1.0


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnfamiliarTextFallback(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_familiarity": 0.5, "min_long_familiarity": 0.4, "long_grams": 6}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        known: set[str] | None = None,
        known_long: set[str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._known = known or set()
        self._known_long = known_long or set()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnfamiliarTextFallback:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnfamiliarTextFallback:
        with model_storage.read_from(resource) as directory:
            known = set(json.loads((directory / FILE).read_text(encoding="utf-8")))
            known_long = set(json.loads((directory / LONG_FILE).read_text(encoding="utf-8")))
        return cls(config, model_storage, resource, known, known_long)

    def train(self, training_data: TrainingData) -> Resource:
        known: set[str] = set()
        known_long: set[str] = set()
        for example in training_data.intent_examples:
            words = [t.text for t in example.get(TOKENS_NAMES[TEXT]) or []]
            known.update(letter_grams(words, 3))
            known_long.update(letter_grams(words, 4))
        with self._storage.write_to(self._resource) as directory:
            (directory / FILE).write_text(json.dumps(sorted(known), ensure_ascii=False), encoding="utf-8")
            (directory / LONG_FILE).write_text(json.dumps(sorted(known_long), ensure_ascii=False), encoding="utf-8")
        self._known, self._known_long = known, known_long
        return self._resource

    def familiarity(self, message: Message) -> float:
        return known_share(trigrams([t.text for t in message.get(TOKENS_NAMES[TEXT]) or []]), self._known)

    def unfamiliar(self, message: Message) -> bool:
        if self.familiarity(message) < self._config["min_familiarity"]:
            return True
        long_grams = letter_grams([t.text for t in message.get(TOKENS_NAMES[TEXT]) or []], 4)
        return bool(
            len(long_grams) >= self._config["long_grams"]
            and known_share(long_grams, self._known_long) < self._config["min_long_familiarity"]
        )

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if (message.get(TEXT) or "").startswith("/") or not self._known:
                continue
            if self.unfamiliar(message):
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != FALLBACK]
                fallback = {INTENT_NAME_KEY: FALLBACK, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback] + ranking, add_to_output=True)
                message.set(UNFAMILIAR, True, add_to_output=True)
        return messages
