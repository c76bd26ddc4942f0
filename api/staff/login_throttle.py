"""Failed staff logins, counted per (account name, client) and per name, with a growing back-off.

Why per pair: counted per name alone, five wrong passwords from anywhere locked a staff member
out, so anyone who knew a name could keep that person away from the console. Counted per
(name, client), a stranger locks only their own pair; the member's own browser is not affected.
The client is the keyed hash of the request's address (``client_of`` in api/services.py); with
the name it is hashed again here (HMAC with the staff secret), so Redis holds neither an address
nor a name of someone who tried to log in.

- A pair's 5th failure locks it for 1 minute. After a lock, every further failure of the pair
  locks it again for twice as long as the last time (2, 4, 8 ... minutes, at most 60). A pair's
  record is forgotten an hour after its last failure or the end of its lock, whichever is later
  (its TTL is an hour plus the lock, so never more than two hours): waiting for it to be
  forgotten gives a guesser no more attempts per hour than waiting out the locks.
- Per name, over every client: 100 failures within an hour lock the name everywhere for the rest
  of that hour. One client can fail at most 10 times in an hour (5, then one after each lock of
  1, 2, 4, 8 and 16 minutes; ``most_failures_per_client``), so reaching the ceiling takes ten or
  more clients working together on one name. It caps what a botnet can guess at the second
  factor once a password is known (NIST SP 800-63B 5.2.2 asks for at most 100 consecutive failed
  attempts per account).

Every attempt is reserved before the password is checked, in one Lua script for both rules: so
20 attempts sent at once count as 20, not as the one that the first check saw. A reservation is a
failure unless the login succeeds; a success takes its reservation back and forgives the pair.
Attempts refused by a lock are not counted, so a lock ends when it says it ends.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

PREFIX = "wegwijs:staff:"
PAIR = PREFIX + "login-pair:"  # hash: failures, until (the lock's end, epoch seconds)
NAME = PREFIX + "login-failures:"  # counter of one name's failures in the current hour


@dataclass(frozen=True)
class LoginLimits:
    failures: int = 5  # of a (name, client) pair before its first lock
    first_lock_seconds: int = 60
    longest_lock_seconds: int = 3600
    memory_seconds: int = 3600  # a pair's record outlives its last failure or lock by this
    name_ceiling: int = 100  # failures of one name, over every client, within name_window_seconds
    name_window_seconds: int = 3600

    def lock_seconds(self, failures: int) -> int:
        """How long a pair is locked after its ``failures``-th failure (0: not locked)."""
        if failures < self.failures:
            return 0
        return min(self.longest_lock_seconds, self.first_lock_seconds * int(2 ** min(failures - self.failures, 30)))


def most_failures_per_client(limits: LoginLimits, seconds: int) -> int:
    """The most failures one client can make for one name within ``seconds``: all it is allowed
    at once, then one each time a lock ends. Why the name ceiling cannot be reached from one client.

    Waiting for the pair to be forgotten instead gains nothing while the pair's memory is at least
    ``seconds`` long: it restarts the count only after more than ``seconds``."""
    if limits.memory_seconds < seconds:
        raise ValueError("a pair forgotten sooner than the window would allow more failures than counted here")
    failures, elapsed = limits.failures, limits.lock_seconds(limits.failures)
    while elapsed < seconds:
        failures += 1
        elapsed += limits.lock_seconds(failures)
    return failures


@dataclass(frozen=True)
class LoginAttempt:
    """One reserved login attempt; ``allowed`` when neither the pair nor the name was locked."""

    pair_key: str
    name_key: str
    allowed: bool


# KEYS: the pair's hash, the name's counter. ARGV: now, the pair's failures before a lock, the
# first and the longest lock, the pair's memory, the name's ceiling and window.
_RESERVE = """
local now = tonumber(ARGV[1])
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if locked_until > now then return 0 end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[6]) then return 0 end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local lock = 0
if failures >= tonumber(ARGV[2]) then
  lock = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(failures - tonumber(ARGV[2]), 30))
  redis.call('HSET', KEYS[1], 'until', now + lock)
end
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[5]) + lock))
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[7]) end
return 1
"""
# A login that succeeded: the pair is forgiven, and the name's counter gives back this attempt
# (only while the counter exists: DECR on an expired key would make one without a TTL).
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1
"""


def _digest(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def name_key(username: str, secret: bytes) -> str:
    return NAME + _digest(secret, username)


def pair_key(username: str, client: str, secret: bytes) -> str:
    return PAIR + _digest(secret, f"pair:{username}\x00{client}")


class LoginThrottle:
    def __init__(
        self,
        redis: Redis[bytes],
        secret: bytes,
        limits: LoginLimits = LoginLimits(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self.limits = limits
        self._clock = clock
        self._reserve = redis.register_script(_RESERVE)
        self._succeeded = redis.register_script(_SUCCEEDED)

    async def reserve(self, username: str, client: str) -> LoginAttempt:
        """Count an attempt before it is checked; refused (and not counted) while locked."""
        keys = [pair_key(username, client, self._secret), name_key(username, self._secret)]
        limits = self.limits
        allowed = await self._reserve(
            keys=keys,
            args=[
                self._clock(),
                limits.failures,
                limits.first_lock_seconds,
                limits.longest_lock_seconds,
                limits.memory_seconds,
                limits.name_ceiling,
                limits.name_window_seconds,
            ],
        )
        return LoginAttempt(keys[0], keys[1], bool(int(allowed)))

    async def succeeded(self, attempt: LoginAttempt) -> None:
        await self._succeeded(keys=[attempt.pair_key, attempt.name_key])
