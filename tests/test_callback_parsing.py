"""Reading a call-back's number and time the way people type them, and spotting phone numbers in
texts that are kept (tracker store, transcripts)."""

from __future__ import annotations

import pytest

from actions.callback import read_phone, read_time
from wegwijs.redaction import holds_personal_details


@pytest.mark.parametrize(
    "typed, region, expected",
    [
        ("06 12345678", "NL", "+31612345678"),
        ("mijn nummer is 06-12 34 56 78", "NL", "+31612345678"),
        ("۰۶۱۲۳۴۵۶۷۸", "NL", "+31612345678"),  # Persian digits
        ("٠٠٣١٦١٢٣٤٥٦٧٨", "NL", "+31612345678"),  # Arabic-Indic digits, 00 prefix
        ("+93 70 123 4567", None, "+93701234567"),
        ("0093 70 123 4567", None, "+93701234567"),
        ("0701234567", "AF", "+93701234567"),  # abroad, read as dialled in the sender's country
        ("0701234567", None, None),  # abroad without a country: ambiguous
        ("my number is 12", "NL", None),
        ("I have 3 children", "NL", None),
    ],
)
def test_numbers_are_read_in_any_form(typed: str, region, expected) -> None:
    assert read_phone(typed, region) == expected


@pytest.mark.parametrize(
    "message, language, expected",
    [
        (
            {
                "text": '/callback_time{"callback_time": "afternoon"}',
                "entities": [{"entity": "callback_time", "value": "afternoon"}],
            },
            "nl",
            "afternoon",
        ),
        ({"text": "Ochtend"}, "nl", "morning"),
        ({"text": "ochtend."}, "nl", "morning"),
        ({"text": "بعد از چاشت"}, "fa-AF", "afternoon"),
        ({"text": "أي وقت"}, "ar", "any"),
        ({"text": "Any time"}, "ar", "any"),  # the English title works in every language
        ({"text": "۲"}, "fa-AF", "afternoon"),
        ({"text": "4"}, "en", None),
        ({"text": "tomorrow at ten"}, "en", None),
    ],
)
def test_times_are_read_from_buttons_titles_and_numbers(message: dict, language: str, expected) -> None:
    assert read_time(message, language) == expected


@pytest.mark.parametrize(
    "text, personal",
    [
        ("call me on 0612345678", True),
        ("+93 70 123 4567", True),
        ("۰۷۰۱۲۳۴۵۶۷", True),
        ("IOM-NL-2026-000042", True),
        ("14 mei 1990", True),
        ("۱۳۶۹/۲/۲۴", True),  # a Solar Hijri date of birth, as on the tazkira
        ("تولدم ۲۴ ثور ۱۳۶۹ است", True),
        ("I have 3 children aged 5 and 7", False),
        ("I want to return to Afghanistan in 2027", False),
    ],
)
def test_personal_details_are_spotted(text: str, personal: bool) -> None:
    assert holds_personal_details(text) is personal
