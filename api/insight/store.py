"""The analytics events in the case store's database: SQLite by default, PostgreSQL when
``DATABASE_URL`` says so (the gateway reads the same setting as the action server). The table is
created when it is missing. Everything here is synchronous SQLAlchemy Core: the gateway calls it
from a worker thread (api/insight/recorder.py, api/routes/insight.py), never on its event loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.engine import Engine

from api.insight.events import InsightEvent, insight_events, metadata


@dataclass(frozen=True)
class Filters:
    """The dashboard's and the export's filters: days ``start`` to ``end`` (both included, UTC),
    and one language or all (None)."""

    start: dt.date
    end: dt.date
    language: str | None = None


@dataclass(frozen=True)
class Forget:
    """An erasure in the writer's queue: the events of these pseudonyms go."""

    pseudonyms: tuple[str, ...]


class InsightStore:
    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True)
        metadata.create_all(self.engine)

    def insert(self, events: Sequence[InsightEvent]) -> None:
        self.apply(events)

    def apply(self, items: Sequence[InsightEvent | Forget]) -> None:
        """Events inserted and erasures applied in their order, in one transaction: an erasure
        also takes the conversation's events that were still waiting to be written."""
        with self.engine.begin() as connection:
            pending: list[dict[str, Any]] = []
            for item in items:
                if isinstance(item, InsightEvent):
                    pending.append(item.row())
                    continue
                if pending:
                    connection.execute(insight_events.insert(), pending)
                    pending = []
                if item.pseudonyms:
                    connection.execute(delete(insight_events).where(insight_events.c.pseudonym.in_(item.pseudonyms)))
            if pending:
                connection.execute(insight_events.insert(), pending)

    def purge(self, before: dt.datetime) -> int:
        """Delete every event of an hour before ``before`` (naive UTC): the retention."""
        with self.engine.begin() as connection:
            return int(connection.execute(delete(insight_events).where(insight_events.c.hour < before)).rowcount or 0)

    def forget(self, pseudonyms: Iterable[str]) -> int:
        """Delete the events of these pseudonyms (an erasure, while the period's key still links them)."""
        names = [p for p in pseudonyms if p]
        if not names:
            return 0
        with self.engine.begin() as connection:
            return int(
                connection.execute(delete(insight_events).where(insight_events.c.pseudonym.in_(names))).rowcount or 0
            )

    def rows(self, filters: Filters) -> list[dict[str, Any]]:
        """The events in the filters' days (and language), oldest first."""
        start = dt.datetime.combine(filters.start, dt.time())
        end = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time())
        query = select(insight_events).where(insight_events.c.hour >= start, insight_events.c.hour < end)
        if filters.language:
            query = query.where(insight_events.c.language == filters.language)
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(query.order_by(insight_events.c.hour)).mappings()]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(insight_events)).scalar_one())

    def dispose(self) -> None:
        self.engine.dispose()
