"""Recall first: does a message describe danger, whatever the intent classifier thinks?

Two detectors run beside the intent classifier, and either one is enough:
- the cue rules of ``safety_cues`` (spaCy matchers over the safety lexicons), which catch the
  indirect ways people describe exploitation and violence in words the classifier never saw;
- a binary classifier (logistic regression on ``tfidf_featurizer``'s features, classes balanced)
  trained on every example: ``safety_emergency`` against all other intents. Its threshold is
  chosen at training time from cross-validated probabilities on the training data: the lowest
  one at which no more than ``max_false_alarms`` of the other examples score above it. That is
  the most recall the false-alarm budget allows, decided by data, not by hand. When the intent
  classifier is confident (``confident_other``) of another intent, the safety classifier alone
  needs ``overrule`` to win: on the held-out split this halved the false alarms in English and
  Dari ("and the money?" is a question about return money) and lost no recall.

The component only reports; ``topic_decision`` acts on it. Output ``safety``:
``{"detected": bool, "probability": float, "threshold": float, "categories": [...]}``.
Intent payloads (``/intent``) are left alone.
"""

from __future__ import annotations

import hashlib
from typing import Any

import joblib
import numpy as np
import numpy.typing as npt
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
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from bot.components.safety_cues import RULES_FILE, SafetyCues, lexicon_files, load_cues
from bot.components.tfidf_featurizer import text_vector

SAFETY_INTENT = "safety_emergency"
OUTPUT = "safety"
FILE = "safety_classifier.joblib"
SEED = 42


def lexicon_fingerprint() -> str:
    """Part of the component's config, so that Rasa retrains it when a lexicon changes."""
    digest = hashlib.sha256()
    for path in [RULES_FILE, *lexicon_files()]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def make_classifier(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=SEED)


def budget_threshold(
    probabilities: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_], max_false_alarms: float
) -> float:
    """The lowest threshold at which at most ``max_false_alarms`` of the negatives reach it."""
    scores = np.sort(probabilities[~positive])[::-1]
    if not len(scores):
        return 0.5
    allowed = int(np.floor(max_false_alarms * len(scores)))
    return float(np.nextafter(scores[allowed], 1.0)) if allowed < len(scores) else 0.0


def other_confidence(message: Message) -> float:
    """The intent classifier's confidence in its best intent, unless that intent is safety."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != "nlu_fallback"]
    if not ranking or ranking[0].get(INTENT_NAME_KEY) == SAFETY_INTENT:
        return 0.0
    return float(ranking[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SafetyDetector(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "max_false_alarms": 0.02,
            "c": 10.0,
            "folds": 5,
            "use_rules": True,
            "use_classifier": True,
            "confident_other": 0.5,
            "overrule": 0.9,
            "lexicons": lexicon_fingerprint(),
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: LogisticRegression | None = None,
        threshold: float = 1.0,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._classifier = classifier
        self._threshold = threshold
        self._cues: SafetyCues | None = load_cues() if self._config["use_rules"] else None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyDetector:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SafetyDetector:
        with model_storage.read_from(resource) as directory:
            saved = joblib.load(directory / FILE)
        return cls(config, model_storage, resource, saved["classifier"], saved["threshold"])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and text_vector(e) is not None]
        texts = scipy.sparse.vstack([text_vector(e) for e in examples]).tocsr()
        positive = np.array([e.get(INTENT) == SAFETY_INTENT for e in examples])
        classifier = make_classifier(self._config["c"])
        threshold = 0.5
        if positive.sum() >= self._config["folds"] and (~positive).sum() >= self._config["folds"]:
            folds = StratifiedKFold(n_splits=self._config["folds"], shuffle=True, random_state=SEED)
            cross = cross_val_predict(classifier, texts, positive, cv=folds, method="predict_proba")[:, 1]
            threshold = budget_threshold(cross, positive, self._config["max_false_alarms"])
        classifier.fit(texts, positive)
        with self._storage.write_to(self._resource) as directory:
            joblib.dump({"classifier": classifier, "threshold": threshold}, directory / FILE)
        self._classifier, self._threshold = classifier, threshold
        return self._resource

    def assess(self, text: str, vector: scipy.sparse.spmatrix | None, other_confidence: float = 0.0) -> dict[str, Any]:
        """``vector``: the message's TF-IDF features; ``other_confidence``: how sure the intent
        classifier is of its best intent other than safety."""
        probability = 0.0
        if self._classifier is not None and self._config["use_classifier"] and vector is not None:
            probability = float(self._classifier.predict_proba(vector)[0, 1])
        categories = sorted({m.category for m in self._cues.match(text)}) if self._cues else []
        needed = self._config["overrule"] if other_confidence >= self._config["confident_other"] else 0.0
        by_classifier = self._config["use_classifier"] and probability >= max(self._threshold, needed)
        return {
            "detected": bool(categories) or by_classifier,
            "probability": round(probability, 4),
            "threshold": round(self._threshold, 4),
            "categories": categories,
        }

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue
            message.set(OUTPUT, self.assess(text, text_vector(message), other_confidence(message)), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
