"""What hand-over shares in the gateway: accounts, sessions, the ticket queue, presence, the
audit log, transcripts and the outbox, all on the gateway's Redis. Without Redis there is no
staff side (nothing could survive a restart) and a request for a person gets the phone line."""

from __future__ import annotations

import os
from dataclasses import dataclass

from redis.asyncio import Redis

from api.outbox import Outbox
from api.staff.accounts import Accounts, staff_secret
from api.staff.audit import AuditLog
from api.staff.sessions import ABSOLUTE_SECONDS, IDLE_SECONDS, IDLE_SETTING, SessionStore
from api.transcripts import Transcripts
from wegwijs.handover.presence import AWAY_AFTER_SECONDS, Presence
from wegwijs.handover.tickets import TicketQueue


@dataclass
class Staff:
    redis: Redis[bytes]
    accounts: Accounts
    sessions: SessionStore
    tickets: TicketQueue
    audit: AuditLog
    presence: Presence
    transcripts: Transcripts
    outbox: Outbox
    # How long an available member counts as present after a real action: two minutes, never
    # longer than the session's idle time (a session that has timed out leaves nobody present).
    presence_seconds: int = AWAY_AFTER_SECONDS

    async def close(self) -> None:
        await self.redis.close()


PRESENCE_SETTING = "WEGWIJS_STAFF_PRESENCE_SECONDS"


def seconds_from_env(name: str, default: int, most: int) -> int:
    """A whole number of seconds from 1 to ``most`` from the environment, else ``default``. The
    staff timings can be shortened for a site (a shared office) or a test that watches them end."""
    given = os.environ.get(name, "").strip()
    if not given:
        return default
    if not given.isdigit() or not 1 <= int(given) <= most:
        raise ValueError(f"{name} must be a whole number of seconds from 1 to {most}")
    return int(given)


def open_staff(redis_url: str | None) -> Staff | None:
    if not redis_url:
        return None
    redis = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
    idle = seconds_from_env(IDLE_SETTING, IDLE_SECONDS, ABSOLUTE_SECONDS)
    presence = Presence(redis)
    return Staff(
        redis,
        Accounts(redis, staff_secret()),
        SessionStore(redis, idle_seconds=idle, presence=presence),
        TicketQueue(redis),
        AuditLog(redis),
        presence,
        Transcripts(redis),
        Outbox(redis),
        presence_seconds=min(idle, seconds_from_env(PRESENCE_SETTING, AWAY_AFTER_SECONDS, ABSOLUTE_SECONDS)),
    )
