"""Conversation tests per language, through the gateway against the running stack (real Redis,
real model, real action server). Replies are compared with the catalog's text for the expected
response key in the expected language, so a reply in the wrong language fails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
import yaml

from tests.phone_texts import phone_texts
from wegwijs.languages import SHIPPED
from wegwijs.paths import NLU_DIR
from wegwijs.responses import load_specs, render

SCRIPTS = Path(__file__).with_name("conversations")


def load(language: str) -> dict:
    return yaml.safe_load((SCRIPTS / f"{language}.yml").read_text(encoding="utf-8"))


def cases() -> list:
    return [
        pytest.param(language, conversation, id=f"{language}: {conversation['name']}")
        for language in SHIPPED
        for conversation in load(language)["conversations"]
    ]


def training_texts() -> set[str]:
    texts = set()
    for path in NLU_DIR.glob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            texts |= {line[2:].strip().lower() for line in item["examples"].splitlines() if line.startswith("- ")}
    return texts


def test_every_shipped_language_has_conversation_tests() -> None:
    for language in SHIPPED:
        script = load(language)
        assert script["language"] == language
        assert sum(len(c["turns"]) for c in script["conversations"]) >= 12


def test_conversation_texts_are_not_training_examples() -> None:
    """Beyond one- and two-word greetings, which every language's data must contain."""
    seen = training_texts()
    copied = [
        turn["user"]
        for language in SHIPPED
        for conversation in load(language)["conversations"]
        for turn in conversation["turns"]
        if "payload" not in turn and len(turn["user"].split()) > 2 and turn["user"].strip().lower() in seen
    ]
    assert copied == []


def expected_texts(first: str, turn: dict, language: str, before: dt.datetime) -> list[list[str]]:
    """The reply's text, then what action_phone_line adds: each line of the turn (``phones``, else
    ``phone_line``) as given where the user is (``where``, else unknown), with its hours; then the
    replies named in ``then`` (the call-back offer after a request for a person)."""
    lines = turn.get("phones", [turn["phone_line"]] if turn.get("phone_line") else [])
    where = turn.get("where", "unknown")
    after = dt.datetime.now(dt.timezone.utc)
    then = [render(load_specs()[key], language).text for key in turn.get("then", [])]
    return [
        [first] + [text for line in lines for text in phone_texts(line, where, language, now)] + then
        for now in (before, after)
    ]


@pytest.mark.parametrize("language, conversation", cases())
def test_conversation(gateway: httpx.Client, conversation_id: str, language: str, conversation: dict) -> None:
    for number, turn in enumerate(conversation["turns"], start=1):
        body = {"conversation_id": conversation_id, "text": turn["user"]}
        if "payload" in turn:
            body["payload"] = turn["payload"]
        before = dt.datetime.now(dt.timezone.utc)
        answer = gateway.post("/api/v1/messages", json=body)
        where = f"turn {number} ({turn['user']!r})"
        assert answer.status_code == 200, f"{where}: {answer.text}"
        reply = answer.json()
        expected_language = turn.get("language", language)
        expected = render(load_specs()[turn["response"]], expected_language)
        assert reply["language"] == expected_language, where
        assert [m["text"] for m in reply["messages"]] in expected_texts(
            expected.text, turn, expected_language, before
        ), where
        if "buttons" in turn:  # buttons an action chose ("did you mean"): their payloads, in order
            # The likeliest subject first and "something else" last; the runner-up between them is
            # whatever the classifier ranks second, which moves with every retraining.
            payloads = [b["payload"] for b in reply["messages"][0]["buttons"]]
            assert (len(payloads), payloads[0], payloads[-1]) == (
                len(turn["buttons"]),
                turn["buttons"][0],
                turn["buttons"][-1],
            ), f"{where}: {payloads}"
        else:
            assert reply["messages"][0]["buttons"] == expected.buttons, where
        if "last_buttons" in turn:  # the buttons of the turn's last message (the way back to a language)
            assert [b["payload"] for b in reply["messages"][-1]["buttons"]] == turn["last_buttons"], where
        assert reply["topic"] == turn["topic"], where
        assert reply["phone_line"] == turn.get("phone_line"), where
