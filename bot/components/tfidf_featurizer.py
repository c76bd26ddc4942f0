"""TF-IDF features of the message text, computed once for both classifiers that learn from them.

Learns ``text_features`` (character 2-5-grams and word 1-2-grams, sublinear, length-normalised)
on the training examples and adds them to every message as Rasa sentence features, which
``tfidf_intent_classifier`` and ``safety_detector`` read. A message of several sentences also
gets the features of each sentence of at least ``min_sentence_words`` words (``SENTENCE_PARTS``,
not part of the output), for the intent classifier's per-sentence intents.
"""

from __future__ import annotations

import re
from typing import Any

import joblib
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import FeatureUnion

from bot.components.text_features import make_features, prepare

FILE = "tfidf_features.joblib"
SENTENCE_PARTS = "sentence_part_features"
_SENTENCE_END = re.compile(r"[.!?؟۔\n]+")


def sentences(text: str, min_words: int) -> list[str]:
    """The sentences of a message that has at least two of ``min_words`` words or more."""
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    long_enough = [part for part in parts if len(part.split()) >= min_words]
    return long_enough if len(long_enough) > 1 else []


def text_vector(message: Message) -> scipy.sparse.spmatrix | None:
    """The sentence features this featurizer added to a message, as a 1-row sparse matrix."""
    _, sentence = message.get_sparse_features(TEXT)
    return sentence.features if sentence is not None else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TfidfFeaturizer(SparseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**SparseFeaturizer.get_default_config(), "min_sentence_words": 3}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        name: str,
        features: FeatureUnion | None = None,
    ) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self._storage = model_storage
        self._resource = resource
        self._features = features

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfFeaturizer:
        return cls(config, model_storage, resource, execution_context.node_name)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfFeaturizer:
        with model_storage.read_from(resource) as directory:
            return cls(config, model_storage, resource, execution_context.node_name, joblib.load(directory / FILE))

    def train(self, training_data: TrainingData) -> Resource:
        features = make_features()
        features.fit([prepare(e.get(TEXT)) for e in training_data.intent_examples if e.get(TEXT)])
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(features, directory / FILE)
        self._features = features
        return self._resource

    def _add(self, messages: list[Message]) -> None:
        texts = [m for m in messages if m.get(TEXT)]
        if self._features is None or not texts:
            return
        vectors = self._features.transform([prepare(m.get(TEXT)) for m in texts]).tocsr()
        for row, message in enumerate(texts):
            message.add_features(Features(vectors[row], FEATURE_TYPE_SENTENCE, TEXT, self._identifier))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._add(training_data.intent_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._add(messages)
        for message in messages:
            parts = sentences(message.get(TEXT) or "", self._config["min_sentence_words"])
            if parts and self._features is not None:
                message.set(SENTENCE_PARTS, self._features.transform([prepare(p) for p in parts]).tocsr())
        return messages

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass
