"""What was said in a conversation, for the staff member who takes it over.

A capped Redis list per conversation: the user's texts (with personal details replaced, as in
the tracker store) and the replies, from the bot (with their buttons and links) or from staff.
Kept as long as the gateway's conversation state (wegwijs/retention.py); never logged. A bot
reply that carried the user's details is kept without them (``kept_bot_text``). The web chat restores its
history from the same list (api/routes/conversations.py).
"""
from __future__ import annotations

import json
import time
from typing import Iterable, Literal, Union

from redis.asyncio import Redis

from wegwijs.redaction import REDACTED_TEXT, redacted
from wegwijs.personal_replies import CASE_STAGE_PREFIXES, is_personal
from wegwijs.responses import load_specs, placeholders_in, render
from wegwijs.retention import retention

PREFIX = "wegwijs:gw:transcript:"
KEEP_ENTRIES = 200
TTL_SECONDS = retention().conversation_seconds
Who = Literal["user", "bot", "staff"]
# (who, text) or (who, text, {"buttons": [...], "links": [...]})
Entry = Union[tuple[Who, str], tuple[Who, str, dict]]


def kept_bot_text(response: str | None, text: str, language: str) -> str:
    """What the transcript keeps of a bot reply: the text, or, for a reply that carried the
    user's personal details (wegwijs/personal_replies.py), its template in ``language`` with
    every value replaced (a case's stage: the stand-in only)."""
    if not is_personal(response):
        return text
    if response.startswith(CASE_STAGE_PREFIXES):
        return REDACTED_TEXT
    template = render(load_specs()[response], language).text
    return template.format(**{name: REDACTED_TEXT for name in placeholders_in(template)})


class Transcripts:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def add(self, conversation: str, entries: Iterable[Entry]) -> None:
        now = time.time()
        items = []
        for who, text, *extra in entries:
            if not text:
                continue
            item = {"who": who, "text": redacted(text) if who == "user" else text, "at": now}
            item.update({k: v for k, v in (extra[0] if extra else {}).items() if k in ("buttons", "links") and v})
            items.append(json.dumps(item, ensure_ascii=False))
        if not items:
            return
        key = PREFIX + conversation
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, *items)
            pipe.ltrim(key, -KEEP_ENTRIES, -1)
            pipe.expire(key, TTL_SECONDS)
            await pipe.execute()

    async def read(self, conversation: str) -> list[dict]:
        return [json.loads(item) for item in await self._redis.lrange(PREFIX + conversation, 0, -1)]
