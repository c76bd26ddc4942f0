"""``/staff/api/whatsapp/failed``: a supervisor reviews the WhatsApp sends that did not surely
arrive, and sends each again or dismisses it (api/whatsapp/failed_sends.py says why a person
decides). Supervisors only: the list names numbers across every conversation, wider than any one
ticket an agent holds. Every decision is audited, without the number or the text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from api.openapi import errors
from api.routes.staff import ACTING_ERRORS, STAFF_ERRORS, SessionDep, StaffDep
from api.schemas import DismissedOut, FailedSendOut, FailedSendsOut, ResendIn, ResentOut
from api.services import ServicesDep
from api.staff.sessions import StaffSession
from api.whatsapp.failed_sends import FailedSend, FailedSends, preview

router = APIRouter(prefix="/staff/api/whatsapp", tags=["staff"])
NOT_SUPERVISOR = "only supervisors can review WhatsApp sends"
EntryId = Annotated[str, Path(regex=r"^[0-9]{1,19}-[0-9]{1,19}$", description="A failed send's id.")]


def supervisor(session: StaffSession) -> None:
    if session.role != "supervisor":
        raise HTTPException(403, NOT_SUPERVISOR)


def view(entry: FailedSend) -> FailedSendOut:
    return FailedSendOut(
        id=entry.id,
        to="+" + entry.to,
        text=preview(entry.message),
        outcome="uncertain" if entry.may_have_arrived else "failed",
        status=entry.status,
        error_code=entry.error_code,
        error=entry.error,
        at=entry.at,
        in_window=entry.in_window,
    )


@router.get(
    "/failed",
    response_model=FailedSendsOut,
    responses=errors(*STAFF_ERRORS, 403, s403="Not a supervisor."),
)
async def failed_sends(session: SessionDep, staff: StaffDep) -> FailedSendsOut:
    """The newest sends that Meta refused or that may have arrived, newest first."""
    supervisor(session)
    return FailedSendsOut(sends=[view(entry) for entry in await FailedSends(staff.redis).newest()])


@router.post(
    "/failed/{entry_id}/resend",
    response_model=ResentOut,
    responses=errors(
        *ACTING_ERRORS,
        404,
        409,
        s403="A missing or wrong X-CSRF-Token, or not a supervisor.",
        s409="Outside WhatsApp's 24-hour window, or it may have arrived and even_if_arrived is not set.",
    ),
)
async def resend(
    entry_id: EntryId, body: ResendIn, session: SessionDep, staff: StaffDep, services: ServicesDep
) -> ResentOut:
    """Queue the message again, behind the user's later messages, and remove it from the list."""
    supervisor(session)
    if services.whatsapp is None:
        raise HTTPException(503, "WhatsApp is not configured on this gateway")
    sends = FailedSends(staff.redis)
    entry = await sends.get(entry_id)
    if entry is None:
        raise HTTPException(404, "no such failed send (already handled, or expired)")
    if not entry.in_window:
        raise HTTPException(409, "outside WhatsApp's 24-hour window: Meta would refuse it; call the person instead")
    if entry.may_have_arrived and not body.even_if_arrived:
        raise HTTPException(409, "it may have arrived: confirm with even_if_arrived that the user may get it twice")
    if not await sends.take(entry_id):
        raise HTTPException(404, "no such failed send (already handled, or expired)")
    await services.whatsapp.inbox.send_later(entry.to, entry.message)
    await staff.audit.write(staff=session.username, action="whatsapp_resend", outcome=entry.outcome)
    return ResentOut(queued=True)


@router.post(
    "/failed/{entry_id}/dismiss",
    response_model=DismissedOut,
    responses=errors(*ACTING_ERRORS, 404, s403="A missing or wrong X-CSRF-Token, or not a supervisor."),
)
async def dismiss(entry_id: EntryId, session: SessionDep, staff: StaffDep) -> DismissedOut:
    """Remove the entry without sending it (the person was reached another way)."""
    supervisor(session)
    if not await FailedSends(staff.redis).take(entry_id):
        raise HTTPException(404, "no such failed send (already handled, or expired)")
    await staff.audit.write(staff=session.username, action="whatsapp_dismiss", outcome="ok")
    return DismissedOut(dismissed=True)
