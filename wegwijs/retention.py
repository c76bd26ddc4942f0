"""How long each kind of stored data is kept: the retention table of docs/privacy.md, as settings.

Every Redis key that holds personal data either expires or is trimmed by age, with the durations
below. Each can be changed with its environment variable (whole days or minutes); the defaults
are what docs/privacy.md promises. Rasa's tracker store has its own ``record_exp`` in
bot/endpoints.yml, equal to the conversation default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DAY = 24 * 3600


class RetentionConfigurationError(ValueError):
    pass


def _whole(variable: str, default: int, least: int = 1) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < least:
        raise RetentionConfigurationError(f"{variable} must be a whole number of at least {least}, not {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Retention:
    conversation_seconds: int  # gateway state, transcript, closed tickets (without the number)
    callback_seconds: int  # an open call-back request with its number, at most
    stranded_seconds: int  # a hand-over nobody acts on goes back to the bot after this
    whatsapp_failed_seconds: int  # WhatsApp messages that could not be sent, for a retry
    whatsapp_status_seconds: int  # delivery statuses (no number, no text)
    audit_seconds: int  # staff actions (names, ticket ids, outcomes; no user data)
    outbox_seconds: int  # staff replies waiting for the web chat to fetch them
    # Analytics events (api/insight/): pseudonymous, nothing typed; 400 days, so a month can be
    # compared with the same month a year before.
    analytics_seconds: int = 400 * DAY

    @classmethod
    def from_env(cls) -> Retention:
        return cls(
            conversation_seconds=_whole("WEGWIJS_KEEP_CONVERSATION_DAYS", 30) * DAY,
            callback_seconds=_whole("WEGWIJS_KEEP_CALLBACK_DAYS", 7) * DAY,
            stranded_seconds=_whole("WEGWIJS_HANDOVER_STRANDED_MINUTES", 15) * 60,
            whatsapp_failed_seconds=_whole("WEGWIJS_KEEP_WHATSAPP_FAILED_DAYS", 7) * DAY,
            whatsapp_status_seconds=_whole("WEGWIJS_KEEP_WHATSAPP_STATUS_DAYS", 7) * DAY,
            audit_seconds=_whole("WEGWIJS_KEEP_AUDIT_DAYS", 365) * DAY,
            outbox_seconds=DAY,
            analytics_seconds=_whole("WEGWIJS_KEEP_ANALYTICS_DAYS", 400) * DAY,
        )

    @property
    def conversation_days(self) -> int:
        return self.conversation_seconds // DAY

    @property
    def callback_days(self) -> int:
        return self.callback_seconds // DAY

    @property
    def analytics_days(self) -> int:
        return self.analytics_seconds // DAY


def retention() -> Retention:
    return Retention.from_env()


def min_stream_id(now: float, keep_seconds: int) -> str:
    """The oldest stream id to keep (``XADD ... MINID``): entries older than ``keep_seconds`` go."""
    return f"{int((now - keep_seconds) * 1000)}-0"
