"""``GET /api/v1/conversations/{conversation_id}/events``: server-sent events for the web chat.

Staff replies during a hand-over, and the bot's message when the conversation comes back to it,
arrive here as they are sent (api/outbox.py). Each event carries its stream id, so a browser
that reconnects with ``Last-Event-ID`` gets what it missed. A comment line every few seconds
keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import StreamingResponse

from api.conversation_ids import SENDER_PREFIX, UNKNOWN_CONVERSATION
from api.openapi import errors
from api.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["chat"])
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
WAIT_MS = 3000


EVENT_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events: `event: message`, `data:` an OutboxEvent (`{text, kind, buttons?}`, "
        "api/outbox.py), each with its `id:`.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/conversations/{conversation_id}/events",
    response_class=StreamingResponse,
    responses={**EVENT_STREAM, **errors(404, s404="The conversation id was not minted by this gateway.")},
)
async def events(
    request: Request, services: ServicesDep, conversation_id: str = Path(..., pattern=r"^[A-Za-z0-9_:-]{1,64}$")
) -> StreamingResponse:
    """Messages to this conversation outside its own turns (staff replies), as text/event-stream."""
    if not services.ids.valid(conversation_id):
        raise HTTPException(404, UNKNOWN_CONVERSATION)
    if services.staff is None:
        raise HTTPException(503, "live messages need Redis (REDIS_URL)")
    outbox = services.staff.outbox
    last = request.headers.get("last-event-id", "")
    # Without a valid Last-Event-ID: from now on (after the newest entry, or the stream's start).
    after = last if STREAM_ID.match(last) else await outbox.latest_id(SENDER_PREFIX + conversation_id) or "0-0"

    async def stream() -> AsyncIterator[str]:
        nonlocal after
        yield ": connected\n\n"
        while not await request.is_disconnected():
            for entry_id, fields in await outbox.wait(SENDER_PREFIX + conversation_id, after, WAIT_MS):
                after = entry_id
                yield f"id: {entry_id}\nevent: message\ndata: {json.dumps(fields, ensure_ascii=False)}\n\n"
            yield ": waiting\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
