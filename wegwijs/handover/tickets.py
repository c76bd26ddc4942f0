"""The hand-over queue in Redis: tickets, their order, and claiming one atomically.

A ticket is a hash; the queue is a sorted set of the queued tickets' ids, scored so that urgent
tickets (safety) come before normal ones and, within a priority, the oldest first. A
conversation has at most one open ticket. Claiming runs as one Lua script, so when two staff
members click at once exactly one of them gets the ticket. Everything lives in Redis, so tickets
survive a restart of every other process (and of Redis itself, with its append-only file).

Ticket ids are 128 random bits, URL-safe: they can appear in URLs without telling anything.

A call-back ticket (nobody was at the console; the user agreed to be called) also holds the
number to call, the preferred time and when the user agreed. Closing the ticket deletes the
number: it was kept for this request only.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, fields
from typing import Any, Literal

from redis.asyncio import Redis

from wegwijs.retention import Retention, retention

PREFIX = "wegwijs:handover:"
QUEUE = PREFIX + "queue"
# Open tickets that wait for staff (not call-backs), scored by the last staff action (or their
# creation): what no one has touched for the stranded time goes back to the bot (api/stranded.py).
WAITING = PREFIX + "waiting"
Priority = Literal["urgent", "normal"]
Status = Literal["queued", "active", "closed"]
REASONS = ("user_request", "repeated_fallback", "safety", "case_locked")
# Score = rank * RANK_SPAN + created milliseconds: every urgent ticket sorts before every normal one.
RANK = {"urgent": 0, "normal": 1}
RANK_SPAN = 10**14
CALLBACK_TIMES = ("morning", "afternoon", "any")

CLAIM = """
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'active', 'holder', ARGV[1], 'claimed', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'XX', ARGV[2], ARGV[3])
return 1
"""

# Open a ticket unless the conversation already has one; returns the id of the open ticket. An
# open ticket expires too (ARGV[3] seconds), so nothing with a number outlives its retention.
OPEN = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('HSET', KEYS[2], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
if ARGV[4] == '1' then redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1]) end
return ARGV[1]
"""

# Make a ticket urgent (a safety message after a call-back request); re-sorted if still queued.
ESCALATE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'priority', 'urgent') end
  return 0
end
local created = tonumber(redis.call('HGET', KEYS[1], 'created'))
redis.call('HSET', KEYS[1], 'priority', 'urgent')
redis.call('ZADD', KEYS[2], math.floor(created * 1000), ARGV[1])
return 1
"""

CLOSE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'closed' then return 0 end
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], 'holder') ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], 'status', 'closed', 'closed', ARGV[3])
redis.call('HDEL', KEYS[1], 'callback_phone')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
redis.call('HSET', KEYS[1], 'closed_reason', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class Ticket:
    id: str
    conversation: str
    channel: str
    language: str
    topic: str
    priority: Priority
    reason: str
    created: float
    status: Status
    holder: str = ""
    callback_phone: str = ""  # E.164; only on a call-back ticket, deleted at closing
    callback_time: str = ""  # one of CALLBACK_TIMES
    callback_consented: str = ""  # when the user agreed to their number being kept (epoch seconds)

    @property
    def is_callback(self) -> bool:
        return bool(self.callback_time)

    @classmethod
    def from_hash(cls, raw: dict[bytes, bytes]) -> Ticket:
        values = {k.decode(): v.decode() for k, v in raw.items()}
        names = {f.name for f in fields(cls)}
        known: dict[str, Any] = {k: v for k, v in values.items() if k in names}
        known["created"] = float(known["created"])
        return cls(**known)


@dataclass(frozen=True)
class Callback:
    phone: str  # E.164
    time: str  # one of CALLBACK_TIMES
    consented: float  # epoch seconds

    def __post_init__(self) -> None:
        if self.time not in CALLBACK_TIMES or not self.phone.startswith("+"):
            raise ValueError("a call-back needs an E.164 number and one of CALLBACK_TIMES")


def ticket_key(ticket_id: str) -> str:
    return f"{PREFIX}ticket:{ticket_id}"


def conversation_key(conversation: str) -> str:
    return f"{PREFIX}conversation:{conversation}"


def score(priority: Priority, created: float) -> int:
    return RANK[priority] * RANK_SPAN + int(created * 1000)


class TicketQueue:
    def __init__(self, redis: Redis[bytes], keep: Retention | None = None) -> None:
        self._redis = redis
        self._keep = keep or retention()
        self._claim = redis.register_script(CLAIM)
        self._open = redis.register_script(OPEN)
        self._close = redis.register_script(CLOSE)
        self._escalate = redis.register_script(ESCALATE)

    async def open(
        self,
        conversation: str,
        channel: str,
        language: str,
        topic: str,
        priority: Priority,
        reason: str,
        callback: Callback | None = None,
    ) -> Ticket:
        """Queue the conversation, or return its ticket if it already has an open one."""
        if reason not in REASONS:
            raise ValueError(f"unknown hand-over reason {reason!r}")
        ticket_id = secrets.token_urlsafe(16)
        created = time.time()
        mapping = {
            "id": ticket_id,
            "conversation": conversation,
            "channel": channel,
            "language": language,
            "topic": topic,
            "priority": priority,
            "reason": reason,
            "created": repr(created),
            "status": "queued",
            "holder": "",
        }
        if callback is not None:
            mapping.update(
                {
                    "callback_phone": callback.phone,
                    "callback_time": callback.time,
                    "callback_consented": repr(callback.consented),
                }
            )
        flat = [item for pair in mapping.items() for item in pair]
        keep = self._keep.callback_seconds if callback is not None else self._keep.conversation_seconds
        open_id = await self._open(
            keys=[conversation_key(conversation), ticket_key(ticket_id), QUEUE, WAITING],
            args=[
                ticket_id,
                score(priority, created),
                keep,
                "0" if callback is not None else "1",
                repr(created),
                *flat,
            ],
        )
        ticket = await self.get(open_id.decode() if isinstance(open_id, bytes) else open_id)
        assert ticket is not None
        return ticket

    async def get(self, ticket_id: str) -> Ticket | None:
        raw = await self._redis.hgetall(ticket_key(ticket_id))
        return Ticket.from_hash(raw) if raw else None

    async def open_for(self, conversation: str) -> Ticket | None:
        """The conversation's open (queued or active) ticket, if any."""
        ticket_id = await self._redis.get(conversation_key(conversation))
        return await self.get(ticket_id.decode()) if ticket_id else None

    async def position(self, ticket_id: str) -> int | None:
        """1 for the next ticket to be claimed; None when the ticket is not queued."""
        rank = await self._redis.zrank(QUEUE, ticket_id)
        return None if rank is None else rank + 1

    async def queued(self, language: str | None = None) -> list[Ticket]:
        """Queued tickets, urgent first, oldest first; optionally of one language."""
        ids = await self._redis.zrange(QUEUE, 0, -1)
        async with self._redis.pipeline(transaction=False) as pipe:
            for ticket_id in ids:
                pipe.hgetall(ticket_key(ticket_id.decode()))
            raws = await pipe.execute() if ids else []
        tickets = [Ticket.from_hash(raw) for raw in raws if raw]
        return [t for t in tickets if language is None or t.language == language]

    async def claim(self, ticket_id: str, holder: str) -> bool:
        """True for exactly one of any number of concurrent claims of a queued ticket."""
        won = await self._claim(
            keys=[ticket_key(ticket_id), QUEUE, WAITING], args=[holder, repr(time.time()), ticket_id]
        )
        return bool(won)

    async def first_reply(self, ticket_id: str) -> bool:
        """Mark the ticket's first staff reply; True only for the first (the analytics' time to
        the first reply, api/insight/)."""
        return bool(await self._redis.hsetnx(ticket_key(ticket_id), "replied", repr(time.time())))

    async def touch(self, ticket_id: str) -> None:
        """A staff action on the ticket (a reply): its stranded time starts again."""
        await self._redis.zadd(WAITING, {ticket_id: time.time()}, xx=True)

    async def stranded(self, after_seconds: float) -> list[str]:
        """Open, non-call-back tickets without a staff action for ``after_seconds``."""
        ids = await self._redis.zrangebyscore(WAITING, "-inf", time.time() - after_seconds, start=0, num=100)
        return [i.decode() for i in ids]

    async def set_language(self, ticket_id: str, language: str) -> None:
        """The user chose another language during the hand-over: staff see and answer in it."""
        if await self._redis.exists(ticket_key(ticket_id)):
            await self._redis.hset(ticket_key(ticket_id), "language", language)

    async def is_stranded(self, ticket_id: str, after_seconds: float) -> bool:
        last = await self._redis.zscore(WAITING, ticket_id)
        return last is not None and last < time.time() - after_seconds

    async def prune(self) -> int:
        """Queue and waiting entries whose ticket has expired (a call-back past its retention)."""
        removed = 0
        for index in (QUEUE, WAITING):
            for raw in await self._redis.zrange(index, 0, -1):
                if not await self._redis.exists(ticket_key(raw.decode())):
                    removed += await self._redis.zrem(index, raw)
        return removed

    async def escalate(self, ticket_id: str) -> None:
        """Make the ticket urgent: a queued one moves ahead of every normal ticket."""
        await self._escalate(keys=[ticket_key(ticket_id), QUEUE], args=[ticket_id])

    async def close(self, ticket_id: str, holder: str | None = None, reason: str = "staff") -> bool:
        """Close a queued or active ticket (only its holder may, when ``holder`` is given). True
        for exactly one of several concurrent closings. The call-back number is deleted; the rest
        is kept for the conversation retention, without it."""
        ticket = await self.get(ticket_id)
        if ticket is None:
            return False
        done = await self._close(
            keys=[ticket_key(ticket_id), QUEUE, conversation_key(ticket.conversation), WAITING],
            args=[ticket_id, holder or "", repr(time.time()), self._keep.conversation_seconds, reason],
        )
        return bool(done == 1)
