"""Staff accounts against a real redis-server: argon2id hashes, the password rule, the command,
and a login throttle that answers the same whether or not the account exists."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest
from redis.asyncio import Redis

from api.staff.accounts import ACCOUNT, MAX_FAILURES, AccountError, Accounts

SECRET = b"test secret"
PASSWORD = "correct horse battery"


def run(coroutine):
    return asyncio.run(coroutine)


def with_accounts(server, scenario):
    async def wrapped():
        redis = Redis(host="127.0.0.1", port=server.port)
        try:
            return await scenario(Accounts(redis, SECRET), redis)
        finally:
            await redis.close()
    return run(wrapped())


def test_passwords_are_stored_as_argon2id_and_checked(redis_server) -> None:
    async def scenario(accounts, redis):
        await accounts.create("anna", PASSWORD, "agent")
        stored = (await redis.hget(ACCOUNT + "anna", "hash")).decode()
        return stored, await accounts.authenticate("anna", PASSWORD), await accounts.authenticate("anna", "wrong password!!")

    stored, good, bad = with_accounts(redis_server, scenario)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert good and good.role == "agent" and bad is None


@pytest.mark.parametrize("username, password, role, message", [
    ("anna", "short", "agent", "at least 12"),
    ("Anna Smith", PASSWORD, "agent", "username"),
    ("anna", PASSWORD, "admin", "role must be"),
])
def test_bad_accounts_are_refused(redis_server, username, password, role, message) -> None:
    async def scenario(accounts, redis):
        await accounts.create(username, password, role)

    with pytest.raises(AccountError, match=message):
        with_accounts(redis_server, scenario)


def test_an_account_name_is_created_once(redis_server) -> None:
    async def scenario(accounts, redis):
        await accounts.create("anna", PASSWORD, "agent")
        await accounts.create("anna", "another long password", "supervisor")

    with pytest.raises(AccountError, match="exists already"):
        with_accounts(redis_server, scenario)


def test_failed_logins_lock_an_account_and_unknown_names_alike(redis_server) -> None:
    async def scenario(accounts, redis):
        await accounts.create("anna", PASSWORD, "supervisor")
        for _ in range(MAX_FAILURES):
            await accounts.authenticate("anna", "not the password")
            await accounts.authenticate("nobody", "not the password")
        locked = await accounts.authenticate("anna", PASSWORD)
        keys = [key.decode() async for key in redis.scan_iter(match="wegwijs:staff:login-failures:*")]
        return locked, keys

    locked, keys = with_accounts(redis_server, scenario)
    assert locked is None, "the right password is refused while the account is locked"
    assert len(keys) == 2 and not any("anna" in key or "nobody" in key for key in keys)


def test_unknown_names_cost_the_same_as_wrong_passwords(redis_server) -> None:
    async def scenario(accounts, redis):
        await accounts.create("anna", PASSWORD, "agent")
        timings = {"wrong": [], "unknown": []}
        for n in range(12):
            for kind, name in (("wrong", "anna"), ("unknown", f"ghost{n}")):
                await redis.delete(*[k async for k in redis.scan_iter(match="wegwijs:staff:login-failures:*")] or ["x"])
                started = time.perf_counter()
                await accounts.authenticate(name, "not the password")
                timings[kind].append(time.perf_counter() - started)
        return {kind: sorted(values)[len(values) // 2] for kind, values in timings.items()}

    medians = with_accounts(redis_server, scenario)
    assert abs(medians["wrong"] - medians["unknown"]) < 0.5 * max(medians.values()), medians


def test_the_command_creates_an_account_without_echoing_the_password(redis_server) -> None:
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0", WEGWIJS_STAFF_SECRET="x" * 32)
    made = subprocess.run([sys.executable, "-m", "api.staff.accounts", "create", "bram", "--role", "supervisor",
                           "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True, env=env)
    assert made.returncode == 0 and made.stdout.strip() == "created supervisor bram"
    assert PASSWORD not in made.stdout + made.stderr
    short = subprocess.run([sys.executable, "-m", "api.staff.accounts", "create", "cleo", "--role", "agent",
                            "--password-stdin"], input="tooshort\n", capture_output=True, text=True, env=env)
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    listed = subprocess.run([sys.executable, "-m", "api.staff.accounts", "list"], capture_output=True, text=True, env=env)
    assert listed.stdout.split() == ["bram", "supervisor"]


def test_password_checks_leave_the_event_loop_free(redis_server) -> None:
    """Logins verify argon2 hashes off the event loop: while four wrong logins are checked, a
    ticker on the same loop keeps ticking. On the loop, each check would stop it for a whole
    verification (about 0.1 to 0.3 s here); the bound is three quarters of one, measured first."""
    from api.staff.accounts import HASHER

    async def scenario(accounts, redis):
        await accounts.create("bert", PASSWORD, "agent")
        started = time.perf_counter()
        HASHER.hash(PASSWORD)
        one_hash = time.perf_counter() - started
        gaps, done = [], asyncio.Event()

        async def ticker():
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        results = await asyncio.gather(*(accounts.authenticate(f"bert{i}", "not the password") for i in range(4)))
        done.set()
        await ticking
        return one_hash, max(gaps), results

    one_hash, worst_gap, results = with_accounts(redis_server, scenario)
    assert results == [None] * 4
    assert worst_gap < one_hash * 0.75, (worst_gap, one_hash)
