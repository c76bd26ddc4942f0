"""One turn's request id in all three processes' logs, and JSON logs that say nothing personal.

The gateway keeps a well-formed ``X-Request-ID`` (a proxy's) or makes one, answers with it, and
sends it on: Rasa's log line for the turn and the action server's line for each action carry it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.gateway_process import gateway_with
from tests.waiting import until

PHONE_QUESTION = "Wat is het telefoonnummer van IOM? Ik ben {marker}, mijn nummer is 0612345678"


def logged(path: Path, text: str) -> bool:
    return path.exists() and text in path.read_text(encoding="utf-8", errors="replace")


def test_the_request_id_follows_the_turn_through_every_process(stack: Stack, gateway: httpx.Client) -> None:
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    marker = f"Sanne{uuid.uuid4().hex[:6]}"
    answer = gateway.post(
        "/api/v1/messages",
        json={"conversation_id": new_conversation(gateway), "text": PHONE_QUESTION.format(marker=marker)},
        headers={"X-Request-ID": request_id},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Request-ID"] == request_id
    tagged = f"[{request_id}]"
    for process in ("gateway", "rasa", "actions"):
        log = stack.run_dir / f"{process}.log"
        asyncio.run(until(lambda log=log: logged(log, tagged), f"{process}.log names the turn's request id", 20))  # type: ignore[misc]
        assert not logged(log, marker) and not logged(log, "0612345678")


def test_a_malformed_request_id_is_replaced(gateway: httpx.Client) -> None:
    for given in ("06 1234 5678", "x" * 200, "IOM-NL<script>"):
        answer = gateway.get("/health/live", headers={"X-Request-ID": given})
        assert answer.headers["X-Request-ID"] != given
        assert len(answer.headers["X-Request-ID"]) == 16


def test_json_logs_are_one_object_per_line_with_the_request_id(stack: Stack) -> None:
    before = set(stack.run_dir.glob("gateway-*.log"))
    with gateway_with(stack, {"WEGWIJS_LOG_FORMAT": "json"}) as url:
        (log,) = set(stack.run_dir.glob("gateway-*.log")) - before
        request_id = f"json-{uuid.uuid4().hex[:12]}"
        marker = f"Joost{uuid.uuid4().hex[:6]}"
        answer = httpx.post(
            f"{url}/api/v1/messages",
            json={"conversation_id": new_conversation(url), "text": PHONE_QUESTION.format(marker=marker)},
            headers={"X-Request-ID": request_id},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        asyncio.run(until(lambda: logged(log, request_id), "the JSON log names the turn", 20))
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "request_id", "message"} <= set(entry) for entry in entries)
    turn = [entry for entry in entries if entry["request_id"] == request_id]
    assert turn and any(entry["message"].startswith("turn on api:") for entry in turn)
    assert marker not in log.read_text(encoding="utf-8") and "0612345678" not in log.read_text(encoding="utf-8")
