"""The WhatsApp channel's Redis keys per number, and the stream of sends that failed: named in one
place, so the channel, the worker and the erasure (api/erasure.py) agree."""

from __future__ import annotations

from api.whatsapp.inbox import PREFIX

SENDER_PREFIX = "whatsapp:"
FAILED = PREFIX + "failed"


def last_inbound_key(wa_id: str) -> str:
    return f"{PREFIX}last_inbound:{wa_id}"


def numbered_key(wa_id: str) -> str:
    return f"{PREFIX}numbered:{wa_id}"
