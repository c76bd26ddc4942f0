"""Erasing everything kept about one conversation or one WhatsApp number.

Reached two ways: the user says "delete my data" and confirms (Rasa answers with
``utter_erase_done`` and the gateway erases right after that turn, api/turns.py), or a supervisor
erases by conversation id or number for a request received by phone or letter
(``POST /staff/api/erasures``, api/routes/erasure.py).

What goes, in the gateway's Redis (one Redis serves all three processes):
- Rasa's tracker and lock (``wegwijs:tracker:<sender>``, ``wegwijs:lock:<sender>``);
- the gateway's conversation state, transcript and outbox;
- the open ticket (and its place in the queue) and every closed ticket of the conversation;
- its messages kept for review (api/review.py) and its satisfaction question's state;
- on WhatsApp: inbound entries not yet handled, failed sends to the number, the 24-hour window
  and numbered-choice keys.
What stays, because it names nobody: the case lookup's and the rate limits' counters (keyed hashes
that expire within a day) and delivery statuses (no number). The erasure itself leaves one audit
entry without the id or the number.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from api.conversation_store import KEY_PREFIX as STATE_PREFIX
from api.metrics import ERASURES
from api.outbox import PREFIX as OUTBOX_PREFIX
from api.review import ReviewQueue
from api.satisfaction import Satisfaction
from api.staff.audit import AuditLog
from api.transcripts import PREFIX as TRANSCRIPT_PREFIX
from api.whatsapp.inbox import PARTITIONS, partition_key
from api.whatsapp.keys import FAILED, SENDER_PREFIX as WHATSAPP_PREFIX, last_inbound_key, numbered_key
from wegwijs.handover.tickets import PREFIX as HANDOVER_PREFIX, QUEUE, WAITING, conversation_key, ticket_key

TRACKER_PREFIX = "wegwijs:tracker:"  # bot/endpoints.yml key_prefix "wegwijs" + Rasa's "tracker:"
LOCK_PREFIX = "wegwijs:lock:"
WEB_PREFIX = "api:"


@dataclass(frozen=True)
class Erased:
    keys: int
    tickets: int
    stream_entries: int


def target_of(conversation_id: str | None, whatsapp_number: str | None) -> tuple[str, str]:
    """(gateway state key, sender) of a web conversation id or a WhatsApp number (digits)."""
    if whatsapp_number:
        sender = WHATSAPP_PREFIX + whatsapp_number
        return sender, sender
    assert conversation_id
    return conversation_id, WEB_PREFIX + conversation_id


class Erasure:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def erase(self, state_key: str, sender: str, by: str) -> Erased:
        """Delete everything about the conversation; ``by``: who asked ("user" or a supervisor)."""
        redis = self._redis
        tickets = await self._tickets_of(sender)
        keys = [
            STATE_PREFIX + state_key,
            TRANSCRIPT_PREFIX + sender,
            OUTBOX_PREFIX + sender,
            TRACKER_PREFIX + sender,
            LOCK_PREFIX + sender,
            conversation_key(sender),
            *(ticket_key(t) for t in tickets),
        ]
        entries = 0
        if sender.startswith(WHATSAPP_PREFIX):
            number = sender[len(WHATSAPP_PREFIX) :]
            keys += [last_inbound_key(number), numbered_key(number)]
            entries = await self._whatsapp_entries(number)
        async with redis.pipeline(transaction=True) as pipe:
            for ticket_id in tickets:
                pipe.zrem(QUEUE, ticket_id)
                pipe.zrem(WAITING, ticket_id)
            pipe.delete(*keys)
            results = await pipe.execute()
        await ReviewQueue(redis, 0).erase(sender)
        await Satisfaction(redis).erase(sender)
        await AuditLog(redis).write(staff=by, action="erase", outcome="ok")
        ERASURES.labels(by="user" if by == "user" else "staff").inc()
        return Erased(keys=int(results[-1]), tickets=len(tickets), stream_entries=entries)

    async def _tickets_of(self, sender: str) -> list[str]:
        """The ids of every ticket, open or closed, of the conversation (erasure is rare: a scan)."""
        found = []
        async for key in self._redis.scan_iter(match=f"{HANDOVER_PREFIX}ticket:*", count=500):
            if (await self._redis.hget(key, "conversation") or b"").decode() == sender:
                found.append(key.decode()[len(f"{HANDOVER_PREFIX}ticket:") :])
        return found

    async def _whatsapp_entries(self, number: str) -> int:
        """Delete the number's not yet handled inbound entries and its failed sends."""
        removed = 0
        for stream in [partition_key(p) for p in range(PARTITIONS)] + [FAILED]:
            doomed = []
            for entry_id, fields in await self._redis.xrange(stream):
                if _mentions(fields, number):
                    doomed.append(entry_id)
            if doomed:
                removed += await self._redis.xdel(stream, *doomed)
        return removed


def _mentions(fields: dict[bytes | str, bytes | str], number: str) -> bool:
    """Whether a stream entry is about the number: a send to it, or a message (or a failed entry
    holding one) from it."""
    values = {
        k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v for k, v in fields.items()
    }
    return values.get("to") == number or any(number in (values.get(name) or "") for name in ("body", "entry"))
