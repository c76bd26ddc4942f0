"""The intent classifier: logistic regression on the TF-IDF features of ``tfidf_featurizer``.

Rasa's LogisticRegressionClassifier learns from raw counts with a fixed regularisation (C = 1),
so a long message with many words pulls harder than a short one, and its weights stay small.
This one learns from length-normalised TF-IDF character and word n-grams with ``c`` from the
config and balanced classes; on the held-out split it scores 1.5 to 3.5 points of weighted F1
higher in every language (docs/architecture.md).
Output as Rasa's classifiers: ``intent`` and ``intent_ranking`` (the ``ranking_length`` best).

A message of several sentences is also classified sentence by sentence (``sentences``: the best
intent and its confidence for each sentence the featurizer found). People who ask two things
usually ask them in two sentences; the topic decision offers the other one.
"""

from __future__ import annotations

from typing import Any

import joblib
import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.components.tfidf_featurizer import SENTENCE_PARTS, text_vector

FILE = "intent_classifier.joblib"
SENTENCES = "sentences"


def column_major(classifier: LogisticRegression) -> LogisticRegression:
    """sklearn scores a sparse row as ``x @ coef_.T``; with ``coef_`` stored row-major, scipy copies
    the whole weight matrix (intents x features, tens of megabytes) into C order on every call,
    which was most of a parse (scripts/bench_models.py). Stored column-major, ``coef_.T`` is already
    in C order: the same numbers, no copy."""
    classifier.coef_ = np.asfortranarray(classifier.coef_)
    return classifier


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"c": 10.0, "max_iter": 2000, "random_state": 42, "ranking_length": 10}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: LogisticRegression | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._classifier = column_major(classifier) if classifier is not None else None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfIntentClassifier:
        with model_storage.read_from(resource) as directory:
            return cls(config, model_storage, resource, joblib.load(directory / FILE))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT) and text_vector(e) is not None
        ]
        classifier = LogisticRegression(
            C=self._config["c"],
            max_iter=self._config["max_iter"],
            class_weight="balanced",
            random_state=self._config["random_state"],
        )
        classifier.fit(scipy.sparse.vstack([text_vector(e) for e in examples]), [e.get(INTENT) for e in examples])
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(classifier, directory / FILE)
        self._classifier = column_major(classifier)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._classifier is None:
            return messages
        intents = self._classifier.classes_
        for message in messages:
            vector = text_vector(message)
            if vector is None:
                continue
            row = self._classifier.predict_proba(vector)[0]
            ranked = sorted(zip(intents, row, strict=True), key=lambda pair: -float(pair[1]))[
                : self._config["ranking_length"]
            ]
            ranking = [{INTENT_NAME_KEY: str(i), PREDICTED_CONFIDENCE_KEY: float(p)} for i, p in ranked]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            parts = message.get(SENTENCE_PARTS)
            if parts is not None:
                best = self._classifier.predict_proba(parts)
                message.set(
                    SENTENCES,
                    [
                        {INTENT_NAME_KEY: str(intents[p.argmax()]), PREDICTED_CONFIDENCE_KEY: float(p.max())}
                        for p in best
                    ],
                    add_to_output=True,
                )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
