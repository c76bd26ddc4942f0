"""The multi-replica cluster's tests (scripts/cluster.py): `make test-cluster` runs them, apart
from `make test` (they start whole clusters: several minutes on 2 cores). Collected only with
WEGWIJS_CLUSTER_TESTS=1, which `make test-cluster` sets.

Each cluster is scripts/cluster.py's class on free ports, in a temporary folder, with a Redis of
its own (append-only) and, when the machine's PostgreSQL lets ``postgres`` in, a database of the
run's own for the case store, dropped afterwards (else SQLite). The figures go to
results/cluster.md."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.rate_limits import generous_env
from scripts.cluster import LOCAL_POSTGRES, Cluster, ClusterPorts
from scripts.train import model_path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results" / "cluster.md"

collect_ignore_glob = [] if os.environ.get("WEGWIJS_CLUSTER_TESTS") == "1" else ["test_*.py"]


class Figures:
    """What the run measured, by section, written to results/cluster.md at the end."""

    def __init__(self) -> None:
        self.sections: dict[str, list[str]] = {}

    def add(self, section: str, line: str) -> None:
        self.sections.setdefault(section, []).append(line)

    def write(self, path: Path) -> None:
        if not self.sections:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            "# Cluster figures (`make test-cluster`)",
            "",
            f"Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on this machine ({os.cpu_count()} cores), "
            "written by tests/cluster/. Every process is a replica under supervisord behind HAProxy.",
        ]
        for section, items in self.sections.items():
            lines += ["", f"## {section}", "", *[f"- {item}" for item in items]]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def figures() -> Iterator[Figures]:
    recorded = Figures()
    yield recorded
    recorded.write(RESULTS)


@pytest.fixture(scope="session")
def case_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for the run's case store, dropped afterwards; None without one."""
    try:
        import psycopg2
    except ImportError:
        yield None
        return
    name = "wegwijs_cluster_test_" + secrets.token_hex(4)
    try:
        admin = psycopg2.connect(LOCAL_POSTGRES + "postgres", connect_timeout=2)
    except psycopg2.Error:
        yield None
        return
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield LOCAL_POSTGRES + name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def start_cluster(
    folder: Path,
    database: str | None,
    gateways: int = 2,
    rasa: int = 2,
    actions: int = 2,
    **settings: Any,
) -> Cluster:
    model = model_path()
    if not model.exists():
        pytest.fail(f"{model.name} is missing: run the tests with `make test-cluster`, which trains it")
    extra_env = {**generous_env(), **settings.pop("extra_env", {})}
    cluster = Cluster(
        gateways=gateways,
        rasa=rasa,
        actions=actions,
        ports=ClusterPorts.free(gateways, rasa, actions),
        run_dir=folder,
        model=model,
        database_url=database,
        extra_env=extra_env,
        quiet=True,
        **settings,
    )
    cluster.start(timeout=360)
    return cluster
