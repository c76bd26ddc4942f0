"""The case store and its CSV import, against SQLite and the PostgreSQL server on 127.0.0.1.

The PostgreSQL half runs in a schema of its own that is dropped afterwards; where no server is
reachable it is skipped with a message saying so.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from actions.cases.importer import import_file, main as import_main
from actions.cases.store import CaseStore

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "cases" / "demo.csv"
POSTGRES_URL = os.environ.get("WEGWIJS_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
HEADER = "case_reference,programme,stage,next_step_date,next_step_place,date_of_birth,phone,last_updated\n"


def postgres_store() -> Iterator[CaseStore]:
    schema = "wegwijs_test_" + uuid.uuid4().hex[:8]
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server means: skip
        admin.dispose()
        pytest.skip(
            f"PostgreSQL not reachable at {POSTGRES_URL} ({type(error).__name__}): "
            "PostgreSQL half of the case store tests skipped"
        )
    store = CaseStore(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    if request.param == "sqlite":
        sqlite = CaseStore(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
        yield sqlite
        sqlite.dispose()
    else:
        yield from postgres_store()


def test_demo_cases_import_and_are_found(store: CaseStore) -> None:
    result = import_file(DEMO, store, progress=False)
    assert (result.added, result.updated, result.rejected) == (5, 0, 0)
    case = store.find("IOM-NL-2026-000042")
    assert case.programme == "family_reunification" and case.stage == "dna_sample_scheduled"
    assert case.date_of_birth == dt.date(1990, 5, 14) and case.next_step_date == dt.date(2026, 12, 10)
    assert case.next_step_place == "Addis Ababa"
    resettled = store.find("IOM-NL-2025-000913")
    assert resettled.next_step_date is None and resettled.next_step_place is None
    assert store.find("IOM-NL-2026-000043") is None


def test_import_is_idempotent(store: CaseStore) -> None:
    import_file(DEMO, store, progress=False)
    again = import_file(DEMO, store, progress=False)
    assert (again.added, again.updated, again.unchanged, again.rejected) == (0, 0, 5, 0)
    assert store.count() == 5


def test_bad_rows_are_reported_by_line_and_never_touch_the_rest(store: CaseStore, tmp_path: Path) -> None:
    import_file(DEMO, store, progress=False)
    before = store.find("IOM-NL-2026-000107")
    export = tmp_path / "export.csv"
    export.write_text(
        HEADER
        + "iom nl 2026 000042,family_reunification,dna_sample_taken,,,1990-05-14,,2026-11-28T10:00:00\n"  # 2: update
        + "IOM-NL-2026-000107,voluntary_return,flying_home,,,1985-11-02,,2026-11-28T10:00:00\n"  # 3: bad stage
        + "IOM-NL-2026-000500,resettlement,selected,,,2002-02-30,,2026-11-28T10:00:00\n"  # 4: bad date
        + "IOM-NL-2026-000501,resettlement,selected,,,2002-02-03,0612,2026-11-28T10:00:00\n"  # 5: bad phone
        + "IOM-NL-2026-000502,visa,selected,,,2002-02-03,,2026-11-28T10:00:00\n"  # 6: bad programme
        + "IOM-NL-2026-000503,resettlement\n"  # 7: short row
        # 8: a good row
        + "IOM-NL-2026-000504,resettlement,arrived,2026-12-01,Schiphol,2003-03-04,+31612345678,2026-11-28T10:00:00\n",
        encoding="utf-8",
    )
    result = import_file(export, store, progress=False)
    assert (result.added, result.updated, result.rejected) == (1, 1, 5)
    assert [e.split(":")[0] for e in result.errors] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "stage" in result.errors[0] and "date_of_birth" in result.errors[1] and "phone" in result.errors[2]
    assert store.find("IOM-NL-2026-000042").stage == "dna_sample_taken"
    assert store.find("IOM-NL-2026-000107") == before
    assert store.find("IOM-NL-2026-000504").phone == "+31612345678"
    assert store.find("IOM-NL-2026-000500") is None


def test_import_command_summarises_without_printing_personal_data(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        DEMO.read_text(encoding="utf-8")
        + "IOM-NL-2026-000777,resettlement,nowhere,,,1999-09-09,,2026-11-28T10:00:00\n",
        encoding="utf-8",
    )
    code = import_main([str(export), "--database-url", f"sqlite:///{tmp_path / 'c.sqlite3'}", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "5 added, 0 updated, 0 unchanged, 1 rejected" in out
    assert "line 7: stage" in err
    assert "IOM-NL" not in out + err and "1999-09-09" not in out + err


def test_missing_columns_are_one_clear_error(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("case_reference,stage\nIOM-NL-2026-000042,intake\n", encoding="utf-8")
    store = CaseStore(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    result = import_file(export, store, progress=False)
    store.dispose()
    assert result.errors and result.errors[0].startswith("line 1: missing column(s) programme")
