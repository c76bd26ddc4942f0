"""Web conversations: minted by the gateway, restored from the server, and the widget's own words.

``POST /api/v1/conversations`` mints a signed conversation id (api/conversation_ids.py); the
browser keeps it. Its body is optional: nothing, or an object (``{}``, ``{"language": "ar"}``);
anything else, ``null`` included, is a 422. ``GET /api/v1/conversations/{id}`` gives back its language and history, so a
reload or a reconnect loses nothing; an id this gateway did not mint gets 404, like one that
does not exist. ``GET /api/v1/ui/{language}`` gives the web chat's own texts from the catalogs.
"""

from __future__ import annotations

from fastapi import APIRouter, Body, HTTPException, Path as PathParam, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from api.conversation_ids import SENDER_PREFIX, UNKNOWN_CONVERSATION
from api.conversation_store import ConversationState
from api.errors import invalid
from api.handover_turn import handover_view
from api.openapi import errors
from api.schemas import HistoryOut, NewConversationIn, NewConversationOut, UiTextsOut
from api.services import ServicesDep
from wegwijs.languages import SHIPPED, Language, native_name, writing_direction
from wegwijs.responses import load_specs, render
from wegwijs.translation_status import unreviewed_languages

router = APIRouter(prefix="/api/v1", tags=["chat"])
WIDGET_PREFIX = "gateway_widget_"
# Beside a language in the picker whose catalog still holds machine-drafted entries.
UNREVIEWED_NOTE = "gateway_widget_unreviewed"
NO_STORE = {"Cache-Control": "no-store"}


@router.post("/conversations", status_code=201, response_model=NewConversationOut, responses=errors(422))
async def start(
    request: Request,
    services: ServicesDep,
    body: NewConversationIn | None = Body(None, description="Optional: nothing, or an object."),
) -> JSONResponse:
    """A new web conversation: keep its id; every other conversation route needs it."""
    raw = await request.body()
    if raw.strip() and not raw.lstrip().startswith(b"{"):
        # FastAPI reads a JSON null like no body at all, and pydantic 1 reads [] as {}: the
        # document allows only an object, or nothing.
        return invalid("body", 'give an object such as {"language": "nl"}, or no body')
    conversation_id = services.ids.mint()
    language = body.language if body else None
    if language:
        await services.store.save(conversation_id, ConversationState(language, explicit=True))
    return JSONResponse(
        status_code=201, content={"conversation_id": conversation_id, "language": language}, headers=NO_STORE
    )


@router.get(
    "/conversations/{conversation_id}",
    response_model=HistoryOut,
    responses=errors(404, s404="The conversation id was not minted by this gateway."),
)
async def history(services: ServicesDep, conversation_id: str = PathParam(..., max_length=64)) -> JSONResponse:
    """The conversation's language and what was said (the user's personal details replaced)."""
    if not services.ids.valid(conversation_id):
        raise HTTPException(404, UNKNOWN_CONVERSATION)
    state = await services.store.get(conversation_id)
    messages: list[dict[str, object]] = []
    handover = None
    staff = services.staff
    if staff is not None:
        sender = SENDER_PREFIX + conversation_id
        try:
            entries = await staff.transcripts.read(sender)
            ticket = await staff.tickets.open_for(sender)
        except RedisError as error:
            raise HTTPException(503, "the history is not available right now, please try again") from error
        messages = [
            {"who": e["who"], "text": e["text"], "buttons": e.get("buttons", []), "links": e.get("links", [])}
            for e in entries
        ]
        if ticket is not None and not ticket.is_callback:
            handover = handover_view(ticket.status, await staff.tickets.position(ticket.id))
    view = HistoryOut.parse_obj(
        {
            "conversation_id": conversation_id,
            "language": state.language,
            "direction": writing_direction(state.language),
            "messages": messages,
            "handover": handover,
        }
    )
    return JSONResponse(view.dict(), headers=NO_STORE)


@router.get("/ui/{language}", response_model=UiTextsOut, responses=errors(422))
async def ui_texts(language: Language) -> JSONResponse:
    """The web chat's own words in ``language``, and the languages it offers (names in their own
    script, with their writing direction)."""
    texts = {
        key[len(WIDGET_PREFIX) :]: render(spec, language).text
        for key, spec in load_specs().items()
        if key.startswith(WIDGET_PREFIX)
    }
    unreviewed = unreviewed_languages()
    note = load_specs()[UNREVIEWED_NOTE]
    languages = [
        {
            "code": code,
            "name": native_name(code),
            "direction": writing_direction(code),
            "reviewed": code not in unreviewed,
            "review_note": render(note, code).text if code in unreviewed else None,
        }
        for code in SHIPPED
    ]
    return JSONResponse(
        {
            "language": language,
            "direction": writing_direction(language),
            "name": native_name(language),
            "texts": texts,
            "languages": languages,
        },
        headers={"Cache-Control": "max-age=300"},
    )
