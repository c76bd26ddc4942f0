"""An offline language detector trained on the project's own texts.

General-purpose detectors misread short Dutch as English and cannot tell Dari from Arabic on a
few words. This one first decides the script (Latin or Arabic), then compares only the shipped
languages written in it, with a multinomial naive Bayes over character 1-4-grams learned from
the NLU examples (data/nlu/<lang>.yml) and the translated replies (locales/). It loads in well
under a second and classifies in well under a millisecond. ``familiarity`` tells real words
from keyboard mashing, which would otherwise be "confidently" one language or another.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from wegwijs.catalogs import translator
from wegwijs.languages import ROMANIZED, ROMANIZED_OF, SHIPPED, script_counts, script_of
from wegwijs.paths import NLU_DIR
from wegwijs.responses import load_specs

_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
# Names that read the same in every language say nothing about the language.
_NAMES = re.compile(
    r"\b(iom|ind|unhcr|includ-eu|learn|moving the middle|samen|connecting diaspora|wegwijs)\b", re.IGNORECASE
)
_NON_LETTERS = re.compile(r"[^\w\s]|\d|_")
MAX_NGRAM = 4


@dataclass(frozen=True)
class Detection:
    language: str  # a shipped language (Arabizi is "ar", romanized Dari "fa-AF")
    confidence: float  # posterior among the shipped languages (and variants) of the text's script
    familiarity: float  # share of the text's letter trigrams seen in that language's texts
    letters: int
    words: int
    romanized: bool = False  # Arabic or Dari written in Latin letters


def prepare(text: str) -> str:
    text = _NAMES.sub(" ", unicodedata.normalize("NFKC", text).lower())
    text = _MARKS.sub("", text).replace("\u200c", " ")
    return " ".join(_NON_LETTERS.sub(" ", text).split())


def ngrams(text: str) -> Iterable[str]:
    for word in text.split():
        padded = f" {word} "
        for n in range(1, MAX_NGRAM + 1):
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                if gram.strip():
                    yield gram


class LanguageDetector:
    def __init__(self, samples: dict[str, list[str]]) -> None:
        self._counts: dict[str, Counter[str]] = {}
        self._totals: dict[str, int] = {}
        vocabulary: set[str] = set()
        for language, texts in samples.items():
            counts = Counter(g for text in texts for g in ngrams(prepare(text)))
            self._counts[language] = counts
            self._totals[language] = sum(counts.values())
            vocabulary.update(counts)
        self._vocabulary_size = len(vocabulary) + 1

    def detect(self, text: str, romanized: bool = True) -> Detection | None:
        """The most likely shipped language, or None when the text has no letters. With
        ``romanized`` false, the Latin-letter variants of Arabic and Dari are not candidates."""
        latin, arabic = script_counts(text)
        if latin == arabic == 0:
            return None
        script = "arabic" if arabic > latin else "latin"
        # The languages written in the text's script, and the romanized variants for Latin text.
        candidates = [
            code for code in self._counts if script_of(code) == script and (romanized or code not in ROMANIZED_OF)
        ]
        prepared = prepare(text)
        grams = Counter(ngrams(prepared))
        scores = {}
        for code in candidates:
            counts, denominator = self._counts[code], self._totals[code] + self._vocabulary_size
            scores[code] = sum(
                times * math.log((counts.get(gram, 0) + 1) / denominator) for gram, times in grams.items()
            )
        best = max(scores, key=scores.__getitem__)
        top = scores[best]
        total = sum(math.exp(score - top) for score in scores.values())
        trigrams = [gram for gram in grams if len(gram) == 3]
        seen = sum(1 for gram in trigrams if gram in self._counts[best])
        familiarity = seen / len(trigrams) if trigrams else 0.0
        return Detection(
            ROMANIZED_OF.get(best, best),
            1.0 / total,
            familiarity,
            sum(script_counts(prepared)),
            len(prepared.split()),
            romanized=best in ROMANIZED_OF,
        )


def nlu_examples(path: Path) -> list[str]:
    if not path.exists():
        return []
    items = yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", [])
    return [line[2:] for item in items for line in item.get("examples", "").splitlines() if line.startswith("- ")]


def training_samples() -> dict[str, list[str]]:
    """NLU examples and translated replies per shipped language; NLU examples per romanized
    variant (``ar-Latn``, ``fa-AF-Latn``), which have no replies of their own."""
    samples: dict[str, list[str]] = {}
    for code in SHIPPED:
        gettext = translator(code).gettext
        samples[code] = nlu_examples(NLU_DIR / f"{code}.yml") + [gettext(spec.text) for spec in load_specs().values()]
        variant = ROMANIZED.get(code)
        if variant and (NLU_DIR / f"{variant}.yml").exists():
            samples[variant] = nlu_examples(NLU_DIR / f"{variant}.yml")
    return samples


def build_detector() -> LanguageDetector:
    return LanguageDetector(training_samples())
