"""A message that contains a case reference (IOM-NL-2026-000042) is about case status.

People paste their reference, often with their date of birth, as their very first message.
No classifier trained on sentences recognises that reliably, but the reference's shape is
exact, so this component sets the intent ``case_status`` whenever one is written, in any digits
and with or without dashes (wegwijs/case_references.py). Runs after the classifiers.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from wegwijs.case_references import find_reference

INTENT_NAME = "case_status"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CaseReferenceIntent(GraphComponent, IntentClassifier):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CaseReferenceIntent:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or not find_reference(text):
                continue
            chosen = {INTENT_NAME_KEY: INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
            others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != INTENT_NAME]
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen] + others, add_to_output=True)
        return messages
