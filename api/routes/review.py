"""``/staff/api/review``: supervisors label the messages the assistant did not understand, or
discard them, and export the labelled ones as Rasa NLU training data (api/review.py says what is
kept and why). Supervisors only: the items come from every conversation. Labelling and
discarding are audited, without the text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import PlainTextResponse

from api.openapi import errors
from api.review import ReviewItem, ReviewQueue, labels, nlu_yaml
from api.routes.staff import ACTING_ERRORS, STAFF_ERRORS, SessionDep, StaffDep
from api.schemas import DismissedOut, LabelIn, LabelledOut, ReviewItemOut, ReviewItemsOut
from api.services import ServicesDep
from api.staff.sessions import StaffSession
from wegwijs.languages import Language

router = APIRouter(prefix="/staff/api/review", tags=["staff"])
ItemId = Annotated[str, Path(regex=r"^[0-9]{1,16}-[0-9a-f]{8}$", description="A review item's id.")]
NOT_FOUND = "no such item (labelled away, discarded, erased or expired)"


# The export's shape as a YAML reader sees it: Rasa's NLU training data format.
NLU_FILE = {
    "type": "object",
    "required": ["version", "nlu"],
    "properties": {
        "version": {"type": "string", "const": "3.1"},
        "nlu": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["intent", "examples"],
                "properties": {"intent": {"type": "string"}, "examples": {"type": "string"}},
            },
        },
    },
}


class YamlResponse(PlainTextResponse):
    media_type = "application/yaml"


def queue_of(services: ServicesDep, session: StaffSession) -> ReviewQueue:
    if session.role != "supervisor":
        raise HTTPException(403, "only supervisors review misunderstood messages")
    if services.review is None:
        raise HTTPException(503, "the review needs Redis (REDIS_URL)")
    return services.review


def view(item: ReviewItem) -> ReviewItemOut:
    return ReviewItemOut(
        id=item.id,
        text=item.text,
        language=item.language,  # type: ignore[arg-type]  # written by the gateway: a shipped language
        reply=item.reply,  # type: ignore[arg-type]
        guesses=list(item.guesses),
        chosen=item.chosen,
        then_topic=item.then_topic,
        label=item.label,
        at=item.at,
    )


@router.get("", response_model=ReviewItemsOut, responses=errors(*STAFF_ERRORS, 403, s403="Not a supervisor."))
async def review_items(
    session: SessionDep,
    services: ServicesDep,
    language: Language | None = None,
    labelled: Annotated[bool | None, Query(description="Only labelled (true) or only open (false) items.")] = None,
) -> ReviewItemsOut:
    """The kept messages, newest first, with the intents they can be labelled with."""
    items = await queue_of(services, session).items(language, labelled)
    return ReviewItemsOut(items=[view(item) for item in items], labels=list(labels()))


@router.post(
    "/{item_id}/label",
    response_model=LabelledOut,
    responses=errors(*ACTING_ERRORS, 404, s403="A missing or wrong X-CSRF-Token, or not a supervisor."),
)
async def label(
    item_id: ItemId, body: LabelIn, session: SessionDep, staff: StaffDep, services: ServicesDep
) -> LabelledOut:
    """Give the message the intent it should have been understood as."""
    if not await queue_of(services, session).label(item_id, body.intent):
        raise HTTPException(404, NOT_FOUND)
    await staff.audit.write(staff=session.username, action="review_label", outcome="ok")
    return LabelledOut(labelled=True)


@router.post(
    "/{item_id}/discard",
    response_model=DismissedOut,
    responses=errors(*ACTING_ERRORS, 404, s403="A missing or wrong X-CSRF-Token, or not a supervisor."),
)
async def discard(item_id: ItemId, session: SessionDep, staff: StaffDep, services: ServicesDep) -> DismissedOut:
    """Drop the message: it teaches nothing, or it should not be kept."""
    if not await queue_of(services, session).discard(item_id):
        raise HTTPException(404, NOT_FOUND)
    await staff.audit.write(staff=session.username, action="review_discard", outcome="ok")
    return DismissedOut(dismissed=True)


@router.get(
    "/export",
    response_class=YamlResponse,
    responses={
        200: {"content": {"application/yaml": {"schema": NLU_FILE}}, "description": "Rasa NLU training data (YAML)."},
        **errors(*STAFF_ERRORS, 403, s403="Not a supervisor."),
    },
)
async def export(session: SessionDep, services: ServicesDep, language: Language) -> YamlResponse:
    """The labelled messages of one language as ``data/nlu/review-<language>.yml``, for a
    developer to read before adding: nothing is trained from it automatically."""
    items = await queue_of(services, session).items(language, labelled=True)
    return YamlResponse(
        nlu_yaml(items, language),
        headers={"Content-Disposition": f'attachment; filename="review-{language}.yml"', "Cache-Control": "no-store"},
    )
