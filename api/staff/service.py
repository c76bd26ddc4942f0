"""What hand-over shares in the gateway: accounts, sessions, the ticket queue, presence, the
audit log, transcripts and the outbox, all on the gateway's Redis. Without Redis there is no
staff side (nothing could survive a restart) and a request for a person gets the phone line."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from redis.asyncio import Redis

from api.outbox import Outbox
from api.transcripts import Transcripts

from api.staff.accounts import Accounts, staff_secret
from api.staff.audit import AuditLog
from api.staff.sessions import SessionStore, idle_seconds_from_env
from wegwijs.handover.presence import Presence
from wegwijs.handover.tickets import TicketQueue


@dataclass
class Staff:
    redis: Redis
    accounts: Accounts
    sessions: SessionStore
    tickets: TicketQueue
    audit: AuditLog
    presence: Presence
    transcripts: Transcripts
    outbox: Outbox

    async def close(self) -> None:
        await self.redis.close()


def open_staff(redis_url: Optional[str]) -> Optional[Staff]:
    if not redis_url:
        return None
    redis = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
    return Staff(redis, Accounts(redis, staff_secret()), SessionStore(redis, idle_seconds=idle_seconds_from_env()),
                 TicketQueue(redis), AuditLog(redis),
                 Presence(redis), Transcripts(redis), Outbox(redis))
