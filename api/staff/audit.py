"""The audit log of staff actions: a Redis stream, one entry per action, no personal data
(who did what to which ticket, and how it ended; never message texts or phone numbers)."""
from __future__ import annotations

import time

from redis.asyncio import Redis

from wegwijs.retention import min_stream_id, retention

STREAM = "wegwijs:staff:audit"
KEEP = retention()  # entries older than the audit retention are trimmed at every write


class AuditLog:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def write(self, staff: str, action: str, outcome: str, ticket: str = "") -> None:
        await self._redis.xadd(STREAM, {"at": repr(time.time()), "staff": staff, "action": action,
                                        "ticket": ticket, "outcome": outcome},
                               minid=min_stream_id(time.time(), KEEP.audit_seconds), approximate=True)

    async def latest(self, count: int = 100) -> list[dict[str, str]]:
        entries = await self._redis.xrevrange(STREAM, count=count)
        return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]
