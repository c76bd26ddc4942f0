"""Prometheus metrics, shared helpers (prometheus-client). What a process counts, never who: every
label is a closed set (a channel, an outcome, a limit's or an action's name), never a text, a
number, a reference or a conversation id, so /metrics holds no personal data.

Each process defines its own metrics (api/metrics.py, bot/metrics.py, actions/metrics.py) in the
default registry and serves it at its /metrics.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

# Seconds: a turn is usually under a second; Rasa's timeout is 30 s.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


def exposition() -> tuple[bytes, str]:
    """The default registry in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
