"""The dashboard's figures from the analytics events, and the same figures as CSV.

Counted in Python from the filtered rows (one query): the volumes are small (a few thousand
events a day at most) and the same code then serves SQLite and PostgreSQL. A conversation is a
distinct pseudonym on a day (pseudonyms rotate monthly, a day lies in one month). Medians and
90th percentiles are nearest-rank: always a waiting time that really occurred.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.insight.store import Filters

TOP_TOPICS = 5


def nearest_rank(values: Sequence[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Waits:
    """How many, and the median and 90th percentile of their seconds."""

    count: int
    median: int | None
    p90: int | None

    @classmethod
    def of(cls, seconds: Iterable[int | None]) -> Waits:
        values = [s for s in seconds if s is not None]
        return cls(len(values), nearest_rank(values, 0.5), nearest_rank(values, 0.9))


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    opened: int
    claimed: Waits
    replied: Waits
    stranded: int


@dataclass(frozen=True)
class Satisfaction:
    """Answers to "Did this help you?" (api/satisfaction.py: scores 3 yes, 2 partly, 1 no)."""

    answers: int
    yes: int
    partly: int
    no: int

    @property
    def helped(self) -> float | None:
        """The share that answered yes."""
        return round(self.yes / self.answers, 3) if self.answers else None


@dataclass
class Figures:
    filters: Filters
    days: list[dt.date]
    turns: int = 0
    conversations: int = 0
    by_language: dict[str, dict[dt.date, int]] = field(default_factory=dict)  # conversations per day
    by_channel: dict[str, dict[dt.date, int]] = field(default_factory=dict)
    topics: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # language -> top topics (turns)
    fallback: dict[str, dict[dt.date, tuple[int, int]]] = field(default_factory=dict)  # (fell back, turns)
    handovers: list[ReasonRow] = field(default_factory=list)
    waiting_by_language: dict[str, Waits] = field(default_factory=dict)  # time to claim
    callbacks_requested: int = 0
    callbacks_handled: Waits = field(default_factory=lambda: Waits(0, None, None))
    callbacks_open_now: int | None = None  # from the live queue
    satisfaction_by_language: dict[str, Satisfaction] = field(default_factory=dict)
    satisfaction_by_topic: dict[str, Satisfaction] = field(default_factory=dict)
    erasures: int = 0

    def fallback_rate(self, language: str, day: dt.date) -> float | None:
        fell_back, turns = self.fallback.get(language, {}).get(day, (0, 0))
        return fell_back / turns if turns else None


def days_of(filters: Filters) -> list[dt.date]:
    return [filters.start + dt.timedelta(days=n) for n in range((filters.end - filters.start).days + 1)]


def satisfaction(scores: list[int]) -> Satisfaction:
    return Satisfaction(len(scores), scores.count(3), scores.count(2), scores.count(1))


def figures_of(rows: Iterable[dict[str, Any]], filters: Filters) -> Figures:
    figures = Figures(filters, days_of(filters))
    conversations: dict[tuple[str, dt.date], set[str]] = defaultdict(set)  # (language, day)
    by_channel: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
    every: set[tuple[dt.date, str]] = set()
    topics: dict[str, Counter[str]] = defaultdict(Counter)
    fallback: dict[str, dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    stages: dict[str, dict[str, list[int | None]]] = defaultdict(lambda: defaultdict(list))  # reason -> stage
    waits: dict[str, list[int | None]] = defaultdict(list)
    handled: list[int | None] = []
    by_language_scores: dict[str, list[int]] = defaultdict(list)
    by_topic_scores: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        day, kind, language = row["hour"].date(), row["kind"], row["language"]
        if kind == "turn":
            figures.turns += 1
            if row["pseudonym"]:
                conversations[(language, day)].add(row["pseudonym"])
                by_channel[(row["channel"], day)].add(row["pseudonym"])
                every.add((day, row["pseudonym"]))
            if row["topic"]:
                topics[language][row["topic"]] += 1
            counts = fallback[language][day]
            counts[0] += bool(row["fallback"])
            counts[1] += 1
        elif kind == "handover" and row["reason"]:
            stages[row["reason"]][row["stage"] or ""].append(row["seconds"])
            if row["stage"] == "claimed":
                waits[language].append(row["seconds"])
        elif kind == "callback":
            if row["stage"] == "opened":
                figures.callbacks_requested += 1
            elif row["stage"] == "handled":
                handled.append(row["seconds"])
        elif kind == "csat" and row["score"] is not None:
            by_language_scores[language].append(row["score"])
            by_topic_scores[row["topic"] or "-"].append(row["score"])
        elif kind == "erasure":
            figures.erasures += 1
    figures.conversations = len(every)
    for (language, day), names in sorted(conversations.items()):
        figures.by_language.setdefault(language, {})[day] = len(names)
    for (channel, day), names in sorted(by_channel.items()):
        figures.by_channel.setdefault(channel, {})[day] = len(names)
    figures.topics = {language: counts.most_common(TOP_TOPICS) for language, counts in sorted(topics.items())}
    figures.fallback = {
        language: {day: (c[0], c[1]) for day, c in sorted(per_day.items())}
        for language, per_day in sorted(fallback.items())
    }
    figures.handovers = [
        ReasonRow(
            reason,
            len(per_stage.get("opened", [])),
            Waits.of(per_stage.get("claimed", [])),
            Waits.of(per_stage.get("replied", [])),
            len(per_stage.get("stranded", [])),
        )
        for reason, per_stage in sorted(stages.items())
    ]
    figures.waiting_by_language = {language: Waits.of(seconds) for language, seconds in sorted(waits.items())}
    figures.callbacks_handled = Waits.of(handled)
    figures.satisfaction_by_language = {k: satisfaction(v) for k, v in sorted(by_language_scores.items())}
    figures.satisfaction_by_topic = {k: satisfaction(v) for k, v in sorted(by_topic_scores.items())}
    return figures


CSV_HEADER = ("section", "day", "language", "channel", "topic", "reason", "measure", "value")


def csv_rows(figures: Figures) -> list[tuple[str, ...]]:
    """Every figure of the dashboard, one per line, in the dashboard's order."""
    out: list[tuple[str, ...]] = []

    def add(section: str, measure: str, value: Any, day: Any = "", language: str = "", **keys: str) -> None:
        shown = "" if value is None else str(value)
        out.append(
            (
                section,
                str(day),
                language,
                keys.get("channel", ""),
                keys.get("topic", ""),
                keys.get("reason", ""),
                measure,
                shown,
            )
        )

    add("summary", "conversations", figures.conversations)
    add("summary", "turns", figures.turns)
    add("summary", "erasures", figures.erasures)
    for language, per_day in figures.by_language.items():
        for day, count in per_day.items():
            add("conversations_by_language", "conversations", count, day, language)
    for channel, per_day in figures.by_channel.items():
        for day, count in per_day.items():
            add("conversations_by_channel", "conversations", count, day, channel=channel)
    for language, top in figures.topics.items():
        for topic, count in top:
            add("top_topics", "turns", count, language=language, topic=topic)
    for language, rates in figures.fallback.items():
        for day, (fell_back, turns) in rates.items():
            add("fallback", "fallbacks", fell_back, day, language)
            add("fallback", "turns", turns, day, language)
    for row in figures.handovers:
        add("handovers", "opened", row.opened, reason=row.reason)
        add("handovers", "claimed", row.claimed.count, reason=row.reason)
        add("handovers", "claim_median_seconds", row.claimed.median, reason=row.reason)
        add("handovers", "claim_p90_seconds", row.claimed.p90, reason=row.reason)
        add("handovers", "replied", row.replied.count, reason=row.reason)
        add("handovers", "first_reply_median_seconds", row.replied.median, reason=row.reason)
        add("handovers", "first_reply_p90_seconds", row.replied.p90, reason=row.reason)
        add("handovers", "stranded", row.stranded, reason=row.reason)
    for language, waits in figures.waiting_by_language.items():
        add("waiting", "claimed", waits.count, language=language)
        add("waiting", "claim_median_seconds", waits.median, language=language)
        add("waiting", "claim_p90_seconds", waits.p90, language=language)
    add("callbacks", "requested", figures.callbacks_requested)
    add("callbacks", "handled", figures.callbacks_handled.count)
    add("callbacks", "handle_median_seconds", figures.callbacks_handled.median)
    add("callbacks", "open_now", figures.callbacks_open_now)
    for language, answers in figures.satisfaction_by_language.items():
        for measure in ("answers", "yes", "partly", "no", "helped"):
            add("satisfaction_by_language", measure, getattr(answers, measure), language=language)
    for topic, answers in figures.satisfaction_by_topic.items():
        for measure in ("answers", "yes", "partly", "no", "helped"):
            add("satisfaction_by_topic", measure, getattr(answers, measure), topic=topic)
    return out


def to_csv(figures: Figures) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(figures))
    return buffer.getvalue()
