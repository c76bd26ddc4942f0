"""Satisfaction, "Did this help you?": one question, three answers, at most once per conversation per day.

Asked where an answer to it means something: after the assistant answers a user's thanks or
goodbye once the user has asked about a subject (they signal they are done), and when a staff
member closes a hand-over (the person's help is over). Never after every turn: a question that
keeps coming back is noise, and on a shared phone every extra message is one more thing someone
else may read.

The answer is a button (``/satisfaction{"satisfaction": "yes"}``); the gateway takes it itself,
without a Rasa turn, counts it once (a second tap, or a replayed payload, counts nothing), and
thanks the user. It is recorded with the conversation's language, channel and the subject the
user last asked about, never with the conversation's id (``SATISFACTION`` metric, and the
analytics events).

Keys, both expiring after a day (docs/privacy.md):
- ``wegwijs:csat:asked:<sender>``: ``asked``, then ``answered``: the once-a-day limit;
- ``wegwijs:csat:subject:<sender>``: the topic of the user's last subject, for the answer's topic.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from wegwijs.intent_topics import ACTIONABLE_TOPICS
from wegwijs.responses import load_specs, render
from wegwijs.wire import ReplyMessage, reply_message

PREFIX = "wegwijs:csat:"
PAYLOAD = "/satisfaction"
ANSWERS = ("yes", "partly", "no")
SCORES = {"no": 1, "partly": 2, "yes": 3}  # the analytics event's score (api/insight/events.py)
DAY_SECONDS = 24 * 3600
QUESTION, THANKS = "gateway_satisfaction_question", "gateway_satisfaction_thanks"
# The replies after which the user is done: the assistant's answers to thanks and goodbye.
DONE_REPLIES = frozenset({"utter_thank", "utter_goodbye"})
# Topics that are a subject a user asked about (what satisfaction is measured per).
SUBJECT_TOPICS = ACTIONABLE_TOPICS | {"resettlement", "integration", "diaspora", "about_iom", "contact", "safety"}


def asked_key(sender: str) -> str:
    return f"{PREFIX}asked:{sender}"


def subject_key(sender: str) -> str:
    return f"{PREFIX}subject:{sender}"


def answer_of(payload: str | None) -> str | None:
    """``/satisfaction{"satisfaction": "yes"}`` -> ``yes``; anything else None."""
    if not payload or not payload.startswith(PAYLOAD + "{"):
        return None
    try:
        answer = json.loads(payload[len(PAYLOAD) :]).get("satisfaction")
    except (ValueError, AttributeError):
        return None
    return answer if answer in ANSWERS else None


def question(language: str) -> ReplyMessage:
    rendered = render(load_specs()[QUESTION], language)
    return reply_message(rendered.text, rendered.buttons)


def thanks(language: str) -> ReplyMessage:
    return reply_message(render(load_specs()[THANKS], language).text)


class Satisfaction:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def note_topic(self, sender: str, topic: str) -> None:
        """Remember the subject of this turn, when it is one."""
        if topic in SUBJECT_TOPICS:
            await self._redis.set(subject_key(sender), topic, ex=DAY_SECONDS)

    async def may_ask(self, sender: str, after_subject: bool = False) -> bool:
        """True once per conversation per day: the caller asks now. ``after_subject``: only if
        the user asked about a subject today (a "thanks" after a mere greeting thanks nothing)."""
        if after_subject and not await self._redis.exists(subject_key(sender)):
            return False
        return bool(await self._redis.set(asked_key(sender), "asked", nx=True, ex=DAY_SECONDS))

    async def answered(self, sender: str) -> str | None:
        """The subject the answer is about ("" for none), the first time it is answered after
        being asked; None for an answer nobody asked for, or a second one."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(asked_key(sender))
            pipe.set(asked_key(sender), "answered", xx=True, keepttl=True)
            pipe.get(subject_key(sender))
            state, _, subject = await pipe.execute()
        if state != b"asked":
            return None
        return (subject or b"").decode()

    async def erase(self, sender: str) -> None:
        await self._redis.delete(asked_key(sender), subject_key(sender))
