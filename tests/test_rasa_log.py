"""Rasa's log holds real errors only: the buttons' payloads (``/language_chosen{"language": "en"}``,
``/callback_time{"callback_time": "any"}``) are not read as slot placeholders by Rasa's response
interpolator (bot/build_domain.py doubles their braces)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from scripts.stack import Stack
from tests.conftest import new_conversation
from wegwijs.handover.presence import ONLINE
from wegwijs.languages import SHIPPED
from wegwijs.paths import ROOT
from wegwijs.responses import RUNTIME_PLACEHOLDERS, load_specs, render


def domain_responses() -> dict[str, list[dict[str, Any]]]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "bot" / "domain")).responses


def test_every_button_leaves_the_interpolator_as_written_and_without_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.nlg import interpolator
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

    errors: list[dict[str, Any]] = []
    monkeypatch.setattr(interpolator.structlogger, "exception", lambda event, **fields: errors.append(fields))
    responses = domain_responses()
    generator = TemplatedNaturalLanguageGenerator(responses)
    with_buttons = [key for key, variations in responses.items() if any(v.get("buttons") for v in variations)]
    assert "utter_greet" in with_buttons and "utter_ask_callback_time" in with_buttons
    for key in with_buttons:
        for language in SHIPPED:
            # The slots as Rasa passes them (most of them empty), and the values an action passes
            # for a text's own placeholders ({time}, {number}, ...).
            generated = generator.generate_from_slots(
                key,
                {"language": language, "requested_slot": None},
                "gateway",
                **dict.fromkeys(RUNTIME_PLACEHOLDERS, "x"),
            )
            expected = render(load_specs()[key], language).buttons
            assert generated is not None and generated["buttons"] == expected, (key, language)
    assert errors == [], f"the interpolator reported {len(errors)} placeholders it could not fill"


def rasa_log_from(stack: Stack, offset: int) -> list[str]:
    with (Path(stack.run_dir) / "rasa.log").open("rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace").splitlines()


def test_a_greeting_and_the_call_back_questions_leave_no_error_in_rasas_log(
    stack: Stack, gateway: httpx.Client
) -> None:
    client = redis.Redis.from_url(stack.redis_url)
    client.delete(ONLINE)  # nobody at the console: the call-back questions come
    client.close()
    offset = (Path(stack.run_dir) / "rasa.log").stat().st_size
    conversation = new_conversation(gateway)

    def say(text: str | None = None, payload: str | None = None) -> dict:
        answer = gateway.post(
            "/api/v1/messages",
            json={
                "conversation_id": conversation,
                "text": text or payload,
                **({"payload": payload} if payload else {}),
            },
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    greeting = say("hello")
    assert greeting["messages"][0]["buttons"] == render(load_specs()["utter_greet"], "en").buttons
    say("I want to talk to a person")
    time_question = say("yes", payload="/affirm")
    if not time_question["messages"][-1]["buttons"]:  # the number first, then the time
        time_question = say("+31 6 12345678")
    assert time_question["messages"][-1]["buttons"] == render(load_specs()["utter_ask_callback_time"], "en").buttons
    say("stop")
    # Rasa logs while it handles a message, before it answers: the answers above are the marker.
    errors = [line for line in rasa_log_from(stack, offset) if " ERROR " in line]
    assert errors == [], errors[:3]
