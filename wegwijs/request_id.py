"""A request id that follows one turn through the gateway, Rasa and the action server, so that
one turn's log lines can be found in all three processes' logs. It names the turn, nobody.

- The gateway takes a well-formed ``X-Request-ID`` from the caller (a proxy's) or makes one
  (api/request_ids.py), answers with it, and sends it to Rasa in the message's metadata.
- Rasa's gateway channel sets it for the turn (bot/channels/gateway_channel.py); the action
  server reads it from the tracker's latest message metadata (actions/server.py).
- ``RequestIdFilter`` (in bot/logging.yml) writes it into every log record as ``request_id``.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
METADATA_KEY = "request_id"
NONE = "-"
_WELL_FORMED = re.compile(r"[A-Za-z0-9_.:-]{8,64}")
CURRENT: ContextVar[str] = ContextVar("wegwijs_request_id", default=NONE)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def well_formed(value: object) -> str | None:
    """The value when it can be a request id (a caller's text goes into logs only in this shape)."""
    return value if isinstance(value, str) and _WELL_FORMED.fullmatch(value) else None


def current() -> str:
    return CURRENT.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a turn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = CURRENT.get()
        return True
