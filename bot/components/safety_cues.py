"""Danger described in people's own words, found by rules: spaCy's ``Matcher`` over the lexicons.

People rarely write "trafficking". They write that the boss keeps their passport, that they owe
the man who brought them, that they may not leave the house. ``data/safety/<lang>.yml`` lists,
per language, the words of a few concepts (DOCUMENT, HOLD, DEBT, THREAT ...);
``data/safety/rules.yml`` says which concepts together make a category of danger
(documents taken = DOCUMENT + HOLD). A message matches a category when, in one language's
lexicon, every concept of one of the category's combinations occurs in it.

Each language gets a blank spaCy pipeline (no model to download). Dutch and English add the
lookup lemmatizer from ``spacy-lookups-data``, so "kept", "keeps" and "keep" are one entry.
Arabic and Dari have no lemma tables; their entries are written without clitics, and a token
matches an entry with the prefixes و ف ب ل ک, the article ال and the contraction لل before it and up to
four letters of suffix after it (جوازي، وجوازه، پاسپورتم); words under three letters match only whole.
An entry ending in ``*`` matches any token that starts with it. Text is folded with
``wegwijs.normalize`` first, as everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
import yaml
from spacy.matcher import Matcher

from wegwijs.languages import script_counts, script_of
from wegwijs.normalize import normalize
from wegwijs.paths import ROOT

SAFETY_DIR = ROOT / "data" / "safety"
RULES_FILE = SAFETY_DIR / "rules.yml"
# spaCy's language for each lexicon; the lookup lemmatizer where spacy-lookups-data has a table.
SPACY_LANGUAGE = {"nl": "nl", "en": "en", "ar": "ar", "fa-AF": "fa"}
LEMMA_LOOKUP = frozenset({"nl", "en"})
ARABIC_PREFIX = "(?:[وف])?(?:لل|[بلک]?(?:ال)?)"
ARABIC_SUFFIX = r"\w{0,4}"
# Shorter Arabic-script words match only as they are: "لت" (Dari: beating) must not match "لتونس".
MIN_AFFIXED_LETTERS = 3


@dataclass(frozen=True)
class CueMatch:
    language: str  # the lexicon that matched
    category: str
    concepts: tuple[str, ...]


def lexicon_files() -> list[Path]:
    return sorted(p for p in SAFETY_DIR.glob("*.yml") if p != RULES_FILE)


def _token_specs(entry: str, arabic_script: bool, lemmas: bool) -> list[list[dict[str, Any]]]:
    """The token patterns of one lexicon entry: one or several alternatives for its words."""
    words = normalize(entry).lower().split()
    alternatives: list[list[dict[str, Any]]] = [[]]
    for word in words:
        prefix = word.endswith("*")
        stem = re.escape(word.rstrip("*"))
        options: list[dict[str, Any]]
        if arabic_script and not prefix and len(word) < MIN_AFFIXED_LETTERS:
            options = [{"LOWER": word}]
        elif arabic_script:
            regex = f"^{ARABIC_PREFIX}{stem}" + (r"\w*$" if prefix else f"{ARABIC_SUFFIX}$")
            options = [{"LOWER": {"REGEX": regex}}]
        elif prefix:
            options = [{"LOWER": {"REGEX": f"^{stem}"}}]
        else:
            options = [{"LOWER": word}] + ([{"LEMMA": word}] if lemmas else [])
        alternatives = [pattern + [option] for pattern in alternatives for option in options]
    return alternatives


class LanguageCues:
    """One language's lexicon as a spaCy Matcher, and the rules that combine its concepts."""

    def __init__(self, language: str, concepts: dict[str, list[str]], rules: dict[str, list[list[str]]]) -> None:
        self.language = language
        self.script = script_of(language)
        self._rules = rules
        self._nlp = spacy.blank(SPACY_LANGUAGE.get(language, "xx"))
        lemmas = language in LEMMA_LOOKUP
        if lemmas:
            self._nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            self._nlp.initialize()
        self._matcher = Matcher(self._nlp.vocab)
        arabic_script = script_of(language) == "arabic"
        for concept, entries in concepts.items():
            patterns = [
                spec
                for entry in entries or []
                if str(entry).strip()
                for spec in _token_specs(str(entry), arabic_script, lemmas)
            ]
            if patterns:
                self._matcher.add(concept, patterns)

    def concepts(self, text: str) -> set[str]:
        doc = self._nlp(normalize(text).lower())
        return {self._nlp.vocab.strings[match_id] for match_id, _, _ in self._matcher(doc)}

    def categories(self, text: str) -> list[CueMatch]:
        found = self.concepts(text)
        matches = []
        for category, combinations in self._rules.items():
            for combination in combinations:
                if set(combination) <= found:
                    matches.append(CueMatch(self.language, category, tuple(combination)))
                    break
        return matches


class SafetyCues:
    """Every shipped lexicon; a message is checked against all of them, because a Dari message
    can arrive in a conversation whose language is Arabic."""

    def __init__(self, languages: Iterable[LanguageCues]) -> None:
        self._languages = list(languages)

    def match(self, text: str) -> list[CueMatch]:
        """Only the lexicons of the scripts the text is written in: a Dutch word list cannot
        match Arabic letters, and each lexicon costs a tokenisation and a matcher run."""
        scripts = scripts_in(text)
        return [m for cues in self._languages if cues.script in scripts for m in cues.categories(text)]


def scripts_in(text: str) -> set[str]:
    latin, arabic = script_counts(text)
    return {script for script, letters in (("latin", latin), ("arabic", arabic)) if letters}


def read_rules(path: Path = RULES_FILE) -> dict[str, list[list[str]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {category: [list(c) for c in combinations] for category, combinations in raw["categories"].items()}


def read_lexicon(path: Path) -> tuple[str, dict[str, list[str]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return raw["language"], {concept: [str(e) for e in entries or []] for concept, entries in raw["concepts"].items()}


@lru_cache(maxsize=1)
def load_cues() -> SafetyCues:
    rules = read_rules()
    return SafetyCues(LanguageCues(*read_lexicon(path), rules) for path in lexicon_files())
