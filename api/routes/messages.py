"""``POST /api/v1/messages``: one user message in, the assistant's replies out."""
from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from api.conversation_store import ConversationState
from api.handover_turn import TOPIC as HANDOVER_TOPIC
from api.handover_turn import handover_turn, queued_view
from api.language.resolve import resolve
from api.payloads import chosen_language, intent_message, is_offered, language_chosen_message
from api.rasa_client import RasaUnavailable
from api.schemas import BotMessageOut, ErrorOut, MessageIn, MessageOut
from api.services import ServicesDep
from api.topics import topic_and_line
from wegwijs.responses import load_specs, render

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["chat"])

SENDER_PREFIX = "api:"
UNKNOWN_CONVERSATION = "unknown conversation: start one with POST /api/v1/conversations"
UNAVAILABLE = "gateway_service_unavailable"
# Replies after which the conversation has a queued ticket: the turn reports its hand-over.
QUEUED = frozenset({"utter_handover_queued", "utter_callback_booked", "utter_callback_already_queued"})


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
    state = await services.store.get(body.conversation_id)
    # A button's title is the bot's own wording: it tells the language only when nothing else does.
    detect_text = "" if body.payload and state.language else body.text or ""
    settled = resolve(
        services.detector,
        detect_text,
        remembered=state.language,
        remembered_explicit=state.explicit,
        hint=body.language,
        chosen=chosen_language(body.payload),
    )
    new_state = ConversationState(settled.language, settled.explicit)
    if new_state != state:
        await services.store.save(body.conversation_id, new_state)

    if settled.switched:
        message = language_chosen_message(settled.language)
    elif body.payload:
        message = intent_message(body.payload, settled.language)
    else:
        # A leading '/' would make Rasa read the text as an intent with entities.
        message = (body.text or "").strip().lstrip("/").strip()

    sender = SENDER_PREFIX + body.conversation_id
    said = body.text or body.payload or ""
    staff = services.staff
    if staff is not None and not settled.switched:
        with_staff = await handover_turn(staff, sender, said, settled.language)
        if with_staff is not None:
            messages, handover = with_staff
            return JSONResponse({"conversation_id": body.conversation_id, "language": settled.language,
                                 "topic": HANDOVER_TOPIC, "phone_line": None, "messages": messages,
                                 "handover": handover})

    metadata = {"language": settled.language, "channel": "api"}
    try:
        replies = await services.rasa.send(sender, message, metadata)
    except RasaUnavailable as error:
        logger.error("assistant unavailable: %s", error)
        return unavailable(body.conversation_id, settled.language)

    topic, line = topic_and_line(reply.response for reply in replies)
    handover = None
    if staff is not None:
        try:  # the transcript is for staff; failing to keep it must not cost the user the reply
            await staff.transcripts.add(sender, [("user", said)] + [
                ("bot", r.text, {"buttons": r.buttons, "links": r.links}) for r in replies])
        except RedisError as error:
            logger.warning("transcript not kept: %s", type(error).__name__)
        if any(reply.response in QUEUED for reply in replies):
            handover = await queued_view(staff, sender)
    # Built as a plain dict: every field is already known to be valid, and skipping pydantic's
    # second validation of the response saves time on every turn. The OpenAPI page still
    # documents MessageOut, and the tests check the shape.
    return JSONResponse(
        {
            "conversation_id": body.conversation_id,
            "language": settled.language,
            "topic": topic,
            "phone_line": line,
            "messages": [{"text": r.text, "buttons": r.buttons, "links": r.links} for r in replies],
            "handover": handover,
        }
    )


def unavailable(conversation_id: str, language: str) -> JSONResponse:
    spec = load_specs()[UNAVAILABLE]
    rendered = render(spec, language)
    body = MessageOut(
        conversation_id=conversation_id,
        language=language,
        topic=spec.topic,
        phone_line=spec.phone_line,
        messages=[BotMessageOut(text=rendered.text, buttons=rendered.buttons)],
    )
    return JSONResponse(status_code=503, content=body.dict())
