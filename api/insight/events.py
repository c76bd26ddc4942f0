"""What one analytics event holds, and nothing more: the ``insight_events`` table.

An event says that something happened (a turn, a hand-over's opening, claim or first staff reply,
a call-back's request or handling, an erasure, a satisfaction answer), in which hour, on which
channel, in which language and about which topic. Everything in a row comes from a closed set
(our channels, languages, topics, the domain's intents, hand-over reasons, confidence buckets)
or is a count of seconds, and a conversation appears only as a pseudonym that rotates every
calendar month (api/insight/pseudonyms.py). No text the user typed, no number, no case reference,
no date of birth and no conversation id can reach a row: the fields are checked against their
sets where the event is made (``InsightEvent.make``), not where it is read.

Times are rounded down to the hour: the dashboard counts per day, and a minute-exact time beside
a channel and a language would make single conversations easier to pick out. Waiting times are
whole seconds (a duration, not a moment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Literal

import yaml
from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, SmallInteger, String, Table

from wegwijs.handover.tickets import REASONS
from wegwijs.languages import SHIPPED
from wegwijs.paths import ROOT

Kind = Literal["turn", "handover", "callback", "erasure", "csat"]
KINDS: tuple[str, ...] = ("turn", "handover", "callback", "erasure", "csat")
# A hand-over is written at each stage as its own row, so no row needs an id to update later:
# opened (with its reason), claimed (seconds since opening), replied (the first staff reply,
# seconds since opening), stranded (handed back to the bot unanswered). A call-back: opened,
# handled (seconds since the request).
STAGES: tuple[str, ...] = ("opened", "claimed", "replied", "stranded", "handled")
CHANNELS: tuple[str, ...] = ("api", "socketio", "whatsapp", "staff", "other")
# Confidence of the intent classifier, in four buckets: enough to see how sure the bot was, too
# coarse to be a fingerprint of one message.
BUCKETS: tuple[str, ...] = ("<0.5", "0.5-0.7", "0.7-0.9", ">=0.9")
SCORES = range(1, 4)  # a satisfaction answer (api/satisfaction.py): 1 no, 2 partly, 3 yes
OTHER = "other"
DOMAIN_FILE = ROOT / "bot" / "domain" / "domain.yml"

metadata = MetaData()
insight_events = Table(
    "insight_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hour", DateTime, nullable=False),  # UTC, rounded down to the hour
    Column("kind", String(16), nullable=False),
    Column("stage", String(16), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("topic", String(48), nullable=False),
    Column("intent", String(64), nullable=True),
    Column("confidence", String(8), nullable=True),
    Column("fallback", Boolean, nullable=False),
    Column("reason", String(24), nullable=True),
    Column("seconds", Integer, nullable=True),
    Column("score", SmallInteger, nullable=True),
    Column("pseudonym", String(32), nullable=True),
    Index("insight_events_hour", "hour"),
)


@cache
def known_intents() -> frozenset[str]:
    """The domain's intents (bot/domain/domain.yml) and Rasa's ``nlu_fallback``."""
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {}
    names = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []]
    return frozenset([*names, "nlu_fallback"])


@cache
def known_topics() -> frozenset[str]:
    from wegwijs.responses import load_specs

    return frozenset({spec.topic for spec in load_specs().values()} | {"out_of_scope"})


def hour_of(moment: dt.datetime) -> dt.datetime:
    """The moment, in UTC without a zone, rounded down to the hour."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(minute=0, second=0, microsecond=0)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def bucket_of(confidence: Any) -> str | None:
    if not isinstance(confidence, (int, float)) or isinstance(confidence, bool):
        return None
    if confidence < 0.5:
        return BUCKETS[0]
    if confidence < 0.7:
        return BUCKETS[1]
    if confidence < 0.9:
        return BUCKETS[2]
    return BUCKETS[3]


def _one_of(value: Any, allowed: frozenset[str] | tuple[str, ...], default: str | None = OTHER) -> str | None:
    return value if isinstance(value, str) and value in allowed else default


@dataclass(frozen=True)
class InsightEvent:
    hour: dt.datetime
    kind: str
    stage: str | None
    channel: str
    language: str
    topic: str
    intent: str | None
    confidence: str | None
    fallback: bool
    reason: str | None
    seconds: int | None
    score: int | None
    pseudonym: str | None

    @classmethod
    def make(
        cls,
        kind: Kind,
        *,
        pseudonym: str | None,
        channel: Any = None,
        language: Any = None,
        topic: Any = None,
        stage: str | None = None,
        intent: Any = None,
        confidence: Any = None,
        fallback: bool = False,
        reason: Any = None,
        seconds: float | None = None,
        score: Any = None,
        at: dt.datetime | None = None,
    ) -> InsightEvent:
        """An event whose every field is from its closed set (else ``other`` or empty)."""
        if kind not in KINDS or (stage is not None and stage not in STAGES):
            raise ValueError("unknown insight event kind or stage")
        return cls(
            hour=hour_of(at or utc_now()),
            kind=kind,
            stage=stage,
            channel=_one_of(channel, CHANNELS) or OTHER,
            language=_one_of(language, SHIPPED, "") or "",
            topic=_one_of(topic, known_topics(), "") or "",
            intent=None if intent is None else _one_of(intent, known_intents()),
            confidence=bucket_of(confidence),
            fallback=bool(fallback),
            reason=None if reason is None else _one_of(reason, REASONS),
            seconds=None if seconds is None else max(0, round(seconds)),
            score=score if isinstance(score, int) and score in SCORES else None,
            pseudonym=pseudonym if isinstance(pseudonym, str) and len(pseudonym) == 32 else None,
        )

    def row(self) -> dict[str, Any]:
        return asdict(self)
