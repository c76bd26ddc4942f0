"""``POST /api/v1/messages``: one user message in, the assistant's replies out."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from api.payloads import is_offered
from api.schemas import ErrorOut, MessageIn, MessageOut
from api.services import ServicesDep
from api.turns import take_turn

router = APIRouter(prefix="/api/v1", tags=["chat"])

SENDER_PREFIX = "api:"
UNKNOWN_CONVERSATION = "unknown conversation: start one with POST /api/v1/conversations"


@router.post(
    "/messages",
    response_model=MessageOut,
    responses={404: {"model": ErrorOut, "description": "The conversation id was not minted by this gateway."},
               422: {"model": ErrorOut}, 503: {"model": MessageOut, "description": "The assistant could not answer; the reply says so and gives the phone line."}},
)
async def post_message(body: MessageIn, services: ServicesDep) -> JSONResponse:
    """Send what the user typed (or the payload of a button they pressed) and get the replies.

    The reply is in the conversation's language: the user's explicit choice, else the language
    detected from their messages. `topic` classifies this turn; `phone_line` names the line a
    reply gives, if any; `handover` says, when a person is involved, whether the conversation
    waits in the staff queue (with its position) or a staff member has it. While it does, the
    assistant is silent: staff replies arrive on `/api/v1/conversations/{id}/events`.
    """
    if not services.ids.valid(body.conversation_id):
        raise HTTPException(404, UNKNOWN_CONVERSATION)
    if body.payload is not None and not is_offered(body.payload):
        return JSONResponse(status_code=422, content={"error": "unknown payload", "detail": "payload must be one the assistant offered"})
    turn = await take_turn(services, body.conversation_id, SENDER_PREFIX + body.conversation_id, body.text,
                           body.payload, body.language, {"channel": "api"})
    # Built as a plain dict: every field is already known to be valid, and skipping pydantic's
    # second validation of the response saves time on every turn. The OpenAPI page still
    # documents MessageOut, and the tests check the shape.
    return JSONResponse(
        status_code=503 if turn.unavailable else 200,
        content={
            "conversation_id": body.conversation_id,
            "language": turn.language,
            "topic": turn.topic,
            "phone_line": turn.phone_line,
            "messages": turn.messages,
            "handover": turn.handover,
        },
    )
