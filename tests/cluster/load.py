"""Load for the cluster tests, through HAProxy's public frontend, and what Rasa kept of it.

A "conversation" here is an API client that keeps no cookies (as most do), so its messages are
spread over every gateway by HAProxy and over every Rasa replica by the internal frontend."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import redis

from api.conversation_ids import SENDER_PREFIX
from scripts.bench import percentile as bench_percentile

WORDS = [
    *("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    *("thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"),
]
# A greeting (Rasa answers from its domain) and a question about return (Rasa answers and then
# asks the action server for the phone line), each made unique by a word, so the tracker shows
# which message each user event is.
PHRASES = ("hello there, message {word}", "how does voluntary return work, message {word}")
TRACKER_PREFIX = "wegwijs:tracker:"


def cookieless() -> httpx.Cookies:
    """A cookie jar that keeps nothing: no stickiness to one gateway."""
    return httpx.Cookies(CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))


def texts(count: int) -> list[str]:
    assert count <= len(WORDS)
    return [PHRASES[i % len(PHRASES)].format(word=WORDS[i]) for i in range(count)]


@dataclass
class Sent:
    """One POST /api/v1/messages: when it went, when it was answered, and the answer."""

    text: str
    sent: float
    answered: float = 0.0
    status: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def seconds(self) -> float:
        return self.answered - self.sent

    @property
    def reply_texts(self) -> list[str]:
        return [message["text"] for message in self.body.get("messages", [])]


async def new_conversations(client: httpx.AsyncClient, count: int) -> list[str]:
    async def one() -> str:
        answer = await client.post("/api/v1/conversations")
        assert answer.status_code == 201, answer.text
        return str(answer.json()["conversation_id"])

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def send(client: httpx.AsyncClient, conversation: str, text: str) -> Sent:
    sent = Sent(text, time.monotonic())
    try:
        body = {"conversation_id": conversation, "text": text, "language": "en"}
        answer = await client.post("/api/v1/messages", json=body)
        sent.status = answer.status_code
        sent.body = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        sent.error = type(error).__name__
    sent.answered = time.monotonic()
    return sent


@dataclass
class Burst:
    conversations: list[str]
    sent: dict[str, list[Sent]]
    seconds: float

    @property
    def turns(self) -> int:
        return sum(len(items) for items in self.sent.values())

    def latencies(self) -> list[float]:
        return sorted(item.seconds for items in self.sent.values() for item in items)


async def burst(url: str, conversations: int, messages: int, at_once: int, timeout: float) -> Burst:
    """``conversations`` conversations at once, each sending its ``messages`` as fast as it can,
    ``at_once`` at a time: the next ``at_once`` go together as soon as the previous ones are all
    answered (a user who taps send several times, or a client that does not wait). Each request
    may take ``timeout`` seconds; each is a connection of its own (no keep-alive to race with)."""
    limits = httpx.Limits(max_connections=conversations * at_once, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits, cookies=cookieless()) as client:
        ids = await new_conversations(client, conversations)
        done: dict[str, list[Sent]] = {conversation: [] for conversation in ids}

        async def conversation_load(conversation: str) -> None:
            pending = texts(messages)
            while pending:
                group, pending = pending[:at_once], pending[at_once:]
                done[conversation] += await asyncio.gather(*(send(client, conversation, text) for text in group))

        started = time.monotonic()
        await asyncio.gather(*(conversation_load(conversation) for conversation in ids))
        return Burst(ids, done, time.monotonic() - started)


def tracker_events(redis_url: str, conversation: str) -> list[dict[str, Any]]:
    """The conversation's events as Rasa's tracker store keeps them in Redis (bot/tracker_store.py)."""
    client = redis.Redis.from_url(redis_url)
    try:
        stored = client.get(TRACKER_PREFIX + SENDER_PREFIX + conversation)
    finally:
        client.close()
    assert stored is not None, f"no tracker for {conversation}"
    events: list[dict[str, Any]] = json.loads(stored)["events"]
    return events


def turns_of(events: list[dict[str, Any]]) -> list[tuple[str, list[str], bool]]:
    """Each user event's text, the bot texts after it up to the next one, and whether the turn
    ended listening (``action_listen``) before the next user event."""
    turns: list[tuple[str, list[str], bool]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            turns.append((event.get("text") or "", [], False))
        elif turns and kind == "bot":
            turns[-1][1].append(event.get("text") or "")
        elif turns and kind == "action" and event.get("name") == "action_listen":
            text, bot, _ = turns[-1]
            turns[-1] = (text, bot, True)
    return turns


def problems(burst_result: Burst, redis_url: str) -> dict[str, list[str]]:
    """Per conversation, what is wrong with its history; empty when every conversation is right:
    every request answered 200; each message once in Rasa's tracker, followed by exactly the bot
    texts its own answer carried, then action_listen, before the next user message; a message
    sent after another was answered comes after it; nothing cut from the start of the session."""
    found: dict[str, list[str]] = {}
    for conversation, sent in burst_result.sent.items():
        wrong: list[str] = []
        for item in sent:
            if item.status != 200:
                wrong.append(f"{item.text!r}: status {item.status or item.error}")
        events = tracker_events(redis_url, conversation)
        if events[0].get("event") != "action" or events[0].get("name") != "action_session_start":
            wrong.append(f"the tracker does not start with the session (first event {events[0].get('event')})")
        turns = turns_of(events)
        order = [text for text, _, _ in turns]
        by_text = {item.text: item for item in sent}
        missing = sorted(set(by_text) - set(order))
        if missing:
            wrong.append(f"{len(missing)} of {len(sent)} messages missing from the tracker")
        doubled = sorted({text for text in order if order.count(text) > 1})
        if doubled:
            wrong.append(f"{len(doubled)} messages in the tracker more than once")
        for text, bot, listened in turns:
            item = by_text.get(text)
            if item is None:
                wrong.append(f"a user event no request sent: {text!r}")
            elif item.status == 200 and bot != item.reply_texts:
                wrong.append(f"{text!r} is followed by {len(bot)} bot texts, not its own {len(item.reply_texts)}")
            elif not listened:
                wrong.append(f"{text!r}: its turn did not end (no action_listen) before the next message")
        position = {text: index for index, text in enumerate(order)}
        for earlier in sent:
            for later in sent:
                if later.sent > earlier.answered and position.get(later.text, 1 << 30) < position.get(earlier.text, -1):
                    wrong.append(f"{later.text!r} was sent after {earlier.text!r} was answered, and is before it")
        if wrong:
            found[conversation] = wrong
    return found


def percentile(values: list[float], fraction: float) -> float:
    return bench_percentile(values, fraction) if values else 0.0


def summary(result: Burst) -> str:
    latencies = result.latencies()
    return (
        f"{result.turns} turns in {result.seconds:.1f} s = {result.turns / result.seconds:.1f} turns/s; "
        f"answer time p50 {percentile(latencies, 0.5):.1f} s, p95 {percentile(latencies, 0.95):.1f} s, "
        f"slowest {latencies[-1]:.1f} s"
    )
