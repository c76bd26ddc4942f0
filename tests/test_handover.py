"""Hand-over through the gateway against the running stack: a Dari user asks for a person, is
queued, an agent claims, reads the transcript and replies; the reply reaches the user live; the
user's next message goes to the agent and not the bot; the agent closes and the bot answers in
Dari again. And: a safety message jumps ahead of earlier tickets."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.test_staff_api import StaffClient, audit_entries, create_account
from wegwijs.digits import to_locale_digits
from wegwijs.responses import load_specs, render

DARI_ASK_PERSON = "لطفا مرا با یک نفر از کارمندان IOM وصل کنید"
DARI_FOLLOW_UP = "تشکر، سوال من درباره تکت طیاره است"
DARI_RETURN_QUESTION = "میخواهم به افغانستان برگردم، IOM چه کمکی میکند؟"


@pytest.fixture
def agent(stack: Stack, gateway: httpx.Client) -> Iterator[StaffClient]:
    member = StaffClient(gateway, create_account(stack, "agent"))
    assert member.login().status_code == 200
    member.available()  # at the console and taking chats: users are queued
    yield member
    member.call("POST", "/staff/api/logout")  # nobody stays "at the console" for later tests


class LiveMessages:
    """The web chat's server-sent event stream of one conversation, read in a thread."""

    def __init__(self, base_url: str, conversation: str) -> None:
        self.received: queue.Queue[tuple[float, dict]] = queue.Queue()
        self._stop = threading.Event()
        connected = threading.Event()

        def read() -> None:
            with httpx.stream("GET", f"{base_url}/api/v1/conversations/{conversation}/events", timeout=None) as answer:
                for line in answer.iter_lines():
                    connected.set()
                    if self._stop.is_set():
                        return
                    if line.startswith("data: "):
                        self.received.put((time.monotonic(), json.loads(line[6:])))

        threading.Thread(target=read, daemon=True).start()
        assert connected.wait(10), "the event stream did not open"

    def next(self, timeout: float = 5) -> tuple[float, dict]:
        return self.received.get(timeout=timeout)

    def close(self) -> None:
        self._stop.set()


def say(gateway: httpx.Client, conversation: str, text: str) -> dict:
    answer = gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": text})
    assert answer.status_code == 200, answer.text
    return answer.json()


def text_of(key: str, language: str, **values: str) -> str:
    return render(load_specs()[key], language).text.format(**values)


def test_a_dari_conversation_goes_to_an_agent_and_back(stack: Stack, gateway: httpx.Client, agent: StaffClient) -> None:
    conversation = new_conversation(gateway)
    live = LiveMessages(stack.gateway_url, conversation)
    try:
        queued = say(gateway, conversation, DARI_ASK_PERSON)
        assert (queued["language"], queued["topic"]) == ("fa-AF", "human_handover")
        position = queued["handover"]["position"]
        assert queued["handover"]["status"] == "queued" and position >= 1
        shown = to_locale_digits(str(position), "fa_AF")
        assert [m["text"] for m in queued["messages"]] == [text_of("utter_handover_queued", "fa-AF", position=shown)]

        tickets = agent.call("GET", "/staff/api/queue?language=fa-AF").json()["tickets"]
        ticket = max(tickets, key=lambda t: t["created"])
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/claim").status_code == 200
        detail = agent.call("GET", f"/staff/api/tickets/{ticket['id']}").json()
        assert detail["direction"] == "rtl" and detail["status"] == "active"
        assert {"who": "user", "text": DARI_ASK_PERSON} in [
            {k: e[k] for k in ("who", "text")} for e in detail["transcript"]
        ]
        assert text_of("staff_canned_greeting", "fa-AF") in [c["text"] for c in detail["canned"]]

        sent_at = time.monotonic()
        assert (
            agent.call(
                "POST",
                f"/staff/api/tickets/{ticket['id']}/reply",
                json_body={"text": "سلام، من از IOM هستم. چطور کمک کنم؟"},
            ).status_code
            == 200
        )
        arrived_at, message = live.next()
        assert message == {"text": "سلام، من از IOM هستم. چطور کمک کنم؟", "kind": "staff"}
        assert arrived_at - sent_at < 1.0, "a staff reply reaches the web chat within a second"

        during = say(gateway, conversation, DARI_FOLLOW_UP)
        assert during["messages"] == [] and during["handover"] == {"status": "active", "position": None}
        transcript = agent.call("GET", f"/staff/api/tickets/{ticket['id']}").json()["transcript"]
        assert transcript[-1]["who"] == "user" and transcript[-1]["text"] == DARI_FOLLOW_UP

        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/close").status_code == 200
        _, back = live.next()
        assert back == {"text": text_of("gateway_handover_back", "fa-AF"), "kind": "bot"}

        audit = [e for e in audit_entries(stack) if e["ticket"] == ticket["id"]]
        assert [e["action"] for e in reversed(audit)][:3] == ["claim", "view", "reply"]
        assert not any("IOM هستم" in value for e in audit for value in e.values()), "no message text in the audit log"

        answer = say(gateway, conversation, DARI_RETURN_QUESTION)
        assert (answer["language"], answer["topic"]) == ("fa-AF", "voluntary_return")
        assert answer["messages"][0]["text"] == text_of("utter_return_info", "fa-AF")
        assert answer["handover"] is None
    finally:
        live.close()


def test_a_safety_message_jumps_ahead_of_earlier_tickets(
    gateway: httpx.Client, agent: StaffClient, empty_queue: None
) -> None:
    first = new_conversation(gateway)
    assert say(gateway, first, "i would like to talk to a human from IOM please")["handover"]["status"] == "queued"
    unsafe = new_conversation(gateway)
    answer = say(gateway, unsafe, "my husband hits me and says he will kill me")
    assert answer["topic"] == "safety"
    assert answer["messages"][0]["text"] == text_of("utter_safety", "en"), "112 comes first"
    assert answer["handover"] == {"status": "queued", "position": 1}
    tickets = agent.call("GET", "/staff/api/queue?language=en").json()["tickets"]
    assert tickets[0]["priority"] == "urgent" and tickets[0]["reason"] == "safety"
