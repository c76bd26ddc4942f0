"""Staff accounts against a real redis-server: argon2id hashes, the password rule, the command,
and logins that cost the same whether the name is unknown, the password wrong or the pair locked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pyotp
import pytest
from redis.asyncio import Redis

import api.staff.accounts as accounts_module
from api.staff.accounts import ACCOUNT, AccountError, Accounts
from api.staff.login_throttle import LoginLimits

SECRET = b"test secret"
PASSWORD = "correct horse battery"
CLIENT = "keyed-hash-of-a-client"


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
        _, enrolment = await accounts.create("anna", PASSWORD, "agent")
        stored = (await redis.hget(ACCOUNT + "anna", "hash")).decode()
        code = pyotp.TOTP(enrolment.secret).now()
        return (
            stored,
            await accounts.authenticate("anna", "wrong password!!", code, CLIENT),
            await accounts.authenticate("anna", PASSWORD, code, CLIENT),
        )

    stored, bad, good = with_accounts(redis_server, scenario)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert good and good.role == "agent" and bad is None


@pytest.mark.parametrize(
    "username, password, role, message",
    [
        ("anna", "short", "agent", "at least 12"),
        ("Anna Smith", PASSWORD, "agent", "username"),
        ("anna", PASSWORD, "admin", "role must be"),
    ],
)
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
        _, enrolment = await accounts.create("anna", PASSWORD, "supervisor")
        code = pyotp.TOTP(enrolment.secret).now()
        for _ in range(LoginLimits().failures):
            await accounts.authenticate("anna", "not the password", code, CLIENT)
            await accounts.authenticate("nobody", "not the password", code, CLIENT)
        locked = await accounts.authenticate("anna", PASSWORD, code, CLIENT)
        keys = [key.decode() async for key in redis.scan_iter(match="wegwijs:staff:login-*")]
        return locked, keys

    locked, keys = with_accounts(redis_server, scenario)
    assert locked is None, "the right password is refused while the pair is locked"
    assert len(keys) == 4, "a pair and a name counter for each name, existing or not"
    assert not any(part in key for key in keys for part in ("anna", "nobody", CLIENT)), keys


def test_unknown_names_wrong_passwords_and_locked_pairs_cost_the_same(redis_server, monkeypatch) -> None:
    """Each costs one argon2 verification (counted), and about the same time (medians); a right
    password with a wrong code too."""
    verifications = []
    real_verify = accounts_module.verify_password

    async def counted(stored_hash: str, password: str) -> bool:
        verifications.append(stored_hash)
        return await real_verify(stored_hash, password)

    monkeypatch.setattr(accounts_module, "verify_password", counted)

    async def scenario(accounts, redis):
        _, enrolment = await accounts.create("anna", PASSWORD, "agent")
        totp = pyotp.TOTP(enrolment.secret)
        for _ in range(LoginLimits().failures):
            await accounts.authenticate("anna", "not the password", totp.now(), "locked-client")
        kinds = {
            "wrong": ("anna", "not the password", None),
            "unknown": (None, "not the password", None),
            "locked": ("anna", PASSWORD, None),
            "wrong code": ("anna", PASSWORD, "wrong"),
        }
        timings, counts = {kind: [] for kind in kinds}, {kind: [] for kind in kinds}
        for n in range(12):
            for kind, (name, password, code) in kinds.items():
                right = totp.now()
                code = f"{(int(right) + 500_000) % 1_000_000:06d}" if code == "wrong" else right
                client = "locked-client" if kind == "locked" else f"client{n}"
                before = len(verifications)
                started = time.perf_counter()
                answer = await accounts.authenticate(name or f"ghost{n}", password, code, client)
                timings[kind].append(time.perf_counter() - started)
                counts[kind].append(len(verifications) - before)
                assert answer is None, kind
        return {kind: sorted(values)[len(values) // 2] for kind, values in timings.items()}, counts

    medians, counts = with_accounts(redis_server, scenario)
    assert all(values == [1] * 12 for values in counts.values()), counts  # one argon2 check each
    assert max(medians.values()) - min(medians.values()) < 0.5 * max(medians.values()), medians


def test_the_command_creates_an_account_without_echoing_the_password(redis_server) -> None:
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0", WEGWIJS_STAFF_SECRET="x" * 32)
    made = subprocess.run(
        [sys.executable, "-m", "api.staff.accounts", "create", "bram", "--role", "supervisor", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert made.returncode == 0 and made.stdout.splitlines()[0] == "created supervisor bram"
    assert PASSWORD not in made.stdout + made.stderr
    short = subprocess.run(
        [sys.executable, "-m", "api.staff.accounts", "create", "cleo", "--role", "agent", "--password-stdin"],
        input="tooshort\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert short.returncode == 2 and "at least 12 characters" in short.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "api.staff.accounts", "list"], capture_output=True, text=True, env=env
    )
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
        results = await asyncio.gather(
            *(accounts.authenticate(f"bert{i}", "not the password", "123456", CLIENT) for i in range(4))
        )
        done.set()
        await ticking
        return one_hash, max(gaps), results

    one_hash, worst_gap, results = with_accounts(redis_server, scenario)
    assert results == [None] * 4
    assert worst_gap < one_hash * 0.75, (worst_gap, one_hash)


def test_password_checks_run_one_at_a_time_at_the_lowest_cpu_priority() -> None:
    """A flood of logins must not slow the chats down: argon2 runs in one thread of its own pool,
    at nice 19 (its own threads inherit it), so chat work wins the cores."""
    import asyncio
    import threading

    from api.staff import accounts

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    async def in_pool() -> int:
        return await asyncio.get_running_loop().run_in_executor(accounts._VERIFIERS, niceness)

    assert accounts.CONCURRENT_VERIFICATIONS == 1 and accounts._VERIFIERS._max_workers == 1
    assert asyncio.run(in_pool()) == accounts.LOGIN_NICENESS == 19
