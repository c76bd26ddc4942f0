"""Analytics events without personal data (issue 15), against the real stack: a gateway of the
test's own (its own database) beside the session's Rasa, action server and Redis.

A user types a case reference, a date of birth and a phone number (and books a call-back with
it); no analytics row, and no byte of the database file, holds any of them or a conversation id.
Rows of one conversation share a pseudonym that the month's key gives, and an erasure deletes
them (on SQLite, and through a gateway on PostgreSQL). Rows older than the retention are deleted
by the gateway. A database that cannot be written costs nobody a reply. The pseudonym's key
rotates per month and cannot be recomputed once its salt is gone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy
from redis.asyncio import Redis as AsyncRedis

from api.insight.events import InsightEvent
from api.insight.pseudonyms import SALT_PREFIX, Pseudonyms, period_end
from api.insight.store import Filters, Forget, InsightStore
from scripts.stack import Stack
from tests.conftest import RedisServer, clear_presence, new_conversation
from tests.gateway_process import gateway_with
from tests.test_handover import say
from tests.waiting import until

REFERENCE, REFERENCE_DIGITS, BIRTH = "IOM-NL-2026-000042", "2026000042", "14-05-1990"
PHONE, PHONE_E164 = "06 12345678", "+31612345678"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/"


def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'insight.sqlite3'}"


def rows(url: str) -> list[dict]:
    store = InsightStore(url)
    try:
        today = dt.datetime.now(dt.timezone.utc).date()
        return store.rows(Filters(today - dt.timedelta(days=800), today + dt.timedelta(days=1)))
    finally:
        store.dispose()


def wait_for_rows(url: str, what: str, check) -> list[dict]:
    found: list[dict] = []

    def ready() -> bool:
        found[:] = rows(url)
        return bool(check(found))

    # In a thread of its own: a browser test's thread holds Playwright's event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, until(ready, what, seconds=30, poll=0.1)).result()
    return found


def pseudonym_of(stack: Stack, conversation: str) -> list[str]:
    """The conversation's pseudonyms, computed as the gateway does, from the secret and the salt."""
    secret = stack.environment()["WEGWIJS_CONVERSATION_SECRET"].encode()

    async def compute() -> list[str]:
        client = AsyncRedis.from_url(stack.redis_url)
        try:
            return await Pseudonyms(secret, client).live(conversation)
        finally:
            await client.close()

    return asyncio.run(compute())


@pytest.fixture
def own_gateway(stack: Stack, tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = store_url(tmp_path)
    with gateway_with(stack, {"DATABASE_URL": url}) as base:
        yield base, url


def test_no_row_holds_what_the_user_typed_nor_the_conversation(stack: Stack, own_gateway: tuple[str, str]) -> None:
    base, url = own_gateway
    clear_presence(stack)  # nobody at the console: asking for a person offers a call-back
    with httpx.Client(base_url=base, timeout=30) as client:
        case = new_conversation(client)
        for text in ("where is my case", REFERENCE, BIRTH):
            say(client, case, text)
        callback = new_conversation(client)
        for text in ("i need to talk to a real person", "yes please", PHONE):
            say(client, callback, text)
        client.post(
            "/api/v1/messages",
            json={"conversation_id": callback, "text": "Any time", "payload": '/callback_time{"callback_time": "any"}'},
        ).raise_for_status()
        booked = say(client, callback, "yes, I agree")
        assert booked["handover"]["status"] == "queued", "the call-back was booked"

    found = wait_for_rows(
        url,
        "8 turns and the call-back's request",
        lambda r: len([x for x in r if x["kind"] == "turn"]) >= 8 and any(x["kind"] == "callback" for x in r),
    )
    turns = [r for r in found if r["kind"] == "turn"]
    assert len(turns) == 8 and {r["channel"] for r in turns} == {"api"}
    assert [r["stage"] for r in found if r["kind"] == "callback"] == ["opened"]
    assert {r["language"] for r in turns} == {"en"}
    assert all(r["hour"].minute == r["hour"].second == 0 for r in found), "times are rounded down to the hour"
    assert {r["intent"] for r in turns} - {None} and all(
        r["confidence"] in (None, "<0.5", "0.5-0.7", "0.7-0.9", ">=0.9") for r in turns
    )

    forbidden = [REFERENCE, REFERENCE_DIGITS, BIRTH, "1990-05-14", "12345678", PHONE_E164, case, callback]
    for row in found:
        for value in row.values():
            assert not any(item in str(value) for item in forbidden), (row, value)
    raw = Path(url.removeprefix("sqlite:///")).read_bytes()
    assert not any(item.encode() in raw for item in forbidden), "not in the database file either"

    (case_pseudonym,) = pseudonym_of(stack, "api:" + case)
    (callback_pseudonym,) = pseudonym_of(stack, "api:" + callback)
    assert [r["pseudonym"] for r in turns].count(case_pseudonym) == 3
    assert [r["pseudonym"] for r in found].count(callback_pseudonym) == 6  # 5 turns and the request
    assert re.fullmatch(r"[0-9a-f]{32}", case_pseudonym) and case_pseudonym != callback_pseudonym


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_an_erasure_takes_the_conversations_events(
    stack: Stack, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = store_url(tmp_path) if database == "sqlite" else request.getfixturevalue("postgres_url")
    with gateway_with(stack, {"DATABASE_URL": url}) as base:
        erase_and_check(stack, base, url)


def erase_and_check(stack: Stack, base: str, url: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        kept, erased = new_conversation(client), new_conversation(client)
        say(client, kept, "hello, how can IOM help me return home")
        say(client, erased, "hello, how can IOM help me return home")
        (pseudonym,) = pseudonym_of(stack, "api:" + erased)
        wait_for_rows(url, "both turns", lambda r: [x["pseudonym"] for x in r].count(pseudonym) == 1)
        say(client, erased, "delete my data")
        done = client.post(
            "/api/v1/messages", json={"conversation_id": erased, "text": "Yes, delete", "payload": "/affirm"}
        )
        assert done.status_code == 200, done.text
    found = wait_for_rows(url, "the erasure's event", lambda r: any(x["kind"] == "erasure" for x in r))
    assert not [r for r in found if r["pseudonym"] == pseudonym], "the erased conversation's events are gone"
    (erasure,) = [r for r in found if r["kind"] == "erasure"]
    assert erasure["pseudonym"] is None and erasure["channel"] == "api"
    (kept_pseudonym,) = pseudonym_of(stack, "api:" + kept)
    assert [r["pseudonym"] for r in found].count(kept_pseudonym) == 1, "another conversation's events stay"


def event(days_ago: float, pseudonym: str = "a" * 32) -> InsightEvent:
    at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)
    return InsightEvent.make("turn", pseudonym=pseudonym, channel="api", language="nl", topic="contact", at=at)


def test_the_gateway_deletes_events_past_their_retention(stack: Stack, tmp_path: Path) -> None:
    url = store_url(tmp_path)
    store = InsightStore(url)
    store.insert([event(31, "o" * 32), event(29, "n" * 32)])
    store.dispose()
    with gateway_with(stack, {"DATABASE_URL": url, "WEGWIJS_KEEP_ANALYTICS_DAYS": "30"}):
        found = wait_for_rows(
            url, "the 31-day-old event deleted", lambda r: "o" * 32 not in [x["pseudonym"] for x in r]
        )
    assert [r["pseudonym"] for r in found] == ["n" * 32], "the younger event stays"


def test_a_database_that_cannot_be_written_costs_no_reply(stack: Stack) -> None:
    broken = "postgresql://postgres@127.0.0.1:9/nowhere"  # nothing listens on port 9
    with gateway_with(stack, {"DATABASE_URL": broken}) as base, httpx.Client(base_url=base, timeout=30) as client:
        conversation = new_conversation(client)
        answer = say(client, conversation, "hello, how can IOM help me return home")
        assert answer["messages"] and answer["topic"] != "out_of_scope"

        def lost() -> bool:
            text = client.get("/metrics").text
            match = re.search(r'^wegwijs_insight_events_lost_total\{reason="not_written"\} (\S+)$', text, re.M)
            return bool(match and float(match.group(1)) >= 1)

        asyncio.run(until(lost, "the lost event counted", seconds=30, poll=0.2))
        log = (stack.run_dir / f"gateway-{base.rsplit(':', 1)[1]}.log").read_text(encoding="utf-8")
        assert "insight events not written: OperationalError" in log and "nowhere" not in log


def test_the_pseudonym_key_rotates_monthly_and_is_forgotten(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:

        async def scenario() -> None:
            client = AsyncRedis.from_url(server.url)
            try:
                secret = b"a secret for the insight tests"
                december = dt.datetime(2026, 12, 3, 15, tzinfo=dt.timezone.utc)
                january = dt.datetime(2027, 1, 2, 9, tzinfo=dt.timezone.utc)
                gateway_a, gateway_b = Pseudonyms(secret, client), Pseudonyms(secret, client)
                first = await gateway_a.of("api:one", december)
                assert first == await gateway_b.of("api:one", december), "replicas share the month's key"
                assert first != await gateway_a.of("api:two", december)
                assert first != await gateway_a.of("api:one", january), "a new month, a new pseudonym"
                expires = await client.expiretime(SALT_PREFIX + "2026-12")
                assert expires == int(period_end("2026-12").timestamp()) + 3600, "the salt ends with its month"
                await client.delete(SALT_PREFIX + "2026-12")  # what its expiry does
                again = Pseudonyms(secret, client)
                assert await again.of("api:one", december) != first, "without the salt, never recomputed"
            finally:
                await client.close()

        asyncio.run(scenario())
    finally:
        server.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"wegwijs_insight_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES + "postgres", isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError:
        pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 (user postgres, trust)")
    try:
        yield POSTGRES + name
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_store_on_postgresql(postgres_url: str) -> None:
    store = InsightStore(postgres_url)
    try:
        store.insert([event(0, "p" * 32), event(0, "q" * 32), event(500, "r" * 32)])
        store.apply([event(0, "q" * 32), Forget(("q" * 32,)), event(0, "s" * 32)])
        assert store.purge((dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)).replace(tzinfo=None)) == 1
        today = dt.datetime.now(dt.timezone.utc).date()
        assert sorted(r["pseudonym"] for r in store.rows(Filters(today, today))) == ["p" * 32, "s" * 32]
        assert store.rows(Filters(today, today, "ar")) == []
    finally:
        store.dispose()


def test_events_take_only_values_of_their_sets() -> None:
    made = InsightEvent.make(
        "turn",
        pseudonym="not a pseudonym",
        channel="<script>",
        language="klingon",
        topic="my number is 0612345678",
        intent="IOM-NL-2026-000042",
        confidence=0.95,
        reason="because 14-05-1990",
        seconds=12.6,
        score=9,
    )
    assert (made.channel, made.language, made.topic, made.intent, made.reason) == ("other", "", "", "other", "other")
    assert (made.pseudonym, made.confidence, made.seconds, made.score) == (None, ">=0.9", 13, None)
    assert [InsightEvent.make("turn", pseudonym=None, confidence=c).confidence for c in (0.49, 0.5, 0.7, 0.9)] == [
        "<0.5",
        "0.5-0.7",
        "0.7-0.9",
        ">=0.9",
    ]
    assert os.environ.get("WEGWIJS_KEEP_ANALYTICS_DAYS") in (None, ""), "the default retention is what is tested"
