"""Per-language NLU quality on held-out data is measured on every run, and gated.

Trains an NLU-only model on 80 % of each language's examples (scripts/nlu_report.py) and scores
the rest per language. The floors sit a little under the committed report (docs/nlu-report.md)
so that a change that makes one language clearly worse fails.
"""
from __future__ import annotations

import pytest

from scripts.nlu_report import evaluate
from wegwijs.languages import SHIPPED
from wegwijs.paths import ROOT

MIN_WEIGHTED_F1 = {"nl": 0.80, "en": 0.84, "ar": 0.82, "fa-AF": 0.83}
MIN_SAFETY_RECALL = 0.8
MIN_NONSENSE_FALLBACK = 0.8


@pytest.fixture(scope="module")
def results() -> dict:
    return evaluate(ROOT / "config.yml")


@pytest.mark.parametrize("language", SHIPPED)
def test_intent_f1_per_language(results: dict, language: str) -> None:
    assert results["languages"][language]["weighted_f1"] >= MIN_WEIGHTED_F1[language]


@pytest.mark.parametrize("language", SHIPPED)
def test_safety_messages_are_recognised(results: dict, language: str) -> None:
    assert results["languages"][language]["per_intent"]["safety_emergency"]["recall"] >= MIN_SAFETY_RECALL


@pytest.mark.parametrize("script", ["latin", "arabic"])
def test_nonsense_falls_back_in_every_script(results: dict, script: str) -> None:
    assert results["nonsense"][script]["fallback_rate"] >= MIN_NONSENSE_FALLBACK
