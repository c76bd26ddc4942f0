""" "Did this help you?" (api/satisfaction.py) through the running stack: asked after the thanks
that follow a subject, not after a thanks for nothing, not with the privacy notice, and once per
conversation per day; answered by the gateway without a Rasa turn and counted once; asked at the
end of a hand-over on the web chat's stream; on WhatsApp as three reply buttons that the Graph API
stand-in accepts, whose tap is answered in the user's language."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
import redis

from api.satisfaction import asked_key
from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.fake_graph_api import FakeGraphAPI
from tests.test_handover import LiveMessages, text_of
from tests.test_staff_api import StaffClient, create_account
from tests.test_whatsapp import answer_to, button_reply, number
from tests.whatsapp_load import text
from wegwijs.responses import load_specs, render

YES = '/satisfaction{"satisfaction": "yes"}'
NO = '/satisfaction{"satisfaction": "no"}'


def say(gateway: httpx.Client, conversation: str, words: str, payload: str | None = None) -> dict:
    body = {"conversation_id": conversation, "text": words, **({"payload": payload} if payload else {})}
    answer = gateway.post("/api/v1/messages", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def counted(gateway: httpx.Client, language: str, answer: str) -> float:
    """The gateway's satisfaction counter (its /metrics, asked directly, not through a proxy)."""
    metrics = gateway.get("/metrics").text
    found = re.search(
        rf'^wegwijs_satisfaction_answers_total\{{answer="{answer}",language="{language}"\}} ([0-9.]+)$', metrics, re.M
    )
    return float(found.group(1)) if found else 0.0


def question(language: str) -> dict:
    rendered = render(load_specs()["gateway_satisfaction_question"], language)
    return {"text": rendered.text, "buttons": rendered.buttons}


@pytest.fixture
def store(stack: Stack) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    yield client
    client.close()


def test_asked_after_the_thanks_that_follow_a_subject_once_a_day_and_counted_once(gateway: httpx.Client) -> None:
    conversation = new_conversation(gateway)
    first = say(gateway, conversation, "thanks")  # the first reply: with the privacy notice, never the question
    assert [m["text"] for m in first["messages"]] == [text_of("utter_thank", "en")]
    assert say(gateway, conversation, "thank you")["messages"][-1]["text"] == text_of("utter_thank", "en"), (
        "a thanks for nothing (no subject asked) is not asked about"
    )
    assert say(gateway, conversation, "how can IOM help me to go back to my country?")["topic"] == "voluntary_return"
    thanked = say(gateway, conversation, "ok thank you so much")
    assert [m["text"] for m in thanked["messages"]] == [text_of("utter_thank", "en"), question("en")["text"]]
    assert thanked["messages"][1]["buttons"] == question("en")["buttons"]
    assert [b["payload"] for b in thanked["messages"][1]["buttons"]] == [
        YES,
        '/satisfaction{"satisfaction": "partly"}',
        NO,
    ]

    before, before_no = counted(gateway, "en", "yes"), counted(gateway, "en", "no")
    answered = say(gateway, conversation, "Yes, it helped", payload=YES)
    assert (answered["topic"], [m["text"] for m in answered["messages"]]) == (
        "smalltalk",
        [text_of("gateway_satisfaction_thanks", "en")],
    )
    assert counted(gateway, "en", "yes") == before + 1
    again = say(gateway, conversation, "No", payload=NO)
    assert again["messages"][0]["text"] == text_of("gateway_satisfaction_thanks", "en")
    assert (counted(gateway, "en", "yes"), counted(gateway, "en", "no")) == (before + 1, before_no), "counted once"
    goodbye = say(gateway, conversation, "bye bye")
    assert [m["text"] for m in goodbye["messages"]] == [text_of("utter_goodbye", "en")], "once per day"


def test_an_answer_nobody_asked_for_is_thanked_but_not_counted(gateway: httpx.Client) -> None:
    conversation = new_conversation(gateway)
    say(gateway, conversation, "goedemiddag, ik heb een vraag")
    before = counted(gateway, "nl", "no")
    answer = say(gateway, conversation, "Nee", payload=NO)
    assert answer["messages"][0]["text"] == text_of("gateway_satisfaction_thanks", "nl")
    assert counted(gateway, "nl", "no") == before


def test_asked_at_the_end_of_a_hand_over(stack: Stack, gateway: httpx.Client, store: redis.Redis) -> None:
    agent = StaffClient(gateway, create_account(stack, "agent"))
    assert agent.login().status_code == 200
    agent.available()
    conversation = new_conversation(gateway)
    live = LiveMessages(stack.gateway_url, conversation)
    try:
        queued = say(gateway, conversation, "ik wil graag met een medewerker van IOM praten")
        assert queued["handover"]["status"] == "queued"
        tickets = agent.call("GET", "/staff/api/queue?language=nl").json()["tickets"]
        ticket = max(tickets, key=lambda t: t["created"])
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/claim").status_code == 200
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/close").status_code == 200
        _, back = live.next()
        assert back == {"text": text_of("gateway_handover_back", "nl"), "kind": "bot"}
        _, asked = live.next()
        assert {**asked, "buttons": json.loads(asked["buttons"])} == {**question("nl"), "kind": "bot"}
        assert store.get(asked_key(f"api:{conversation}")) == "asked"
        before = counted(gateway, "nl", "yes")
        say(gateway, conversation, "Ja, het hielp", payload=YES)
        assert counted(gateway, "nl", "yes") == before + 1
    finally:
        live.close()
        agent.call("POST", "/staff/api/logout")


def test_on_whatsapp_three_reply_buttons_and_the_tap_answered(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    wa_id = number("93")
    answer_to(gateway, graph_api, store, wa_id, text("سلام، میخواهم به افغانستان برگردم. IOM چه کمکی میکند؟"))
    sent = answer_to(gateway, graph_api, store, wa_id, text("تشکر زیاد"))
    asked = sent[-1]
    assert asked["type"] == "interactive" and asked["interactive"]["type"] == "button"
    assert asked["interactive"]["body"]["text"] == question("fa-AF")["text"]
    assert [b["reply"]["id"] for b in asked["interactive"]["action"]["buttons"]] == [
        b["payload"] for b in question("fa-AF")["buttons"]
    ]
    before = counted(gateway, "fa-AF", "yes")
    title = question("fa-AF")["buttons"][0]["title"]
    thanks = answer_to(gateway, graph_api, store, wa_id, button_reply(YES, title))
    assert [m["text"]["body"] for m in thanks] == [text_of("gateway_satisfaction_thanks", "fa-AF")]
    assert counted(gateway, "fa-AF", "yes") == before + 1
