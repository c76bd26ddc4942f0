"""Whether a text holds case details (a case reference or a date), and its stored stand-in.

Used wherever user texts are kept: the tracker store (bot/tracker_store.py) and the gateway's
transcripts for staff (api/transcripts.py). A date alone counts: it may be a date of birth."""
from __future__ import annotations

from typing import Optional

from actions.cases.dates import parse_date
from actions.cases.references import find_reference

REDACTED_TEXT = "[case details]"


def holds_case_details(text: Optional[str]) -> bool:
    return bool(text) and (find_reference(text) is not None or parse_date(text) is not None)


def redacted(text: str) -> str:
    return REDACTED_TEXT if holds_case_details(text) else text
