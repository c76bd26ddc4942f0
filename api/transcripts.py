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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from redis.asyncio import Redis

from wegwijs.personal_replies import CASE_STAGE_PREFIXES, is_personal
from wegwijs.redaction import REDACTED_TEXT, redacted
from wegwijs.responses import load_specs, placeholders_in, render
from wegwijs.retention import retention
from wegwijs.wire import ButtonDict, LinkDict, ReplyMessage

PREFIX = "wegwijs:gw:transcript:"
KEEP_ENTRIES = 200
TTL_SECONDS = retention().conversation_seconds
Who = Literal["user", "bot", "staff"]


class _Kept(TypedDict):
    who: Who
    text: str
    at: float  # epoch seconds


class TranscriptEntry(_Kept, total=False):
    """One entry of the list, as Redis keeps it and the staff console and the web chat's
    history read it: a bot reply keeps its buttons and links (only when it had some)."""

    buttons: list[ButtonDict]
    links: list[LinkDict]


@dataclass(frozen=True)
class Said:
    """One thing said in the conversation, to be kept: by the user, the bot or staff."""

    who: Who
    text: str
    buttons: list[ButtonDict] = field(default_factory=list)
    links: list[LinkDict] = field(default_factory=list)

    @classmethod
    def by_user(cls, text: str) -> Said:
        return cls("user", text)

    @classmethod
    def by_staff(cls, text: str) -> Said:
        return cls("staff", text)

    @classmethod
    def by_bot(cls, reply: ReplyMessage, text: str | None = None) -> Said:
        """A bot reply with its buttons and links; ``text``: what is kept instead of its text
        (``kept_bot_text``)."""
        return cls("bot", reply["text"] if text is None else text, reply["buttons"], reply["links"])


def kept_bot_text(response: str | None, text: str, language: str) -> str:
    """What the transcript keeps of a bot reply: the text, or, for a reply that carried the
    user's personal details (wegwijs/personal_replies.py), its template in ``language`` with
    every value replaced (a case's stage: the stand-in only)."""
    if response is None or not is_personal(response):
        return text
    if response.startswith(CASE_STAGE_PREFIXES):
        return REDACTED_TEXT
    template = render(load_specs()[response], language).text
    return template.format(**dict.fromkeys(placeholders_in(template), REDACTED_TEXT))


class Transcripts:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def add(self, conversation: str, said: Iterable[Said]) -> None:
        now = time.time()
        items = []
        for one in said:
            if not one.text:
                continue
            item: TranscriptEntry = {
                "who": one.who,
                "text": redacted(one.text) if one.who == "user" else one.text,
                "at": now,
            }
            if one.buttons:
                item["buttons"] = one.buttons
            if one.links:
                item["links"] = one.links
            items.append(json.dumps(item, ensure_ascii=False))
        if not items:
            return
        key = PREFIX + conversation
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, *items)
            pipe.ltrim(key, -KEEP_ENTRIES, -1)
            pipe.expire(key, TTL_SECONDS)
            await pipe.execute()

    async def read(self, conversation: str) -> list[TranscriptEntry]:
        return [json.loads(item) for item in await self._redis.lrange(PREFIX + conversation, 0, -1)]
