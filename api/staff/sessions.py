"""Staff sessions: server-side in Redis, named by a random id in a ``__Host-`` cookie.

The cookie is Secure, HttpOnly, SameSite=Strict, Path=/ and has no Domain (what ``__Host-``
demands). A new id is minted at every login (no session fixation); Redis keeps only the id's
SHA-256, so a copy of Redis holds no usable cookie. A session ends after 30 minutes in which
the person did nothing, after 8 hours in all, or at logout, which deletes it on the server. Each
session has its own CSRF token: every state-changing request must echo it in ``X-CSRF-Token``.

Idle means the person did nothing, not that the browser sent nothing: the console refreshes the
queue and the open ticket every few seconds by itself, and if those refreshes counted, a console
left open on an unattended computer would stay logged in for the whole 8 hours. So ``get`` only
reads (and checks) a session; ``touch`` restarts its idle time, and the staff API calls it for
what a person does (api/routes/staff.py), never for the console's marked polls. The last action's
time is kept in the session (``active``) and the key's TTL is restarted with it, so Redis drops
an idle session by itself and the check does not depend on Redis's clock alone.

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
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from api.staff.accounts import ACCOUNT, Account
from wegwijs.handover.presence import Presence

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
    available: bool = False  # the console's switch: may users be queued for this member?

    def csrf_matches(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf.encode(), str(given).encode())


def session_key(session_id: str) -> str:
    return PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


def cookie_header(session_id: str) -> str:
    return f"{COOKIE}={session_id}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={ABSOLUTE_SECONDS}"


def expired_cookie_header() -> str:
    return f"{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"


# KEYS: the session. ARGV: "1" or "0". Only for a session that still exists.
_SET_AVAILABLE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'available', ARGV[1])
return 1
"""
# KEYS: the session. ARGV: now, the idle seconds. Only a session that still exists is touched (a
# logout at the same moment must not leave a stub behind).
_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'active', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


class SessionStore:
    def __init__(
        self,
        redis: Redis[bytes],
        clock: Callable[[], float] = time.time,
        idle_seconds: int = IDLE_SECONDS,
        presence: Presence | None = None,
    ) -> None:
        self._redis = redis
        self._clock = clock
        self.idle_seconds = idle_seconds
        self._presence = presence or Presence(redis, clock)
        self._touch = redis.register_script(_TOUCH)
        self._set_available = redis.register_script(_SET_AVAILABLE)

    async def start(self, account: Account, previous_id: str | None = None) -> tuple[str, StaffSession]:
        """A fresh session id for a login; the session the browser had before is ended."""
        if previous_id:
            await self.end(previous_id)
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        session = StaffSession(account.username, account.role, secrets.token_urlsafe(32), now, account.generation)
        key = session_key(session_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping={
                    "username": session.username,
                    "role": session.role,
                    "csrf": session.csrf,
                    "created": repr(now),
                    "active": repr(now),
                    "generation": session.generation,
                    "available": "0",
                },
            )
            pipe.expire(key, self.idle_seconds)
            await pipe.execute()
        return session_id, session

    async def get(self, session_id: str | None) -> StaffSession | None:
        """The live session for a cookie value; None when there is none, or when it has ended: idle
        too long, too old, or its account deleted or changed since the login. Reading a session
        does not restart its idle time (``touch`` does)."""
        if not session_id or len(session_id) > 128:
            return None
        key = session_key(session_id)
        raw = await self._redis.hgetall(key)
        if not raw:
            return None
        values = {k.decode(): v.decode() for k, v in raw.items()}
        if not {"username", "role", "csrf", "created", "active", "generation"} <= values.keys():
            await self._redis.delete(key)  # not a session this code made
            return None
        session = StaffSession(
            values["username"],
            values["role"],
            values["csrf"],
            float(values["created"]),
            values["generation"],
            values.get("available") == "1",
        )
        current = await self._redis.hget(ACCOUNT + session.username, "generation")
        now = self._clock()
        if (
            now - session.created > ABSOLUTE_SECONDS
            or now - float(values["active"]) >= self.idle_seconds
            or current is None
            or current.decode() != session.generation
        ):
            await self._ended(key, session)
            return None
        return session

    async def touch(self, session_id: str) -> None:
        """The person did something: their idle time starts again."""
        await self._touch(keys=[session_key(session_id)], args=[repr(self._clock()), self.idle_seconds])

    async def set_available(self, session_id: str, available: bool) -> bool:
        """Flip the session's "available" switch; False when the session has just ended."""
        return bool(await self._set_available(keys=[session_key(session_id)], args=["1" if available else "0"]))

    async def end(self, session_id: str) -> None:
        """Logout (or a new login in the same browser): the session is deleted on the server."""
        key = session_key(session_id)
        username, available = await self._redis.hmget(key, ["username", "available"])
        await self._ended(key, StaffSession((username or b"").decode(), "", "", 0.0, "", available == b"1"))

    async def _ended(self, key: str, session: StaffSession) -> None:
        await self._redis.delete(key)
        if session.available and session.username:
            await self._presence.gone(session.username)
