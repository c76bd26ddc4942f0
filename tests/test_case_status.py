"""Case status through the gateway against the running stack: for every demo case and every
shipped language, the whole conversation (question, reference, date of birth) and its answer:
the stage explained, the next step's date as the user's locale writes it, the place and the
programme's phone line with its opening hours."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.conftest import new_conversation
from tests.phone_texts import possible_phone_texts
from wegwijs.dates import format_for
from wegwijs.languages import SHIPPED
from wegwijs.responses import load_specs, render

DEMO = {
    "IOM-NL-2026-000042": (
        "family_reunification",
        "dna_sample_scheduled",
        dt.date(1990, 5, 14),
        dt.date(2026, 12, 10),
        "Addis Ababa",
        "reunification",
    ),
    "IOM-NL-2026-000107": (
        "voluntary_return",
        "travel_booked",
        dt.date(1985, 11, 2),
        dt.date(2026, 12, 3),
        "Schiphol",
        "return",
    ),
    "IOM-NL-2025-000913": ("resettlement", "pre_departure", dt.date(2001, 1, 30), None, None, "general"),
}
# How someone might ask, type the reference and write the date of birth, per language.
ASK = {
    "nl": "hoe staat het met mijn dossier bij jullie?",
    "en": "could you tell me where my case is at",
    "ar": "بدي اعرف شو صار بملفي عندكم",
    "fa-AF": "میخواهم بدانم دوسیه ام به کجا رسیده",
}
PERSIAN, ARABIC = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"), str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def typed_reference(reference: str, language: str) -> str:
    return {
        "nl": reference.lower(),
        "en": reference.replace("-", " "),
        "ar": reference,
        "fa-AF": reference.replace("-", ""),
    }[language]


def typed_birth(birth: dt.date, language: str) -> str:
    return {
        "nl": f"{birth.day}-{birth.month:02d}-{birth.year}",
        "en": birth.strftime("%d %B %Y"),
        "ar": f"{birth.day:02d}/{birth.month:02d}/{birth.year}".translate(ARABIC),
        "fa-AF": f"{birth.day:02d}/{birth.month:02d}/{birth.year}".translate(PERSIAN),
    }[language]


def expected_text(key: str, language: str, **values: str) -> str:
    return render(load_specs()[key], language).text.format(**values)


def say(gateway: httpx.Client, conversation: str, text: str) -> dict:
    answer = gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": text})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("language", SHIPPED)
@pytest.mark.parametrize("reference", list(DEMO))
def test_case_status_conversation(gateway: httpx.Client, language: str, reference: str) -> None:
    programme, stage, birth, next_date, place, line = DEMO[reference]
    conversation = new_conversation(gateway)

    asked = say(gateway, conversation, ASK[language])
    assert [m["text"] for m in asked["messages"]] == [expected_text("utter_ask_case_reference", language)]
    assert (asked["language"], asked["topic"], asked["phone_line"]) == (language, "case_status", None)

    asked = say(gateway, conversation, typed_reference(reference, language))
    assert [m["text"] for m in asked["messages"]] == [expected_text("utter_ask_date_of_birth", language)]
    assert (asked["language"], asked["topic"]) == (language, "case_status")

    before = dt.datetime.now(dt.timezone.utc)
    answer = say(gateway, conversation, typed_birth(birth, language))
    expected = [expected_text(f"utter_case_{programme}_{stage}", language)]
    if next_date:
        expected.append(
            expected_text(
                "utter_case_next_step_date_place", language, date=format_for(next_date, language), place=place
            )
        )
    texts = [m["text"] for m in answer["messages"]]
    assert texts in [expected + phone for phone in possible_phone_texts(line, "unknown", language, before)]
    assert (answer["language"], answer["topic"], answer["phone_line"]) == (language, "case_status", line)


def test_a_solar_hijri_date_of_birth_completes_the_lookup_in_dari(gateway: httpx.Client) -> None:
    """The tazkira's date, ۱۳۶۹/۲/۲۴ (14 May 1990): read back in both calendars, then the case."""
    conversation = new_conversation(gateway)
    say(gateway, conversation, ASK["fa-AF"])
    say(gateway, conversation, "IOM-NL-2026-000042")
    before = dt.datetime.now(dt.timezone.utc)
    answer = say(gateway, conversation, "۱۳۶۹/۲/۲۴")
    both = "۲۴ ثور ۱۳۶۹ (" + format_for(dt.date(1990, 5, 14), "fa-AF") + ")"
    expected = [
        expected_text("utter_date_of_birth_read", "fa-AF", date=both),
        expected_text("utter_case_family_reunification_dna_sample_scheduled", "fa-AF"),
        expected_text(
            "utter_case_next_step_date_place",
            "fa-AF",
            date=format_for(dt.date(2026, 12, 10), "fa-AF"),
            place="Addis Ababa",
        ),
    ]
    texts = [m["text"] for m in answer["messages"]]
    assert texts in [expected + phone for phone in possible_phone_texts("reunification", "unknown", "fa-AF", before)]


def test_both_details_in_the_first_message(gateway: httpx.Client) -> None:
    answer = say(gateway, new_conversation(gateway), "IOM-NL-2026-000107 geboren 02-11-1985, waar is mijn dossier")
    assert answer["messages"][0]["text"] == expected_text("utter_case_voluntary_return_travel_booked", "nl")
    assert "3 december 2026" in answer["messages"][1]["text"]


def test_a_value_can_be_corrected_before_the_lookup(gateway: httpx.Client) -> None:
    conversation = new_conversation(gateway)
    say(gateway, conversation, "where is my case")
    say(gateway, conversation, "IOM-NL-2026-000999")
    corrected = say(gateway, conversation, "sorry, wrong number: IOM-NL-2025-000913")
    assert [m["text"] for m in corrected["messages"]] == [expected_text("utter_ask_date_of_birth", "en")]
    answer = say(gateway, conversation, "30/01/2001")
    assert answer["messages"][0]["text"] == expected_text("utter_case_resettlement_pre_departure", "en")


def test_the_form_explains_what_it_needs_and_can_be_stopped(gateway: httpx.Client) -> None:
    conversation = new_conversation(gateway)
    say(gateway, conversation, "where is my case")
    hint = say(gateway, conversation, "123456")
    assert hint["messages"][0]["text"] == expected_text("utter_case_reference_not_understood", "en")
    say(gateway, conversation, "IOM-NL-2026-000042")
    stopped = say(gateway, conversation, "stop")
    assert [m["text"] for m in stopped["messages"]] == [expected_text("utter_case_stopped", "en")]
    # Stopped means forgotten: asking again starts from the reference.
    again = say(gateway, conversation, "where is my case")
    assert [m["text"] for m in again["messages"]] == [expected_text("utter_ask_case_reference", "en")]


def test_a_safety_message_during_the_form_gets_the_safety_answer(gateway: httpx.Client) -> None:
    conversation = new_conversation(gateway)
    say(gateway, conversation, "where is my case")
    answer = say(gateway, conversation, "my husband is beating me, I am in danger")
    assert answer["topic"] == "safety"
    assert answer["messages"][0]["text"] == expected_text("utter_safety", "en")
