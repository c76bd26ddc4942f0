"""A hand-over nobody acts on goes back to the bot (api/stranded.py), through the real stack: the
ticket is closed as stranded, the user hears in their language that nobody could take it, gets the
phone line and the call-back offer, and the bot answers them again. Both paths are tested: the
sweeper of a gateway (here one of the test's own that checks every second, pushing to the web
chat's event stream), and the user's own next message. A ticket is made stranded by moving its
last staff action back in Redis, as if the stranded time had passed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.gateway_process import gateway_with
from tests.test_handover import LiveMessages, text_of
from tests.test_staff_api import StaffClient, create_account
from wegwijs.handover.tickets import WAITING, conversation_key, ticket_key

ASK_PERSON = {
    "nl": "ik wil met een medewerker praten",
    "fa-AF": "میخواهم با یک کارمند صحبت کنم",
    "ar": "اريد التحدث مع موظف",
    "en": "I want to talk to a person",
}
MINUTES_16 = 16 * 60


@pytest.fixture
def present_agent(stack: Stack, gateway: httpx.Client) -> Iterator[StaffClient]:
    member = StaffClient(gateway, create_account(stack, "agent"))
    assert member.login().status_code == 200
    member.available()
    yield member
    member.call("POST", "/staff/api/logout")


def queued(gateway: httpx.Client, language: str) -> tuple[str, str]:
    conversation = new_conversation(gateway)
    answer = gateway.post(
        "/api/v1/messages", json={"conversation_id": conversation, "text": ASK_PERSON[language]}
    ).json()
    assert answer["handover"] and answer["handover"]["status"] == "queued", answer
    return conversation, answer["language"]


def backdate(store: redis.Redis, conversation: str) -> str:
    ticket_id = store.get(conversation_key("api:" + conversation))
    assert ticket_id and store.zscore(WAITING, ticket_id) is not None
    store.zadd(WAITING, {ticket_id: time.time() - MINUTES_16})
    return ticket_id


@pytest.fixture
def store(stack: Stack) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.mark.parametrize("language", ["nl", "fa-AF"])
def test_the_users_next_message_finds_the_hand_over_stranded_and_the_bot_answers(
    gateway: httpx.Client, present_agent: StaffClient, store: redis.Redis, language: str
) -> None:
    conversation, settled = queued(gateway, language)
    assert settled == language
    ticket_id = backdate(store, conversation)
    back = gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": "hallo?"}).json()
    texts = [m["text"] for m in back["messages"]]
    assert texts[0] == text_of("utter_handover_stranded", language)
    assert texts[-1] == text_of("utter_ask_callback_wanted", language), "the call-back is offered"
    assert back["handover"] is None
    assert store.hget(ticket_key(ticket_id), "status") == "closed"
    assert store.hget(ticket_key(ticket_id), "closed_reason") == "stranded"
    assert store.get(conversation_key("api:" + conversation)) is None
    again = gateway.post(
        "/api/v1/messages", json={"conversation_id": conversation, "payload": "/deny", "text": "nee"}
    ).json()
    assert again["topic"] != "human_handover" or again["handover"] is None
    assert again["messages"], "the bot answers again"


def test_a_gateways_sweeper_hands_a_stranded_ticket_back_on_the_event_stream(
    stack: Stack, gateway: httpx.Client, present_agent: StaffClient, store: redis.Redis
) -> None:
    conversation, _ = queued(gateway, "ar")
    live = LiveMessages(stack.gateway_url, conversation)
    try:
        with gateway_with(stack, {"WEGWIJS_HANDOVER_SWEEP_SECONDS": "1"}):
            ticket_id = backdate(store, conversation)
            pushed = [live.next(timeout=20)[1]]
            while not pushed[-1].get("buttons") and len(pushed) < 6:  # up to the call-back offer
                pushed.append(live.next(timeout=10)[1])
    finally:
        live.close()
    assert pushed[0]["text"] == text_of("utter_handover_stranded", "ar") and pushed[0]["kind"] == "bot"
    assert store.hget(ticket_key(ticket_id), "closed_reason") == "stranded"
    assert pushed[-1]["text"] == text_of("utter_ask_callback_wanted", "ar"), "the call-back offer, with its buttons"


def test_a_ticket_staff_are_working_on_is_not_stranded(
    gateway: httpx.Client, present_agent: StaffClient, store: redis.Redis
) -> None:
    conversation, _ = queued(gateway, "en")
    ticket_id = store.get(conversation_key("api:" + conversation))
    assert present_agent.call("POST", f"/staff/api/tickets/{ticket_id}/claim").status_code == 200
    assert (
        present_agent.call("POST", f"/staff/api/tickets/{ticket_id}/reply", json_body={"text": "I am here"}).status_code
        == 200
    )
    answer = gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": "thanks"}).json()
    assert answer["handover"] == {"status": "active", "position": None}
    assert store.hget(ticket_key(ticket_id), "status") == "active"
