"""Turns the language the gateway settled (message metadata ``language``) into an entity.

The ``language`` slot maps from this entity, so every turn's responses are rendered in the
conversation's language without a round trip to the action server. Messages given as intent
payloads (``/intent{"language": "ar"}``) carry the entity themselves.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wegwijs.languages import is_shipped

ENTITY = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageFromMetadata(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageFromMetadata:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            metadata = message.get("metadata") or {}
            language = metadata.get(ENTITY) if isinstance(metadata, dict) else None
            if not is_shipped(language):
                continue
            text = message.get(TEXT) or ""
            entity = {"entity": ENTITY, "value": language, "start": 0, "end": len(text)}
            entities = self.add_extractor_name([entity])
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
