"""Failed case lookups, counted in Redis, and the locks they lead to.

A date of birth has only some 36,500 plausible values, so the reference and this throttle carry
the security of the lookup:
- 5 failures in 15 minutes in one conversation lock that conversation's lookups for 15 minutes;
- 5 failures for one reference within 24 hours (from any number of conversations) lock that
  reference's lookups by chat for 24 hours.
Keys hold an HMAC of the reference and the conversation id, never the values themselves, so
Redis holds no case references. Attempts are sliding windows (sorted sets of timestamps). Each
attempt is reserved before the lookup, in one Lua script for both rules (``reserve``): refused
when a lock is set or the rule's limit of recent attempts is reached, and counted either way, so
20 attempts sent at once count as 20. A failed attempt stays counted and locks at the limit
(``failed``); one that matched is taken back (``succeeded``), so four wrong tries and then the
right one still succeed.

Without Redis (``make run`` on a machine with none) the same rules run in this process.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the action server imports redis only when REDIS_URL is set
    from redis.asyncio import Redis


@dataclass(frozen=True)
class Rule:
    scope: str
    failures: int
    window_seconds: int
    lock_seconds: int


CONVERSATION = Rule("conversation", 5, 15 * 60, 15 * 60)
REFERENCE = Rule("reference", 5, 24 * 3600, 24 * 3600)
# Per client address (a keyed hash the gateway passes): many people may share one address (a
# reception centre's network), so its limit is higher; it stops one machine from trying references
# in conversation after conversation. Its count is WEGWIJS_LOOKUP_LIMIT_CLIENT (actions/settings.py).
CLIENT = Rule("client", 20, 3600, 3600)
PREFIX = "wegwijs:lookup"


@dataclass(frozen=True)
class Attempt:
    """One reserved lookup attempt: ``allowed`` when no lock applied and no rule's limit of
    recent attempts was reached when it was reserved."""

    conversation: str
    reference: str
    token: str
    allowed: bool
    client: str | None = None


class Throttle(Protocol):
    async def reserve(self, conversation: str, reference: str, client: str | None = None) -> Attempt: ...
    async def failed(self, attempt: Attempt) -> None: ...
    async def succeeded(self, attempt: Attempt) -> None: ...
    async def conversation_locked(self, conversation: str) -> bool: ...


def _digest(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _keys(
    secret: bytes, conversation: str, reference: str, client: str | None = None, client_rule: Rule = CLIENT
) -> list[tuple[Rule, str]]:
    keys = [
        (CONVERSATION, _digest(secret, f"conversation:{conversation}")),
        (REFERENCE, _digest(secret, f"reference:{reference}")),
    ]
    return keys + [(client_rule, _digest(secret, f"client:{client}"))] if client else keys


def _attempt_keys(secret: bytes, attempt: Attempt, client_rule: Rule) -> list[tuple[Rule, str]]:
    return _keys(secret, attempt.conversation, attempt.reference, attempt.client, client_rule)


# Every attempt is counted *before* the lookup, in one atomic step per attempt for both rules, so
# that N attempts sent at once count as N: an attempt is allowed only when no lock is set and
# fewer than the limit of attempts are recent, for every rule. KEYS: per rule, its attempts
# (sorted set of timestamps) and its lock. ARGV: now, token, then per rule window and limit.
_RESERVE = """
local allowed = 1
for i = 0, #KEYS / 2 - 1 do
  local attempts, lock = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local window, limit = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', attempts, 0, ARGV[1] - window)
  if redis.call('EXISTS', lock) == 1 or redis.call('ZCARD', attempts) >= limit then allowed = 0 end
  redis.call('ZADD', attempts, ARGV[1], ARGV[2])
  redis.call('EXPIRE', attempts, window)
end
return allowed
"""
# A failed attempt stays counted; at the limit it locks. The same commands whether or not it
# locks, so timing tells nothing. ARGV: per rule limit and lock seconds.
_FAILED = """
for i = 0, #KEYS / 2 - 1 do
  if redis.call('ZCARD', KEYS[2 * i + 1]) >= tonumber(ARGV[1 + 2 * i]) then
    redis.call('SET', KEYS[2 * i + 2], '1', 'EX', ARGV[2 + 2 * i])
  end
end
return 0
"""


class RedisThrottle:
    def __init__(self, redis: Redis[bytes], secret: bytes, client_rule: Rule = CLIENT) -> None:
        self._client_rule = client_rule
        self._redis = redis
        self._secret = secret
        self._reserve = redis.register_script(_RESERVE)
        self._failed = redis.register_script(_FAILED)

    def _rules(self, attempt: Attempt) -> tuple[list[Rule], list[str]]:
        rules, keys = [], []
        for rule, key in _keys(
            self._secret, attempt.conversation, attempt.reference, attempt.client, self._client_rule
        ):
            rules.append(rule)
            keys += [f"{PREFIX}:fail:{rule.scope}:{key}", f"{PREFIX}:lock:{rule.scope}:{key}"]
        return rules, keys

    async def reserve(self, conversation: str, reference: str, client: str | None = None) -> Attempt:
        token = uuid.uuid4().hex
        rules, keys = self._rules(Attempt(conversation, reference, token, False, client))
        allowed = await self._reserve(
            keys=keys, args=[time.time(), token, *[n for rule in rules for n in (rule.window_seconds, rule.failures)]]
        )
        return Attempt(conversation, reference, token, bool(int(allowed)), client)

    async def failed(self, attempt: Attempt) -> None:
        rules, keys = self._rules(attempt)
        await self._failed(keys=keys, args=[n for rule in rules for n in (rule.failures, rule.lock_seconds)])

    async def succeeded(self, attempt: Attempt) -> None:
        """A lookup that matched does not count against anyone."""
        _, keys = self._rules(attempt)
        async with self._redis.pipeline(transaction=True) as pipe:
            for attempts in keys[::2]:
                pipe.zrem(attempts, attempt.token)
            await pipe.execute()

    async def conversation_locked(self, conversation: str) -> bool:
        """Whether this conversation's own failures have locked its lookups. It depends on nothing
        but what this conversation tried, so saying so tells nobody which references exist."""
        key = _digest(self._secret, f"conversation:{conversation}")
        return bool(await self._redis.exists(f"{PREFIX}:lock:{CONVERSATION.scope}:{key}"))


class MemoryThrottle:
    """The same rules in this process's memory, for a stack without Redis (one process: each
    step below runs without an await, so it is atomic there too)."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time, client_rule: Rule = CLIENT) -> None:
        self._client_rule = client_rule
        self._secret = secret
        self._clock = clock
        self._attempts: dict[str, dict[str, float]] = {}
        self._locks: dict[str, float] = {}

    async def reserve(self, conversation: str, reference: str, client: str | None = None) -> Attempt:
        now, token, allowed = self._clock(), uuid.uuid4().hex, True
        for rule, key in _keys(self._secret, conversation, reference, client, self._client_rule):
            recent = {t: at for t, at in self._attempts.get(key, {}).items() if at > now - rule.window_seconds}
            if self._locks.get(key, 0) > now or len(recent) >= rule.failures:
                allowed = False
            recent[token] = now
            self._attempts[key] = recent
        return Attempt(conversation, reference, token, allowed, client)

    async def failed(self, attempt: Attempt) -> None:
        now = self._clock()
        for rule, key in _keys(
            self._secret, attempt.conversation, attempt.reference, attempt.client, self._client_rule
        ):
            if len(self._attempts.get(key, {})) >= rule.failures:
                self._locks[key] = now + rule.lock_seconds

    async def succeeded(self, attempt: Attempt) -> None:
        for _, key in _attempt_keys(self._secret, attempt, self._client_rule):
            self._attempts.get(key, {}).pop(attempt.token, None)

    async def conversation_locked(self, conversation: str) -> bool:
        return self._locks.get(_digest(self._secret, f"conversation:{conversation}"), 0.0) > float(self._clock())


def open_throttle(redis: Redis[bytes] | None, secret: bytes, client_limit: int = CLIENT.failures) -> Throttle:
    """On the action server's Redis client (actions/redis_client.py), else in this process."""
    rule = Rule(CLIENT.scope, client_limit, CLIENT.window_seconds, CLIENT.lock_seconds)
    return RedisThrottle(redis, secret, rule) if redis is not None else MemoryThrottle(secret, client_rule=rule)
