"""Message texts and conversation ids never reach a log file of any process."""

from __future__ import annotations

import os

import httpx

from scripts.stack import Stack
from tests.conftest import DEMO_CASE_DETAILS, new_conversation


def test_message_text_and_ids_stay_out_of_logs(stack: Stack, gateway: httpx.Client) -> None:
    marker = "zq" + os.urandom(5).hex()
    conversation = new_conversation(gateway)
    texts = [f"my name is {marker} and I want to go back to my country", f"{marker} {marker}", "/" + marker]
    for text in texts:
        assert gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": text}).status_code == 200
    gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": "x" * 3000})
    for log in stack.run_dir.glob("*.log"):
        content = log.read_text(encoding="utf-8", errors="replace")
        assert marker not in content, log.name
        assert conversation not in content, log.name


def demo_details_in(text: str) -> list[str]:
    return [detail for detail in DEMO_CASE_DETAILS if detail.lower() in text.lower()]


def test_case_details_stay_out_of_logs_and_the_stored_transcript(stack: Stack, gateway: httpx.Client) -> None:
    import redis

    conversation = new_conversation(gateway)
    for text in ("where is my case", "IOM-NL-2026-000042", "14-05-1990"):
        assert gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": text}).status_code == 200
    for log in stack.run_dir.glob("*.log"):
        assert not demo_details_in(log.read_text(encoding="utf-8", errors="replace")), log.name
    stored = redis.Redis.from_url(stack.redis_url).get("wegwijs:tracker:api:" + conversation)
    assert stored, "the conversation is stored in Redis"
    assert not demo_details_in(stored.decode("utf-8"))


def test_an_abandoned_case_form_does_not_keep_the_reference_for_30_days(stack: Stack, gateway: httpx.Client) -> None:
    """The form keeps the reference in a slot for its next question; a user who leaves it there
    leaves a tracker that expires with the session (an hour), and once the lookup is done (or
    stopped) the conversation is kept its normal 30 days again, without the reference."""
    import redis

    store = redis.Redis.from_url(stack.redis_url)
    conversation = new_conversation(gateway)
    key = "wegwijs:tracker:api:" + conversation
    for text in ("where is my case", "IOM-NL-2026-000042"):
        assert gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": text}).status_code == 200
    assert 0 < store.ttl(key) <= 3600, "a form left open with a reference in it goes with the session"
    assert (
        gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": "14-05-1990"}).status_code
        == 200
    )
    assert store.ttl(key) > 29 * 24 * 3600, "the lookup is done and its slots forgotten: the normal retention"
    assert not demo_details_in(store.get(key).decode("utf-8"))
