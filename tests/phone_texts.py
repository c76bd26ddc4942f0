"""What action_phone_line says for a line, as the stack under test says it (tests' opening hours)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from actions.phone_line import hours_message
from wegwijs.opening_hours import load
from wegwijs.responses import load_specs, render

OPENING_HOURS = Path(__file__).resolve().parent / "fixtures" / "opening_hours.yml"


def phone_texts(line: str, where: str, language: str, now: dt.datetime | None = None) -> list[str]:
    """The number's text, then the opening-hours text when the line has hours."""
    now = now or dt.datetime.now(dt.timezone.utc)
    specs = load_specs()
    texts = [render(specs[f"utter_phone_{line}_{where}"], language).text]
    hours = hours_message(load(OPENING_HOURS), line, now, language)
    if hours:
        key = hours.pop("response")
        texts.append(render(specs[key], language).text.format(**hours))
    return texts


def possible_phone_texts(line: str, where: str, language: str, before: dt.datetime) -> list[list[str]]:
    """Either side of a minute boundary the request may have crossed."""
    after = dt.datetime.now(dt.timezone.utc)
    return [phone_texts(line, where, language, before), phone_texts(line, where, language, after)]
