"""The action server's Prometheus metrics (served at ``GET /metrics``, actions/server.py)."""

from __future__ import annotations

from prometheus_client import Histogram

from wegwijs.metrics import LATENCY_BUCKETS

ACTION_SECONDS = Histogram(
    "wegwijs_action_seconds",
    "One custom action call, by action and outcome (ok, failed).",
    ["action", "outcome"],
    buckets=LATENCY_BUCKETS,
)


def action_label(name: object) -> str:
    """An action's name as a label: only our own actions' names (a closed set), else "other"."""
    return name if isinstance(name, str) and name.startswith(("action_", "validate_")) and len(name) < 64 else "other"
