"""Rasa's Prometheus metrics, served by the gateway channel at ``GET /webhooks/gateway/metrics``
(Rasa's own server has no /metrics; a channel's routes are the place we can add one)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from wegwijs.metrics import LATENCY_BUCKETS

TURN_SECONDS = Histogram(
    "wegwijs_rasa_turn_seconds",
    "One message through Rasa (lock, NLU, policies, actions, tracker store), by outcome (ok, failed).",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
LOCK_WAIT_SECONDS = Histogram(
    "wegwijs_rasa_lock_wait_seconds",
    "How long a turn waited for its conversation's lock (bot/lock_store.py).",
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
LOCK_REFUSALS = Counter("wegwijs_rasa_lock_refusals_total", "Turns refused because the lock was not had in time.")
