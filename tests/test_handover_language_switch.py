"""A language chosen while staff has the conversation does not take it back to the bot: the user
hears in the new language that staff will answer, the ticket (and the staff console) shows the new
language, and the conversation stays in the queue."""

from __future__ import annotations

import httpx
import redis

from scripts.stack import Stack
from tests.test_handover import text_of
from tests.test_stranded_handover import present_agent, queued  # noqa: F401 (a fixture)
from wegwijs.handover.tickets import conversation_key, ticket_key
from wegwijs.languages import native_name
from wegwijs.responses import language_chosen_payload


def test_a_language_button_during_a_hand_over_stays_with_staff(
    stack: Stack,
    gateway: httpx.Client,
    present_agent,  # noqa: F811 (the fixture imported above)
) -> None:
    conversation, _ = queued(gateway, "nl")
    switched = gateway.post(
        "/api/v1/messages",
        json={"conversation_id": conversation, "text": native_name("ar"), "payload": language_chosen_payload("ar")},
    ).json()
    assert switched["language"] == "ar"
    assert [m["text"] for m in switched["messages"]] == [
        text_of("gateway_handover_language", "ar", language_name=native_name("ar"))
    ]
    assert switched["topic"] == "human_handover" and switched["handover"]["status"] == "queued"
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        ticket_id = store.get(conversation_key("api:" + conversation))
        assert ticket_id and store.hget(ticket_key(ticket_id), "language") == "ar"
        tickets = present_agent.call("GET", "/staff/api/queue?language=ar").json()["tickets"]
        assert ticket_id in [t["id"] for t in tickets], "staff see it under its new language"
    finally:
        store.close()
