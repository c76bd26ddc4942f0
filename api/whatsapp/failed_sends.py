"""The WhatsApp sends that did not surely arrive, as a supervisor reviews them.

The channel records every send Meta refused (``failed``) or that may have arrived (``uncertain``:
a read timeout, a send cut off mid-way) in the ``wegwijs:wa:failed`` stream (api/whatsapp/keys.py),
and never sends them again by itself. Here a person decides, one entry at a time:

- **send again** queues the same message behind the user's later messages (the inbox's per-number
  order), only inside WhatsApp's 24-hour window, when Meta still accepts a free-form message. An
  ``uncertain`` one is sent again only when the supervisor confirms that the user may then get it
  twice: the decision the channel must not take blindly is taken knowingly.
- **dismiss** drops the entry (the user was called, or the message no longer matters).

Either way the entry leaves the stream, so nobody sends it twice; the stream is trimmed by age
too (docs/privacy.md).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from api.whatsapp.keys import FAILED, UNCERTAIN, last_inbound_key

WINDOW_SECONDS = 24 * 3600  # Meta's customer service window after the user's last message
LISTED = 200  # the newest entries a supervisor sees at once; older ones expire by age


@dataclass(frozen=True)
class FailedSend:
    id: str  # the stream entry id
    to: str  # the WhatsApp number (wa_id, digits only)
    message: dict[str, Any]  # the Graph API message as it was to be sent
    outcome: str  # failed (Meta did not send it) or uncertain (it may have arrived)
    status: str  # the HTTP status Meta answered, or empty
    error_code: str  # Meta's error code, or empty
    error: str  # the exception's type for an uncertain send, or empty
    at: float  # when it was recorded
    in_window: bool  # whether a free-form message may still be sent to the number

    @property
    def may_have_arrived(self) -> bool:
        return self.outcome == UNCERTAIN


def preview(message: dict[str, Any]) -> str:
    """The words of a Graph API message as the user would read them (text, or an interactive
    message's body and its choices)."""
    kind = message.get("type")
    if kind == "text":
        return str(message.get("text", {}).get("body", ""))
    if kind == "interactive":
        interactive = message.get("interactive", {})
        body = str(interactive.get("body", {}).get("text", ""))
        action = interactive.get("action", {})
        choices = [b.get("reply", {}).get("title", "") for b in action.get("buttons", [])]
        choices += [row.get("title", "") for s in action.get("sections", []) for row in s.get("rows", [])]
        return " | ".join([body, *[c for c in choices if c]])
    if kind == "template":
        return f"[template {message.get('template', {}).get('name', '')}]"
    return f"[{kind}]"


class FailedSends:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis

    async def _entry(self, entry_id: str, fields: dict[bytes, bytes], now: float) -> FailedSend | None:
        values = {k.decode(): v.decode() for k, v in fields.items()}
        try:
            message = json.loads(values["body"])
            at = float(values.get("at") or 0)
        except (KeyError, ValueError):
            return None  # not an entry this code wrote: left for the trim by age
        last = await self._redis.get(last_inbound_key(values.get("to", "")))
        return FailedSend(
            id=entry_id,
            to=values.get("to", ""),
            message=message,
            outcome=values.get("outcome") or "failed",
            status=values.get("status", ""),
            error_code=values.get("error_code", ""),
            error=values.get("error", ""),
            at=at,
            in_window=last is not None and now - float(last) < WINDOW_SECONDS,
        )

    async def newest(self) -> list[FailedSend]:
        now = time.time()
        listed = []
        for entry_id, fields in await self._redis.xrevrange(FAILED, count=LISTED):
            entry = await self._entry(entry_id.decode(), fields, now)
            if entry is not None:
                listed.append(entry)
        return listed

    async def get(self, entry_id: str) -> FailedSend | None:
        found = await self._redis.xrange(FAILED, min=entry_id, max=entry_id, count=1)
        if not found:
            return None
        return await self._entry(entry_id, found[0][1], time.time())

    async def take(self, entry_id: str) -> bool:
        """Remove the entry; False when another supervisor (or the trim) removed it first, so one
        entry is acted on once."""
        return bool(await self._redis.xdel(FAILED, entry_id))
