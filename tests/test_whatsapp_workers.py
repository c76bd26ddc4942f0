"""The partition lease against a real redis-server: two gateways' workers on one partition, with
turns slower than the lease is long. Each entry is handled once, by the lease's holder; when the
holder stops, the other takes over and handles the rest (the entry cut off, again: at least once).

Before the lease was renewed per entry, a batch of slow turns outlasted it: the second gateway
took the partition over, read the same pending entries (the stream consumer is named after the
partition) and answered them a second time while the first was still answering them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from redis.asyncio import Redis

from api.whatsapp.inbox import partition_key
from api.whatsapp.worker import GROUP, WhatsAppWorkers
from tests.conftest import RedisServer
from tests.waiting import until

LEASE_SECONDS = 3.0  # renewed every second: a busy CI machine's stalls stay well inside it
TURN_SECONDS = 0.2
ENTRIES = 10
DEADLINE_SECONDS = 60.0


class SlowChannel:
    """Stands in for the WhatsApp channel: records who handled which entry, slowly. After
    ``stall_after`` entries its next turn never ends (until the worker is stopped): a turn far
    longer than the lease, which the worker must keep holding meanwhile."""

    def __init__(self, handled: list[tuple[str, str]], name: str, stall_after: int | None = None) -> None:
        self.handled, self.name, self.stall_after = handled, name, stall_after

    async def handle(self, fields: dict[str, str], entry_id: str | None = None) -> None:
        if self.stall_after is not None and sum(who == self.name for who, _ in self.handled) >= self.stall_after:
            await asyncio.Event().wait()
        await asyncio.sleep(TURN_SECONDS)
        self.handled.append((self.name, json.loads(fields["body"])["id"]))


def test_slow_turns_are_handled_once_by_the_lease_holder_and_taken_over_when_it_stops(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)

    async def scenario() -> tuple[list[tuple[str, str]], int, list[tuple[str, str]]]:
        redis = Redis.from_url(server.url)
        handled: list[tuple[str, str]] = []
        first = WhatsAppWorkers(
            SlowChannel(handled, "first", stall_after=ENTRIES // 2),
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
        await until(lambda: bool(handled), "the first entry handled", DEADLINE_SECONDS, 0.02)
        await second.start()  # the other gateway, waiting for the lease
        await until(lambda: len(handled) >= ENTRIES // 2, "half the entries handled", DEADLINE_SECONDS, 0.02)
        # The first is in a turn that does not end: two leases long, the second must not take over.
        await asyncio.sleep(2 * LEASE_SECONDS)
        during_the_long_turn = list(handled)
        await first.stop()  # releases the lease: the second takes over at once
        await until(
            lambda: {entry for _, entry in handled} == {f"m{n}" for n in range(ENTRIES)},
            "every entry handled",
            DEADLINE_SECONDS,
            0.02,
        )
        await second.stop()
        pending = (await redis.xpending(partition_key(0), GROUP))["pending"]
        await redis.close()
        return handled, pending, during_the_long_turn

    try:
        handled, pending, during_the_long_turn = asyncio.run(scenario())
    finally:
        server.stop()
    assert [who for who, _ in during_the_long_turn] == ["first"] * (ENTRIES // 2), "the lease held through a long turn"
    entries = [entry for _, entry in handled]
    assert sorted(set(entries), key=lambda e: int(e[1:])) == [f"m{n}" for n in range(ENTRIES)], "every entry handled"
    assert len(entries) == ENTRIES, f"handled twice: {sorted(e for e in entries if entries.count(e) > 1)}"
    assert entries == sorted(entries, key=lambda e: int(e[1:])), "in the order they came"
    holders = [who for who, _ in handled]
    assert holders == sorted(holders), "the first worker, then the second: never both at once"
    assert "second" in holders and pending == 0
