"""One Rasa replica's worth of turns on one conversation, for tests/test_lock_store.py: run as
``python -m tests.lock_contender PORT PREFIX CONVERSATION NAME ROUNDS``. It waits for the test's
start signal, then takes the conversation's lock ROUNDS times through bot/lock_store.py and, while
it holds it, counts itself in and out of a shared Redis counter and logs its fencing token."""

from __future__ import annotations

import asyncio
import sys
import time

import redis

from bot.lock_store import FencedRedisLockStore, held_ticket


def keys(prefix: str) -> tuple[str, str, str, str]:
    """(ready counter, start signal, holders' log, holders inside now) of one test run."""
    return f"{prefix}:ready", f"{prefix}:start", f"{prefix}:holders", f"{prefix}:inside"


async def contend(
    client: redis.Redis, store: FencedRedisLockStore, prefix: str, conversation: str, name: str, rounds: int
) -> None:
    _, _, log, inside = keys(prefix)
    for _ in range(rounds):
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.005):
            ticket = held_ticket(conversation)
            assert ticket is not None
            entering = int(client.incr(inside))  # 1 unless another holder is inside too
            await asyncio.sleep(0)  # let this process's other tasks (the lease keeper) run
            leaving = int(client.get(inside) or 0)
            client.rpush(log, f"{name} {ticket.token} {entering} {leaving}")
            client.decr(inside)


def main(port: int, prefix: str, conversation: str, name: str, rounds: int) -> None:
    client = redis.Redis(host="127.0.0.1", port=port)
    store = FencedRedisLockStore(host="127.0.0.1", port=port, db=0, key_prefix=prefix)
    ready, start, _, _ = keys(prefix)
    client.incr(ready)
    deadline = time.monotonic() + 60
    while not client.exists(start):
        if time.monotonic() > deadline:
            raise SystemExit("no start signal within 60 s")
        time.sleep(0.005)
    asyncio.run(contend(client, store, prefix, conversation, name, rounds))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
