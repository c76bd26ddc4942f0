"""Messages to a user outside their own turns: staff replies during a hand-over, and the bot's
"I am back" when it ends. One Redis stream per conversation; the web chat reads it as
server-sent events (api/routes/events.py), with Last-Event-ID for reconnects, and socket.io
clients get them pushed (api/socketio_channel.py). WhatsApp has no live page: the staff routes
also queue those messages behind the user's own (api/whatsapp/channel.py), where the 24-hour
window decides between the text and a template.
"""
from __future__ import annotations

import json
from typing import Any, Literal

from redis.asyncio import Redis

from wegwijs.retention import retention

PREFIX = "wegwijs:gw:outbox:"
KEEP_ENTRIES = 500
TTL_SECONDS = retention().outbox_seconds
Kind = Literal["staff", "bot"]


class Outbox:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def send(self, conversation: str, text: str, kind: Kind, buttons: list[dict[str, Any]] | None = None) -> str:
        """``buttons``: the bot's buttons under the text, as in a reply ({title, payload})."""
        key = PREFIX + conversation
        fields = {"text": text, "kind": kind}
        if buttons:
            fields["buttons"] = json.dumps(buttons, ensure_ascii=False)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, fields, maxlen=KEEP_ENTRIES, approximate=True)
            pipe.expire(key, TTL_SECONDS)
            entry_id, _ = await pipe.execute()
        return entry_id.decode() if isinstance(entry_id, bytes) else entry_id

    async def wait(self, conversation: str, after: str, block_ms: int) -> list[tuple[str, dict[str, Any]]]:
        """Entries after the stream id ``after``, waiting up to ``block_ms`` for one."""
        answer = await self._redis.xread({PREFIX + conversation: after}, count=50, block=block_ms)
        return [(entry_id.decode(), {k.decode(): v.decode() for k, v in fields.items()})
                for _, entries in answer for entry_id, fields in entries]

    async def latest_id(self, conversation: str) -> str | None:
        entries = await self._redis.xrevrange(PREFIX + conversation, count=1)
        return entries[0][0].decode() if entries else None
