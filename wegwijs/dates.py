"""Dates of birth as people type them, and dates written the way a locale writes them.

Read: 14-05-1990, 14/5/1990, 14.5.1990, 1990-05-14, "14 mei 1990", "14 May 1990", "May 14 1990",
with ASCII, Arabic-Indic (١٤/٠٥/١٩٩٠) or Persian (۱۴/۰۵/۱۹۹۰) digits. Month names come from
CLDR (through Babel) for every locale people here write in, so "14 دسمبر 1990" and
"14 كانون الأول 1990" work as well as "14 december 1990".
Solar Hijri: many Afghans know their date of birth from the tazkira, in the Solar Hijri calendar
(۱۳۶۹/۲/۲۴, "24 ثور 1369"). In Dari and Pashto conversations a year between 1280 and 1420 is
read as one, with the Afghan (حمل، ثور ...), Iranian (فروردین ...) and Pashto (وری، غویی ...)
month names, and converted with jdatetime (a maintained Jalali calendar library).
Write: Babel's long date format for the conversation's locale, in that locale's own digits.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import jdatetime
from babel.dates import format_date, get_month_names

from wegwijs.digits import to_locale_digits
from wegwijs.languages import babel_name
from wegwijs.normalize import normalize

# Locales whose month names people may type: the shipped languages, Iranian Persian and the
# Levantine/Iraqi Arabic names (كانون الثاني ...).
MONTH_NAME_LOCALES = ("nl", "en", "ar", "fa_AF", "fa", "ar_SY", "ar_IQ", "ps")
EARLIEST_YEAR = 1900
# The conversations in which a year like 1369 is a Solar Hijri one.
SOLAR_HIJRI_LANGUAGES = frozenset({"fa-AF", "ps", "fa"})
SOLAR_HIJRI_YEARS = range(1280, 1421)  # 1901 to 2042
AFGHAN_SOLAR_MONTHS = ("حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله", "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت")
PASHTO_SOLAR_MONTHS = (
    *("وری", "غویی", "غبرګولی", "چنګاښ", "زمری", "وږی"),
    *("تله", "لړم", "لیندۍ", "مرغومی", "سلواغه", "کب"),
)

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


def _prepare(text: str) -> str:
    """Folded (``_fold``), with commas as spaces: "14 May, 1990", "۲۴ ثور، ۱۳۶۹"."""
    return _fold(text).replace("،", " ").replace(",", " ")


def parse_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """The date of birth written in ``text``, or None when there is none or it cannot be one."""
    today = today or dt.date.today()
    folded = _prepare(text)
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


def _solar(year: int, month: int, day: int) -> dt.date | None:
    if year not in SOLAR_HIJRI_YEARS:
        return None
    try:
        gregorian: dt.date = jdatetime.date(year, month, day).togregorian()
    except ValueError:
        return None
    return gregorian


@lru_cache(maxsize=1)
def _solar_month_patterns() -> list[tuple[re.Pattern[str], int]]:
    """ "24 ثور 1369" for every Solar Hijri month name, longest name first, compiled once: the
    redaction of every stored user text runs them."""
    names = [*AFGHAN_SOLAR_MONTHS], [*jdatetime.date.j_months_fa], [*PASHTO_SOLAR_MONTHS]
    folded = {_fold(name): number for table in names for number, name in enumerate(table, start=1)}
    return [
        (re.compile(rf"(?<!\d)(\d{{1,2}})\s*{re.escape(name)}\s*(\d{{4}})(?!\d)"), month)
        for name, month in sorted(folded.items(), key=lambda item: -len(item[0]))
    ]


def parse_solar_hijri(text: str, today: dt.date | None = None) -> dt.date | None:
    """A Solar Hijri date of birth in ``text`` (1369/2/24, 24-2-1369, "24 ثور 1369"), as its
    Gregorian date; None when there is none."""
    today = today or dt.date.today()
    folded = _prepare(text)
    found = []
    for a, b, c in _NUMERIC.findall(folded):
        if len(a) == 4:
            found.append(_solar(int(a), int(b), int(c)))
        elif len(c) == 4:
            found.append(_solar(int(c), int(b), int(a)))
    for pattern, month in _solar_month_patterns():
        day_first = pattern.search(folded)
        if day_first:
            found.append(_solar(int(day_first.group(2)), month, int(day_first.group(1))))
    return next((d for d in found if d and d <= today), None)


def parse_date_of_birth(text: str, language: str | None, today: dt.date | None = None) -> tuple[dt.date, bool] | None:
    """The date of birth in ``text`` and whether it was written in the Solar Hijri calendar (read
    only in Dari and Pashto conversations), or None."""
    gregorian = parse_date(text, today)
    if gregorian:
        return gregorian, False
    solar = parse_solar_hijri(text, today) if language in SOLAR_HIJRI_LANGUAGES else None
    return (solar, True) if solar else None


def format_solar_hijri(date: dt.date, language: str) -> str:
    """``date`` in the Solar Hijri calendar, with the Afghan (or Pashto) month name, in the
    locale's digits: ۲۴ ثور ۱۳۶۹."""
    solar = jdatetime.date.fromgregorian(date=date)
    months = PASHTO_SOLAR_MONTHS if language == "ps" else AFGHAN_SOLAR_MONTHS
    return to_locale_digits(f"{solar.day} {months[solar.month - 1]} {solar.year}", babel_name(language))


def format_for(date: dt.date, language: str) -> str:
    """``date`` as the language's locale writes it: Babel's long format, the locale's digits."""
    locale = babel_name(language)
    return to_locale_digits(format_date(date, format="long", locale=locale), locale)
