"""Sends messages made of unfamiliar letter sequences to ``nlu_fallback``.

A classifier's confidence is a poor judge of nonsense: on keyboard mashing ("asdkjh qwe",
"ضصثق فغعهخ") it still spreads its belief over the intents, and a threshold low enough to keep
real, misspelled messages also lets nonsense through. This component learns which letter
trigrams occur in the training examples (after the tokenizer's normalisation) and, when too few
of a message's trigrams were ever seen, replaces the predicted intent with ``nlu_fallback``.
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


def trigrams(words: list[str]) -> list[str]:
    grams = []
    for word in words:
        padded = f" {word.lower()} "
        grams += [padded[i : i + 3] for i in range(len(padded) - 2)]
    return grams


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnfamiliarTextFallback(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_familiarity": 0.5}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 known: set[str] | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._known = known or set()

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> UnfamiliarTextFallback:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> UnfamiliarTextFallback:
        with model_storage.read_from(resource) as directory:
            known = set(json.loads((directory / FILE).read_text(encoding="utf-8")))
        return cls(config, model_storage, resource, known)

    def train(self, training_data: TrainingData) -> Resource:
        known = set()
        for example in training_data.intent_examples:
            known.update(trigrams([t.text for t in example.get(TOKENS_NAMES[TEXT]) or []]))
        with self._storage.write_to(self._resource) as directory:
            (directory / FILE).write_text(json.dumps(sorted(known), ensure_ascii=False), encoding="utf-8")
        self._known = known
        return self._resource

    def familiarity(self, message: Message) -> float:
        grams = trigrams([t.text for t in message.get(TOKENS_NAMES[TEXT]) or []])
        return sum(g in self._known for g in grams) / len(grams) if grams else 1.0

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if (message.get(TEXT) or "").startswith("/") or not self._known:
                continue
            if self.familiarity(message) < self._config["min_familiarity"]:
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != FALLBACK]
                fallback = {INTENT_NAME_KEY: FALLBACK, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback] + ranking, add_to_output=True)
                message.set(UNFAMILIAR, True, add_to_output=True)
        return messages
