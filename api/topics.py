"""A turn's topic and phone line, from the response keys of its replies (bot/responses.yml)."""

from __future__ import annotations

from collections.abc import Iterable

from wegwijs.responses import load_specs

FALLBACK_TOPIC = "out_of_scope"
# A turn that touches safety is a safety turn, whatever else it says.
PRIORITY_TOPICS = ("safety",)


def topic_and_line(response_keys: Iterable[str | None]) -> tuple[str, str | None]:
    specs = load_specs()
    known = [specs[key] for key in response_keys if key in specs]
    if not known:
        return FALLBACK_TOPIC, None
    topics = [spec.topic for spec in known]
    topic = next((t for t in PRIORITY_TOPICS if t in topics), topics[0])
    line = next((spec.phone_line for spec in known if spec.phone_line), None)
    return topic, line
