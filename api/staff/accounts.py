"""Staff accounts: created by a command, passwords hashed with argon2id, a TOTP second factor
and recovery codes (api/staff/second_factor.py), kept in Redis.

There is no default account and no password in the repository. A login needs the password and a
code from the account's authenticator app (or one of its recovery codes). It does the same work
whether or not the account exists (a dummy hash and a dummy secret are checked for unknown
names), and failed logins are counted per (account name, client) pair and, with a much higher
ceiling, per name, existing or not (api/staff/login_throttle.py), so the answer never tells
which names exist and a stranger cannot lock a staff member out of their own browser.

    python -m api.staff.accounts create anna --role agent     # asks for the password twice
    python -m api.staff.accounts create anna --role agent --password-stdin
    python -m api.staff.accounts reset-totp anna              # a new secret and new recovery codes
    python -m api.staff.accounts set-role anna supervisor
    python -m api.staff.accounts set-languages anna nl en ar  # the languages anna speaks
    python -m api.staff.accounts set-languages anna           # no list: no preference
    python -m api.staff.accounts delete anna
    python -m api.staff.accounts list

``create`` and ``reset-totp`` print the otpauth:// URI, the secret and the recovery codes once.

An account is a hash ``wegwijs:staff:account:NAME``: ``hash`` (argon2id), ``role``, ``created``,
``totp`` (the secret), ``totp_step`` (the last step used), ``recovery:<sha256>`` per unused
recovery code, ``languages`` (the shipped languages the owner speaks, space-separated; none: no
preference, wegwijs/handover/skills.py), and ``generation``, a random token renewed whenever what a login proved or was
granted is withdrawn (a reset second factor, a changed role). Sessions carry the generation they
were started with and end at their next request once it differs (api/staff/sessions.py); a
deleted account has none, and one made again under the same name gets a new one. Such a change
also takes the member off the presence list at once, so nobody is queued for them meanwhile.
Changing the languages grants or withdraws nothing: sessions go on, and the queue's order and
the "nobody here speaks your language" message follow the new list at the next request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from api.staff.login_throttle import LoginLimits, LoginThrottle
from api.staff.second_factor import DUMMY_SECRET, Enrolment, enrol, read_code
from wegwijs.handover.presence import Presence
from wegwijs.handover.skills import (
    ACCOUNT as SKILLS_ACCOUNT,
    LANGUAGES_FIELD,
    UnknownLanguage,
    check_languages,
    parse_languages,
)
from wegwijs.languages import SHIPPED

PREFIX = "wegwijs:staff:"
ACCOUNT = PREFIX + "account:"
assert ACCOUNT == SKILLS_ACCOUNT, "wegwijs/handover/skills.py reads the languages from the same key"
Role = Literal["agent", "supervisor"]
ROLES = ("agent", "supervisor")
MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# A verification takes about 0.3 s of CPU, in as many threads as the hash's parallelism (4). It
# runs in a pool of its own (argon2's C code releases the GIL), so the gateway's event loop (every
# chat, every WhatsApp acknowledgement) is never blocked by a login, and one at a time, so a burst
# of logins queues here instead of taking every core. The pool's thread runs at the lowest CPU
# priority (nice 19; argon2's own threads inherit it): when chats and logins compete for the
# cores, the chats win, and a flood of logins only makes logins slower. Measured by `make bench`
# (20 clients sending wrong logins without pause).
CONCURRENT_VERIFICATIONS = 1
LOGIN_NICENESS = 19


def _lowest_priority() -> None:
    # Linux: a thread's own priority; elsewhere the call may not exist or may be refused.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOGIN_NICENESS)


_VERIFIERS = ThreadPoolExecutor(
    max_workers=CONCURRENT_VERIFICATIONS, thread_name_prefix="argon2", initializer=_lowest_priority
)


async def verify_password(stored_hash: str, password: str) -> bool:
    """argon2's verify, off the event loop; False for a wrong password or an unreadable hash."""
    try:
        return await asyncio.get_running_loop().run_in_executor(_VERIFIERS, HASHER.verify, stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


DUMMY_HASH = HASHER.hash("not a password of anyone: equalises the work for unknown names")


class AccountError(ValueError):
    """A request the command refuses, with the reason to show."""


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    generation: str = ""
    languages: tuple[str, ...] = ()  # the shipped languages the owner speaks; none: no preference


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise AccountError(
            "a username is 2-40 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return password


def new_generation() -> str:
    return secrets.token_hex(16)


# KEYS: the account. ARGV: its fields and values. Made whole or not at all.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""
# KEYS: the account. ARGV: the new secret's fields (secret, recovery codes, generation). The old
# recovery codes and the last used step go; nothing is made for an account that does not exist.
_REPLACE_FACTOR = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 9) == 'recovery:' then redis.call('HDEL', KEYS[1], field) end
end
redis.call('HDEL', KEYS[1], 'totp_step')
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""
# KEYS: the account. ARGV: the languages, space-separated ('' clears the list). 0: no such account.
_SET_LANGUAGES = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], 'languages')
else
  redis.call('HSET', KEYS[1], 'languages', ARGV[1])
end
return 1
"""
# KEYS: the account. ARGV: the new role, a new generation. -1: no such account; 0: no change.
_SET_ROLE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'role') == ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'role', ARGV[1], 'generation', ARGV[2])
return 1
"""
# Use up a login's second factor, atomically, so a code works once even when sent twice at once.
# Run for every login, passed or not (ARGV[1] = 0), so that every login costs the same round trip.
# KEYS: the account. ARGV: go on (1/0), the generation the login read, "totp" or "recovery", the
# step or the recovery code's field. Refused when the account changed since it was read.
_USE_FACTOR = """
if ARGV[1] ~= '1' then return 0 end
if redis.call('HGET', KEYS[1], 'generation') ~= ARGV[2] then return 0 end
if ARGV[3] == 'totp' then
  if tonumber(ARGV[4]) <= tonumber(redis.call('HGET', KEYS[1], 'totp_step') or '-1') then return 0 end
  redis.call('HSET', KEYS[1], 'totp_step', ARGV[4])
  return 1
end
return redis.call('HDEL', KEYS[1], ARGV[4])
"""
LOGIN_FIELDS = ("hash", "totp", "role", "generation")


class Accounts:
    def __init__(
        self,
        redis: Redis[bytes],
        secret: bytes,
        limits: LoginLimits = LoginLimits(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._presence = Presence(redis)
        self._throttle = LoginThrottle(redis, secret, limits, clock)
        self._create = redis.register_script(_CREATE)
        self._replace_factor = redis.register_script(_REPLACE_FACTOR)
        self._use_factor = redis.register_script(_USE_FACTOR)
        self._set_role = redis.register_script(_SET_ROLE)
        self._set_languages = redis.register_script(_SET_LANGUAGES)

    async def create(self, username: str, password: str, role: str) -> tuple[Account, Enrolment]:
        check_username(username)
        check_password(password)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        enrolment = enrol(username)
        account = Account(username, role, new_generation())  # type: ignore[arg-type]
        fields = {
            "hash": HASHER.hash(password),
            "role": role,
            "created": repr(time.time()),
            "generation": account.generation,
            **enrolment.fields(),
        }
        if not await self._create(keys=[ACCOUNT + username], args=[x for pair in fields.items() for x in pair]):
            raise AccountError(f"an account named {username!r} exists already")
        return account, enrolment

    async def reset_second_factor(self, username: str) -> Enrolment:
        """A new TOTP secret and new recovery codes; the old ones stop working at once."""
        enrolment = enrol(username)
        fields = {**enrolment.fields(), "generation": new_generation()}
        if not await self._replace_factor(keys=[ACCOUNT + username], args=[x for pair in fields.items() for x in pair]):
            raise AccountError(f"no account named {username!r}")
        await self._presence.gone(username)
        return enrolment

    async def set_role(self, username: str, role: str) -> bool:
        """Change the role; True when it changed (the account's sessions then end), False when it
        was that role already."""
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        changed = int(await self._set_role(keys=[ACCOUNT + username], args=[role, new_generation()]))
        if changed < 0:
            raise AccountError(f"no account named {username!r}")
        if changed:
            await self._presence.gone(username)
        return bool(changed)

    async def set_languages(self, username: str, codes: list[str]) -> tuple[str, ...]:
        """Replace the languages the owner speaks (shipped codes only; none clears the list).
        Sessions go on: a language list grants nothing."""
        try:
            languages = check_languages(codes)
        except UnknownLanguage as error:
            raise AccountError(str(error)) from None
        if not await self._set_languages(keys=[ACCOUNT + username], args=[" ".join(languages)]):
            raise AccountError(f"no account named {username!r}")
        return languages

    async def languages(self, username: str) -> tuple[str, ...]:
        return parse_languages(await self._redis.hget(ACCOUNT + username, LANGUAGES_FIELD))

    async def delete(self, username: str) -> bool:
        deleted = bool(await self._redis.delete(ACCOUNT + username))
        await self._presence.gone(username)
        return deleted

    async def names(self) -> list[Account]:
        accounts = []
        async for key in self._redis.scan_iter(match=ACCOUNT + "*"):
            role, languages = await self._redis.hmget(key, ["role", LANGUAGES_FIELD])
            name = key.decode()[len(ACCOUNT) :]
            accounts.append(Account(name, (role or b"agent").decode(), languages=parse_languages(languages)))  # type: ignore[arg-type]
        return sorted(accounts, key=lambda a: a.username)

    async def has_second_factor(self, username: str) -> bool:
        return bool(await self._redis.hexists(ACCOUNT + username, "totp"))

    async def get(self, username: str) -> Account | None:
        role, generation = await self._redis.hmget(ACCOUNT + username, ["role", "generation"])
        return Account(username, role.decode(), (generation or b"").decode()) if role else None  # type: ignore[arg-type]

    async def authenticate(self, username: str, password: str, code: str, client: str) -> Account | None:
        """The account when name, password and code match and neither the (name, client) pair nor
        the name is locked; else None. ``code``: a TOTP code or an unused recovery code, used up
        here; ``client``: the keyed hash of the caller's address.

        Whatever the outcome, the same steps run: one attempt reserved, the account read, one
        argon2 hash verified and one code checked (dummies for unknown names), and one attempt to
        use up the code, so a wrong password, a wrong code, an unknown name and a locked pair
        cost the same."""
        attempt = await self._throttle.reserve(username, client)
        key = ACCOUNT + username
        stored = {
            name: (value or b"").decode()
            for name, value in zip(LOGIN_FIELDS, await self._redis.hmget(key, LOGIN_FIELDS), strict=True)
        }
        exists = bool(USERNAME.match(username) and stored["hash"] and stored["totp"] and stored["generation"])
        password_ok = await verify_password(stored["hash"] or DUMMY_HASH, password)
        proof = read_code(code, stored["totp"] or DUMMY_SECRET, self._clock())
        go_on = attempt.allowed and exists and password_ok and proof is not None
        used = await self._use_factor(
            keys=[key],
            args=[int(go_on), stored["generation"], proof.kind if proof else "", proof.value if proof else ""],
        )
        if not (go_on and int(used)):
            return None
        await self._throttle.succeeded(attempt)
        return Account(username, stored["role"] or "agent", stored["generation"])  # type: ignore[arg-type]


def staff_secret() -> bytes:
    """WEGWIJS_STAFF_SECRET from the environment, else from .env.local (made once)."""
    from wegwijs.secrets_file import load_local_secrets

    return (os.environ.get("WEGWIJS_STAFF_SECRET") or load_local_secrets()["WEGWIJS_STAFF_SECRET"]).encode()


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def show_enrolment(enrolment: Enrolment) -> None:
    """Print the second factor, the one time it is shown: the URI for an app (or a QR code made
    from it), the secret to type in by hand, and the recovery codes."""
    grouped = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    print("Second factor: add it to an authenticator app now; it is shown only this once.")
    print(f"provisioning URI: {enrolment.uri}")
    print(f"secret (to type in instead): {grouped}")
    print("recovery codes (each works once instead of an app code; keep them offline):")
    for code in enrolment.recovery_codes:
        print(f"  {code}")


async def command(args: argparse.Namespace) -> int:
    redis = Redis.from_url(
        os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{os.environ.get('WEGWIJS_REDIS_PORT', 6390)}/0"
    )
    accounts = Accounts(redis, staff_secret())
    try:
        if args.action == "create":
            account, enrolment = await accounts.create(args.username, read_password(args.password_stdin), args.role)
            print(f"created {account.role} {account.username}")
            show_enrolment(enrolment)
        elif args.action == "reset-totp":
            enrolment = await accounts.reset_second_factor(args.username)
            print(
                f"new second factor for {args.username}; the old one and its recovery codes no longer work, "
                "and their sessions have ended"
            )
            show_enrolment(enrolment)
        elif args.action == "set-role":
            changed = await accounts.set_role(args.username, args.role)
            print(
                f"{args.username} is now {args.role}; their sessions have ended"
                if changed
                else f"{args.username} is {args.role} already"
            )
        elif args.action == "set-languages":
            languages = await accounts.set_languages(args.username, args.languages)
            print(
                f"{args.username} speaks {' '.join(languages)}"
                if languages
                else f"{args.username} lists no languages: no preference, the queue in its plain order"
            )
        elif args.action == "delete":
            print("deleted; their sessions have ended" if await accounts.delete(args.username) else "no such account")
        else:
            for account in await accounts.names():
                # An account made before the second factor existed cannot log in until it has one.
                missing = (
                    "" if await accounts.has_second_factor(account.username) else "\tno second factor: run reset-totp"
                )
                spoken = f"\tspeaks {' '.join(account.languages)}" if account.languages else ""
                print(f"{account.username}\t{account.role}{spoken}{missing}")
        return 0
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        await redis.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage staff accounts of the Wegwijs staff console.")
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="create an account; asks for its password")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    reset = sub.add_parser(
        "reset-totp", help="a new TOTP secret and new recovery codes (a lost phone); its sessions end"
    )
    reset.add_argument("username")
    set_role = sub.add_parser("set-role", help="change an account's role; its sessions end")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=ROLES)
    set_languages = sub.add_parser(
        "set-languages",
        help=f"the languages the account's owner speaks ({', '.join(SHIPPED)}); none clears the list",
    )
    set_languages.add_argument("username")
    set_languages.add_argument("languages", nargs="*", metavar="LANGUAGE")
    delete = sub.add_parser("delete", help="delete an account; its sessions end")
    delete.add_argument("username")
    sub.add_parser("list", help="list accounts, roles and languages, and those without a second factor")
    return asyncio.run(command(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
