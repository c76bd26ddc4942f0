"""Failed case lookups, counted in Redis, and the locks they lead to.

A date of birth has only some 36,500 plausible values, so the reference and this throttle carry
the security of the lookup:
- 5 failures in 15 minutes in one conversation lock that conversation's lookups for 15 minutes;
- 5 failures for one reference within 24 hours (from any number of conversations) lock that
  reference's lookups by chat for 24 hours.
Keys hold an HMAC of the reference and the conversation id, never the values themselves, so
Redis holds no case references. Failures are sliding windows (sorted sets of timestamps).

Without Redis (``make run`` on a machine with none) the same rules run in this process.
"""
from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Optional, Protocol


@dataclass(frozen=True)
class Rule:
    scope: str
    failures: int
    window_seconds: int
    lock_seconds: int


CONVERSATION = Rule("conversation", 5, 15 * 60, 15 * 60)
REFERENCE = Rule("reference", 5, 24 * 3600, 24 * 3600)
PREFIX = "wegwijs:lookup"


class Throttle(Protocol):
    async def locked(self, conversation: str, reference: str) -> bool: ...
    async def conversation_locked(self, conversation: str) -> bool: ...
    async def fail(self, conversation: str, reference: str) -> None: ...


def _digest(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _keys(secret: bytes, conversation: str, reference: str) -> list[tuple[Rule, str]]:
    return [(CONVERSATION, _digest(secret, f"conversation:{conversation}")),
            (REFERENCE, _digest(secret, f"reference:{reference}"))]


# One round trip per rule that records a failure and locks at the threshold: every failure costs
# the same commands whether or not it locks, so timing tells nothing.
_RECORD_FAILURE = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1] - ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[5])
end
return 0
"""


class RedisThrottle:
    def __init__(self, redis, secret: bytes) -> None:  # redis: redis.asyncio.Redis
        self._redis = redis
        self._secret = secret
        self._record = redis.register_script(_RECORD_FAILURE)

    async def locked(self, conversation: str, reference: str) -> bool:
        keys = [f"{PREFIX}:lock:{rule.scope}:{key}" for rule, key in _keys(self._secret, conversation, reference)]
        return any(await self._redis.mget(keys))

    async def conversation_locked(self, conversation: str) -> bool:
        """Whether this conversation's own failures have locked its lookups. It depends on nothing
        but what this conversation tried, so saying so tells nobody which references exist."""
        key = _digest(self._secret, f"conversation:{conversation}")
        return bool(await self._redis.exists(f"{PREFIX}:lock:{CONVERSATION.scope}:{key}"))

    async def fail(self, conversation: str, reference: str) -> None:
        now = time.time()
        for rule, key in _keys(self._secret, conversation, reference):
            await self._record(
                keys=[f"{PREFIX}:fail:{rule.scope}:{key}", f"{PREFIX}:lock:{rule.scope}:{key}"],
                args=[now, uuid.uuid4().hex, rule.window_seconds, rule.failures, rule.lock_seconds],
            )


class MemoryThrottle:
    """The same rules in this process's memory, for a stack without Redis."""

    def __init__(self, secret: bytes, clock=time.time) -> None:
        self._secret = secret
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._locks: dict[str, float] = {}

    async def locked(self, conversation: str, reference: str) -> bool:
        now = self._clock()
        return any(self._locks.get(key, 0) > now for _, key in _keys(self._secret, conversation, reference))

    async def conversation_locked(self, conversation: str) -> bool:
        return self._locks.get(_digest(self._secret, f"conversation:{conversation}"), 0) > self._clock()

    async def fail(self, conversation: str, reference: str) -> None:
        now = self._clock()
        for rule, key in _keys(self._secret, conversation, reference):
            recent = [t for t in self._failures.get(key, []) if t > now - rule.window_seconds] + [now]
            self._failures[key] = recent
            if len(recent) >= rule.failures:
                self._locks[key] = now + rule.lock_seconds


def throttle_from_env(redis_url: Optional[str], secret: bytes) -> Throttle:
    if redis_url:
        import redis.asyncio as aioredis
        return RedisThrottle(aioredis.from_url(redis_url), secret)
    return MemoryThrottle(secret)
