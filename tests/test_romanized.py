"""Arabic and Dari typed in Latin letters (Arabizi, romanized Dari) are understood for the main
topics and answered in the language's own script, with one tap for English."""

from __future__ import annotations

import re

import httpx
import pytest

from api.language.detector import build_detector
from api.language.resolve import resolve
from tests.test_handover import say, text_of
from wegwijs.languages import native_name
from wegwijs.responses import language_chosen_payload

ARABIC_LETTERS = re.compile("[\u0600-\u06ff]")
ARABIZI_RETURN = "salam, ana bade erja3 3ala baladi bas ma 3ndi masari lal tazkara, kif b2dar a3mel?"
DARI_RETURN = "salam man mikham pas ba watanam afghanistan beram, chetor komak mekonen?"


@pytest.fixture(scope="module")
def detector():
    return build_detector()


@pytest.mark.parametrize(
    "text, language",
    [
        (ARABIZI_RETURN, "ar"),
        ("baddi 7ake ma3 shi 7ada men el mowazafin law sama7t", "ar"),
        ("3ayez a3raf el malaf beta3i wesel le fen", "ar"),
        (DARI_RETURN, "fa-AF"),
        ("mikham ba karmand gap bezanam", "fa-AF"),
        ("famil-e ma dar kabul ast, chetor mitanan ba holland biyayan", "fa-AF"),
    ],
)
def test_arabic_and_dari_in_latin_letters_are_detected_as_such(detector, text: str, language: str) -> None:
    detection = detector.detect(text)
    assert detection is not None and (detection.language, detection.romanized) == (language, True)
    settled = resolve(detector, text, remembered=None, remembered_explicit=False)
    assert (settled.language, settled.romanized) == (language, True)


@pytest.mark.parametrize(
    "text, language",
    [
        ("ik wil graag terug naar mijn land, kan dat?", "nl"),
        ("i want to bring my wife and kids to the netherlands", "en"),
        ("can i talk to a real person please", "en"),
        ("mijn man zit nog in Eritrea, hoe kan hij hierheen komen", "nl"),
    ],
)
def test_dutch_and_english_stay_themselves(detector, text: str, language: str) -> None:
    detection = detector.detect(text)
    assert detection is not None and (detection.language, detection.romanized) == (language, False)


def test_an_arabizi_question_is_answered_in_arabic_script_with_a_button_for_english(gateway: httpx.Client) -> None:
    conversation = gateway.post("/api/v1/conversations").json()["conversation_id"]
    answer = say(gateway, conversation, ARABIZI_RETURN)
    assert (answer["language"], answer["topic"]) == ("ar", "voluntary_return")
    texts = [m["text"] for m in answer["messages"]]
    assert texts[0] == text_of("utter_return_info", "ar")
    assert ARABIC_LETTERS.search(texts[0])
    note = answer["messages"][-1]
    assert note["text"] == text_of("gateway_language_romanized", "ar")
    assert note["buttons"] == [{"title": native_name("en"), "payload": language_chosen_payload("en")}]

    # The note comes once: the next Arabizi message is simply answered.
    again = say(gateway, conversation, "baddi 7ake ma3 shi 7ada men el mowazafin law sama7t")
    assert again["language"] == "ar"
    assert all(m["text"] != note["text"] for m in again["messages"])

    # One tap on the button, and the answers are in English from then on.
    english = gateway.post(
        "/api/v1/messages", json={"conversation_id": conversation, "payload": language_chosen_payload("en")}
    ).json()
    assert english["language"] == "en"
    after = say(gateway, conversation, ARABIZI_RETURN)
    assert (after["language"], after["topic"]) == ("en", "voluntary_return")
    assert after["messages"][0]["text"] == text_of("utter_return_info", "en")


def test_a_romanized_dari_question_is_answered_in_dari(gateway: httpx.Client) -> None:
    conversation = gateway.post("/api/v1/conversations").json()["conversation_id"]
    answer = say(gateway, conversation, DARI_RETURN)
    assert (answer["language"], answer["topic"]) == ("fa-AF", "voluntary_return")
    assert answer["messages"][0]["text"] == text_of("utter_return_info", "fa-AF")
    assert answer["messages"][-1]["text"] == text_of("gateway_language_romanized", "fa-AF")
