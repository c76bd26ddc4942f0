"""The text features both of the project's classifiers learn from.

TF-IDF over character n-grams (2 to 5 letters inside word boundaries, which carry Arabic
clitics, Dutch compounds and typos) and over words and word pairs, both with sublinear term
frequency and length normalisation, so that a long story and a short question weigh alike.
Text is folded with ``wegwijs.normalize`` and lower-cased first. Measured against Rasa's
CountVectorsFeaturizer + LogisticRegressionClassifier on the held-out split (docs/nlu-report.md).
"""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from wegwijs.normalize import normalize


def prepare(text: str) -> str:
    return normalize(text).lower()


def make_features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
            (
                "words",
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
            ),
        ]
    )
