"""What hand-over shares in the gateway: accounts, sessions, the ticket queue, presence, the
audit log, transcripts and the outbox, all on the gateway's Redis. Without Redis there is no
staff side (nothing could survive a restart) and a request for a person gets the phone line."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from api.outbox import Outbox
from api.settings import Settings
from api.staff.accounts import Accounts
from api.staff.audit import AuditLog
from api.staff.sessions import SessionStore
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


def open_staff(redis: Redis[bytes] | None, settings: Settings) -> Staff | None:
    """The staff side on the gateway's one Redis client; None without Redis."""
    if redis is None:
        return None
    presence = Presence(redis)
    idle = settings.staff_idle_seconds
    return Staff(
        redis,
        Accounts(redis, settings.staff_secret),
        SessionStore(redis, idle_seconds=idle, presence=presence),
        TicketQueue(redis),
        AuditLog(redis),
        presence,
        Transcripts(redis),
        Outbox(redis),
        presence_seconds=min(idle, settings.staff_presence_seconds),
    )
