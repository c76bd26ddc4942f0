"""The second factor against a real redis-server: TOTP codes from the adjacent steps are
accepted, each step once; a recovery code works once, even when sent twice at once; Redis keeps
the secret (it must be read) but only hashes of the recovery codes; the command prints the
enrolment once and reset-totp replaces it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pyotp
from redis.asyncio import Redis

from api.staff.accounts import ACCOUNT, Accounts
from api.staff.second_factor import ISSUER, RECOVERY_CODES
from tests.test_staff_api import enrolment_of

SECRET = b"test secret"
PASSWORD = "correct horse battery"
CLIENT = "keyed-hash-of-a-client"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # a step boundary: 1_800_000_000 / 30 is a whole number

    def __call__(self) -> float:
        return self.now


def with_anna(server, scenario):
    async def wrapped():
        redis, clock = Redis(host="127.0.0.1", port=server.port), Clock()
        accounts = Accounts(redis, SECRET, clock=clock)
        try:
            _, enrolment = await accounts.create("anna", PASSWORD, "agent")
            return await scenario(accounts, enrolment, redis, clock)
        finally:
            await redis.close()

    return asyncio.run(wrapped())


def test_codes_of_the_adjacent_steps_work_once_each(redis_server) -> None:
    async def scenario(accounts, enrolment, redis, clock):
        totp = pyotp.TOTP(enrolment.secret)

        async def login(at: float) -> bool:
            return await accounts.authenticate("anna", PASSWORD, totp.at(at), CLIENT) is not None

        clock.now += 15
        return {
            "two steps ago": await login(clock.now - 60),
            "two steps ahead": await login(clock.now + 60),
            "previous step": await login(clock.now - 30),
            "previous step again": await login(clock.now - 30),
            "this step": await login(clock.now),
            "this step again": await login(clock.now),
            "an earlier step after a later one": await login(clock.now - 30),
            "next step": await login(clock.now + 30),
        }

    assert with_anna(redis_server, scenario) == {
        "two steps ago": False,
        "two steps ahead": False,
        "previous step": True,
        "previous step again": False,
        "this step": True,
        "this step again": False,
        "an earlier step after a later one": False,
        "next step": True,
    }


def test_a_code_sent_twice_at_once_works_once(redis_server) -> None:
    async def scenario(accounts, enrolment, redis, clock):
        code = pyotp.TOTP(enrolment.secret).at(clock.now)
        recovery = enrolment.recovery_codes[0]
        totp_twice = await asyncio.gather(*(accounts.authenticate("anna", PASSWORD, code, f"c{n}") for n in range(2)))
        recovery_twice = await asyncio.gather(
            *(accounts.authenticate("anna", PASSWORD, recovery, f"c{n}") for n in range(2))
        )
        return [a is not None for a in totp_twice], [a is not None for a in recovery_twice]

    totp_twice, recovery_twice = with_anna(redis_server, scenario)
    assert sorted(totp_twice) == [False, True] and sorted(recovery_twice) == [False, True]


def test_recovery_codes_work_once_and_are_kept_only_as_hashes(redis_server) -> None:
    async def scenario(accounts, enrolment, redis, clock):
        stored = {k.decode(): v.decode() for k, v in (await redis.hgetall(ACCOUNT + "anna")).items()}
        first, second = enrolment.recovery_codes[:2]
        wrong_password = await accounts.authenticate("anna", "not the password", first, CLIENT)
        used = await accounts.authenticate("anna", PASSWORD, first, CLIENT)
        again = await accounts.authenticate("anna", PASSWORD, first, CLIENT)
        without_dashes = await accounts.authenticate("anna", PASSWORD, second.replace("-", ""), CLIENT)
        return stored, enrolment, wrong_password, used, again, without_dashes

    stored, enrolment, wrong_password, used, again, without_dashes = with_anna(redis_server, scenario)
    assert stored["totp"] == enrolment.secret, "the secret is kept: it must be read to check a code"
    assert len(enrolment.recovery_codes) == len(set(enrolment.recovery_codes)) == RECOVERY_CODES
    kept = " ".join(list(stored) + list(stored.values()))
    assert not any(code.replace("-", "") in kept.replace("-", "") for code in enrolment.recovery_codes)
    assert sum(field.startswith("recovery:") for field in stored) == RECOVERY_CODES
    assert wrong_password is None, "with a wrong password a recovery code is not used up..."
    assert used is not None, "...so it still works with the right one"
    assert again is None, "once"
    assert without_dashes is not None, "typed without its dashes"


def test_a_missing_or_malformed_code_is_a_failed_login(redis_server) -> None:
    async def scenario(accounts, enrolment, redis, clock):
        return [await accounts.authenticate("anna", PASSWORD, code, CLIENT) for code in ("", "12345", "abcdef", " ")]

    assert with_anna(redis_server, scenario) == [None] * 4


def test_the_command_enrols_once_and_reset_totp_replaces_it(redis_server) -> None:
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0", WEGWIJS_STAFF_SECRET="y" * 32)
    command = [sys.executable, "-m", "api.staff.accounts"]
    made = subprocess.run(
        command + ["create", "dana", "--role", "agent", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    first = enrolment_of(made.stdout)
    parsed = pyotp.parse_uri(first.uri)
    assert first.uri.startswith("otpauth://totp/") and parsed.issuer == ISSUER and parsed.name == "dana"
    assert len(first.recovery_codes) == RECOVERY_CODES

    reset = subprocess.run(command + ["reset-totp", "dana"], capture_output=True, text=True, env=env)
    assert reset.returncode == 0, reset.stderr
    second = enrolment_of(reset.stdout)
    assert second.secret != first.secret and not set(second.recovery_codes) & set(first.recovery_codes)
    missing = subprocess.run(command + ["reset-totp", "nobody"], capture_output=True, text=True, env=env)
    assert missing.returncode == 2 and "no account" in missing.stderr

    async def logins():
        redis = Redis(host="127.0.0.1", port=redis_server.port)
        accounts = Accounts(redis, b"y" * 32)
        try:
            return [
                await accounts.authenticate("dana", PASSWORD, code, CLIENT) is not None
                for code in (
                    pyotp.TOTP(first.secret).now(),
                    first.recovery_codes[0],
                    second.recovery_codes[0],
                    pyotp.TOTP(second.secret).now(),
                )
            ]
        finally:
            await redis.close()

    assert asyncio.run(logins()) == [False, False, True, True], "only the new secret and codes work"


def test_an_account_from_before_the_second_factor_logs_in_only_after_reset_totp(redis_server) -> None:
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0", WEGWIJS_STAFF_SECRET="z" * 32)
    command = [sys.executable, "-m", "api.staff.accounts"]
    from api.staff.accounts import HASHER

    async def old_account():
        redis = Redis(host="127.0.0.1", port=redis_server.port)
        await redis.hset(ACCOUNT + "erik", mapping={"hash": HASHER.hash(PASSWORD), "role": "agent", "created": "1.0"})
        accounts = Accounts(redis, b"z" * 32)
        refused = await accounts.authenticate("erik", PASSWORD, "123456", CLIENT)
        await redis.close()
        return refused

    assert asyncio.run(old_account()) is None, "no second factor, no login"
    listed = subprocess.run(command + ["list"], capture_output=True, text=True, env=env)
    assert listed.stdout.strip() == "erik\tagent\tno second factor: run reset-totp"
    enrolled = enrolment_of(
        subprocess.run(command + ["reset-totp", "erik"], capture_output=True, text=True, env=env).stdout
    )

    async def login():
        redis = Redis(host="127.0.0.1", port=redis_server.port)
        try:
            return await Accounts(redis, b"z" * 32).authenticate(
                "erik", PASSWORD, pyotp.TOTP(enrolled.secret).now(), CLIENT
            )
        finally:
            await redis.close()

    assert asyncio.run(login()) is not None
    assert subprocess.run(command + ["list"], capture_output=True, text=True, env=env).stdout.strip() == "erik\tagent"
