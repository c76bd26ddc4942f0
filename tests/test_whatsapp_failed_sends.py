"""A supervisor reviews the WhatsApp sends that did not surely arrive (api/routes/whatsapp_sends.py)
through the running gateway, its Redis and the Graph API stand-in on 127.0.0.1: a refused reply
is listed, sent again once and then gone; one that may have arrived needs the confirmation that
the user may get it twice; outside the 24-hour window nothing is sent; an agent sees nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from api.staff.audit import STREAM as AUDIT
from api.whatsapp.keys import last_inbound_key
from api.whatsapp.shaping import text_message
from scripts.stack import Stack
from tests.fake_graph_api import FakeGraphAPI
from tests.staff_browser import log_in
from tests.test_handover import text_of
from tests.test_staff_api import StaffClient, create_account
from tests.test_whatsapp import answer_to, number, sent_to, wait_for
from tests.test_whatsapp_send_safety import parts
from tests.whatsapp_load import text

FAILED_URL = "/staff/api/whatsapp/failed"


@pytest.fixture
def store(stack: Stack) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def supervisor(stack: Stack, gateway: httpx.Client) -> StaffClient:
    member = StaffClient(gateway, create_account(stack, "supervisor"))
    assert member.login().status_code == 200
    return member


def listed_for(member: StaffClient, wa_id: str) -> list[dict]:
    answer = member.call("GET", FAILED_URL)
    assert answer.status_code == 200, answer.text
    return [send for send in answer.json()["sends"] if send["to"] == "+" + wa_id]


def audited(store: redis.Redis, username: str) -> list[tuple[str, str]]:
    return [(f["action"], f["outcome"]) for _, f in store.xrange(AUDIT) if f["staff"] == username]


def refused_reply(gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis, wa_id: str) -> None:
    """A conversation whose second reply Meta refuses ("message undeliverable": not retried)."""
    assert answer_to(gateway, graph_api, store, wa_id, text("hallo daar"))
    graph_api.fail_next(400, times=1, code=131026)
    assert answer_to(gateway, graph_api, store, wa_id, text("dank je wel")) == []


def test_a_refused_reply_is_listed_sent_again_once_and_gone(
    stack: Stack, gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis, supervisor: StaffClient
) -> None:
    wa_id = number("31")
    refused_reply(gateway, graph_api, store, wa_id)
    (send,) = listed_for(supervisor, wa_id)
    thanks = text_of("utter_thank", "nl")
    assert (send["outcome"], send["status"], send["error_code"], send["text"]) == ("failed", "400", "131026", thanks)
    assert send["in_window"] is True

    agent = StaffClient(gateway, create_account(stack, "agent"))
    assert agent.login().status_code == 200
    assert agent.call("GET", FAILED_URL).status_code == 403, "the list names numbers across conversations"
    assert agent.call("POST", f"{FAILED_URL}/{send['id']}/resend", json_body={}).status_code == 403
    assert supervisor.call("POST", f"{FAILED_URL}/{send['id']}/resend", csrf=False, json_body={}).status_code == 403

    before = len(sent_to(graph_api, wa_id))
    answer = supervisor.call("POST", f"{FAILED_URL}/{send['id']}/resend", json_body={})
    assert (answer.status_code, answer.json()) == (200, {"queued": True}), answer.text
    resent = wait_for(graph_api, wa_id, before + 1)[before:]
    assert [m["text"]["body"] for m in resent] == [thanks]
    assert listed_for(supervisor, wa_id) == []
    again = supervisor.call("POST", f"{FAILED_URL}/{send['id']}/resend", json_body={})
    assert again.status_code == 404, "acted on once"
    assert ("whatsapp_resend", "failed") in audited(store, supervisor.username)
    assert not any(wa_id in value for _, f in store.xrange(AUDIT) for value in f.values())


def test_outside_the_window_nothing_is_sent_and_it_can_be_dismissed(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis, supervisor: StaffClient
) -> None:
    wa_id = number("93")
    refused_reply(gateway, graph_api, store, wa_id)
    store.set(last_inbound_key(wa_id), repr(time.time() - 25 * 3600))  # the user wrote 25 hours ago
    (send,) = listed_for(supervisor, wa_id)
    assert send["in_window"] is False
    before = graph_api.requests
    answer = supervisor.call("POST", f"{FAILED_URL}/{send['id']}/resend", json_body={})
    assert answer.status_code == 409 and "24-hour" in answer.json()["error"]
    assert graph_api.requests == before and len(listed_for(supervisor, wa_id)) == 1, "kept, for a call"

    dismissed = supervisor.call("POST", f"{FAILED_URL}/{send['id']}/dismiss")
    assert (dismissed.status_code, dismissed.json()) == (200, {"dismissed": True})
    assert listed_for(supervisor, wa_id) == []
    assert supervisor.call("POST", f"{FAILED_URL}/{send['id']}/dismiss").status_code == 404
    assert supervisor.call("POST", f"{FAILED_URL}/not-an-id/dismiss").status_code == 422


def test_one_that_may_have_arrived_is_sent_again_only_when_confirmed(
    stack: Stack, gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis, supervisor: StaffClient
) -> None:
    wa_id = number("31")
    assert answer_to(gateway, graph_api, store, wa_id, text("hallo")), "the user wrote: inside the window"
    words = "Bel ons gerust terug"  # the channel itself, against the stack's Redis: Meta took it, answered late

    async def send_late() -> None:
        async with parts(graph_api, stack.redis_url, read_timeout=0.15) as (_, _, channel):
            entry = {"kind": "send", "to": wa_id, "body": json.dumps(text_message(words))}
            await channel.handle(entry, f"{int(time.time() * 1000)}-0")

    graph_api.accept_then_delay_seconds = 0.6
    try:
        asyncio.run(send_late())
    finally:
        graph_api.accept_then_delay_seconds = 0.0
    (send,) = listed_for(supervisor, wa_id)
    assert (send["outcome"], send["error"], send["text"]) == ("uncertain", "ReadTimeout", words)

    answer = supervisor.call("POST", f"{FAILED_URL}/{send['id']}/resend", json_body={})
    assert answer.status_code == 409 and "even_if_arrived" in answer.json()["error"]
    before = len(sent_to(graph_api, wa_id))
    confirmed = supervisor.call("POST", f"{FAILED_URL}/{send['id']}/resend", json_body={"even_if_arrived": True})
    assert confirmed.status_code == 200, confirmed.text
    assert [m["text"]["body"] for m in wait_for(graph_api, wa_id, before + 1)[before:]] == [words]
    assert ("whatsapp_resend", "uncertain") in audited(store, supervisor.username)


def test_the_review_page_shows_a_refused_reply_and_dismisses_it(
    stack: Stack, gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis, browser
) -> None:
    wa_id = number("31")
    refused_reply(gateway, graph_api, store, wa_id)
    username = create_account(stack, "supervisor")
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    log_in(page, stack.gateway_url, username)
    page.click("#whatsapp-sends")
    page.wait_for_url(f"{stack.gateway_url}/staff/whatsapp")
    row = page.locator(f"#sends tr:has(a.tel:text-is('+{wa_id}'))")
    row.wait_for(timeout=10_000)
    assert text_of("utter_thank", "nl") in row.inner_text()
    assert row.locator("a.tel").get_attribute("dir") == "ltr"
    row.locator("button.dismiss").click()
    page.wait_for_selector("#status:has-text('Dismissed')")
    assert row.count() == 0 and listed_for_page_owner(stack, gateway, wa_id) == []
    page.close()


def listed_for_page_owner(stack: Stack, gateway: httpx.Client, wa_id: str) -> list[dict]:
    member = StaffClient(gateway, create_account(stack, "supervisor"))
    assert member.login().status_code == 200
    return listed_for(member, wa_id)
