"""Screens intent classifier configurations on the held-out split, in seconds each (issue 10).

Builds exactly the split of ``scripts/nlu_report.py`` (its ``read_examples`` and ``split``: about
20 % of each intent's examples per language, chosen by a hash of each example), prepares the text
as the featurizer does (``bot.components.text_features.prepare``), trains one multilingual
scikit-learn model per configuration on the training part of all languages together, and scores
each language's held-out examples with ``nlu_report.f1_report``.

Each configuration is scored twice: ``raw`` is the classifier's best intent; ``fb`` applies the
pipeline's FallbackClassifier threshold (0.2: a best confidence below it is ``nlu_fallback``,
a miss), which is what a classifier's confidences change in the real pipeline. The rest of the
pipeline (unfamiliar-text fallback, safety detector, topic decision) is not modelled, so the
figures sit above docs/nlu-report.md's; they are for comparing configurations, and a choice is
confirmed with ``make nlu-report``. Never reads tests/nlu_independent/.

    python -m scripts.classifier_screen [--only NAME ...] [--json results/classifier-screen.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from bot.components.text_features import prepare
from scripts.nlu_report import f1_report, read_examples, split
from wegwijs.languages import SHIPPED, UNDERSTOOD
from wegwijs.paths import NLU_DIR, ROOT

THRESHOLD = 0.2  # config.yml: FallbackClassifier threshold
FALLBACK = "nlu_fallback"
WATCHED = ("out_of_scope", "safety_emergency")
SEED = 42

# The current features (bot/components/text_features.py), as keyword arguments per part.
CHARS: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 2}
WORDS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "token_pattern": r"(?u)\b\w+\b",
}


@dataclass
class Candidate:
    name: str
    change: str
    chars: dict[str, Any] | None = field(default_factory=lambda: dict(CHARS))
    words: dict[str, Any] | None = field(default_factory=lambda: dict(WORDS))
    model: Callable[[], Any] = lambda: lr()


def lr(c: float = 10.0, balanced: bool = True) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None, random_state=SEED)


class SoftVote:
    """Averages the probabilities of classifiers that each see their own columns of the features."""

    def __init__(self, parts: list[tuple[Any, slice | None]], weights: list[float] | None = None) -> None:
        self.parts = parts
        self.weights = weights or [1.0] * len(parts)

    def fit(self, x: Any, y: list[str]) -> SoftVote:
        for model, columns in self.parts:
            model.fit(x if columns is None else x[:, columns], y)
        self.classes_ = self.parts[0][0].classes_
        return self

    def predict_proba(self, x: Any) -> np.ndarray:
        total = sum(
            w * model.predict_proba(x if columns is None else x[:, columns])
            for (model, columns), w in zip(self.parts, self.weights, strict=True)
        )
        return np.asarray(total) / sum(self.weights)


def with_chars(**changes: Any) -> dict[str, Any]:
    return {**CHARS, **changes}


def with_words(**changes: Any) -> dict[str, Any]:
    return {**WORDS, **changes}


# Every configuration tried, the current one first; each changes one thing against it.
CANDIDATES: list[Candidate] = [
    Candidate("current", "LR C=10 balanced; char_wb 2-5 min_df 2 + word 1-2 (config.yml)"),
    Candidate("lr_c1", "C=1", model=lambda: lr(1.0)),
    Candidate("lr_c3", "C=3", model=lambda: lr(3.0)),
    Candidate("lr_c30", "C=30", model=lambda: lr(30.0)),
    Candidate("lr_unbalanced", "class_weight=None", model=lambda: lr(balanced=False)),
    Candidate("char_wb_1_4", "char_wb 1-4", chars=with_chars(ngram_range=(1, 4))),
    Candidate("char_wb_2_6", "char_wb 2-6", chars=with_chars(ngram_range=(2, 6))),
    Candidate("char_2_5", "char (across word boundaries) 2-5", chars=with_chars(analyzer="char")),
    Candidate("char_min_df_1", "char min_df 1", chars=with_chars(min_df=1)),
    Candidate("char_max_df_05", "char max_df 0.5", chars=with_chars(max_df=0.5)),
    Candidate("words_off", "no word features", words=None),
    Candidate("words_1_3", "word 1-3", words=with_words(ngram_range=(1, 3))),
    Candidate("words_1", "word 1 only", words=with_words(ngram_range=(1, 1))),
    Candidate("words_max_df_05", "word max_df 0.5", words=with_words(max_df=0.5)),
    Candidate(
        "svc_calibrated",
        "LinearSVC C=1 balanced, sigmoid-calibrated (3-fold)",
        model=lambda: CalibratedClassifierCV(
            LinearSVC(C=1.0, class_weight="balanced", random_state=SEED), method="sigmoid", cv=3
        ),
    ),
    Candidate(
        "svc_calibrated_c03",
        "LinearSVC C=0.3 balanced, sigmoid-calibrated (3-fold)",
        model=lambda: CalibratedClassifierCV(
            LinearSVC(C=0.3, class_weight="balanced", random_state=SEED), method="sigmoid", cv=3
        ),
    ),
    Candidate(
        "svc_calibrated_c3",
        "LinearSVC C=3 balanced, sigmoid-calibrated (3-fold)",
        model=lambda: CalibratedClassifierCV(
            LinearSVC(C=3.0, class_weight="balanced", random_state=SEED), method="sigmoid", cv=3
        ),
    ),
    Candidate(
        "sgd_log",
        "SGD log_loss alpha 1e-5 balanced",
        model=lambda: SGDClassifier(
            loss="log_loss", alpha=1e-5, class_weight="balanced", max_iter=50, tol=None, random_state=SEED
        ),
    ),
    Candidate(
        "sgd_log_a3e-6",
        "SGD log_loss alpha 3e-6 balanced",
        model=lambda: SGDClassifier(
            loss="log_loss", alpha=3e-6, class_weight="balanced", max_iter=50, tol=None, random_state=SEED
        ),
    ),
    Candidate(
        "sgd_log_a3e-5",
        "SGD log_loss alpha 3e-5 balanced",
        model=lambda: SGDClassifier(
            loss="log_loss", alpha=3e-5, class_weight="balanced", max_iter=50, tol=None, random_state=SEED
        ),
    ),
    Candidate(
        "sgd_huber",
        "SGD modified_huber alpha 1e-5 balanced",
        model=lambda: SGDClassifier(
            loss="modified_huber", alpha=1e-5, class_weight="balanced", max_iter=50, tol=None, random_state=SEED
        ),
    ),
    Candidate(
        "cnb_lr",
        "soft vote: ComplementNB (alpha 0.3) + LR C=10",
        model=lambda: SoftVote([(ComplementNB(alpha=0.3), None), (lr(), None)]),
    ),
]


def features(candidate: Candidate) -> FeatureUnion:
    parts = [("chars", candidate.chars), ("words", candidate.words)]
    return FeatureUnion([(name, TfidfVectorizer(**kwargs)) for name, kwargs in parts if kwargs is not None])


def char_word_vote() -> Candidate:
    """LR on the character part and LR on the word part, probabilities averaged. The columns of
    each part are only known once the features are fitted, so the model is built in ``screen``."""
    return Candidate("vote_char_word", "soft vote: LR C=10 on char part + LR C=10 on word part")


def load() -> tuple[list[str], list[str], dict[str, tuple[list[str], list[str]]]]:
    train_x: list[str] = []
    train_y: list[str] = []
    held_out: dict[str, tuple[list[str], list[str]]] = {}
    for language in [code for code in UNDERSTOOD if (NLU_DIR / f"{code}.yml").exists()]:
        train, test = split(read_examples(NLU_DIR / f"{language}.yml"))
        for intent, texts in train.items():
            train_x += [prepare(t) for t in texts]
            train_y += [intent] * len(texts)
        pairs = [(intent, prepare(t)) for intent, texts in test.items() for t in texts]
        held_out[language] = ([t for t, _ in pairs], [x for _, x in pairs])
    return train_x, train_y, held_out


def scores(truths: list[str], predictions: list[str]) -> dict[str, Any]:
    report = f1_report(list(zip(truths, predictions, strict=True)))
    return {
        "weighted_f1": report["weighted_f1"],
        "macro_f1": report["macro_f1"],
        **{intent: report["per_intent"].get(intent, {}).get("f1", 0.0) for intent in WATCHED},
    }


def screen(candidate: Candidate, data: tuple[list[str], list[str], dict[str, tuple[list[str], list[str]]]]) -> dict:
    train_x, train_y, held_out = data
    started = time.monotonic()
    union = features(candidate)
    x = union.fit_transform(train_x).tocsr()
    if candidate.name == "vote_char_word":
        n_chars = len(union.transformer_list[0][1].vocabulary_)
        model: Any = SoftVote([(lr(), slice(0, n_chars)), (lr(), slice(n_chars, x.shape[1]))])
    else:
        model = candidate.model()
    model.fit(x, np.asarray(train_y))
    result: dict[str, Any] = {"name": candidate.name, "change": candidate.change, "features": x.shape[1]}
    for language, (truths, texts) in held_out.items():
        probabilities = model.predict_proba(union.transform(texts))
        best = probabilities.argmax(axis=1)
        raw = [str(model.classes_[i]) for i in best]
        fallback = [
            intent if p >= THRESHOLD else FALLBACK for intent, p in zip(raw, probabilities.max(axis=1), strict=True)
        ]
        result[language] = {"raw": scores(truths, raw), "fb": scores(truths, fallback)}
    result["seconds"] = round(time.monotonic() - started, 1)
    result["mean_wf1_fb"] = float(np.mean([result[lang]["fb"]["weighted_f1"] for lang in SHIPPED]))
    result["mean_wf1_raw"] = float(np.mean([result[lang]["raw"]["weighted_f1"] for lang in SHIPPED]))
    return result


def row(result: dict, languages: list[str]) -> str:
    cells = [f"{result['name']}", result["change"], f"{result['mean_wf1_fb']:.3f}", f"{result['mean_wf1_raw']:.3f}"]
    for lang in languages:
        fb = result[lang]["fb"]
        cells.append(
            f"{fb['weighted_f1']:.3f} / {fb['macro_f1']:.3f} / {fb['out_of_scope']:.2f} / {fb['safety_emergency']:.2f}"
        )
    cells.append(f"{result['seconds']:.0f}")
    return "| " + " | ".join(cells) + " |"


def header(languages: list[str]) -> str:
    columns = " | ".join(f"{lang} wF1 / macro / oos / safety" for lang in languages)
    return (
        f"| config | change | mean wF1 (fb) | mean wF1 (raw) | {columns} | s |\n"
        + "| --- " * (len(languages) + 5)
        + "|"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Screen intent classifier configurations on the held-out split.")
    parser.add_argument("--only", nargs="*", help="names of the configurations to run (default: all)")
    parser.add_argument("--json", default="results/classifier-screen.json", help="where to add the results")
    parser.add_argument("--table", action="store_true", help="only print the table of the results saved in --json")
    args = parser.parse_args()
    out = ROOT / args.json
    if args.table:
        saved = json.loads(out.read_text(encoding="utf-8"))
        languages = [lang for lang in UNDERSTOOD if lang in next(iter(saved.values()))]
        print(header(languages))
        for result in sorted(saved.values(), key=lambda r: r["name"] != "current"):
            print(row(result, languages))
        return 0
    candidates = CANDIDATES + [char_word_vote()]
    if args.only:
        by_name = {c.name: c for c in candidates}
        candidates = [by_name[name] for name in args.only]
    data = load()
    languages = list(data[2])
    out.parent.mkdir(exist_ok=True)
    previous = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    print(header(languages))
    for candidate in candidates:
        result = screen(candidate, data)
        previous[candidate.name] = result
        out.write_text(json.dumps(previous, ensure_ascii=False, indent=1), encoding="utf-8")
        print(row(result, languages), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
