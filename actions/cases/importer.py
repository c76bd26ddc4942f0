"""Import a CSV export of cases into the case store: an idempotent upsert by case reference.

    python -m actions.cases.importer cases.csv [--database-url URL]

Columns (header row required): case_reference, programme, stage, next_step_date,
next_step_place, date_of_birth, phone, last_updated. Dates are ISO (1990-05-14), last_updated an
ISO date-time, phone E.164 (+31612345678) or empty. Every bad row is reported with its line
number and left out; the good rows go in together in one transaction, so a bad row never
aborts the rest or touches existing cases. Prints a summary; exits 1 when any row was rejected.
Row contents are never printed: they are personal data.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from tqdm import tqdm

from actions.cases.programmes import STAGES
from actions.cases.store import Case, CaseStore
from wegwijs.case_references import canonical

COLUMNS = (
    "case_reference",
    "programme",
    "stage",
    "next_step_date",
    "next_step_place",
    "date_of_birth",
    "phone",
    "last_updated",
)
MAX_PLACE = 200


class RowError(ValueError):
    pass


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected"


def _date(value: str, column: str, required: bool) -> dt.date | None:
    value = value.strip()
    if not value:
        if required:
            raise RowError(f"{column} is empty")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RowError(f"{column} is not a date as YYYY-MM-DD") from None


def parse_row(row: dict[str, str], today: dt.date) -> Case:
    reference = canonical(row["case_reference"] or "")
    if not reference:
        raise RowError("case_reference is not a reference like IOM-NL-2026-000042")
    programme = (row["programme"] or "").strip()
    if programme not in STAGES:
        raise RowError(f"programme must be one of {', '.join(STAGES)}")
    stage = (row["stage"] or "").strip()
    if stage not in STAGES[programme]:
        raise RowError(f"stage is not a stage of {programme} ({', '.join(STAGES[programme])})")
    birth = _date(row["date_of_birth"] or "", "date_of_birth", required=True)
    assert birth is not None  # required=True: a missing date is a RowError
    if birth > today or birth.year < 1900:
        raise RowError("date_of_birth is not a plausible date of birth")
    next_date = _date(row["next_step_date"] or "", "next_step_date", required=False)
    place = (row["next_step_place"] or "").strip() or None
    if place and len(place) > MAX_PLACE:
        raise RowError(f"next_step_place is longer than {MAX_PLACE} characters")
    phone = (row["phone"] or "").strip() or None
    if phone:
        try:
            number = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            raise RowError("phone is not an E.164 number like +31612345678") from None
        if not phonenumbers.is_valid_number(number):
            raise RowError("phone is not a valid number")
        phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    try:
        updated = dt.datetime.fromisoformat((row["last_updated"] or "").strip())
    except ValueError:
        raise RowError("last_updated is not an ISO date-time like 2026-11-20T10:15:00") from None
    return Case(reference, programme, stage, next_date, place, birth, phone, updated.replace(tzinfo=None))


def import_file(path: Path, store: CaseStore, progress: bool = True) -> ImportResult:
    result = ImportResult()
    good: dict[str, Case] = {}
    today = dt.date.today()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            result.errors.append(f"line 1: missing column(s) {', '.join(missing)}")
            return result
        for row in tqdm(reader, desc="reading", unit=" rows", disable=not progress, file=sys.stderr):
            line = reader.line_num
            if None in row or any(row[c] is None for c in COLUMNS):
                result.errors.append(f"line {line}: wrong number of fields")
                continue
            try:
                case = parse_row(row, today)
            except RowError as error:
                result.errors.append(f"line {line}: {error}")
                continue
            good[case.reference] = case  # a later row for the same case wins, as in the source system
    counts = store.upsert(tqdm(good.values(), desc="saving", unit=" cases", disable=not progress, file=sys.stderr))
    result.added, result.updated, result.unchanged = counts["added"], counts["updated"], counts["unchanged"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import a CSV export of cases into the case store.")
    parser.add_argument("csv", type=Path)
    parser.add_argument("--database-url", help="default: DATABASE_URL, else .run/cases.sqlite3")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"error: {args.csv} is not a file", file=sys.stderr)
        return 2
    store = CaseStore(args.database_url)
    try:
        result = import_file(args.csv, store, progress=not args.quiet)
    finally:
        store.dispose()
    for error in result.errors:
        print(error, file=sys.stderr)
    print(result.summary())
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
