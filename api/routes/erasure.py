"""``POST /staff/api/erasures``: a supervisor erases a conversation or a WhatsApp number.

For an erasure request received by phone or letter. Supervisors only (an agent gets 403), with
the session's CSRF token like every state-changing staff route. The same erasure as the user's
own "delete my data" (api/erasure.py); the audit log records who did it, never which id or number.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictStr, root_validator

from api.erasure import target_of
from api.routes.staff import SessionDep, StaffDep
from api.schemas import ErrorOut
from api.services import ServicesDep
from api.turns import erase_conversation

router = APIRouter(prefix="/staff/api", tags=["staff"])


class ErasureIn(BaseModel):
    conversation_id: StrictStr | None = Field(None, regex=r"^[A-Za-z0-9_-]{1,64}$",
                                                 description="A web chat or socket.io conversation id.")
    whatsapp_number: StrictStr | None = Field(None, regex=r"^\+?[0-9]{6,15}$",
                                                 description="A WhatsApp number in international form (+ optional).")

    class Config:
        extra = "forbid"

    @root_validator(skip_on_failure=True)
    def exactly_one(cls, values: dict[str, Any]) -> dict[str, Any]:
        if bool(values.get("conversation_id")) == bool(values.get("whatsapp_number")):
            raise ValueError("give either conversation_id or whatsapp_number")
        return values


@router.post("/erasures", responses={403: {"model": ErrorOut}, 422: {"model": ErrorOut}})
async def erase(body: ErasureIn, session: SessionDep, staff: StaffDep, services: ServicesDep) -> JSONResponse:
    """Erase everything kept about the conversation or number (the answer is the same whether or
    not anything was kept, so it tells nobody whether the number ever wrote)."""
    if session.role != "supervisor":
        raise HTTPException(403, "only supervisors can erase conversations")
    number = body.whatsapp_number.lstrip("+") if body.whatsapp_number else None
    key, sender = target_of(body.conversation_id, number)
    await erase_conversation(services, key, sender, by=session.username)
    return JSONResponse({"erased": True})
