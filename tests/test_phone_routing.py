"""Phone routing against the running stack: tel: links through the chat API, and the WhatsApp
sender's country code deciding the format at the action server."""

from __future__ import annotations

import os

import httpx

from scripts.stack import Stack
from tests.conftest import new_conversation


def test_the_chat_api_gives_a_tel_link_with_the_number(gateway: httpx.Client) -> None:
    answer = gateway.post(
        "/api/v1/messages",
        json={"conversation_id": new_conversation(gateway), "text": "I want to go back to my country with IOM"},
    ).json()
    assert answer["phone_line"] == "return"
    links = [m["links"] for m in answer["messages"]]
    assert links[0] == [] and links[1] == [{"title": "088 746 4466", "url": "tel:+31-88-746-4466"}]
    assert all(not link for link in links[2:])


def phone_reply(stack: Stack, metadata: dict, slots: dict) -> list[dict]:
    sender = "wa-" + os.urandom(4).hex()
    request = {
        "next_action": "action_phone_line",
        "sender_id": sender,
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {"language": "en", **slots},
            "latest_message": {"text": "…", "intent": {}, "entities": [], "metadata": metadata},
            "events": [{"event": "bot", "text": "…", "metadata": {"utter_action": "utter_return_info"}}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "utter_return_info",
        },
    }
    answer = httpx.post(f"http://127.0.0.1:{stack.ports.actions}/webhook", json=request, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["responses"]


def test_a_whatsapp_number_from_abroad_gets_the_international_number(stack: Stack) -> None:
    ethiopia = phone_reply(stack, {"channel": "whatsapp", "sender_phone": "251911234567"}, {})
    assert ethiopia[0]["response"] == "utter_phone_return_abroad"
    assert not ethiopia[0].get("custom"), "WhatsApp shows plain text: no link objects"
    dutch = phone_reply(stack, {"channel": "whatsapp", "sender_phone": "31612345678"}, {})
    assert dutch[0]["response"] == "utter_phone_return_netherlands"
    said_abroad = phone_reply(stack, {"channel": "whatsapp", "sender_phone": "31612345678"}, {"abroad": True})
    assert said_abroad[0]["response"] == "utter_phone_return_abroad", "what the user says beats the number"
    assert [r["response"] for r in ethiopia[1:]] == ["utter_phone_open_now"], "the tests' return line never closes"
