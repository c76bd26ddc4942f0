"""The gateway's Prometheus metrics (served at ``GET /metrics``, api/routes/metrics.py)."""

from __future__ import annotations

import time
from collections import deque

from prometheus_client import Counter, Gauge, Histogram

from wegwijs.metrics import LATENCY_BUCKETS

TURN_SECONDS = Histogram(
    "wegwijs_gateway_turn_seconds",
    "One user turn through the gateway, by channel.",
    ["channel"],
    buckets=LATENCY_BUCKETS,
)
RASA_SECONDS = Histogram(
    "wegwijs_gateway_rasa_seconds",
    "The gateway's calls to Rasa, by outcome (ok, unavailable).",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
TICKETS_WAITING = Gauge("wegwijs_tickets_waiting", "Hand-over tickets in the queue, not yet claimed.")
OLDEST_TICKET_SECONDS = Gauge("wegwijs_ticket_oldest_wait_seconds", "How long the oldest queued ticket has waited.")
WHATSAPP_SENDS = Counter(
    "wegwijs_whatsapp_sends_total",
    "WhatsApp Graph API sends, by outcome (sent, refused, throttled, uncertain, not_sent).",
    ["outcome"],
)
WHATSAPP_RETRIES = Counter("wegwijs_whatsapp_send_retries_total", "Graph API send attempts after the first.")
RATE_LIMIT_REFUSALS = Counter("wegwijs_rate_limit_refusals_total", "Requests refused by a rate limit.", ["limit"])
ERASURES = Counter("wegwijs_erasures_total", "Conversations erased, by who asked (user, staff).", ["by"])
SATISFACTION = Counter(
    "wegwijs_satisfaction_answers_total",
    "Answers to 'Did this help you?', by language and answer (yes, partly, no).",
    ["language", "answer"],
)
INSIGHT_LOST = Counter(
    "wegwijs_insight_events_lost_total",
    "Analytics events not written, by reason (queue_full, not_made, not_written).",
    ["reason"],
)
# Operational alerts (issue 15; deploy/prometheus/alerts.yml).
TICKETS_WAITING_LONG = Gauge(
    "wegwijs_tickets_waiting_long",
    "Queued hand-over tickets that have waited longer than WEGWIJS_ALERT_WAIT_MINUTES.",
)
TICKETS_WAITING_LONG_SECONDS = Gauge(
    "wegwijs_tickets_waiting_long_threshold_seconds", "The waiting time above which a ticket counts as waiting long."
)
TURNS_UNDERSTOOD = Counter(
    "wegwijs_turns_understood_total",
    "Turns answered by Rasa, by language and outcome (understood, fallback).",
    ["language", "outcome"],
)
FALLBACK_RATE = Gauge(
    "wegwijs_fallback_rate",
    "Share of this gateway's turns in the last FALLBACK_WINDOW_SECONDS that fell back, by language.",
    ["language"],
)
FALLBACK_WINDOW_SECONDS = 900.0


class FallbackWindow:
    """The turns of the last 15 minutes, per language, for the ``wegwijs_fallback_rate`` gauge
    (set at scrape time). Per process; ``wegwijs_turns_understood_total`` sums across replicas."""

    def __init__(self, seconds: float = FALLBACK_WINDOW_SECONDS) -> None:
        self.seconds = seconds
        self._turns: dict[str, deque[tuple[float, bool]]] = {}

    def add(self, language: str, fell_back: bool, now: float | None = None) -> None:
        TURNS_UNDERSTOOD.labels(language=language, outcome="fallback" if fell_back else "understood").inc()
        self._turns.setdefault(language, deque(maxlen=10_000)).append((now or time.monotonic(), fell_back))

    def publish(self, now: float | None = None) -> None:
        cutoff = (now or time.monotonic()) - self.seconds
        for language, turns in self._turns.items():
            while turns and turns[0][0] < cutoff:
                turns.popleft()
            FALLBACK_RATE.labels(language=language).set(
                sum(1 for _, fell_back in turns if fell_back) / len(turns) if turns else 0.0
            )


FALLBACKS = FallbackWindow()
