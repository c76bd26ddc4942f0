"""Whether a text holds personal details (a case reference, a date, a phone number), and its
stored stand-in.

Used wherever user texts are kept: the tracker store (bot/tracker_store.py) and the gateway's
transcripts for staff (api/transcripts.py). A date alone counts: it may be a date of birth,
Gregorian or Solar Hijri (۱۳۶۹/۲/۲۴, in whatever language the conversation is). A
phone number counts in any form a person would type it (national, +country code, 00 prefix,
Arabic-Indic or Persian digits): it may be the number given for a call-back."""

from __future__ import annotations

import re

import phonenumbers

from wegwijs.case_references import find_reference
from wegwijs.dates import parse_date, parse_solar_hijri
from wegwijs.normalize import to_ascii_digits

REDACTED_TEXT = "[personal details]"
# A number is read the way someone in the Netherlands would dial it, unless it has a prefix.
HOME_REGION = "NL"


INTERNATIONAL_PREFIX = re.compile(r"(?<![\d+])00 ?(?=[1-9])")


def phone_numbers_in(
    text: str, region: str | None = HOME_REGION, leniency: int = phonenumbers.Leniency.POSSIBLE
) -> list[phonenumbers.PhoneNumber]:
    """Phone numbers in the text; without a ``region`` only those with a country code count."""
    dialled = INTERNATIONAL_PREFIX.sub("+", to_ascii_digits(text))
    return [match.number for match in phonenumbers.PhoneNumberMatcher(dialled, region, leniency)]


def holds_personal_details(text: str | None) -> bool:
    if not text:
        return False
    return (
        find_reference(text) is not None
        or parse_date(text) is not None
        or parse_solar_hijri(text) is not None  # in any language: a date alone counts
        or bool(phone_numbers_in(text))
    )


def redacted(text: str) -> str:
    return REDACTED_TEXT if holds_personal_details(text) else text
