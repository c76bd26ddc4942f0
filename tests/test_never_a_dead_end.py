"""Every message, in every form and state, gets a real reply in the user's language: gibberish (or a
language the bot does not speak) inside the case form, the call-back offer and the call-back form
is answered like any unrecognised message, never with silence or a 503. In all four languages,
through the gateway against the real stack (nobody at the console, so a person means a call-back)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import new_conversation
from tests.test_handover import text_of

GIBBERISH = "asdkjh qwpoe"
CASE = {
    "nl": "waar staat mijn dossier",
    "en": "what is the status of my case",
    "ar": "اريد معرفة حالة ملفي",
    "fa-AF": "وضعیت دوسیه ام را میخواهم بدانم",
}
PERSON = {
    "nl": "ik wil met een medewerker praten",
    "en": "I want to talk to a person",
    "ar": "اريد التحدث مع موظف",
    "fa-AF": "میخواهم با یک کارمند صحبت کنم",
}


def turn(gateway: httpx.Client, conversation: str, text: str, language: str) -> dict:
    answer = gateway.post(
        "/api/v1/messages", json={"conversation_id": conversation, "text": text, "language": language}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["messages"] and all(m["text"].strip() for m in body["messages"]), body
    assert body["language"] == language
    return body


@pytest.mark.parametrize("language", ["nl", "en", "ar", "fa-AF"])
def test_gibberish_inside_the_case_form_gets_a_real_reply(gateway: httpx.Client, language: str) -> None:
    conversation = new_conversation(gateway)
    asked = turn(gateway, conversation, CASE[language], language)
    assert asked["messages"][0]["text"] == text_of("utter_ask_case_reference", language)
    answer = turn(gateway, conversation, GIBBERISH, language)
    assert answer["topic"] in ("case_status", "smalltalk", "contact", "out_of_scope"), answer


@pytest.mark.parametrize("language", ["nl", "en", "ar", "fa-AF"])
def test_gibberish_at_the_call_back_offer_and_inside_the_call_back_form_gets_a_real_reply(
    gateway: httpx.Client, language: str
) -> None:
    conversation = new_conversation(gateway)
    offered = turn(gateway, conversation, PERSON[language], language)
    assert any(m["text"] == text_of("utter_ask_callback_wanted", language) for m in offered["messages"])
    turn(gateway, conversation, GIBBERISH, language)

    conversation = new_conversation(gateway)
    turn(gateway, conversation, PERSON[language], language)
    asked = gateway.post(
        "/api/v1/messages", json={"conversation_id": conversation, "payload": "/affirm", "text": "ok"}
    ).json()
    assert any(m["text"] == text_of("utter_ask_callback_phone", language) for m in asked["messages"]), asked
    turn(gateway, conversation, GIBBERISH, language)
