"""The action server's one Redis client (a connection pool), for the hand-over queue and the
lookup throttle; None without REDIS_URL. Imported lazily: without Redis nothing imports redis."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from actions.settings import settings

if TYPE_CHECKING:
    from redis.asyncio import Redis


@lru_cache(maxsize=1)
def shared_redis() -> Redis[bytes] | None:
    url = settings().redis_url
    if not url:
        return None
    import redis.asyncio as aioredis

    return aioredis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
