"""Staff sessions: server-side in Redis, named by a random id in a ``__Host-`` cookie.

The cookie is Secure, HttpOnly, SameSite=Strict, Path=/ and has no Domain (what ``__Host-``
demands). A new id is minted at every login (no session fixation); Redis keeps only the id's
SHA-256, so a copy of Redis holds no usable cookie. A session ends after 30 minutes without a
request, after 8 hours in all, or at logout, which deletes it on the server. Each session has
its own CSRF token: every state-changing request must echo it in ``X-CSRF-Token``.

A session is bound to its account: it keeps the account's ``generation`` (api/staff/accounts.py)
and every ``get`` reads the account's current one (one HGET more). When the account was deleted,
its role changed or its second factor was reset, they differ and the session ends at that
request: a demoted supervisor or a dismissed agent keeps nothing an old login granted.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Optional

from redis.asyncio import Redis

from api.staff.accounts import ACCOUNT, Account

COOKIE = "__Host-wegwijs-staff"
CSRF_HEADER = "X-CSRF-Token"
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 8 * 3600
PREFIX = "wegwijs:staff:session:"


@dataclass(frozen=True)
class StaffSession:
    username: str
    role: str
    csrf: str
    created: float
    generation: str

    def csrf_matches(self, given: Optional[str]) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf.encode(), str(given).encode())


def session_key(session_id: str) -> str:
    return PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


def cookie_header(session_id: str) -> str:
    return f"{COOKIE}={session_id}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={ABSOLUTE_SECONDS}"


def expired_cookie_header() -> str:
    return f"{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"


class SessionStore:
    def __init__(self, redis: Redis, clock=time.time) -> None:
        self._redis = redis
        self._clock = clock

    async def start(self, account: Account, previous_id: Optional[str] = None) -> tuple[str, StaffSession]:
        """A fresh session id for a login; the session the browser had before is ended."""
        if previous_id:
            await self.end(previous_id)
        session_id = secrets.token_urlsafe(32)
        session = StaffSession(account.username, account.role, secrets.token_urlsafe(32), self._clock(),
                               account.generation)
        key = session_key(session_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"username": session.username, "role": session.role, "csrf": session.csrf,
                                    "created": repr(session.created), "generation": session.generation})
            pipe.expire(key, IDLE_SECONDS)
            await pipe.execute()
        return session_id, session

    async def get(self, session_id: Optional[str]) -> Optional[StaffSession]:
        """The live session for a cookie value, its idle time restarted; None when there is none,
        or when it has ended: too old, or its account deleted or changed since the login."""
        if not session_id or len(session_id) > 128:
            return None
        key = session_key(session_id)
        raw = await self._redis.hgetall(key)
        if not raw:
            return None
        values = {k.decode(): v.decode() for k, v in raw.items()}
        session = StaffSession(values["username"], values["role"], values["csrf"], float(values["created"]),
                               values.get("generation", ""))
        current = await self._redis.hget(ACCOUNT + session.username, "generation")
        if (self._clock() - session.created > ABSOLUTE_SECONDS or not session.generation
                or current is None or current.decode() != session.generation):
            await self._redis.delete(key)
            return None
        await self._redis.expire(key, IDLE_SECONDS)
        return session

    async def end(self, session_id: str) -> None:
        await self._redis.delete(session_key(session_id))
