"""The same order test on a cluster whose Rasa replicas use Rasa's stock ``RedisLockStore``
(an endpoints file of this test's own: ``lock_store: type: redis``), and otherwise the same
settings. It must fail, and does: the stock store issues and releases tickets with a read in one
command and a write in another, so two replicas take the same ticket or drop each other's, and a
conversation's turns run at once and overwrite each other's events (docs/architecture.md,
"One turn at a time across replicas"). Strict: if it ever passes, the suite fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.cluster import Cluster
from tests.cluster.conftest import Figures, start_cluster
from tests.cluster.order import RASA_TIMEOUT, check_order

ROOT = Path(__file__).resolve().parents[2]
STOCK_LOCK_STORE = """
  type: redis
  url: ${REDIS_HOST}
  port: ${REDIS_PORT}
  db: ${REDIS_DB}
  password: ${REDIS_PASSWORD}
  key_prefix: wegwijs
"""


def stock_endpoints(folder: Path) -> Path:
    """bot/endpoints.yml with its lock store replaced by Rasa's stock one."""
    shipped = (ROOT / "bot" / "endpoints.yml").read_text(encoding="utf-8")
    head, _, _ = shipped.partition("lock_store:")
    assert "FencedRedisLockStore" not in head, "the lock store is the last section of bot/endpoints.yml"
    path = folder / "endpoints.stock-lock-store.yml"
    path.write_text(head + "lock_store:" + STOCK_LOCK_STORE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stock_cluster(tmp_path_factory: pytest.TempPathFactory, case_database: str | None) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster-stock")
    running = start_cluster(
        folder, case_database, gateways=2, rasa=3, actions=2, endpoints=stock_endpoints(folder), extra_env=RASA_TIMEOUT
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Rasa's RedisLockStore is not safe across replicas: tickets are read and written back in separate "
    "commands, so concurrent turns of one conversation run together and lose or interleave events",
)
def test_every_turn_stays_in_order_with_rasas_stock_lock_store(stock_cluster: Cluster, figures: Figures) -> None:
    check_order(stock_cluster, figures, "Rasa's stock RedisLockStore (expected to fail)")
