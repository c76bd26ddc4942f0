"""The intent classifier's word features with three tokenizers, per language, on the NLU report's
held-out split (issue 13: is spaCy the better tokenizer for any shipped language?).

- ``regex``: what the classifier uses (bot/components/text_features.py): words are runs of
  ``\\w`` in the folded, lower-cased text;
- ``spacy``: the tokens of a blank spaCy pipeline for the example's language (its tokenizer's
  prefix, suffix and infix rules: elision, clitics, hyphens);
- ``spacy+lemmas``: those tokens replaced by their lemma from ``spacy-lookups-data``'s lookup
  table where the language has one (Dutch, English; also French and Turkish, not shipped yet).

The character n-grams, the logistic regression (C = 10, balanced) and the split (scripts/nlu_report.py)
are the classifier's own; only the word features change. One multilingual classifier per
variant is trained on all languages' training examples, as in production, and scored per
language by weighted F1 of the intent alone (no fallback, safety detector or topic decision,
which would hide the tokenizer's effect).

    python -m scripts.tokenizer_comparison      # prints a Markdown table
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache

import scipy.sparse
import spacy
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from bot.components.text_features import prepare
from scripts.nlu_report import read_examples, split
from wegwijs.languages import UNDERSTOOD, base_language
from wegwijs.paths import NLU_DIR

# spaCy's language for each shipped one ("xx": the multi-language blank, for Latin-letter Arabic
# and Dari); the lookup lemmatizer only where spacy-lookups-data has a table.
SPACY_LANGUAGE = {"nl": "nl", "en": "en", "ar": "ar", "fa-AF": "fa"}
LEMMA_TABLES = frozenset({"nl", "en"})
VARIANTS = ("regex", "spacy", "spacy+lemmas")


@cache
def pipeline(language: str, lemmas: bool) -> spacy.language.Language:
    nlp = spacy.blank(SPACY_LANGUAGE.get(language, "xx"))
    if lemmas and language in LEMMA_TABLES:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    return nlp


def words(variant: str, language: str) -> Callable[[str], str]:
    """The example's words, space-separated, as the variant tokenizes them."""
    if variant == "regex":
        return prepare
    lemmas = variant == "spacy+lemmas"
    nlp = pipeline(language, lemmas)

    def tokenize(text: str) -> str:
        doc = nlp(prepare(text))
        return " ".join((t.lemma_ or t.text) if lemmas else t.text for t in doc if not t.is_space)

    return tokenize


def features(variant: str, texts: list[tuple[str, str]], fitted: tuple | None = None) -> tuple:
    """(matrix, fitted vectorizers) for (language, text) pairs."""
    chars_in = [prepare(text) for _, text in texts]
    words_in = [words(variant, language)(text) for language, text in texts]
    if fitted is None:
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        word = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b" if variant == "regex" else r"\S+",
        )
        return scipy.sparse.hstack([chars.fit_transform(chars_in), word.fit_transform(words_in)]).tocsr(), (
            chars,
            word,
        )
    chars, word = fitted
    return scipy.sparse.hstack([chars.transform(chars_in), word.transform(words_in)]).tocsr(), fitted


def evaluate() -> dict[str, dict[str, float]]:
    languages = [code for code in UNDERSTOOD if (NLU_DIR / f"{code}.yml").exists()]
    train: list[tuple[str, str, str]] = []
    test: dict[str, list[tuple[str, str]]] = {}
    for code in languages:
        kept, held = split(read_examples(NLU_DIR / f"{code}.yml"))
        language = base_language(code) if code in SPACY_LANGUAGE else code
        train += [(language, text, intent) for intent, texts in kept.items() for text in texts]
        test[code] = [(intent, text) for intent, texts in held.items() for text in texts]
    results: dict[str, dict[str, float]] = {code: {} for code in languages}
    for variant in VARIANTS:
        matrix, fitted = features(variant, [(language, text) for language, text, _ in train])
        classifier = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=42)
        classifier.fit(matrix, [intent for _, _, intent in train])
        for code in languages:
            language = base_language(code) if code in SPACY_LANGUAGE else code
            held_matrix, _ = features(variant, [(language, text) for _, text in test[code]], fitted)
            truth = [intent for intent, _ in test[code]]
            results[code][variant] = float(f1_score(truth, classifier.predict(held_matrix), average="weighted"))
    return results


def markdown(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| language | " + " | ".join(VARIANTS) + " | best |",
        "| --- | " + " | ".join("---" for _ in VARIANTS) + " | --- |",
    ]
    for code, scores in results.items():
        best = max(scores, key=scores.__getitem__)
        lines.append(f"| {code} | " + " | ".join(f"{scores[v]:.3f}" for v in VARIANTS) + f" | {best} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    print(markdown(evaluate()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
