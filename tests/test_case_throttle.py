"""The lookup throttle (actions/cases/throttle.py) on a real Redis, and its in-memory twin:
attempts are reserved before the lookup, so attempts sent at once count one by one."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from actions.cases.throttle import CLIENT, CONVERSATION, REFERENCE, MemoryThrottle, RedisThrottle

SECRET = b"a test secret for the lookup throttle"


def with_throttle(kind: str, server, scenario):
    async def wrapped():
        if kind == "memory":
            return await scenario(MemoryThrottle(SECRET))
        redis = Redis(host="127.0.0.1", port=server.port)
        try:
            return await scenario(RedisThrottle(redis, SECRET))
        finally:
            await redis.close()

    return asyncio.run(wrapped())


@pytest.mark.parametrize("kind", ["redis", "memory"])
def test_twenty_attempts_at_once_on_one_reference_let_only_the_limit_through(kind: str, redis_server) -> None:
    async def scenario(throttle):
        attempts = await asyncio.gather(
            *(throttle.reserve(f"conversation-{n}", "IOM-NL-2099-000001") for n in range(20))
        )
        await asyncio.gather(*(throttle.failed(a) for a in attempts))
        after = await throttle.reserve("a fresh conversation", "IOM-NL-2099-000001")
        return sum(a.allowed for a in attempts), after.allowed

    allowed, later = with_throttle(kind, redis_server, scenario)
    assert allowed == REFERENCE.failures
    assert later is False, "the reference is locked: the right details are refused now too"


@pytest.mark.parametrize("kind", ["redis", "memory"])
def test_twenty_attempts_at_once_in_one_conversation_lock_it(kind: str, redis_server) -> None:
    async def scenario(throttle):
        attempts = await asyncio.gather(
            *(throttle.reserve("one conversation", f"IOM-NL-2099-{n:06d}") for n in range(20))
        )
        await asyncio.gather(*(throttle.failed(a) for a in attempts))
        return sum(a.allowed for a in attempts), await throttle.conversation_locked("one conversation")

    allowed, locked = with_throttle(kind, redis_server, scenario)
    assert allowed == CONVERSATION.failures
    assert locked


@pytest.mark.parametrize("kind", ["redis", "memory"])
def test_a_match_after_four_failures_counts_against_nobody(kind: str, redis_server) -> None:
    async def scenario(throttle):
        for _ in range(CONVERSATION.failures - 1):
            await throttle.failed(await throttle.reserve("c", "IOM-NL-2099-000002"))
        right = await throttle.reserve("c", "IOM-NL-2099-000002")
        await throttle.succeeded(right)
        return (
            right.allowed,
            await throttle.conversation_locked("c"),
            (await throttle.reserve("c", "IOM-NL-2099-000003")).allowed,
        )

    right, locked, next_one = with_throttle(kind, redis_server, scenario)
    assert (right, locked, next_one) == (True, False, True)


@pytest.mark.parametrize("kind", ["redis", "memory"])
def test_one_client_trying_references_in_fresh_conversations_is_locked_at_its_limit(kind: str, redis_server) -> None:
    """Fresh conversations cost nothing to mint: the per-client rule still counts every attempt,
    and another client (another address) is not affected."""

    async def scenario(throttle):
        attempts = await asyncio.gather(
            *(throttle.reserve(f"fresh-{n}", f"IOM-NL-2099-{n:06d}", "client-a") for n in range(CLIENT.failures + 5))
        )
        await asyncio.gather(*(throttle.failed(a) for a in attempts))
        again = await throttle.reserve("yet another", "IOM-NL-2099-999999", "client-a")
        elsewhere = await throttle.reserve("elsewhere", "IOM-NL-2099-999998", "client-b")
        return sum(a.allowed for a in attempts), again.allowed, elsewhere.allowed

    allowed, again, elsewhere = with_throttle(kind, redis_server, scenario)
    assert allowed == CLIENT.failures
    assert again is False and elsewhere is True
