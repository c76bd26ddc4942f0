"""Staff accounts: created by a command, passwords hashed with argon2id, kept in Redis.

There is no default account and no password in the repository. A login does the same work
whether or not the account exists (a dummy hash is verified for unknown names), and failed
logins are counted per (account name, client) pair and, with a much higher ceiling, per name,
existing or not (api/staff/login_throttle.py), so the answer never tells which names exist and
a stranger cannot lock a staff member out of their own browser.

    python -m api.staff.accounts create anna --role agent     # asks for the password twice
    python -m api.staff.accounts create anna --role agent --password-stdin
    python -m api.staff.accounts delete anna
    python -m api.staff.accounts list
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from api.staff.login_throttle import LoginLimits, LoginThrottle

PREFIX = "wegwijs:staff:"
ACCOUNT = PREFIX + "account:"
Role = Literal["agent", "supervisor"]
ROLES = ("agent", "supervisor")
MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# A verification takes about 0.3 s of CPU. It runs in threads of its own (argon2's C code releases
# the GIL), so the gateway's event loop (every chat, every WhatsApp acknowledgement) is never
# blocked by a login; at most this many run at once, and a burst of logins queues in this pool
# instead of taking every core or the default pool's threads.
CONCURRENT_VERIFICATIONS = 2
_VERIFIERS = ThreadPoolExecutor(max_workers=CONCURRENT_VERIFICATIONS, thread_name_prefix="argon2")


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


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise AccountError("a username is 2-40 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return password


class Accounts:
    def __init__(self, redis: Redis, secret: bytes, limits: LoginLimits = LoginLimits(), clock=time.time) -> None:
        self._redis = redis
        self._throttle = LoginThrottle(redis, secret, limits, clock)

    async def create(self, username: str, password: str, role: str) -> Account:
        check_username(username)
        check_password(password)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        created = await self._redis.hsetnx(ACCOUNT + username, "hash", HASHER.hash(password))
        if not created:
            raise AccountError(f"an account named {username!r} exists already")
        await self._redis.hset(ACCOUNT + username, mapping={"role": role, "created": repr(time.time())})
        return Account(username, role)  # type: ignore[arg-type]

    async def delete(self, username: str) -> bool:
        return bool(await self._redis.delete(ACCOUNT + username))

    async def names(self) -> list[Account]:
        accounts = []
        async for key in self._redis.scan_iter(match=ACCOUNT + "*"):
            role = await self._redis.hget(key, "role")
            accounts.append(Account(key.decode()[len(ACCOUNT):], (role or b"agent").decode()))  # type: ignore[arg-type]
        return sorted(accounts, key=lambda a: a.username)

    async def get(self, username: str) -> Optional[Account]:
        role = await self._redis.hget(ACCOUNT + username, "role")
        return Account(username, role.decode()) if role else None  # type: ignore[arg-type]

    async def authenticate(self, username: str, password: str, client: str) -> Optional[Account]:
        """The account when name and password match and neither the (name, client) pair nor the
        name is locked; else None. ``client``: the keyed hash of the caller's address.

        Whatever the outcome, one attempt is reserved and one argon2 hash verified (a dummy one
        for unknown names), so a wrong password, an unknown name and a locked pair cost the same."""
        attempt = await self._throttle.reserve(username, client)
        stored = await self._redis.hget(ACCOUNT + username, "hash") if USERNAME.match(username) else None
        matched = await verify_password((stored or b"").decode() or DUMMY_HASH, password) and stored is not None
        if not (attempt.allowed and matched):
            return None
        await self._throttle.succeeded(attempt)
        role = await self._redis.hget(ACCOUNT + username, "role")
        return Account(username, (role or b"agent").decode())  # type: ignore[arg-type]


def staff_secret() -> bytes:
    """WEGWIJS_STAFF_SECRET from the environment, else from .env.local (made once)."""
    from scripts.secrets_file import load_local_secrets

    return (os.environ.get("WEGWIJS_STAFF_SECRET") or load_local_secrets()["WEGWIJS_STAFF_SECRET"]).encode()


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the two passwords differ")
    return first


async def command(args: argparse.Namespace) -> int:
    redis = Redis.from_url(os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{os.environ.get('WEGWIJS_REDIS_PORT', 6390)}/0")
    accounts = Accounts(redis, staff_secret())
    try:
        if args.action == "create":
            account = await accounts.create(args.username, read_password(args.password_stdin), args.role)
            print(f"created {account.role} {account.username}")
        elif args.action == "delete":
            print("deleted" if await accounts.delete(args.username) else "no such account")
        else:
            for account in await accounts.names():
                print(f"{account.username}\t{account.role}")
        return 0
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        await redis.close()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Manage staff accounts of the Wegwijs staff console.")
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="create an account; asks for its password")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    delete = sub.add_parser("delete", help="delete an account")
    delete.add_argument("username")
    sub.add_parser("list", help="list accounts and roles")
    return asyncio.run(command(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
