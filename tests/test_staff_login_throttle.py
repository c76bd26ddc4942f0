"""Failed staff logins against a real redis-server: counted per (name, client), so a stranger
locks only their own pair; a back-off that doubles and is capped; a per-name ceiling that one
client cannot reach; attempts reserved before they are checked, so a burst counts in full."""

from __future__ import annotations

import asyncio

import pyotp
from redis.asyncio import Redis

from api.staff.accounts import Accounts
from api.staff.login_throttle import PAIR, LoginLimits, LoginThrottle, most_failures_per_client

SECRET = b"test secret"
PASSWORD = "correct horse battery"
OWN, STRANGER = "client-key-of-anna", "client-key-of-a-stranger"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Anna:
    """Anna's account, logging in with her password and her app's code at the clock's time."""

    def __init__(self, accounts: Accounts, secret: str, clock: Clock) -> None:
        self.accounts, self.totp, self.clock = accounts, pyotp.TOTP(secret), clock

    async def login(self, client: str):
        return await self.accounts.authenticate("anna", PASSWORD, self.totp.at(self.clock.now), client)

    async def fail(self, client: str, times: int = 1) -> None:
        for _ in range(times):
            code = self.totp.at(self.clock.now)
            assert await self.accounts.authenticate("anna", "not the password", code, client) is None


def with_anna(server, scenario, limits: LoginLimits = LoginLimits()):
    async def wrapped():
        redis, clock = Redis(host="127.0.0.1", port=server.port), Clock()
        accounts = Accounts(redis, SECRET, limits, clock)
        try:
            _, enrolment = await accounts.create("anna", PASSWORD, "agent")
            return await scenario(Anna(accounts, enrolment.secret, clock), redis, clock)
        finally:
            await redis.close()

    return asyncio.run(wrapped())


def test_a_stranger_locks_only_their_own_pair(redis_server) -> None:
    async def scenario(anna, redis, clock):
        await anna.fail(STRANGER, 5)
        stranger_with_the_password = await anna.login(STRANGER)
        own = await anna.login(OWN)
        keys = [key.decode() async for key in redis.scan_iter(match="wegwijs:staff:login-*")]
        return stranger_with_the_password, own, keys

    stranger, own, keys = with_anna(redis_server, scenario)
    assert stranger is None, "the stranger's pair is locked, even with the right password and code"
    assert own is not None and own.username == "anna", "anna's own client is not"
    assert keys and not any(part in key for key in keys for part in ("anna", OWN, STRANGER)), keys


def test_the_back_off_doubles_up_to_an_hour_and_the_record_expires(redis_server) -> None:
    async def scenario(anna, redis, clock):
        await anna.fail(STRANGER, 5)
        seen = []
        for expected in (60, 120, 240, 480, 960, 1920, 3600, 3600):
            clock.now += expected - 1
            still_locked = await anna.login(STRANGER) is None
            clock.now += 2
            await anna.fail(STRANGER)  # the first failure after the lock: locked again, longer
            seen.append(still_locked)
        (pair,) = [key async for key in redis.scan_iter(match=PAIR + "*")]
        ttl = await redis.ttl(pair)
        clock.now += 3600 + 1
        after_the_last_lock = await anna.login(STRANGER)
        return seen, ttl, after_the_last_lock

    seen, ttl, after = with_anna(redis_server, scenario)
    assert seen == [True] * 8, "each lock holds until a second before it ends, right password or not"
    assert 3600 < ttl <= 2 * 3600, "the record outlives its lock by an hour, never more"
    assert after is not None, "a lock ends when it says"


def test_the_name_ceiling_locks_every_client_and_one_client_cannot_reach_it(redis_server) -> None:
    limits = LoginLimits(name_ceiling=15)

    async def scenario(anna, redis, clock):
        for n in range(3):
            await anna.fail(f"stranger-{n}", 5)
        return await anna.login(OWN)

    assert with_anna(redis_server, scenario, limits) is None, "15 failures from 3 clients lock the name"
    shipped = LoginLimits()
    one_client = most_failures_per_client(shipped, shipped.name_window_seconds)
    assert one_client == 10, "5 at once, then one after each lock of 1, 2, 4, 8 and 16 minutes"
    assert shipped.name_ceiling >= 10 * one_client, "locking a name out takes ten clients or more"


def test_a_burst_of_attempts_counts_in_full(redis_server) -> None:
    async def scenario():
        redis = Redis(host="127.0.0.1", port=redis_server.port)
        throttle = LoginThrottle(redis, SECRET)
        attempts = await asyncio.gather(*(throttle.reserve("anna", STRANGER) for _ in range(20)))
        await redis.close()
        return [a.allowed for a in attempts]

    assert sum(asyncio.run(scenario())) == 5, "of 20 attempts at once, exactly 5 are checked"


def test_a_success_forgives_its_pair(redis_server) -> None:
    async def scenario(anna, redis, clock):
        await anna.fail(OWN, 4)
        assert await anna.login(OWN) is not None
        clock.now += 30  # the next login needs the next code: each is used once
        await anna.fail(OWN, 4)
        return await anna.login(OWN)

    assert with_anna(redis_server, scenario) is not None, "four typos, a login, four more: not locked"
