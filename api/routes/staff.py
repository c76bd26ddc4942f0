"""The staff API under ``/staff/api``: login, logout, the queue, claiming and closing tickets.

Every route but login needs a live staff session (cookie, api/staff/sessions.py); every
state-changing one also needs the session's CSRF token in ``X-CSRF-Token``. Ticket ids are
opaque random tokens. An agent acts on queued tickets and on the tickets they hold; a
supervisor on any. Every action is written to the audit log.

The console marks the requests it makes by itself (refreshing the queue and the open ticket)
with ``X-Wegwijs-Poll: 1``. They are served like any other, but they are not something the
person did: they do not restart the session's idle time and do not count as presence. Every
other request does, and ``POST /staff/api/activity`` lets the console say that the person is
typing, clicking or moving the mouse (at most once a minute) without doing anything else.

Users are queued for a person only while someone is present (wegwijs/handover/presence.py): a
member who switched "available" on (``POST /staff/api/availability``; off after every login)
and did something real in the last two minutes. Being logged in is not enough: a console left
open, or opened to look something up, must not make users wait for nobody.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from api.openapi import errors
from api.satisfaction import question as satisfaction_question
from api.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    CannedReplyOut,
    ClosedOut,
    LoginIn,
    QueueOut,
    ReplyIn,
    SentOut,
    SessionOut,
    TicketDetailOut,
    TicketView,
)
from api.services import ClientDep, Services, ServicesDep
from api.staff.service import Staff
from api.staff.sessions import COOKIE, CSRF_HEADER, StaffSession, cookie_header, expired_cookie_header
from api.transcripts import Said
from api.whatsapp.channel import OUTSIDE_WINDOW, SENT_TEMPLATE
from api.whatsapp.keys import SENDER_PREFIX as WHATSAPP_SENDER_PREFIX
from wegwijs.handover.skills import ordered_for
from wegwijs.handover.tickets import Ticket
from wegwijs.languages import SHIPPED, SOURCE_LANGUAGE, Language, writing_direction
from wegwijs.responses import load_specs, render
from wegwijs.translation_status import unreviewed_languages

router = APIRouter(prefix="/staff/api", tags=["staff"])
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
POLL_HEADER = "X-Wegwijs-Poll"
LOGIN_REFUSED = "wrong name, password or code, or too many attempts: wait and try again"
CANNED_PREFIX = "staff_canned_"
BACK = "gateway_handover_back"


# What every route with a session can answer (current_session): 401 without one; a state-changing
# one also 403 without the session's CSRF token.
STAFF_ERRORS = (401,)
ACTING_ERRORS = (401, 403)


def staff_of(services: ServicesDep) -> Staff:
    if services.staff is None:
        raise HTTPException(503, "the staff console needs Redis (REDIS_URL)")
    return services.staff


StaffDep = Annotated[Staff, Depends(staff_of)]


def is_poll(request: Request) -> bool:
    """A refresh the console made by itself: only reads can be polls."""
    return request.method in SAFE_METHODS and request.headers.get(POLL_HEADER) == "1"


async def current_session(request: Request, staff: StaffDep) -> StaffSession:
    """The caller's live session. Anything but a poll, once its CSRF token is checked, is taken as
    the person acting: their idle time restarts and they are seen at the console."""
    cookie = request.cookies.get(COOKIE)
    session = await staff.sessions.get(cookie)
    if session is None:
        raise HTTPException(401, "log in first")
    if request.method not in SAFE_METHODS and not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER}")
    if not is_poll(request):
        await staff.sessions.touch(cookie or "")
        if session.available:
            await staff.presence.seen(session.username, for_seconds=staff.presence_seconds)
    return session


SessionDep = Annotated[StaffSession, Depends(current_session)]


def ticket_fields(ticket: Ticket, position: int | None, with_phone: bool = False) -> dict[str, Any]:
    """A ticket as the console sees it. The call-back number only in the (audited) detail view."""
    callback: dict[str, Any] | None = None
    if ticket.is_callback:
        callback = {"time": ticket.callback_time}
        if with_phone:
            callback["phone"] = ticket.callback_phone or None
    return {
        "id": ticket.id,
        "language": ticket.language,
        "topic": ticket.topic,
        "priority": ticket.priority,
        "reason": ticket.reason,
        "created": ticket.created,
        "status": ticket.status,
        "holder": ticket.holder,
        "channel": ticket.channel,
        "position": position,
        "callback": callback,
    }


def ticket_view(ticket: Ticket, position: int | None) -> TicketView:
    # parse_obj: the hash's strings are checked against the document's enums here.
    return TicketView.parse_obj(ticket_fields(ticket, position))


def may_act(session: StaffSession, ticket: Ticket) -> bool:
    return session.role == "supervisor" or ticket.status == "queued" or ticket.holder == session.username


@router.post(
    "/login",
    response_model=SessionOut,
    responses=errors(401, s401="Wrong name, password or code, or too many attempts."),
)
async def login(body: LoginIn, request: Request, staff: StaffDep, client: ClientDep) -> JSONResponse:
    """Log in. JSON only, so a cross-site form cannot post it; the answer is the same for an
    unknown name, a wrong password, a missing, wrong or used code and a locked name or client."""
    account = await staff.accounts.authenticate(body.username, body.password, body.code, client)
    if account is None:
        await staff.audit.write(staff="-", action="login", outcome="refused")
        return JSONResponse(status_code=401, content={"error": LOGIN_REFUSED})
    session_id, session = await staff.sessions.start(account, previous_id=request.cookies.get(COOKIE))
    await staff.audit.write(staff=account.username, action="login", outcome="ok")
    view = session_view(session, await staff.accounts.languages(account.username))
    return JSONResponse(view.dict(), headers={"Set-Cookie": cookie_header(session_id), "Cache-Control": "no-store"})


def session_view(session: StaffSession, languages: tuple[str, ...]) -> SessionOut:
    return SessionOut.parse_obj(
        {
            "username": session.username,
            "role": session.role,
            "csrf": session.csrf,
            "available": session.available,
            "languages": list(languages),
            "unreviewed_languages": [code for code in SHIPPED if code in unreviewed_languages()],
        }
    )


@router.post("/logout", status_code=204, response_class=Response, responses=errors(*ACTING_ERRORS))
async def logout(request: Request, session: SessionDep, staff: StaffDep) -> Response:
    await staff.sessions.end(request.cookies.get(COOKIE, ""))  # takes the member off the presence list too
    await staff.audit.write(staff=session.username, action="logout", outcome="ok")
    return Response(status_code=204, headers={"Set-Cookie": expired_cookie_header()})


@router.post("/activity", status_code=204, response_class=Response, responses=errors(*ACTING_ERRORS))
async def activity(session: SessionDep) -> Response:
    """The person is at the console (typing, clicking, moving the mouse): the session dependency
    has restarted their idle time; nothing else happens and nothing is audited."""
    return Response(status_code=204)


@router.post("/availability", response_model=AvailabilityOut, responses=errors(*ACTING_ERRORS))
async def availability(body: AvailabilityIn, request: Request, session: SessionDep, staff: StaffDep) -> JSONResponse:
    """The console's "available" switch: on, users may be queued for this member while they act;
    off, they are not counted, however busy they are at the console."""
    if not await staff.sessions.set_available(request.cookies.get(COOKIE, ""), body.available):
        raise HTTPException(401, "log in first")
    if body.available:
        await staff.presence.seen(session.username, for_seconds=staff.presence_seconds)
    else:
        await staff.presence.gone(session.username)
    await staff.audit.write(staff=session.username, action="availability", outcome="on" if body.available else "off")
    return JSONResponse(AvailabilityOut(available=body.available).dict(), headers={"Cache-Control": "no-store"})


@router.get("/session", response_model=SessionOut, responses=errors(*STAFF_ERRORS))
async def whoami(session: SessionDep, staff: StaffDep) -> JSONResponse:
    view = session_view(session, await staff.accounts.languages(session.username))
    return JSONResponse(view.dict(), headers={"Cache-Control": "no-store"})


@router.get("/queue", response_model=QueueOut, responses=errors(*STAFF_ERRORS))
async def queue(
    session: SessionDep,
    staff: StaffDep,
    language: Language | None = Query(None, description="Only tickets in this language."),
) -> QueueOut:
    """Queued tickets as this member sees them: urgent first; within a priority, the tickets in the
    languages their account lists first, then the others, each group oldest first (an account
    without a list sees the plain order: urgent first, then oldest first). ``position`` stays each
    ticket's place in the one queue, the number its user was told."""
    everyone = await staff.tickets.queued()
    positions = {t.id: n for n, t in enumerate(everyone, start=1)}
    shown = [t for t in everyone if language is None or t.language == language]
    ordered = ordered_for(shown, await staff.accounts.languages(session.username))
    return QueueOut(tickets=[ticket_view(t, positions[t.id]) for t in ordered])


async def ticket_for(staff: Staff, ticket_id: str, session: StaffSession) -> Ticket:
    ticket = await staff.tickets.get(ticket_id) if len(ticket_id) <= 64 else None
    if ticket is None or not may_act(session, ticket):
        # The same answer for a ticket that does not exist and one this role may not touch.
        raise HTTPException(404, "no such ticket")
    return ticket


@router.get("/tickets/{ticket_id}", response_model=TicketDetailOut, responses=errors(*STAFF_ERRORS, 404))
async def ticket_detail(ticket_id: str, request: Request, session: SessionDep, staff: StaffDep) -> JSONResponse:
    """The ticket, the whole transcript, and canned replies in the user's language.

    Opening a ticket is audited as a view; the console's refreshes of the open ticket (polls) are
    not: they would write an entry every 1.5 seconds and bury who looked at what."""
    found = await ticket_for(staff, ticket_id, session)
    if not is_poll(request):
        await staff.audit.write(staff=session.username, action="view", ticket=ticket_id, outcome="ok")
    canned = [
        # The English source beside it: the member knows what they send in a language they may not read.
        CannedReplyOut(key=key, text=render(spec, found.language).text, source=render(spec, SOURCE_LANGUAGE).text)
        for key, spec in load_specs().items()
        if key.startswith(CANNED_PREFIX)
    ]
    view = ticket_fields(found, await staff.tickets.position(found.id), with_phone=True)
    detail = TicketDetailOut.parse_obj(
        {
            **view,
            "transcript": await staff.transcripts.read(found.conversation),
            "canned": [reply.dict() for reply in canned],
            "direction": writing_direction(found.language),
        }
    )
    return JSONResponse(detail.dict(), headers={"Cache-Control": "no-store"})


@router.post(
    "/tickets/{ticket_id}/reply",
    response_model=SentOut,
    responses=errors(
        *ACTING_ERRORS,
        404,
        409,
        s409="Not the ticket's holder (claim it first), or outside WhatsApp's 24-hour window "
        "with no template configured.",
    ),
)
async def reply(ticket_id: str, body: ReplyIn, session: SessionDep, staff: StaffDep, services: ServicesDep) -> SentOut:
    """Send a reply to the user, in their channel, now. Only the ticket's holder may.

    On WhatsApp, outside the 24-hour customer-service window a free-form message is not allowed:
    the configured template message goes instead (``"whatsapp": "template"``), or, with none
    configured, the reply is refused with 409 and the console says so."""
    found = await ticket_for(staff, ticket_id, session)
    if found.status != "active" or found.holder != session.username:
        raise HTTPException(409, "claim the ticket before replying")
    outcome = None
    kept = body.text
    if found.channel == "whatsapp" and services.whatsapp is not None:
        outcome = await services.whatsapp.send_staff_text(whatsapp_number(found.conversation), body.text)
        if outcome == OUTSIDE_WINDOW:
            raise HTTPException(
                409, "outside WhatsApp's 24-hour window and no template message is configured: call the user instead"
            )
        if outcome == SENT_TEMPLATE:
            kept = f"[WhatsApp template {services.whatsapp.config.template}; the reply itself could not be sent]"
    await staff.outbox.send(found.conversation, kept, "staff")
    await staff.transcripts.add(found.conversation, [Said.by_staff(kept)])
    await staff.tickets.touch(ticket_id)  # a staff action: the hand-over is not stranded (api/stranded.py)
    if await staff.tickets.first_reply(ticket_id):
        await record_stage(services, found, "replied")
    await staff.audit.write(staff=session.username, action="reply", ticket=ticket_id, outcome=outcome or "ok")
    return SentOut(sent=True, whatsapp=outcome)


async def record_stage(services: Services, ticket: Ticket, stage: str) -> None:
    """A hand-over's or call-back's later analytics event, with the seconds since it opened:
    claimed, first staff reply, call-back handled (api/insight/events.py)."""
    if services.insight is not None:
        await services.insight.ticket_stage(ticket, stage)


def whatsapp_number(conversation: str) -> str:
    return conversation[len(WHATSAPP_SENDER_PREFIX) :]


@router.post(
    "/tickets/{ticket_id}/claim",
    response_model=TicketView,
    responses=errors(*ACTING_ERRORS, 404, 409, s409="Someone else has claimed it."),
)
async def claim(ticket_id: str, session: SessionDep, staff: StaffDep, services: ServicesDep) -> TicketView:
    await ticket_for(staff, ticket_id, session)
    won = await staff.tickets.claim(ticket_id, session.username)
    await staff.audit.write(staff=session.username, action="claim", ticket=ticket_id, outcome="ok" if won else "taken")
    if not won:
        raise HTTPException(409, "someone else has claimed this ticket")
    ticket = await staff.tickets.get(ticket_id)
    if ticket is None:  # closed and expired meanwhile
        raise HTTPException(404, "no such ticket")
    await record_stage(services, ticket, "claimed")
    return ticket_view(ticket, None)


@router.post(
    "/tickets/{ticket_id}/close",
    response_model=ClosedOut,
    responses=errors(
        *ACTING_ERRORS,
        404,
        409,
        s403="A missing or wrong X-CSRF-Token, or an agent closing a ticket nobody claimed.",
        s409="The ticket is closed already.",
    ),
)
async def close(ticket_id: str, session: SessionDep, staff: StaffDep, services: ServicesDep) -> ClosedOut:
    ticket = await ticket_for(staff, ticket_id, session)
    if ticket.status == "queued" and session.role != "supervisor":
        raise HTTPException(403, "claim the ticket before closing it")
    holder = None if session.role == "supervisor" else session.username
    done = await staff.tickets.close(ticket_id, holder=holder)
    await staff.audit.write(
        staff=session.username, action="close", ticket=ticket_id, outcome="ok" if done else "refused"
    )
    if not done:
        raise HTTPException(409, "the ticket is closed already")
    if ticket.is_callback:  # its chat stayed with the bot all along: no "the bot is back"
        await record_stage(services, ticket, "handled")
    else:
        back = render(load_specs()[BACK], ticket.language).text
        await staff.outbox.send(ticket.conversation, back, "bot")
        await staff.transcripts.add(ticket.conversation, [Said("bot", back)])
        if ticket.channel == "whatsapp" and services.whatsapp is not None:
            await services.whatsapp.send_if_window(whatsapp_number(ticket.conversation), back)
        await ask_satisfaction(services, staff, ticket)
    return ClosedOut(id=ticket_id, status="closed")


async def ask_satisfaction(services: Services, staff: Staff, ticket: Ticket) -> None:
    """The end of a hand-over: "Did this help you?", once per conversation per day."""
    if services.satisfaction is None or not await services.satisfaction.may_ask(ticket.conversation):
        return
    ask = satisfaction_question(ticket.language)
    if ticket.channel == "whatsapp":
        if services.whatsapp is not None:
            await services.whatsapp.reply_if_window(whatsapp_number(ticket.conversation), ask, ticket.language)
    else:
        await staff.outbox.send(ticket.conversation, ask["text"], "bot", ask["buttons"])
    await staff.transcripts.add(ticket.conversation, [Said.by_bot(ask)])
