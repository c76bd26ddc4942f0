"""Case references and dates of birth are read the way people type them, and dates are written
the way each shipped locale writes them."""

from __future__ import annotations

import datetime as dt

import pytest

from actions.case_status import read_values
from wegwijs.case_references import canonical, find_reference
from wegwijs.dates import format_for, format_solar_hijri, parse_date, parse_date_of_birth

MAY_14 = dt.date(1990, 5, 14)


@pytest.mark.parametrize(
    "typed",
    [
        "IOM-NL-2026-000042",
        "iom-nl-2026-000042",
        "IOM NL 2026 000042",
        "iomnl2026000042",
        "IOM NL-2026 000042",
        " IOM-NL-2026-000042 ",
        "IOM-NL-۲۰۲۶-۰۰۰۰۴۲",
        "IOM-NL-٢٠٢٦-٠٠٠٠٤٢",
    ],
)
def test_references_with_or_without_dashes_spaces_and_case(typed: str) -> None:
    assert canonical(typed) == "IOM-NL-2026-000042"


@pytest.mark.parametrize("typed", ["IOM-NL-2026-00004", "IOM-NL-2026-0000421", "IOM-BE-2026-000042", "2026-000042", ""])
def test_what_is_not_a_reference(typed: str) -> None:
    assert find_reference(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "14-05-1990",
        "14/5/1990",
        "14.05.1990",
        "1990-05-14",
        "14 mei 1990",
        "14 May 1990",
        "May 14, 1990",
        "١٤/٠٥/١٩٩٠",
        "۱۴/۰۵/۱۹۹۰",
        "14 مايو 1990",
        "14 أيار 1990",
        "۱۴ می ۱۹۹۰",
        "geboren op 14-5-1990",
    ],
)
def test_dates_of_birth_as_people_write_them(typed: str) -> None:
    assert parse_date(typed) == MAY_14


@pytest.mark.parametrize("typed", ["31-02-1990", "14-05-2090", "hello", "14-05", "1990", "IOM-NL-2026-000042"])
def test_what_is_not_a_date_of_birth(typed: str) -> None:
    assert parse_date(typed) is None


def test_both_in_one_message_in_either_order() -> None:
    expected = {"case_reference": "IOM-NL-2026-000042", "date_of_birth": "1990-05-14"}
    assert read_values("iom nl 2026 000042 14-05-1990") == (expected, None)
    assert read_values("geboren 14 mei 1990, dossier IOM-NL-2026-000042") == (expected, None)
    assert read_values("شماره دوسیه IOM-NL-۲۰۲۶-۰۰۰۰۴۲ تولد ۱۴/۰۵/۱۹۹۰", "fa-AF") == (expected, None)
    solar = read_values("شماره دوسیه IOM-NL-۲۰۲۶-۰۰۰۰۴۲ تولد ۱۳۶۹/۲/۲۴", "fa-AF")
    assert solar == (expected, MAY_14)


@pytest.mark.parametrize(
    "typed, language",
    [
        ("۱۳۶۹/۲/۲۴", "fa-AF"),  # the tazkira's way, Persian digits
        ("1369-02-24", "fa-AF"),
        ("24/2/1369", "fa-AF"),
        ("۲۴ ثور ۱۳۶۹", "fa-AF"),  # Afghan month name
        ("24 اردیبهشت 1369", "fa-AF"),  # Iranian month name
        ("تولدم ۲۴ غویی ۱۳۶۹ است", "ps"),  # Pashto month name
    ],
)
def test_solar_hijri_dates_of_birth_in_dari_and_pashto(typed: str, language: str) -> None:
    assert parse_date_of_birth(typed, language) == (MAY_14, True)


@pytest.mark.parametrize(
    "typed, language",
    [("1369/2/24", "ar"), ("1369/2/24", "nl"), ("1369/12/31", "fa-AF"), ("1410/1/1", "fa-AF")],
)
def test_what_is_not_a_solar_hijri_date_of_birth(typed: str, language: str) -> None:
    """Only in Dari and Pashto; 1369 had no 31 Esfand; 1410 is still to come."""
    assert parse_date_of_birth(typed, language, today=dt.date(2026, 12, 2)) is None


def test_a_solar_hijri_date_is_written_back_in_both_calendars() -> None:
    assert format_solar_hijri(MAY_14, "fa-AF") == "۲۴ ثور ۱۳۶۹"
    assert format_solar_hijri(MAY_14, "ps") == "۲۴ غویی ۱۳۶۹"
    assert parse_date_of_birth("14-05-1990", "fa-AF") == (MAY_14, False)


@pytest.mark.parametrize(
    "language, written",
    [
        ("nl", "10 december 2026"),
        ("en", "December 10, 2026"),
        ("ar", "10 ديسمبر 2026"),
        ("fa-AF", "۱۰ دسمبر ۲۰۲۶"),
    ],
)
def test_dates_are_written_as_the_locale_writes_them(language: str, written: str) -> None:
    assert format_for(dt.date(2026, 12, 10), language) == written
