"""The partition lease against a real redis-server: two gateways' workers on one partition, with
turns slower than the lease is long. Each entry is handled once, by the lease's holder; when the
holder stops, the other takes over and handles the rest (the entry cut off, again: at least once).

Before the lease was renewed per entry, a batch of slow turns outlasted it: the second gateway
took the partition over, read the same pending entries (the stream consumer is named after the
partition) and answered them a second time while the first was still answering them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

from redis.asyncio import Redis

from api.whatsapp.inbox import partition_key
from api.whatsapp.worker import GROUP, WhatsAppWorkers
from tests.conftest import RedisServer

LEASE_SECONDS = 1.0
TURN_SECONDS = 0.4  # ten of them: four leases long
ENTRIES = 10
DEADLINE_SECONDS = 60.0


async def until(condition: Callable[[], bool], seconds: float = DEADLINE_SECONDS) -> None:
    """Waits for ``condition``, failing the test when it has not come true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.02)


class SlowChannel:
    """Stands in for the WhatsApp channel: records who handled which entry, slowly."""

    def __init__(self, handled: list[tuple[str, str]], name: str) -> None:
        self.handled, self.name = handled, name

    async def handle(self, fields: dict[str, str]) -> None:
        await asyncio.sleep(TURN_SECONDS)
        self.handled.append((self.name, json.loads(fields["body"])["id"]))


def test_slow_turns_are_handled_once_by_the_lease_holder_and_taken_over_when_it_stops(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)

    async def scenario() -> tuple[list[tuple[str, str]], int]:
        redis = Redis.from_url(server.url)
        handled: list[tuple[str, str]] = []
        first = WhatsAppWorkers(
            SlowChannel(handled, "first"),
            redis,
            partitions=1,  # type: ignore[arg-type]
            lease_seconds=LEASE_SECONDS,
            holder="first",
        )
        second = WhatsAppWorkers(
            SlowChannel(handled, "second"),
            redis,
            partitions=1,  # type: ignore[arg-type]
            lease_seconds=LEASE_SECONDS,
            holder="second",
        )
        await first.start()
        for n in range(ENTRIES):
            await redis.xadd(partition_key(0), {"kind": "message", "body": json.dumps({"id": f"m{n}"})})
        await until(lambda: bool(handled))
        await second.start()  # the other gateway, waiting for the lease
        await until(lambda: len(handled) >= ENTRIES // 2)
        await first.stop()  # releases the lease: the second takes over at once
        for _ in range(int(ENTRIES * TURN_SECONDS / 0.05) * 4):
            if {entry for _, entry in handled} == {f"m{n}" for n in range(ENTRIES)}:
                break
            await asyncio.sleep(0.05)
        await second.stop()
        pending = (await redis.xpending(partition_key(0), GROUP))["pending"]
        await redis.close()
        return handled, pending

    try:
        handled, pending = asyncio.run(scenario())
    finally:
        server.stop()
    entries = [entry for _, entry in handled]
    assert sorted(set(entries), key=lambda e: int(e[1:])) == [f"m{n}" for n in range(ENTRIES)], "every entry handled"
    assert len(entries) == ENTRIES, f"handled twice: {sorted(e for e in entries if entries.count(e) > 1)}"
    assert entries == sorted(entries, key=lambda e: int(e[1:])), "in the order they came"
    holders = [who for who, _ in handled]
    assert holders == sorted(holders), "the first worker, then the second: never both at once"
    assert "second" in holders and pending == 0
