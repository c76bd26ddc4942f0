"""Per-language NLU quality is measured on every run, and gated, on two sets.

The held-out split: an NLU-only model is trained on 80 % of each language's examples
(scripts/nlu_report.py) and scored on the rest, with the intent the whole pipeline settles on.
The independent set (tests/nlu_independent/, written apart from the training data and never
used for tuning) is parsed with the full model and scored by topic, safety and reply language
(scripts/nlu_independent.py). The floors sit a little under the committed report
(docs/nlu-report.md), so that a change that makes one language clearly worse fails; where they
are below what issue 10 asks for, the report and the issue say so.
"""

from __future__ import annotations

import asyncio

import pytest

from scripts.nlu_independent import evaluate as evaluate_independent
from scripts.nlu_report import evaluate
from wegwijs.languages import ROMANIZED, SHIPPED
from wegwijs.paths import ROOT

# The held-out split is chosen by a hash of each example since 2026-12-03 (scripts/nlu_report.py).
# The positional split before it had been used to choose earlier data rounds, and scored 0.02 to
# 0.07 higher than the fresh one on the same data (docs/architecture.md); these floors sit a little
# under the fresh split's figures. The issue asks for 0.90 and, per intent, 0.70; on the fresh split
# Arabic out_of_scope (0.57) and bot_challenge, and Dutch project_moving_the_middle, are under 0.70.
MIN_WEIGHTED_F1 = {"nl": 0.87, "en": 0.87, "ar": 0.86, "fa-AF": 0.85}
MIN_INTENT_F1 = 0.55
MIN_SAFETY_RECALL = 0.88
MAX_SAFETY_FALSE_ALARMS = 0.04
MIN_NONSENSE_FALLBACK = 0.8
# The independent set (70 messages per language).
# Regression gates a message or two under the figures of 2026-12-03 (docs/nlu-report.md); the goal is 0.95.
# English lost one message (91.4 -> 90.0 %) with the second English data round, which brought its
# held-out F1 to 0.903 and the forced-marriage probes from 12 to 16 of 16 (docs/architecture.md).
MIN_TOPIC_ACCURACY = {"nl": 0.94, "en": 0.88, "ar": 0.94, "fa-AF": 0.92}
MIN_INDEPENDENT_SAFETY_RECALL = 0.93
MAX_INDEPENDENT_FALSE_ALARMS = 0.05
MIN_REPLY_LANGUAGE = 0.98
# Arabic and Dari typed in Latin letters (issue 13): fewer examples (about 1,000 each) and far
# more spellings per word, so their own floors, again a little under the committed report.
VARIANTS = list(ROMANIZED.values())
MIN_VARIANT_WEIGHTED_F1 = {"ar-Latn": 0.78, "fa-AF-Latn": 0.76}
MIN_VARIANT_TOPIC_ACCURACY = {"ar-Latn": 0.9, "fa-AF-Latn": 0.85}
# 8 safety messages in each variant's set: 7 and 6 of them found (issue 10 asks for 95 %).
MIN_VARIANT_SAFETY_RECALL = {"ar-Latn": 0.85, "fa-AF-Latn": 0.7}


@pytest.fixture(scope="module")
def results() -> dict:
    return evaluate(ROOT / "config.yml")


@pytest.fixture(scope="module")
def independent() -> dict:
    return asyncio.run(evaluate_independent())


@pytest.mark.parametrize("language", SHIPPED)
def test_intent_f1_per_language(results: dict, language: str) -> None:
    assert results["languages"][language]["weighted_f1"] >= MIN_WEIGHTED_F1[language]


@pytest.mark.parametrize("language", SHIPPED)
def test_no_intent_falls_below_the_floor(results: dict, language: str) -> None:
    low = {
        i: round(r["f1"], 2) for i, r in results["languages"][language]["per_intent"].items() if r["f1"] < MIN_INTENT_F1
    }
    assert low == {}


@pytest.mark.parametrize("language", SHIPPED)
def test_safety_messages_are_recognised(results: dict, language: str) -> None:
    report = results["languages"][language]
    assert report["per_intent"]["safety_emergency"]["recall"] >= MIN_SAFETY_RECALL
    assert report["safety_false_alarms"] <= MAX_SAFETY_FALSE_ALARMS


@pytest.mark.parametrize("script", ["latin", "arabic"])
def test_nonsense_falls_back_in_every_script(results: dict, script: str) -> None:
    assert results["nonsense"][script]["fallback_rate"] >= MIN_NONSENSE_FALLBACK


@pytest.mark.parametrize("language", SHIPPED)
def test_independent_set_topic_and_language(independent: dict, language: str) -> None:
    report = independent[language]
    assert report["messages"] >= 40
    assert report["topic_accuracy"] >= MIN_TOPIC_ACCURACY[language]
    assert report["language_accuracy"] >= MIN_REPLY_LANGUAGE


@pytest.mark.parametrize("language", SHIPPED)
def test_independent_set_danger_described_indirectly(independent: dict, language: str) -> None:
    report = independent[language]
    assert report["safety_recall"] >= MIN_INDEPENDENT_SAFETY_RECALL
    assert report["false_alarms"] <= MAX_INDEPENDENT_FALSE_ALARMS


@pytest.mark.parametrize("variant", VARIANTS)
def test_romanized_held_out_f1(results: dict, variant: str) -> None:
    report = results["languages"][variant]
    assert report["weighted_f1"] >= MIN_VARIANT_WEIGHTED_F1[variant]
    assert report["safety_false_alarms"] <= MAX_SAFETY_FALSE_ALARMS


@pytest.mark.parametrize("variant", VARIANTS)
def test_romanized_independent_set(independent: dict, variant: str) -> None:
    """Understood for the main topics, answered in the Arabic script: the reply language is the
    base language's."""
    report = independent[variant]
    assert report["messages"] >= 40
    assert report["topic_accuracy"] >= MIN_VARIANT_TOPIC_ACCURACY[variant]
    assert report["language_accuracy"] >= MIN_REPLY_LANGUAGE
    assert report["safety_recall"] >= MIN_VARIANT_SAFETY_RECALL[variant]
    assert report["false_alarms"] <= MAX_INDEPENDENT_FALSE_ALARMS
