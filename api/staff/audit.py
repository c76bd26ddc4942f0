"""The audit log of staff actions: a Redis stream, one entry per action, no personal data
(who did what to which ticket, and how it ended; never message texts or phone numbers)."""

from __future__ import annotations

import time
from typing import TypedDict

from redis.asyncio import Redis

from wegwijs.retention import min_stream_id, retention

STREAM = "wegwijs:staff:audit"
KEEP = retention()  # entries older than the audit retention are trimmed at every write


class AuditEntry(TypedDict):
    """One entry of the stream: no message text, no number, no conversation id."""

    at: str  # epoch seconds, as repr(float)
    staff: str  # the member's login name, or "-" (a refused login, the gateway itself)
    action: str  # login, logout, availability, view, claim, reply, close, stranded, erase
    ticket: str  # the ticket id, or empty
    outcome: str


class AuditLog:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def write(self, staff: str, action: str, outcome: str, ticket: str = "") -> None:
        entry: AuditEntry = {
            "at": repr(time.time()),
            "staff": staff,
            "action": action,
            "ticket": ticket,
            "outcome": outcome,
        }
        await self._redis.xadd(
            STREAM, dict(entry), minid=min_stream_id(time.time(), KEEP.audit_seconds), approximate=True
        )

    async def latest(self, count: int = 100) -> list[AuditEntry]:
        entries = await self._redis.xrevrange(STREAM, count=count)
        return [read_entry(fields) for _, fields in entries]


def read_entry(fields: dict[bytes, bytes]) -> AuditEntry:
    values = {k.decode(): v.decode() for k, v in fields.items()}
    return {
        "at": values.get("at", ""),
        "staff": values.get("staff", ""),
        "action": values.get("action", ""),
        "ticket": values.get("ticket", ""),
        "outcome": values.get("outcome", ""),
    }
