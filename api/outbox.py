"""Messages to a user outside their own turns: staff replies during a hand-over, and the bot's
"I am back" when it ends. One Redis stream per conversation; the web chat reads it as
server-sent events (api/routes/events.py), with Last-Event-ID for reconnects, and socket.io
clients get them pushed (api/socketio_channel.py). WhatsApp has no live page: the staff routes
also queue those messages behind the user's own (api/whatsapp/channel.py), where the 24-hour
window decides between the text and a template.
"""

from __future__ import annotations

import json
from typing import Literal, TypedDict

from redis.asyncio import Redis

from wegwijs.retention import retention
from wegwijs.wire import ButtonDict, button

PREFIX = "wegwijs:gw:outbox:"
KEEP_ENTRIES = 500
TTL_SECONDS = retention().outbox_seconds
Kind = Literal["staff", "bot"]


class _Event(TypedDict):
    text: str
    kind: Kind


class OutboxEvent(_Event, total=False):
    """One message outside the user's turns, as the stream keeps it and the web chat's event
    stream sends it (``data:`` of an SSE ``message`` event): ``buttons`` is a JSON array of
    ``{title, payload}``, present only when the bot's message has buttons."""

    buttons: str


def event_buttons(event: OutboxEvent) -> list[ButtonDict]:
    """The buttons of an entry (none when it has none, or when they cannot be read)."""
    try:
        buttons = json.loads(event.get("buttons") or "[]")
    except ValueError:
        return []
    return (
        [button(str(b.get("title", "")), str(b.get("payload", ""))) for b in buttons if isinstance(b, dict)]
        if isinstance(buttons, list)
        else []
    )


def read_event(fields: dict[bytes, bytes]) -> OutboxEvent:
    values = {k.decode(): v.decode() for k, v in fields.items()}
    event: OutboxEvent = {"text": values.get("text", ""), "kind": "staff" if values.get("kind") == "staff" else "bot"}
    if values.get("buttons"):
        event["buttons"] = values["buttons"]
    return event


class Outbox:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def send(self, conversation: str, text: str, kind: Kind, buttons: list[ButtonDict] | None = None) -> str:
        """``buttons``: the bot's buttons under the text, as in a reply ({title, payload})."""
        key = PREFIX + conversation
        fields: OutboxEvent = {"text": text, "kind": kind}
        if buttons:
            fields["buttons"] = json.dumps(buttons, ensure_ascii=False)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, dict(fields), maxlen=KEEP_ENTRIES, approximate=True)
            pipe.expire(key, TTL_SECONDS)
            entry_id, _ = await pipe.execute()
        return entry_id.decode() if isinstance(entry_id, bytes) else entry_id

    async def wait(self, conversation: str, after: str, block_ms: int) -> list[tuple[str, OutboxEvent]]:
        """Entries after the stream id ``after``, waiting up to ``block_ms`` for one."""
        answer = await self._redis.xread({PREFIX + conversation: after}, count=50, block=block_ms)
        return [(entry_id.decode(), read_event(fields)) for _, entries in answer for entry_id, fields in entries]

    async def latest_id(self, conversation: str) -> str | None:
        entries = await self._redis.xrevrange(PREFIX + conversation, count=1)
        return entries[0][0].decode() if entries else None
