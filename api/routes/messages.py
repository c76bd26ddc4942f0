"""``POST /api/v1/messages``: one user message in, the assistant's replies out."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from api.conversation_ids import SENDER_PREFIX, UNKNOWN_CONVERSATION
from api.errors import error_body
from api.message_limits import RATE_LIMITED, message_refused
from api.openapi import errors
from api.payloads import is_offered
from api.schemas import MessageIn, MessageOut
from api.services import ClientDep, ServicesDep
from api.turns import take_turn
from wegwijs.responses import load_specs

router = APIRouter(prefix="/api/v1", tags=["chat"])


@router.post(
    "/messages",
    response_model=MessageOut,
    responses={
        **errors(
            404,
            422,
            s404="The conversation id was not minted by this gateway.",
            s422="The body is not as documented, or the payload is not one the assistant offered.",
        ),
        429: {
            "model": MessageOut,
            "description": "Too many messages from this client or in this conversation: "
            "the reply apologises in the user's language and gives the phone line; Retry-After says when "
            "to send again. Nothing was passed to the assistant.",
        },
        503: {
            "description": "The assistant could not answer: the reply (`MessageOut`) says so and gives the "
            "phone line; or, on an unexpected failure, an `ErrorOut`.",
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/MessageOut"},
                            {"$ref": "#/components/schemas/ErrorOut"},
                        ]
                    }
                }
            },
        },
    },
)
async def post_message(body: MessageIn, services: ServicesDep, client: ClientDep) -> JSONResponse:
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
        return JSONResponse(
            status_code=422, content=error_body("unknown payload", [("payload", "must be one the assistant offered")])
        )
    refused = await message_refused(services, client, body.conversation_id, body.text, body.language)
    if refused is not None:
        spec = load_specs()[RATE_LIMITED]
        return JSONResponse(
            status_code=429,
            headers={"Retry-After": str(refused.retry_after)},
            content={
                "conversation_id": body.conversation_id,
                "language": refused.language,
                "topic": spec.topic,
                "phone_line": spec.phone_line,
                "messages": [refused.message],
                "handover": None,
                "erased": False,
                "notice": None,
            },
        )
    turn = await take_turn(
        services,
        body.conversation_id,
        SENDER_PREFIX + body.conversation_id,
        body.text,
        body.payload,
        body.language,
        {"channel": "api", "client": client},
    )
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
            "erased": turn.erased,
            "notice": turn.notice,
        },
    )
