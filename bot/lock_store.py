"""A Redis lock store that lets one turn of a conversation run at a time, across Rasa replicas.

Rasa 3.6's ``RedisLockStore`` issues a ticket by reading the conversation's lock (GET), adding a
ticket in Python and writing the whole lock back (SET). Two replicas that read before either
writes both get ticket 0 and both run the turn, and each ticket lapses after the lock's lifetime
(60 s) however long its turn still runs. ``BoundedRedisTrackerStore`` writes without reading
(bot/tracker_store.py), which is safe only while one turn at a time holds the lock. This store:

- issues tickets and hands over the lock in Lua scripts, so each step is one atomic command
  (see "One turn at a time across replicas" in docs/architecture.md for why not SET NX / INCR);
- serves a conversation's tickets oldest first (FIFO, as Rasa's) and raises ``LockError`` when a
  ticket is not served within the wait (``max_wait_seconds``; by default the lock's lifetime);
- numbers tickets from one counter that never goes back (``<prefix>:lock-tokens``), so a
  ticket's number is also a fencing token: a later holder's is always larger;
- keeps a ticket alive while its ``lock()`` lasts, waiting or holding: a task of its own renews
  the lease every third of the lifetime, so a slow turn keeps the lock and a process that dies
  loses its tickets within one lifetime;
- tells the tracker store, through a context variable, which ticket the current turn holds:
  ``BoundedRedisTrackerStore`` writes a tracker only while that ticket still holds the lock, in
  one script with the check (``FENCED_SET``), and raises ``StaleTurn`` otherwise.

Redis layout, per conversation: one hash ``<prefix>:lock:<sender>`` with a field ``t:<number>``
per live ticket (its lease's end, milliseconds of the Redis clock) and ``holder`` (the number of
the ticket being served). The hash expires with its latest lease and is deleted when its last
ticket is released. The times are Redis's, so the replicas' clocks do not matter.

Configured in bot/endpoints.yml as ``type: bot.lock_store.FencedRedisLockStore``; the tracker
store must use the same Redis database, or every write is refused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.metrics import LOCK_REFUSALS, LOCK_WAIT_SECONDS

logger = logging.getLogger(__name__)

TOKENS_SUFFIX = "-tokens"  # "wegwijs:lock:" -> "wegwijs:lock-tokens": no conversation's key can be named so

# Shared by every script. Times are milliseconds of the Redis clock; ticket numbers are written as
# integers ('%d'), never in Lua's exponent notation.
_PRELUDE = """
redis.replicate_commands()
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The conversation's live tickets as {number, deadline}, oldest first. Lapsed tickets are removed,
-- and the holder mark when its ticket is gone; a hash left without fields is deleted by Redis.
local function live(key, now)
  local fields = redis.call('HGETALL', key)
  local tickets, holder = {}, nil
  for i = 1, #fields, 2 do
    local name = fields[i]
    if name == 'holder' then
      holder = tonumber(fields[i + 1])
    elseif tonumber(fields[i + 1]) < now then
      redis.call('HDEL', key, name)
    else
      tickets[#tickets + 1] = {tonumber(string.sub(name, 3)), tonumber(fields[i + 1])}
    end
  end
  table.sort(tickets, function(a, b) return a[1] < b[1] end)
  if holder and (#tickets == 0 or tickets[1][1] ~= holder) then
    redis.call('HDEL', key, 'holder')
  end
  return tickets
end
local function find(tickets, number)
  for _, ticket in ipairs(tickets) do
    if ticket[1] == number then return ticket end
  end
  return nil
end
-- Writes a ticket's new deadline; the hash expires with the latest lease.
local function extend(key, tickets, ticket, deadline)
  ticket[2] = deadline
  redis.call('HSET', key, string.format('t:%d', ticket[1]), string.format('%d', deadline))
  local latest = 0
  for _, t in ipairs(tickets) do
    if t[2] > latest then latest = t[2] end
  end
  redis.call('PEXPIREAT', key, string.format('%d', latest))
end
local function flat(status, tickets)
  local reply = {status}
  for _, t in ipairs(tickets) do
    reply[#reply + 1] = t[1]
    reply[#reply + 1] = t[2]
  end
  return reply
end
"""

# KEYS: the conversation's hash, the token counter. ARGV: the lease (ms). Returns the ticket's number.
ISSUE = (
    _PRELUDE
    + """
local now = now_ms()
local tickets = live(KEYS[1], now)
local ticket = {redis.call('INCR', KEYS[2]), 0}
tickets[#tickets + 1] = ticket
extend(KEYS[1], tickets, ticket, now + tonumber(ARGV[1]))
return ticket[1]
"""
)

# KEYS: the conversation's hash. ARGV: the ticket's number, the lease (ms). Returns {1, live
# tickets...} when the ticket now holds the lock (its lease restarted), {0} while older tickets
# are live, {-1} when the ticket has lapsed.
ACQUIRE = (
    _PRELUDE
    + """
local now, number = now_ms(), tonumber(ARGV[1])
local tickets = live(KEYS[1], now)
local mine = find(tickets, number)
if not mine then return {-1} end
if tickets[1][1] ~= number then return {0} end
redis.call('HSET', KEYS[1], 'holder', string.format('%d', number))
extend(KEYS[1], tickets, mine, now + tonumber(ARGV[2]))
return flat(1, tickets)
"""
)

# KEYS: the conversation's hash. ARGV: the ticket's number, the lease (ms). 1 if the ticket was
# live and now lasts the lease from now, 0 if it had lapsed.
RENEW = (
    _PRELUDE
    + """
local now = now_ms()
local tickets = live(KEYS[1], now)
local mine = find(tickets, tonumber(ARGV[1]))
if not mine then return 0 end
extend(KEYS[1], tickets, mine, math.max(mine[2], now + tonumber(ARGV[2])))
return 1
"""
)

# KEYS: the conversation's hash. ARGV: the ticket's number. Removes the ticket (and the holder
# mark, if it was the holder's); the hash goes with its last ticket.
RELEASE = (
    _PRELUDE
    + """
redis.call('HDEL', KEYS[1], 't:' .. ARGV[1])
live(KEYS[1], now_ms())
return 1
"""
)

# KEYS: the conversation's hash. Returns {1, live tickets...}.
SNAPSHOT = (
    _PRELUDE
    + """
return flat(1, live(KEYS[1], now_ms()))
"""
)

# The tracker store's write (bot/tracker_store.py). KEYS: the conversation's lock hash, the key to
# write. ARGV: the writer's ticket number, the value, its expiry in seconds (0: none). Writes and
# returns 1 only while that ticket holds the lock and its lease has not run out; 0 otherwise.
FENCED_SET = (
    _PRELUDE
    + """
local holder = redis.call('HGET', KEYS[1], 'holder')
local deadline = redis.call('HGET', KEYS[1], 't:' .. ARGV[1])
if not holder or tonumber(holder) ~= tonumber(ARGV[1]) or not deadline or tonumber(deadline) < now_ms() then
  return 0
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[2])
end
return 1
"""
)


@dataclass(frozen=True)
class HeldTicket:
    """The ticket a turn holds: where its lock lives and its number (the fencing token)."""

    lock_key: str
    token: int


class StaleTurn(Exception):
    """A turn whose ticket no longer holds its conversation's lock tried to write."""


_HELD: ContextVar[Mapping[str, HeldTicket] | None] = ContextVar("wegwijs_held_tickets", default=None)


def held_ticket(conversation_id: str) -> HeldTicket | None:
    """The ticket the current turn holds for the conversation, if it runs inside its ``lock()``."""
    held = _HELD.get()
    return held.get(conversation_id) if held else None


class FencedRedisLockStore(RedisLockStore):
    """Rasa's ``RedisLockStore`` settings, with atomic tickets, fencing tokens and renewed leases."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **settings: Any) -> None:
        """Created by Rasa from bot/endpoints.yml (``endpoint_config``: url, port, db, password,
        key_prefix, and optionally ``max_wait_seconds``), or with RedisLockStore's keywords."""
        if endpoint_config is not None:
            settings = {**endpoint_config.kwargs, **settings}
            if endpoint_config.url:
                settings.setdefault("host", endpoint_config.url)
        wait = settings.pop("max_wait_seconds", None)
        super().__init__(**settings)
        self.max_wait_seconds: float | None = float(wait) if wait is not None else None
        self.tokens_key = self.key_prefix.rstrip(":") + TOKENS_SUFFIX
        self._issue = self.red.register_script(ISSUE)
        self._acquire = self.red.register_script(ACQUIRE)
        self._renew = self.red.register_script(RENEW)
        self._release = self.red.register_script(RELEASE)
        self._snapshot = self.red.register_script(SNAPSHOT)

    def lock_key(self, conversation_id: str) -> str:
        return str(self.key_prefix) + conversation_id

    # -- Rasa's LockStore interface, each step one script -------------------------------------
    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(self._issue(keys=[self.lock_key(conversation_id), self.tokens_key], args=[_ms(lock_lifetime)]))
        except redis.RedisError as error:
            raise LockError(f"Could not issue a ticket: {type(error).__name__}") from error

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's live tickets, oldest (the holder or next) first; None without any."""
        tickets = self._snapshot(keys=[self.lock_key(conversation_id)])
        return _ticket_lock(conversation_id, tickets) if len(tickets) > 1 else None

    def update_lock(self, conversation_id: str) -> None:
        """Removes lapsed tickets (every script does so as well)."""
        self._snapshot(keys=[self.lock_key(conversation_id)])

    def save_lock(self, lock: TicketLock) -> None:
        """Writing a whole lock back is the stock store's race: this store changes tickets only
        through its scripts."""
        raise NotImplementedError("FencedRedisLockStore changes tickets only atomically, never by writing a lock")

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._release(keys=[self.lock_key(conversation_id)], args=[ticket_number])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Releases the ticket; the conversation's hash goes with its last ticket."""
        self.finish_serving(conversation_id, ticket_number)

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        return await self._wait_for_turn(conversation_id, ticket, LOCK_LIFETIME, wait_time_in_seconds)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Holds the conversation's lock for the body, however long it runs.

        Waits for the older tickets, trying every ``wait_time_in_seconds``, and raises
        ``LockError`` when the ticket is not served within ``max_wait_seconds`` (default
        ``lock_lifetime``). While waiting and holding, the ticket's lease of ``lock_lifetime`` is
        renewed every third of it; it is released when the body ends, however it ends."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        keeper = asyncio.create_task(self._keep_alive(conversation_id, ticket, lock_lifetime))
        try:
            asked = time.monotonic()
            try:
                lock = await self._wait_for_turn(conversation_id, ticket, lock_lifetime, wait_time_in_seconds)
            except LockError:
                LOCK_REFUSALS.inc()
                raise
            LOCK_WAIT_SECONDS.observe(time.monotonic() - asked)
            before = _HELD.get()
            _HELD.set({**(before or {}), conversation_id: HeldTicket(self.lock_key(conversation_id), ticket)})
            try:
                yield lock
            finally:
                _HELD.set(before)
        finally:
            keeper.cancel()  # before the release, so it never renews a released ticket
            try:
                self.cleanup(conversation_id, ticket)
            except redis.RedisError as error:  # the ticket's lease then lapses within lock_lifetime
                logger.warning("releasing a conversation lock failed: %s", type(error).__name__)
            await asyncio.wait({keeper})

    async def _wait_for_turn(
        self, conversation_id: str, ticket: int, lock_lifetime: float, wait_time_in_seconds: float
    ) -> TicketLock:
        wait = self.max_wait_seconds if self.max_wait_seconds is not None else lock_lifetime
        deadline = time.monotonic() + wait
        key = self.lock_key(conversation_id)
        while True:
            try:
                reply = self._acquire(keys=[key], args=[ticket, _ms(lock_lifetime)])
            except redis.RedisError as error:
                raise LockError(f"Could not acquire a conversation lock: {type(error).__name__}") from error
            if reply[0] == 1:
                return _ticket_lock(conversation_id, reply)
            if reply[0] == -1:
                raise LockError("A waiting ticket lapsed before it was served")
            if time.monotonic() >= deadline:
                raise LockError(f"Could not acquire a conversation lock within {wait:g} s")
            await asyncio.sleep(wait_time_in_seconds)

    async def _keep_alive(self, conversation_id: str, ticket: int, lock_lifetime: float) -> None:
        """Renews the ticket's lease every third of its lifetime until cancelled."""
        key = self.lock_key(conversation_id)
        while True:
            await asyncio.sleep(lock_lifetime / 3)
            try:
                alive = self._renew(keys=[key], args=[ticket, _ms(lock_lifetime)])
            except redis.RedisError as error:  # tried again a third of the lifetime later
                logger.warning("renewing a conversation lock failed: %s", type(error).__name__)
                continue
            if not alive:
                logger.warning("a conversation lock's lease ran out during its turn; its tracker writes are refused")
                return


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _ticket_lock(conversation_id: str, reply: list[int]) -> TicketLock:
    """Rasa's TicketLock of a script's reply {status, number, deadline, number, deadline...}."""
    pairs = zip(reply[1::2], reply[2::2], strict=True)
    return TicketLock(conversation_id, deque(Ticket(int(number), deadline / 1000) for number, deadline in pairs))
