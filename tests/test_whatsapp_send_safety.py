"""WhatsApp sends that stay correct with several gateways (issue 14): a real redis-server of the
test's own and the Graph API stand-in on 127.0.0.1 (tests/fake_graph_api.py), no Rasa. The
channel is driven with queued sends and ``deliver`` (the part of a turn that sends); the worker
with its real loop and lease.

No real sleep decides anything: the client's sleep and clock are injected where a back-off is
checked, and every wait is for a condition, with a deadline."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from redis.asyncio import Redis

from api.services import Services
from api.whatsapp.channel import WhatsAppChannel
from api.whatsapp.config import WhatsAppConfig
from api.whatsapp.graph import GraphClient
from api.whatsapp.inbox import partition_key
from api.whatsapp.keys import FAILED, SENDING, reply_key
from api.whatsapp.shaping import text_message
from api.whatsapp.worker import GROUP, WhatsAppWorkers, consumer_of, lease_key
from tests.conftest import RedisServer
from tests.fake_graph_api import FakeGraphAPI
from tests.waiting import until
from wegwijs.wire import reply_message

USER = "31612345678"
OTHER = "31687654321"
SECRET = "geheim bericht"
DEADLINE_SECONDS = 20.0
LEASE_SECONDS = 3.0


def no_pending(redis: Redis, stream: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not (await redis.xpending(stream, GROUP))["pending"]

    return check


class Gate:
    """The client's sleep and clock: a sleep records its delay and waits until ``release``,
    which also moves the clock past every pause. Nothing really sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.delays: list[float] = []
        self._open = asyncio.Event()

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await self._open.wait()

    def release(self) -> None:
        self.now += 3600
        self._open.set()


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI() as server:
        yield server


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path)
    yield server.url
    server.stop()


@asynccontextmanager
async def parts(
    graph: FakeGraphAPI, redis_url: str, base_url: str | None = None, read_timeout: float = 5.0, **options: Any
) -> AsyncIterator[tuple[Redis[bytes], GraphClient, WhatsAppChannel]]:
    redis: Redis[bytes] = Redis.from_url(redis_url)
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=read_timeout)) as http:
        client = GraphClient(
            base_url or graph.base_url or "", graph.version, graph.token, graph.phone_number_id, http, **options
        )
        config = WhatsAppConfig("verify", b"secret", graph.token, graph.phone_number_id, graph.base_url or "")
        # No turn is taken here (queued sends and deliver only): the services are never used.
        channel = WhatsAppChannel(cast(Services, None), config, redis, client)
        try:
            yield redis, client, channel
        finally:
            await redis.close()


def queued(to: str, body: str) -> dict[str, str]:
    return {"kind": "send", "to": to, "body": json.dumps(text_message(body))}


async def failed(redis: Redis[bytes]) -> list[dict[str, str]]:
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in await redis.xrange(FAILED)]


def logged_by_whatsapp(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("api.whatsapp"))


# (a) ------------------------------------------------------------------------------------------


def test_a_read_timeout_reaches_the_stand_in_once_and_is_recorded_as_uncertain(
    graph: FakeGraphAPI, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    graph.accept_then_delay_seconds = 0.6  # Meta took the message; its answer comes too late

    async def scenario() -> tuple[list[dict[str, str]], bytes | None]:
        async with parts(graph, redis_url, read_timeout=0.15, max_attempts=5) as (redis, _, channel):
            await channel.handle(queued(USER, SECRET), "1700000000000-0")
            assert graph.requests == 1, "a read timeout is not retried"
            # The same entry handled again (re-read after a crash): still not resent.
            await channel.handle(queued(USER, SECRET), "1700000000000-0")
            return await failed(redis), await redis.get(reply_key("entry:1700000000000-0:0"))

    records, state = asyncio.run(scenario())
    assert graph.requests == 1 and [m["text"]["body"] for m in graph.sent] == [SECRET], "received once, never twice"
    assert state == b"uncertain"
    (record,) = records
    assert (record["outcome"], record["error"], record["to"]) == ("uncertain", "ReadTimeout", USER)
    assert json.loads(record["body"])["text"]["body"] == SECRET, "kept, for a person to decide"
    logged = logged_by_whatsapp(caplog)
    assert "may have arrived" in logged and USER not in logged and "geheim" not in logged


# (b) ------------------------------------------------------------------------------------------


def test_a_connect_failure_is_retried_and_delivered_once(graph: FakeGraphAPI, redis_url: str) -> None:
    assert graph.base_url
    port = int(graph.base_url.rsplit(":", 1)[1])
    graph.stop()  # the port refuses connections: the request cannot have left
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            graph.start(port)  # Graph is back before the second attempt

    async def scenario() -> tuple[bool, int, bytes | None]:
        url = f"http://127.0.0.1:{port}"
        async with parts(graph, redis_url, base_url=url, sleep=sleep, base_delay=0.01) as (redis, client, channel):
            result = await client.send(USER, text_message("direct"))
            await channel.handle(queued(OTHER, "queued"), "1700000000001-0")
            return result.ok, result.attempts, await redis.get(reply_key("entry:1700000000001-0:0"))

    ok, attempts, state = asyncio.run(scenario())
    assert ok and attempts == 2 and len(slept) == 1
    assert graph.requests == 2 and [m["text"]["body"] for m in graph.sent] == ["direct", "queued"]
    assert state == b"sent" and graph.violations == []


# (c) ------------------------------------------------------------------------------------------


def test_a_re_read_pending_entry_does_not_resend_what_was_sent(graph: FakeGraphAPI, redis_url: str) -> None:
    async def scenario() -> tuple[int, list[dict[str, str]]]:
        async with parts(graph, redis_url) as (redis, _, channel):
            stream = partition_key(0)
            await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
            await redis.xadd(stream, queued(USER, "staff reply"))
            # The first holder read the entry and sent its reply, then died before the XACK.
            ((_, [(entry_id, raw)]),) = await redis.xreadgroup(GROUP, consumer_of(0), {stream: ">"})
            await channel.handle({k.decode(): v.decode() for k, v in raw.items()}, entry_id.decode())
            assert len(graph.sent) == 1

            # A turn's replies: the first two went out, then the process died; handled again,
            # only the third is sent.
            replies = [reply_message(f"reply {n}") for n in range(3)]
            await channel.deliver(OTHER, replies[:2], "en", "message:wamid.ABC")
            await channel.deliver(OTHER, replies, "en", "message:wamid.ABC")

            # A reply claimed and never settled was cut off mid-send: not sent, recorded.
            await redis.set(reply_key("message:wamid.CUT:0"), SENDING)
            await channel.deliver(OTHER, [reply_message("cut off")], "en", "message:wamid.CUT")

            workers = WhatsAppWorkers(channel, redis, partitions=1, lease_seconds=LEASE_SECONDS, holder="next")
            await workers.start()  # the next holder re-reads the pending entry
            try:
                await until(no_pending(redis, stream), "the re-read entry acknowledged", DEADLINE_SECONDS, 0.02)
            finally:
                await workers.stop()
            return await redis.xlen(stream), await failed(redis)

    left, records = asyncio.run(scenario())
    bodies = [m["text"]["body"] for m in graph.sent]
    assert bodies == ["staff reply", "reply 0", "reply 1", "reply 2"], "each reply exactly once"
    assert graph.requests == 4 and left == 0
    assert [(r["outcome"], r["error"]) for r in records] == [("uncertain", "interrupted")]


# (d) ------------------------------------------------------------------------------------------


def test_131056_backs_off_that_recipient_only(graph: FakeGraphAPI, redis_url: str) -> None:
    graph.fail_next(400, code=131056, retry_after=2, to=USER)  # too many messages to this recipient

    async def scenario() -> tuple[Gate, list[Any]]:
        gate = Gate()
        async with parts(graph, redis_url, sleep=gate, clock=gate.clock) as (_, client, _channel):
            first = asyncio.create_task(client.send(USER, text_message("to the throttled one")))
            await until(lambda: len(gate.delays) == 1, "the first pause", DEADLINE_SECONDS)
            assert gate.delays == [2.0], "Retry-After honoured"
            sending = asyncio.create_task(client.send(OTHER, text_message("to someone else")))
            try:
                await until(sending.done, "the other recipient's send", 5)  # not held up by the other recipient's pause
            finally:
                if not sending.done():
                    gate.release()  # held up: let it end, the failed wait reports it
            other = await sending
            assert other.ok and other.attempts == 1 and len(gate.delays) == 1
            assert [m["to"] for m in graph.sent] == [OTHER]
            second = asyncio.create_task(client.send(USER, text_message("again to the throttled one")))
            await until(
                lambda: len(gate.delays) == 2, "the second pause", DEADLINE_SECONDS
            )  # a later send to that recipient waits too
            assert graph.requests == 2
            gate.release()
            return gate, [await first, await second, other]

    gate, (first, second, other) = asyncio.run(scenario())
    assert other.ok
    assert first.ok and first.attempts == 2 and second.ok and second.attempts == 1
    assert [m["to"] for m in graph.sent] == [OTHER, USER, USER]
    assert graph.requests == 4 and gate.delays[1] <= 2.0


def test_130429_backs_off_the_business_number_and_gives_up_within_bounds(graph: FakeGraphAPI, redis_url: str) -> None:
    graph.fail_next(429, code=130429, retry_after=120, to=USER)  # capped by max_delay

    async def scenario() -> tuple[Gate, list[Any]]:
        gate = Gate()
        async with parts(graph, redis_url, sleep=gate, clock=gate.clock, max_delay=8.0, max_attempts=3) as (
            _,
            client,
            _channel,
        ):
            first = asyncio.create_task(client.send(USER, text_message("one")))
            await until(lambda: len(gate.delays) == 1, "the first pause", DEADLINE_SECONDS)
            other = asyncio.create_task(client.send(OTHER, text_message("two")))
            await until(lambda: len(gate.delays) == 2, "the second pause", DEADLINE_SECONDS)  # the whole number waits
            assert graph.requests == 1
            gate.release()
            results = [await first, await other]
        graph.fail_next(400, times=5, code=131048)  # spam rate limit, every answer
        gate = Gate()
        gate.release()
        async with parts(graph, redis_url, sleep=gate, clock=gate.clock, max_attempts=3) as (_, client, _channel):
            results.append(await client.send(USER, text_message("three")))
        return gate, results

    gate, (first, other, given_up) = asyncio.run(scenario())
    assert first.ok and other.ok and first.attempts == 2
    assert not given_up.ok and given_up.throttled and given_up.attempts == 3 and given_up.error_code == 131048
    assert all(delay <= 8.0 for delay in gate.delays)


# (e) ------------------------------------------------------------------------------------------


class LeaseStolen:
    """The channel, but the lease passes to another gateway while the entry is handled (its own
    ran out during a stall)."""

    def __init__(self, channel: WhatsAppChannel, redis: Redis[bytes]) -> None:
        self.channel, self.redis = channel, redis
        self.handled = 0

    async def handle(self, fields: dict[str, str], entry_id: str | None = None) -> None:
        await self.channel.handle(fields, entry_id)
        # Without an expiry: on a stalled machine the stolen lease must not run out and come back.
        await self.redis.set(lease_key(0), "second")
        self.handled += 1


def test_a_lost_lease_means_no_xack_and_the_new_holder_does_not_resend(
    graph: FakeGraphAPI, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)

    async def scenario() -> tuple[int, int]:
        async with parts(graph, redis_url) as (redis, _, channel):
            stream = partition_key(0)
            stolen = LeaseStolen(channel, redis)
            first = WhatsAppWorkers(
                stolen,  # type: ignore[arg-type]
                redis,
                partitions=1,
                lease_seconds=LEASE_SECONDS,
                holder="first",
            )
            await first.start()
            await redis.xadd(stream, queued(USER, "only once"))
            try:
                await until(
                    lambda: "entry left pending" in logged_by_whatsapp(caplog),
                    "the lost-lease warning",
                    DEADLINE_SECONDS,
                )
            finally:
                await first.stop()
            pending_after_loss = (await redis.xpending(stream, GROUP))["pending"]

            second = WhatsAppWorkers(channel, redis, partitions=1, lease_seconds=LEASE_SECONDS, holder="second")
            await second.start()
            try:
                await until(
                    no_pending(redis, stream), "the entry acknowledged by the new holder", DEADLINE_SECONDS, 0.02
                )
            finally:
                await second.stop()
            return pending_after_loss, stolen.handled

    pending_after_loss, handled = asyncio.run(scenario())
    assert pending_after_loss == 1, "not acknowledged without the lease"
    assert handled == 1
    assert [m["text"]["body"] for m in graph.sent] == ["only once"] and graph.requests == 1


def test_the_business_numbers_pause_reaches_every_gateway_replica(graph: FakeGraphAPI, redis_url: str) -> None:
    """Meta throttles the number (130429) for one gateway: another gateway, sharing the Redis but
    not the answer, waits the pause out before its own first send instead of adding to the load."""
    graph.fail_next(429, code=130429, retry_after=5, to=USER)

    async def scenario() -> tuple[Gate, list[Any], int]:
        first_gate, second_gate = Gate(), Gate()
        shared: Redis[bytes] = Redis.from_url(redis_url)
        async with (
            parts(graph, redis_url, sleep=first_gate, clock=first_gate.clock, shared=shared) as (_, first, _c1),
            parts(graph, redis_url, sleep=second_gate, clock=second_gate.clock, shared=shared) as (_, second, _c2),
        ):
            throttled = asyncio.create_task(first.send(USER, text_message("one")))
            await until(lambda: len(first_gate.delays) == 1, "the throttled gateway's pause", DEADLINE_SECONDS)
            other = asyncio.create_task(second.send(OTHER, text_message("two")))
            await until(lambda: len(second_gate.delays) == 1, "the other gateway's pause", DEADLINE_SECONDS)
            requests_while_paused = graph.requests
            first_gate.release()
            second_gate.release()
            results = [await throttled, await other]
        await shared.close()
        return second_gate, results, requests_while_paused

    second_gate, (one, two), requests_while_paused = asyncio.run(scenario())
    assert requests_while_paused == 1, "the second gateway did not send while the number was paused"
    assert 0.0 < second_gate.delays[0] <= 5.0, second_gate.delays  # what was left of Meta's Retry-After
    assert one.ok and two.ok and two.attempts == 1
