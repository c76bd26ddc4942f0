"""The gateway's Prometheus metrics (served at ``GET /metrics``, api/routes/metrics.py)."""

from __future__ import annotations

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
INSIGHT_LOST = Counter(
    "wegwijs_insight_events_lost_total",
    "Analytics events not written, by reason (queue_full, not_made, not_written).",
    ["reason"],
)
