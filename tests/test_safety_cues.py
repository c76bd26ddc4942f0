"""The safety cue rules (bot/components/safety_cues.py) on the shipped lexicons, per language:
each kind of danger people describe is found in its everyday wording, inflections and clitics
included, and everyday questions with the same words are not."""

from __future__ import annotations

import pytest

from bot.components.safety_cues import LanguageCues, load_cues, read_rules

DANGER = {
    "nl": [
        ("mijn baas houdt mijn paspoort en geeft het niet terug", "documents_taken"),
        ("ik moet nog 4000 euro terugbetalen voor de reis hierheen", "journey_debt"),
        ("ik mag het huis niet uit van mijn man", "confinement"),
        ("drie maanden gewerkt in de kassen en geen loon gekregen", "unpaid_work"),
        ("hij bedreigt mijn familie thuis", "threats"),
    ],
    "en": [
        ("my boss kept my passport since march", "documents_taken"),
        ("i still owe the man who brought me here for the journey", "journey_debt"),
        ("they beat me when i ask for my money", "violence"),
        ("my parents want to marry me off to my cousin", "forced_marriage"),
        ("he choked me last night", "violence"),
    ],
    "ar": [("صاحب الشغل ماسك جوازي ومش راضي يرجعه", "documents_taken"), ("جوزي بيضربني كل يوم", "violence")],
    "fa-AF": [
        ("کسی که مره آورد پاسپورتمه پیش خود نگاه کده و پس نمیته", "documents_taken"),
        ("شوهرم مره لت میکنه", "violence"),
    ],
}
HARMLESS = {
    "nl": [
        "mijn paspoort is verlopen, kan IOM helpen met reisdocumenten om terug te gaan",
        "hoe werkt vrijwillige terugkeer naar Irak",
    ],
    "en": [
        "my passport expired, can you arrange travel documents to go home",
        "what does IOM do for integration of status holders",
        "chokran bzaf, that is all i needed",
    ],
    "ar": ["فيزا سياحيه لتركيا كيف", "كيف ارجع لتونس بمساعدتكم"],
    "fa-AF": ["میخایم پس برم افغانستان چطو کمک میکنین", "تشکر از معلومات تان"],
}


@pytest.mark.parametrize("language, text, category", [(lang, t, c) for lang, items in DANGER.items() for t, c in items])
def test_danger_in_everyday_words_is_found(language: str, text: str, category: str) -> None:
    assert category in {m.category for m in load_cues().match(text)}


@pytest.mark.parametrize("language, text", [(lang, t) for lang, items in HARMLESS.items() for t in items])
def test_everyday_questions_with_the_same_words_are_not_danger(language: str, text: str) -> None:
    assert load_cues().match(text) == []


def test_lemmas_make_one_entry_of_every_inflection() -> None:
    cues = LanguageCues("en", {"HOLD": ["keep"], "DOCUMENT": ["passport"]}, {"documents_taken": [["DOCUMENT", "HOLD"]]})
    for text in ["he keeps my passport", "she kept my passport", "they are keeping my passport"]:
        assert [m.category for m in cues.categories(text)] == ["documents_taken"]


def test_arabic_script_entries_match_with_clitics_but_short_words_only_whole() -> None:
    rules = {"violence": [["VIOLENCE"]]}
    cues = LanguageCues("ar", {"VIOLENCE": ["ضرب", "لت"]}, rules)
    assert cues.categories("وبالضربه")  # و + ب + ال + ضرب + ه
    assert cues.categories("لت")
    assert not cues.categories("لتونس")


def test_every_category_needs_all_of_one_combination() -> None:
    rules = read_rules()
    cues = LanguageCues("en", {"DOCUMENT": ["passport"], "HOLD": ["keep"]}, rules)
    assert cues.categories("my passport") == []
    assert [m.category for m in cues.categories("he keeps my passport")] == ["documents_taken"]
