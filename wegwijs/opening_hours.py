"""When a phone line is open: weekly hours and closed days from bot/opening_hours.yml.

``line_state(line, now)`` says whether the line is open at ``now`` and until when, or when it
opens next. Times are wall-clock times in the configured time zone (summer time included), so
"09:00" is nine in the morning in the Netherlands whatever the date.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from wegwijs.paths import ROOT

DEFAULT_FILE = ROOT / "bot" / "opening_hours.yml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
# How far ahead to look for the next opening (holidays can close a line for a while).
HORIZON_DAYS = 21


@dataclass(frozen=True)
class LineState:
    """``open``: until ``change`` (None: not within the horizon). Closed: opens at ``change``."""

    open: bool
    change: dt.datetime | None


@dataclass(frozen=True)
class Schedule:
    weekly: dict[int, tuple[tuple[dt.time, dt.time | None], ...]]  # weekday -> (start, end); end None = midnight
    closed: frozenset[dt.date]

    def intervals(self, day: dt.date, zone: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
        if day in self.closed:
            return []
        result = []
        for start, end in self.weekly.get(day.weekday(), ()):
            begin = dt.datetime.combine(day, start, tzinfo=zone)
            finish = dt.datetime.combine(
                day + dt.timedelta(days=1) if end is None else day, end or dt.time(0), tzinfo=zone
            )
            result.append((begin, finish))
        return result


@dataclass(frozen=True)
class OpeningHours:
    zone: ZoneInfo
    schedules: dict[str, Schedule]

    def line_state(self, line: str, now: dt.datetime) -> LineState | None:
        """None when the line's hours are not configured."""
        schedule = self.schedules.get(line)
        if schedule is None:
            return None
        local = now.astimezone(self.zone)
        spans = _merged(
            span
            for offset in range(-1, HORIZON_DAYS + 1)
            for span in schedule.intervals(local.date() + dt.timedelta(days=offset), self.zone)
        )
        horizon = local + dt.timedelta(days=HORIZON_DAYS)
        for start, end in spans:
            if start <= local < end:
                return LineState(open=True, change=end if end < horizon else None)
            if start > local:
                return LineState(open=False, change=start)
        return LineState(open=False, change=None)


def _merged(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Sorted spans with touching or overlapping ones joined (17:00-24:00 + 00:00-09:00)."""
    result: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(spans):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(end, result[-1][1]))
        else:
            result.append((start, end))
    return result


def _interval(text: str, where: str) -> tuple[dt.time, dt.time | None]:
    match = INTERVAL.match(str(text).strip())
    if not match:
        raise ValueError(f"{where}: {text!r} is not an interval like 09:00-17:00")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"{where}: {text!r} is not a time of day")
    start, end = dt.time(h1, m1), None if h2 == 24 else dt.time(h2, m2)
    if end is not None and end <= start:
        raise ValueError(f"{where}: {text!r} ends before it starts")
    return start, end


def parse(raw: dict[str, Any], source: str) -> OpeningHours:
    zone = ZoneInfo(raw.get("timezone") or "Europe/Amsterdam")
    schedules = {}
    for line, spec in (raw.get("lines") or {}).items():
        weekly_raw = (spec or {}).get("weekly") or {}
        if not weekly_raw:
            continue
        weekly = {}
        for day, intervals in weekly_raw.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{source}: {line}: {day!r} is not one of {', '.join(WEEKDAYS)}")
            weekly[WEEKDAYS.index(day)] = tuple(_interval(i, f"{source}: {line}: {day}") for i in intervals or ())
        closed = frozenset(dt.date.fromisoformat(str(day)) for day in (spec.get("closed") or ()))
        schedules[line] = Schedule(weekly=weekly, closed=closed)
    return OpeningHours(zone=zone, schedules=schedules)


def hours_file() -> Path:
    return Path(os.environ.get("WEGWIJS_OPENING_HOURS_FILE") or DEFAULT_FILE)


@lru_cache(maxsize=4)
def load(path: Path) -> OpeningHours:
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, str(path))


def opening_hours() -> OpeningHours:
    return load(hours_file())
