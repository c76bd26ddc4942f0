"""Staff sessions against a real redis-server: idle and absolute expiry, ids stored hashed, and
sessions bound to their account (deleted, demoted or re-enrolled: the session ends)."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from api.staff.accounts import Account, Accounts
from api.staff.sessions import ABSOLUTE_SECONDS, IDLE_SECONDS, SessionStore, session_key

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def account(redis: Redis, username: str = "anna", role: str = "agent") -> tuple[Accounts, Account]:
    accounts = Accounts(redis, b"test secret")
    made, _ = await accounts.create(username, PASSWORD, role)
    return accounts, made


def test_sessions_expire_idle_and_absolute(redis_server) -> None:
    async def scenario():
        redis, clock = Redis(host="127.0.0.1", port=redis_server.port), Clock()
        store = SessionStore(redis, clock)
        _, anna = await account(redis)
        session_id, _ = await store.start(anna)
        stored_keys = [key.decode() async for key in redis.scan_iter(match="wegwijs:staff:session:*")]
        idle_ttl = await redis.ttl(session_key(session_id))
        for _ in range(ABSOLUTE_SECONDS // 600 - 1):  # a person acting every ten minutes
            clock.now += 600
            await store.touch(session_id)
        clock.now += 600 - 60
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
        _, anna = await account(redis)
        first, _ = await store.start(anna)
        second, _ = await store.start(anna, previous_id=first)
        result = await store.get(first), await store.get(second), await store.get("x" * 500)
        await redis.close()
        return result

    old, new, silly = asyncio.run(scenario())
    assert old is None and new is not None and silly is None


def test_a_session_ends_when_its_account_is_changed_or_deleted(redis_server) -> None:
    async def scenario():
        redis = Redis(host="127.0.0.1", port=redis_server.port)
        store = SessionStore(redis)
        accounts, _ = await account(redis, "anna", "supervisor")
        _, bram = await account(redis, "bram", "agent")
        outcomes = {}
        for change in ("set-role", "reset-totp", "delete"):
            anna = await accounts.get("anna")
            session_id, _ = await store.start(anna)
            bram_session, _ = await store.start(bram)
            before = await store.get(session_id)
            if change == "set-role":
                unchanged = await accounts.set_role("anna", "supervisor")
                outcomes["same role"] = (unchanged, await store.get(session_id) is not None)
                await accounts.set_role("anna", "agent")
            elif change == "reset-totp":
                await accounts.reset_second_factor("anna")
            else:
                await accounts.delete("anna")
                await accounts.create("anna", PASSWORD, "supervisor")  # the same name again
            outcomes[change] = (
                before is not None,
                await store.get(session_id),
                await store.get(bram_session) is not None,
            )
        await redis.close()
        return outcomes

    outcomes = asyncio.run(scenario())
    assert outcomes.pop("same role") == (False, True), "setting the role it has changes nothing"
    assert outcomes == dict.fromkeys(("set-role", "reset-totp", "delete"), (True, None, True)), (
        "anna's session ends, bram's does not; a new account of the same name does not revive it"
    )


def test_polls_alone_let_a_session_expire_and_actions_keep_it(redis_server) -> None:
    """``get`` (what a poll does) never restarts the idle time; ``touch`` (what an action does) does."""

    async def scenario():
        redis, clock = Redis(host="127.0.0.1", port=redis_server.port), Clock()
        store = SessionStore(redis, clock, idle_seconds=60)
        _, anna = await account(redis)
        polled, _ = await store.start(anna)
        acting, _ = await store.start(anna)
        alive = []
        for _ in range(6):  # a minute and a half, a read of both every 15 s, an action every 15 s
            clock.now += 15
            alive.append((await store.get(polled) is not None, await store.get(acting) is not None))
            await store.touch(acting)
        ttl = await redis.ttl(session_key(acting))
        await redis.close()
        return alive, ttl

    alive, ttl = asyncio.run(scenario())
    assert alive == [(True, True)] * 3 + [(False, True)] * 3, "the polled session ended after 60 s, the other went on"
    assert 0 < ttl <= 60, "an action restarts the key's TTL with the idle time"
