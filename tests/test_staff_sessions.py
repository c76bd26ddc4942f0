"""Staff sessions against a real redis-server: idle and absolute expiry, ids stored hashed."""
from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from api.staff.accounts import Account
from api.staff.sessions import ABSOLUTE_SECONDS, IDLE_SECONDS, SessionStore, session_key


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_expire_idle_and_absolute(redis_server) -> None:
    async def scenario():
        redis, clock = Redis(host="127.0.0.1", port=redis_server.port), Clock()
        store = SessionStore(redis, clock)
        session_id, _ = await store.start(Account("anna", "agent"))
        stored_keys = [key.decode() async for key in redis.scan_iter(match="wegwijs:staff:session:*")]
        idle_ttl = await redis.ttl(session_key(session_id))
        clock.now += ABSOLUTE_SECONDS - 60
        still = await store.get(session_id)
        clock.now += 120
        after_eight_hours = await store.get(session_id)
        await redis.close()
        return session_id, stored_keys, idle_ttl, still, after_eight_hours

    session_id, stored_keys, idle_ttl, still, after = asyncio.run(scenario())
    assert stored_keys == [session_key(session_id)] and session_id not in stored_keys[0]
    assert 0 < idle_ttl <= IDLE_SECONDS, "Redis ends a session after 30 idle minutes"
    assert still is not None and after is None


def test_a_login_ends_the_session_the_browser_had(redis_server) -> None:
    async def scenario():
        redis = Redis(host="127.0.0.1", port=redis_server.port)
        store = SessionStore(redis)
        first, _ = await store.start(Account("anna", "agent"))
        second, _ = await store.start(Account("anna", "agent"), previous_id=first)
        result = await store.get(first), await store.get(second), await store.get("x" * 500)
        await redis.close()
        return result

    old, new, silly = asyncio.run(scenario())
    assert old is None and new is not None and silly is None
