"""The independent test set (tests/nlu_independent/) stays what it claims to be: written apart
from the training data (no message of it appears in data/nlu, in any language), labelled with
the chat API's topics, at least 40 messages per language, each file saying how it was written."""

from __future__ import annotations

import pytest

from scripts.nlu_independent import SET_DIR, load_set, sets
from tests.test_conversations import training_texts
from wegwijs.languages import ROMANIZED, SHIPPED, base_language

TOPICS = {
    "voluntary_return",
    "family_reunification",
    "resettlement",
    "integration",
    "diaspora",
    "about_iom",
    "contact",
    "case_status",
    "human_handover",
    "safety",
    "smalltalk",
    "language",
    "out_of_scope",
}
CATEGORIES = {"safety_indirect", "story", "multi_topic", "voice", "dialect", "newcomer", "hard_negative", "plain"}


def test_every_shipped_language_and_romanized_variant_has_a_set() -> None:
    assert sets() == [*SHIPPED, *ROMANIZED.values()]


@pytest.mark.parametrize("language", sets())
def test_the_set_is_labelled_with_the_topics_and_says_how_it_was_written(language: str) -> None:
    messages = load_set(language)
    assert len(messages) >= 40
    assert (SET_DIR / f"{language}.yml").read_text(encoding="utf-8").startswith("# How this set was written:")
    assert {m["topic"] for m in messages} <= TOPICS
    assert {m.get("also") for m in messages if m.get("also")} <= TOPICS
    assert {m["category"] for m in messages} <= CATEGORIES
    assert sum(1 for m in messages if m["topic"] == "safety") >= (10 if language in SHIPPED else 8)
    # A request for another language names a shipped one, on a message about language.
    for m in messages:
        if "asks_for" in m:
            assert m["topic"] == "language" and m["asks_for"] in SHIPPED and m["asks_for"] != base_language(language)


def test_no_message_of_the_set_is_in_the_training_data() -> None:
    """Beyond one- and two-word messages ("ja", "سلام"), which any two authors write alike."""
    seen = training_texts()
    leaked = [
        m["text"]
        for language in sets()
        for m in load_set(language)
        if len(m["text"].split()) > 2 and m["text"].strip().lower() in seen
    ]
    assert leaked == []
