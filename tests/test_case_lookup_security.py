"""Nobody learns whose case exists, and guessing is throttled: against the running stack.

- 5 failures in one conversation lock its lookups (a correct attempt then fails too), while
  another conversation can still look the same case up;
- 5 failures for one reference, spread over conversations, lock that reference;
- an unknown reference, a wrong date of birth and a locked reference give byte-identical
  replies, and take the same time at the action server (medians within a third of each other over
  200 tries each; `make bench` prints the milliseconds).
The synthetic cases used here are imported for these tests only, so the demo cases stay free.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.lookup_timing import BIRTH, action_request, failure_timings, import_pool
from wegwijs.responses import load_specs, render

ROOT = Path(__file__).resolve().parent.parent
TRIES = 200


@pytest.fixture(scope="module")
def pool_cases(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return import_pool(stack.environment(), tmp_path_factory.mktemp("pool"))


def sender() -> str:
    """A sender id for requests straight to the action server."""
    return "sec-" + os.urandom(6).hex()


def look_up(gateway: httpx.Client, conversation_id: str, reference: str, birth: str) -> dict:
    answer = gateway.post("/api/v1/messages", json={"conversation_id": conversation_id, "text": f"{reference} {birth}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def found(reply: dict) -> bool:
    stage = render(load_specs()["utter_case_voluntary_return_intake"], reply["language"]).text
    return reply["messages"][0]["text"] == stage


def test_five_failures_lock_the_conversation(gateway: httpx.Client, pool_cases: list[str]) -> None:
    reference, chat = pool_cases[0], new_conversation(gateway)
    assert found(look_up(gateway, new_conversation(gateway), reference, BIRTH))
    replies = [look_up(gateway, chat, f"IOM-NL-2098-{n:06d}", BIRTH) for n in range(6)]
    assert not any(found(reply) for reply in replies)
    help_text = render(load_specs()["utter_case_lookup_help"], "en").text
    assert [help_text in [m["text"] for m in reply["messages"]] for reply in replies] == [False] * 4 + [True] * 2, (
        "from the fifth failure on, the conversation is locked and a person is offered"
    )
    assert replies[4]["messages"][-1]["text"] == render(load_specs()["utter_ask_callback_wanted"], "en").text
    refused = look_up(gateway, chat, reference, BIRTH)
    assert not found(refused) and refused["phone_line"] == "general"
    assert found(look_up(gateway, new_conversation(gateway), reference, BIRTH)), "the reference itself is not locked"


def test_failures_spread_over_conversations_lock_the_reference(gateway: httpx.Client, pool_cases: list[str]) -> None:
    reference = pool_cases[1]
    for _ in range(5):
        assert not found(look_up(gateway, new_conversation(gateway), reference, "1970-01-02"))
    assert not found(look_up(gateway, new_conversation(gateway), reference, BIRTH)), (
        "a locked reference refuses the right date"
    )
    assert found(look_up(gateway, new_conversation(gateway), pool_cases[2], BIRTH)), "other references are not locked"


def test_unknown_wrong_and_locked_give_identical_replies(gateway: httpx.Client, pool_cases: list[str]) -> None:
    locked = pool_cases[3]
    for _ in range(5):
        look_up(gateway, new_conversation(gateway), locked, "1970-01-02")
    for language_hint in ("nl", "ar"):
        replies = []
        for reference, birth in (("IOM-NL-2097-000001", BIRTH), (pool_cases[4], "1970-01-03"), (locked, BIRTH)):
            chat = new_conversation(gateway)
            body = {"conversation_id": chat, "text": f"{reference} {birth}", "language": language_hint}
            answer = gateway.post("/api/v1/messages", json=body)
            # Everything but the conversation's own id, byte for byte as sent.
            replies.append(answer.content.replace(chat.encode(), b""))
        assert replies[0] == replies[1] == replies[2]


def test_failures_take_the_same_time(stack: Stack, pool_cases: list[str]) -> None:
    """The same reply, byte for byte, and the same work: an unknown reference, a wrong date of
    birth and a locked reference take as long as each other at the action server, within a
    coarse bound (medians within a third of each other) that a shortcut on one of the paths (no
    database read, no reservation) would not meet on a quiet machine but that a busy one does not
    break. The milliseconds themselves are for the benchmark: `make bench` prints them."""
    url = f"http://127.0.0.1:{stack.ports.actions}/webhook"
    timings, bodies = failure_timings(url, pool_cases, TRIES)
    assert bodies["unknown"] == bodies["wrong"] == bodies["locked"] and len(bodies["unknown"]) == 1
    medians = {kind: statistics.median(values) for kind, values in timings.items()}
    assert max(medians.values()) < 1.5 * min(medians.values()), medians


def test_a_case_with_a_phone_number_needs_that_number_on_whatsapp(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.ports.actions}/webhook"

    def stage_shown(channel: str, phone: str | None) -> bool:
        request = action_request(sender(), "IOM-NL-2026-000215", "1978-03-21")  # demo case with a phone
        request["tracker"]["latest_message"]["metadata"] = {"channel": channel, "sender_phone": phone}
        responses = httpx.post(url, json=request, timeout=30).json()["responses"]
        return responses[0]["response"] == "utter_case_voluntary_return_counselling"

    assert stage_shown("whatsapp", "+31612345678")
    assert stage_shown("whatsapp", "31612345678"), "WhatsApp gives numbers without the plus"
    assert not stage_shown("whatsapp", "+31687654321")
    assert not stage_shown("whatsapp", None)
    assert stage_shown("api", None), "the web chat has no number to check"


def test_a_case_with_a_phone_number_gives_its_stage_only_where_the_number_is_not_checked(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Web chat and socket.io cannot show whose phone is asking: the stage, and where to get the
    details; WhatsApp from the registered number: the date and the place too."""
    reference = "IOM-NL-2099-900001"
    export = tmp_path_factory.mktemp("phone") / "phone.csv"
    export.write_text(
        "case_reference,programme,stage,next_step_date,next_step_place,date_of_birth,phone,last_updated\n"
        f"{reference},voluntary_return,travel_booked,2027-02-03,Schiphol,1981-07-09,+31611112222,2026-11-01T00:00:00\n",
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "actions.cases.importer", str(export), "--quiet"],
        cwd=ROOT,
        env=stack.environment(),
        check=True,
        capture_output=True,
    )
    url = f"http://127.0.0.1:{stack.ports.actions}/webhook"

    def responses(channel: str, phone: str | None) -> list[str]:
        request = action_request(sender(), reference, "1981-07-09")
        request["tracker"]["latest_message"]["metadata"] = {"channel": channel, "sender_phone": phone}
        return [r["response"] for r in httpx.post(url, json=request, timeout=30).json()["responses"]]

    stage = "utter_case_voluntary_return_travel_booked"
    for channel in ("api", "socketio"):
        assert responses(channel, None) == [stage, "utter_case_details_elsewhere"]
    assert responses("whatsapp", "+31611112222") == [stage, "utter_case_next_step_date_place"]
