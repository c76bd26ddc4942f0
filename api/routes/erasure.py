"""``POST /staff/api/erasures``: a supervisor erases a conversation or a WhatsApp number.

For an erasure request received by phone or letter. Supervisors only (an agent gets 403), with
the session's CSRF token like every state-changing staff route. The same erasure as the user's
own "delete my data" (api/erasure.py); the audit log records who did it, never which id or number.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api.erasure import target_of
from api.openapi import errors
from api.routes.staff import STAFF_ERRORS, SessionDep, StaffDep
from api.schemas import ErasedOut, ErasureIn
from api.services import ServicesDep
from api.turns import erase_conversation

router = APIRouter(prefix="/staff/api", tags=["staff"])


@router.post(
    "/erasures",
    response_model=ErasedOut,
    responses=errors(*STAFF_ERRORS, 403, s403="A missing or wrong X-CSRF-Token, or not a supervisor."),
)
async def erase(body: ErasureIn, session: SessionDep, staff: StaffDep, services: ServicesDep) -> ErasedOut:
    """Erase everything kept about the conversation or number (the answer is the same whether or
    not anything was kept, so it tells nobody whether the number ever wrote)."""
    if session.role != "supervisor":
        raise HTTPException(403, "only supervisors can erase conversations")
    number = body.whatsapp_number.lstrip("+") if body.whatsapp_number else None
    key, sender = target_of(body.conversation_id, number)
    await erase_conversation(services, key, sender, by=session.username)
    return ErasedOut(erased=True)
