"""The WhatsApp inbox: deliveries stored durably in Redis streams before the webhook answers.

Every message is claimed by its id first (``SET NX`` with a 7-day TTL, in the same Lua script
as the ``XADD``), so a delivery Meta sends twice, even twice at the same moment, is stored
once. Messages go to one of ``PARTITIONS`` streams chosen by the sender's number, so one
worker per partition keeps each user's messages in order while users are served in parallel
(api/whatsapp/worker.py). Messages the gateway sends outside a user's turn (staff replies) go
into the user's partition too, behind what the user said before. Status callbacks (sent,
delivered, read, failed) are recorded in a capped stream, without the recipient's number.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from redis.asyncio import Redis

from wegwijs.retention import min_stream_id, retention

PREFIX = "wegwijs:wa:"
PARTITIONS = 8
SEEN_TTL_SECONDS = 7 * 24 * 3600  # Meta retries a delivery for up to a week
STATUSES = PREFIX + "statuses"
KEEP = retention()

CLAIM_AND_STORE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 'kind', 'message', 'body', ARGV[2])
  return 1
end
return 0
"""


def partition_of(wa_id: str) -> int:
    return int(hashlib.sha256(wa_id.encode("utf-8")).hexdigest()[:8], 16) % PARTITIONS


def partition_key(partition: int) -> str:
    return f"{PREFIX}inbound:{partition}"


def messages_and_statuses(delivery: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The messages and status callbacks of a webhook delivery (anything else is ignored)."""
    messages: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    if not isinstance(delivery, dict) or delivery.get("object") != "whatsapp_business_account":
        return messages, statuses
    for entry in delivery.get("entry") or []:
        for change in (entry or {}).get("changes") or [] if isinstance(entry, dict) else []:
            value = (change or {}).get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            messages += [
                m for m in value.get("messages") or [] if isinstance(m, dict) and m.get("id") and m.get("from")
            ]
            statuses += [s for s in value.get("statuses") or [] if isinstance(s, dict) and s.get("id")]
    return messages, statuses


class Inbox:
    def __init__(self, redis: Redis[bytes]) -> None:
        self._redis = redis
        self._claim = redis.register_script(CLAIM_AND_STORE)

    async def accept(self, delivery: Any) -> tuple[int, int, int]:
        """Store a delivery's new messages and its statuses: (stored, duplicates, statuses)."""
        messages, statuses = messages_and_statuses(delivery)
        stored = 0
        for message in messages:
            wa_id = str(message["from"])
            stored += await self._claim(
                keys=[f"{PREFIX}seen:{message['id']}", partition_key(partition_of(wa_id))],
                args=[SEEN_TTL_SECONDS, json.dumps(message, ensure_ascii=False)],
            )
        if statuses:
            async with self._redis.pipeline(transaction=False) as pipe:
                for status in statuses:
                    errors = status.get("errors") or [{}]
                    pipe.xadd(
                        STATUSES,
                        {
                            "id": str(status["id"]),
                            "status": str(status.get("status", "")),
                            "timestamp": str(status.get("timestamp", "")),
                            "error_code": str((errors[0] or {}).get("code", "")) if isinstance(errors, list) else "",
                        },
                        minid=min_stream_id(time.time(), KEEP.whatsapp_status_seconds),
                        approximate=True,
                    )
                await pipe.execute()
        return stored, len(messages) - stored, len(statuses)

    async def send_later(self, wa_id: str, message: dict[str, Any]) -> None:
        """Queue a Graph API message (staff reply, hand-back) behind the user's earlier messages."""
        await self._redis.xadd(
            partition_key(partition_of(wa_id)),
            {"kind": "send", "to": wa_id, "body": json.dumps(message, ensure_ascii=False), "at": repr(time.time())},
        )
