"""The WhatsApp channel's Redis keys per number, and the stream of sends that failed: named in one
place, so the channel, the worker and the erasure (api/erasure.py) agree."""

from __future__ import annotations

from api.whatsapp.inbox import PREFIX

SENDER_PREFIX = "whatsapp:"
FAILED = PREFIX + "failed"
# Set while Meta throttles the business number (130429, 133016), expiring with the pause: every
# gateway replica waits it out (api/whatsapp/graph.py). It names no one.
NUMBER_PAUSE = PREFIX + "pause:number"


def last_inbound_key(wa_id: str) -> str:
    return f"{PREFIX}last_inbound:{wa_id}"


def numbered_key(wa_id: str) -> str:
    return f"{PREFIX}numbered:{wa_id}"


# The state of one outgoing reply (api/whatsapp/channel.py): claimed before it is sent, then sent,
# failed (recorded in FAILED) or uncertain (may have arrived: recorded in FAILED, never resent).
REPLY_TTL_SECONDS = 7 * 24 * 3600  # as long as an entry can be re-read and Meta redelivers
SENDING, SENT, FAILED_SEND, UNCERTAIN = "sending", "sent", "failed", "uncertain"


def reply_key(reply_id: str) -> str:
    """``reply_id`` is the inbound message's id (or the queued send's stream entry id) and the
    reply's index: stable when the same entry is handled again. It holds no number."""
    return f"{PREFIX}reply:{reply_id}"
