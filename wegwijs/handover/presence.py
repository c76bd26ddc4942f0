"""Who can take a conversation now: a Redis sorted set of staff name -> until when they count.

A member counts as present only while both hold:
- they switched the console's "available" switch on (kept in their session: it is off after
  login, and logout or the session's end takes it away), and
- they did something real at the console within the last two minutes: an action, or the
  console's note that they are typing or moving the mouse, never its automatic polls.

The gateway's staff API writes this (api/routes/staff.py): each real action of an available
member moves their "until" two minutes on (never past the session's own idle end); switching off,
logging out and a session's end remove them. The set is pruned of lapsed names whenever someone is
seen, so it never holds more than the members present in the last two minutes.

The action server asks ``anyone()`` before it queues anyone (actions/handover.py): nobody
present means the phone line and the offer of a call-back instead (actions/callback.py), so no
user waits in a queue that nobody is watching.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis

ONLINE = "wegwijs:staff:online"
AWAY_AFTER_SECONDS = 120


class Presence:
    def __init__(self, redis: Redis[bytes], clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock

    async def seen(self, username: str, for_seconds: float = AWAY_AFTER_SECONDS) -> None:
        """An available member did something real: they count for the next ``for_seconds``."""
        now = self._clock()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(ONLINE, {username: now + for_seconds})
            pipe.zremrangebyscore(ONLINE, "-inf", now)
            await pipe.execute()

    async def gone(self, username: str) -> None:
        await self._redis.zrem(ONLINE, username)

    async def anyone(self) -> bool:
        return await self._redis.zcount(ONLINE, f"({self._clock()}", "+inf") > 0

    async def present(self) -> list[str]:
        """The names of the members present now (wegwijs/handover/skills.py asks their languages)."""
        return [name.decode() for name in await self._redis.zrangebyscore(ONLINE, f"({self._clock()}", "+inf")]
