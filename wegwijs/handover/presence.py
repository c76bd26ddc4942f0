"""Which staff members are at the console: a Redis sorted set of name -> last request time.

The staff API marks a member present on every authenticated request (the console polls the
queue every few seconds) and removes them at logout; a member unseen for two minutes is gone.
The action server asks before it queues anyone: nobody present means the phone line and the
offer of a call-back instead (actions/callback.py).
"""
from __future__ import annotations

import time

from redis.asyncio import Redis

ONLINE = "wegwijs:staff:online"
AWAY_AFTER_SECONDS = 120


class Presence:
    def __init__(self, redis: Redis, clock=time.time) -> None:
        self._redis = redis
        self._clock = clock

    async def seen(self, username: str) -> None:
        await self._redis.zadd(ONLINE, {username: self._clock()})

    async def gone(self, username: str) -> None:
        await self._redis.zrem(ONLINE, username)

    async def anyone(self) -> bool:
        since = self._clock() - AWAY_AFTER_SECONDS
        return await self._redis.zcount(ONLINE, since, "+inf") > 0
