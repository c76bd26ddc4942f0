"""Dates of birth as people type them, and dates written the way a locale writes them.

Read: 14-05-1990, 14/5/1990, 14.5.1990, 1990-05-14, "14 mei 1990", "14 May 1990", "May 14 1990",
with ASCII, Arabic-Indic (١٤/٠٥/١٩٩٠) or Persian (۱۴/۰۵/۱۹۹۰) digits. Month names come from
CLDR (through Babel) for every locale people here write in, so "14 دسمبر 1990" and
"14 كانون الأول 1990" work as well as "14 december 1990".
Write: Babel's long date format for the conversation's locale, in that locale's own digits.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from babel.dates import format_date, get_month_names

from wegwijs.digits import to_locale_digits
from wegwijs.languages import babel_name
from wegwijs.normalize import normalize

# Locales whose month names people may type: the shipped languages, Iranian Persian and the
# Levantine/Iraqi Arabic names (كانون الثاني ...).
MONTH_NAME_LOCALES = ("nl", "en", "ar", "fa_AF", "fa", "ar_SY", "ar_IQ", "ps")
EARLIEST_YEAR = 1900

_NUMERIC = re.compile(r"(?<!\d)(\d{1,4})\s*[-/.\s]\s*(\d{1,2})\s*[-/.\s]\s*(\d{1,4})(?!\d)")


def _fold(text: str) -> str:
    """One spelling for Arabic-script variants and digits (wegwijs.normalize), lower case."""
    return normalize(text).lower()


@lru_cache(maxsize=1)
def _month_names() -> list[tuple[str, int]]:
    names: dict[str, int] = {}
    for locale in MONTH_NAME_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    folded = _fold(name).rstrip(".")
                    if len(folded) >= 2:
                        names.setdefault(folded, number)
    # Longest first, so "كانون الثاني" wins over a shorter name inside it.
    return sorted(names.items(), key=lambda item: -len(item[0]))


def parse_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """The date of birth written in ``text``, or None when there is none or it cannot be one."""
    today = today or dt.date.today()
    folded = _fold(text).replace("،", " ").replace(",", " ")
    for candidate in _numeric_candidates(folded) + _named_candidates(folded):
        if candidate.year >= EARLIEST_YEAR and candidate <= today:
            return candidate
    return None


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _numeric_candidates(text: str) -> list[dt.date]:
    found = []
    for a, b, c in _NUMERIC.findall(text):
        if len(a) == 4:  # 1990-05-14
            found.append(_make(int(a), int(b), int(c)))
        elif len(c) == 4:  # 14-05-1990, and 05/14/1990 when the day cannot be a month
            found.append(_make(int(c), int(b), int(a)) or _make(int(c), int(a), int(b)))
    return [d for d in found if d]


def _named_candidates(text: str) -> list[dt.date]:
    found = []
    for name, month in _month_names():
        escaped = re.escape(name)
        day_first = re.search(rf"(?<!\d)(\d{{1,2}})\s*{escaped}\.?\s*(\d{{4}})(?!\d)", text)  # 14 mei 1990
        month_first = re.search(rf"{escaped}\.?\s*(\d{{1,2}})\s+(\d{{4}})(?!\d)", text)  # May 14 1990
        if day_first:
            found.append(_make(int(day_first.group(2)), month, int(day_first.group(1))))
        if month_first:
            found.append(_make(int(month_first.group(2)), month, int(month_first.group(1))))
    return [d for d in found if d]


def format_for(date: dt.date, language: str) -> str:
    """``date`` as the language's locale writes it: Babel's long format, the locale's digits."""
    locale = babel_name(language)
    return to_locale_digits(format_date(date, format="long", locale=locale), locale)
