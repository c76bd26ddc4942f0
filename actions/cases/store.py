"""The case store: one table of cases, SQLite by default, PostgreSQL when DATABASE_URL says so.

Cases arrive from the case management system as CSV exports (actions/cases/importer.py); the
action server only reads. A case is found by its canonical reference (``IOM-NL-2026-000042``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, Date, DateTime, MetaData, String, Table, create_engine, func, select
from sqlalchemy.engine import Engine

from wegwijs.paths import run_dir

metadata = MetaData()
cases = Table(
    "cases",
    metadata,
    Column("reference", String(32), primary_key=True),
    Column("programme", String(32), nullable=False),
    Column("stage", String(48), nullable=False),
    Column("next_step_date", Date, nullable=True),
    Column("next_step_place", String(200), nullable=True),
    Column("date_of_birth", Date, nullable=False),
    Column("phone", String(20), nullable=True),
    Column("last_updated", DateTime, nullable=False),
)


@dataclass(frozen=True)
class Case:
    reference: str
    programme: str
    stage: str
    next_step_date: dt.date | None
    next_step_place: str | None
    date_of_birth: dt.date
    phone: str | None
    last_updated: dt.datetime


def default_url() -> str:
    """DATABASE_URL, else a SQLite file in the run folder."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    folder = run_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'cases.sqlite3'}"


class CaseStore:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        metadata.create_all(self.engine)

    def find(self, reference: str) -> Case | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(cases).where(cases.c.reference == reference)).mappings().first()
        return Case(**row) if row else None

    def upsert(self, items: Iterable[Case]) -> dict[str, int]:
        """Insert or replace cases by reference, in one transaction: all of them or none."""
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        with self.engine.begin() as connection:
            for case in items:
                values = dict(case.__dict__)
                row = connection.execute(select(cases).where(cases.c.reference == case.reference)).mappings().first()
                if row is None:
                    connection.execute(cases.insert().values(**values))
                    counts["added"] += 1
                elif Case(**row) != case:
                    connection.execute(cases.update().where(cases.c.reference == case.reference).values(**values))
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
        return counts

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(cases)).scalar_one())

    def dispose(self) -> None:
        self.engine.dispose()
