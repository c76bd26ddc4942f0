"""Misunderstood messages, kept for a supervisor to label as training data (issue 15).

A user's typed message is kept for review when the assistant could not answer it: it asked "Did
you mean ...?" (the two guesses are kept with it) or offered the topic menu. What the user did
next is the best hint to its meaning, so it is added to the same item: the subject they tapped,
or the topic of the rephrased message the assistant then understood.

What is kept is the text, its language, the guesses and that hint: no conversation id, no number.
A message that holds a case reference, a date or a phone number (wegwijs/redaction.py) is not
kept at all: redacted it would teach nothing. Items expire with the conversation's retention
(``WEGWIJS_KEEP_CONVERSATION_DAYS``, docs/privacy.md), and the erasure of a conversation removes
its items (api/erasure.py, through the per-conversation set).

A supervisor labels each item with an intent or discards it (api/routes/review.py). Labelled items
export as Rasa NLU YAML in the form of ``data/nlu/review-<language>.yml``, for a developer to read
and add: nothing is trained automatically.

Keys:
- ``wegwijs:review:item:<id>``: a hash (text, language, guesses, hint, label), expiring;
- ``wegwijs:review:index``: item ids by time, trimmed by age at every write;
- ``wegwijs:review:conversation:<sender>``: the conversation's item ids, for the erasure, expiring;
- ``wegwijs:review:pending:<sender>``: the item awaiting the user's next step, for an hour.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import yaml
from redis.asyncio import Redis

from wegwijs.paths import ROOT
from wegwijs.redaction import holds_personal_details
from wegwijs.wire import KeyedReply

PREFIX = "wegwijs:review:"
INDEX = PREFIX + "index"
PENDING_SECONDS = 3600  # a reply after an hour is no longer an answer to "Did you mean ...?"
DID_YOU_MEAN, FALLBACK = "utter_did_you_mean", "utter_fallback"
UNCLEAR_REPLIES = (DID_YOU_MEAN, FALLBACK)
LISTED = 500  # the most items a supervisor sees at once (the oldest expire first)
TRAINING_DATA = ROOT / "data" / "nlu" / "en.yml"  # every language is trained on the same intents


def item_key(item_id: str) -> str:
    return f"{PREFIX}item:{item_id}"


def conversation_key(sender: str) -> str:
    return f"{PREFIX}conversation:{sender}"


def pending_key(sender: str) -> str:
    return f"{PREFIX}pending:{sender}"


@lru_cache(maxsize=1)
def labels() -> tuple[str, ...]:
    """The intents an item can be labelled with: those the NLU data trains."""
    nlu = yaml.safe_load(TRAINING_DATA.read_text(encoding="utf-8"))["nlu"]
    return tuple(sorted({entry["intent"] for entry in nlu if "intent" in entry}))


def payload_intent(payload: str | None) -> str:
    """``/return_info`` -> ``return_info``; a payload with entities, or none, gives ""."""
    if not payload or not payload.startswith("/") or "{" in payload:
        return ""
    return payload[1:]


@dataclass(frozen=True)
class ReviewItem:
    id: str
    text: str
    language: str
    reply: str  # did_you_mean or fallback
    guesses: tuple[str, ...]  # the intents "Did you mean ...?" offered
    chosen: str  # the intent the user tapped next, or ""
    then_topic: str  # the topic of the next message, when the assistant understood it, or ""
    label: str  # the intent a supervisor gave it, or "" (open)
    at: float

    @classmethod
    def of(cls, item_id: str, fields: dict[bytes, bytes]) -> ReviewItem:
        value = {k.decode(): v.decode() for k, v in fields.items()}
        return cls(
            id=item_id,
            text=value.get("text", ""),
            language=value.get("language", ""),
            reply=value.get("reply", ""),
            guesses=tuple(g for g in value.get("guesses", "").split(",") if g),
            chosen=value.get("chosen", ""),
            then_topic=value.get("then_topic", ""),
            label=value.get("label", ""),
            at=float(value.get("at") or 0),
        )


class ReviewQueue:
    def __init__(self, redis: Redis[bytes], keep_seconds: int) -> None:
        self._redis = redis
        self.keep_seconds = keep_seconds

    async def after_turn(
        self,
        sender: str,
        text: str | None,
        payload: str | None,
        language: str,
        replies: Iterable[KeyedReply],
        topic: str,
    ) -> None:
        """Keep this turn's message if the assistant could not answer it; add this turn to the
        item the user's previous message left waiting."""
        replies = list(replies)
        unclear = next((r for r in replies if r["response"] in UNCLEAR_REPLIES), None)
        pending = await self._redis.getdel(pending_key(sender))
        if pending is not None and unclear is None:
            hint: dict[str | bytes, str] = {"chosen": payload_intent(payload)} if payload else {"then_topic": topic}
            await self._update(pending.decode(), hint)
        if unclear is None or payload or not text or not text.strip() or holds_personal_details(text):
            return
        # The buttons of "Did you mean ...?" are its two guesses; those of the topic menu are not.
        did_you_mean = unclear["response"] == DID_YOU_MEAN
        guesses = [payload_intent(b["payload"]) for b in unclear["buttons"]] if did_you_mean else []
        item_id = f"{int(time.time() * 1000)}-{secrets.token_hex(4)}"
        now = time.time()
        fields: dict[str | bytes, str] = {
            "text": text.strip(),
            "language": language,
            "reply": "did_you_mean" if did_you_mean else "fallback",
            "guesses": ",".join(g for g in guesses if g in labels()),
            "at": repr(now),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(item_key(item_id), mapping=fields)
            pipe.expire(item_key(item_id), self.keep_seconds)
            pipe.zadd(INDEX, {item_id: now})
            pipe.zremrangebyscore(INDEX, "-inf", now - self.keep_seconds)
            pipe.sadd(conversation_key(sender), item_id)
            pipe.expire(conversation_key(sender), self.keep_seconds)
            pipe.set(pending_key(sender), item_id, ex=PENDING_SECONDS)
            await pipe.execute()

    async def _update(self, item_id: str, fields: dict[str | bytes, str]) -> None:
        # Only an item that still exists (not discarded, expired or erased) is updated.
        if await self._redis.exists(item_key(item_id)):
            await self._redis.hset(item_key(item_id), mapping=fields)

    async def items(self, language: str | None = None, labelled: bool | None = None) -> list[ReviewItem]:
        """Newest first; ``labelled``: only labelled (True) or only open (False) items."""
        ids = [i.decode() for i in await self._redis.zrevrange(INDEX, 0, LISTED - 1)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for item_id in ids:
                pipe.hgetall(item_key(item_id))
            found = await pipe.execute()
        items = [ReviewItem.of(i, fields) for i, fields in zip(ids, found, strict=True) if fields]
        return [
            item
            for item in items
            if (language is None or item.language == language) and (labelled is None or bool(item.label) == labelled)
        ]

    async def label(self, item_id: str, intent: str) -> bool:
        if not await self._redis.exists(item_key(item_id)):
            return False
        await self._redis.hset(item_key(item_id), "label", intent)
        return True

    async def discard(self, item_id: str) -> bool:
        deleted = await self._redis.delete(item_key(item_id))
        await self._redis.zrem(INDEX, item_id)
        return bool(deleted)

    async def erase(self, sender: str) -> int:
        """Remove every item of the conversation (its erasure); the number removed."""
        ids = [i.decode() for i in await self._redis.smembers(conversation_key(sender))]
        async with self._redis.pipeline(transaction=True) as pipe:
            for item_id in ids:
                pipe.delete(item_key(item_id))
                pipe.zrem(INDEX, item_id)
            pipe.delete(conversation_key(sender), pending_key(sender))
            await pipe.execute()
        return len(ids)


def nlu_yaml(items: Iterable[ReviewItem], language: str) -> str:
    """Labelled items as Rasa NLU training data (``data/nlu/review-<language>.yml``), one block
    per intent, in the order of the training data's intents."""
    by_intent: dict[str, list[str]] = {}
    for item in items:
        if item.label and item.language == language and item.text not in by_intent.get(item.label, []):
            by_intent.setdefault(item.label, []).append(item.text)
    lines = [
        f"# Labelled by IOM staff in the review of misunderstood {language} messages (api/review.py).",
        "# Read every example before adding it to data/nlu/: nothing here has been checked by a developer.",
        'version: "3.1"',
        "nlu:",
    ]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {' '.join(text.split())}" for text in by_intent[intent]]
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"
