"""What Rasa understood of the turn's message (intent and confidence), for the gateway's reply.

The gateway's analytics (api/insight/) count intents and how sure the classifier was; Rasa's
``handle_message`` returns only the bot's messages. The gateway channel puts an empty box in this
context variable before the turn; the tracker store, which saves the tracker at the end of the
same turn in the same task, writes the latest message's intent name and confidence into it
(bot/tracker_store.py). No second read of the tracker, and nothing of the message's text.
With another tracker store (the in-memory one of bot/endpoints.memory.yml) the box stays empty
and the gateway records the turn without an intent.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

UNDERSTOOD: ContextVar[dict[str, Any] | None] = ContextVar("wegwijs_understood", default=None)


def note(latest_message: dict[str, Any] | None) -> None:
    """Called with the tracker's ``latest_message`` when the turn's tracker is saved."""
    box = UNDERSTOOD.get()
    intent = (latest_message or {}).get("intent") or {}
    if box is None or not isinstance(intent, dict):
        return
    name, confidence = intent.get("name"), intent.get("confidence")
    box["intent"] = name if isinstance(name, str) else None
    box["confidence"] = float(confidence) if isinstance(confidence, (int, float)) else None
