"""A hand-over that nobody takes up goes back to the bot.

An open ticket (not a call-back, whose chat stays with the bot anyway) with no staff action for
the stranded time (``WEGWIJS_HANDOVER_STRANDED_MINUTES``, wegwijs/retention.py) is closed with
the reason ``stranded``, and the user hears, in their language, that nobody could take it, the
phone line and the offer of a call-back (Rasa's ``action_handover_stranded``); from then on the
bot answers them again. Without this a user would wait in silence for as long as the ticket lived.

Two paths reach the same closing, so whichever comes first wins and the other does nothing (the
close is one Lua script: exactly one caller gets True):
- ``StrandedSweeper``, a task of every gateway, checks every ``WEGWIJS_HANDOVER_SWEEP_SECONDS``
  and pushes the replies to the web chat's event stream, socket.io, or WhatsApp;
- the user's own next message (api/handover_turn.py) finds its ticket stranded and gets the
  replies in the answer to that message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.exceptions import RedisError

from api.rasa_client import RasaUnavailable
from api.services import Services
from api.transcripts import Said
from api.whatsapp.keys import SENDER_PREFIX as WHATSAPP_PREFIX
from wegwijs.handover.tickets import Ticket
from wegwijs.responses import load_specs, render
from wegwijs.wire import ReplyMessage, reply_message

logger = logging.getLogger(__name__)
INTENT = "/handover_stranded"
UNAVAILABLE = "gateway_service_unavailable"


async def hand_back(services: Services, ticket: Ticket, said: str | None = None) -> list[ReplyMessage] | None:
    """Close the stranded ticket and get the bot's replies; None when someone else closed it first.
    ``said``: the user's message that found the ticket stranded, kept before the replies."""
    staff = services.staff
    assert staff is not None
    if not await staff.tickets.close(ticket.id, reason="stranded"):
        return None
    if services.insight is not None:
        await services.insight.ticket_stage(ticket, "stranded")
    metadata = {"channel": ticket.channel, "language": ticket.language}
    if ticket.conversation.startswith(WHATSAPP_PREFIX):
        metadata["sender_phone"] = ticket.conversation[len(WHATSAPP_PREFIX) :]
    try:
        replies = await services.rasa.send(ticket.conversation, INTENT, metadata)
        messages = [reply_message(r["text"], r["buttons"], r["links"]) for r in replies]
    except RasaUnavailable as error:
        logger.error("stranded hand-over: assistant unavailable: %s", error)
        messages = [reply_message(render(load_specs()[UNAVAILABLE], ticket.language).text)]
    said_first = [Said.by_user(said)] if said else []
    await staff.transcripts.add(ticket.conversation, said_first + [Said.by_bot(m) for m in messages])
    await staff.audit.write(staff="-", action="stranded", ticket=ticket.id, outcome="handed_back")
    return messages


async def push(services: Services, ticket: Ticket, messages: list[ReplyMessage]) -> None:
    """The replies to a user who is not in a turn: WhatsApp, or the web chat's and socket.io's stream."""
    staff = services.staff
    assert staff is not None
    if ticket.conversation.startswith(WHATSAPP_PREFIX):
        wa_id = ticket.conversation[len(WHATSAPP_PREFIX) :]
        if services.whatsapp is not None and await services.whatsapp.within_window(wa_id):
            await services.whatsapp.deliver(wa_id, messages, ticket.language)
        return
    for message in messages:
        await staff.outbox.send(ticket.conversation, message["text"], "bot", message["buttons"])


async def sweep(services: Services, stranded_seconds: float) -> int:
    """Hand back every stranded ticket now; how many this gateway handed back."""
    staff = services.staff
    if staff is None:
        return 0
    handed = 0
    await staff.tickets.prune()
    for ticket_id in await staff.tickets.stranded(stranded_seconds):
        ticket = await staff.tickets.get(ticket_id)
        if ticket is None or ticket.is_callback:
            continue
        messages = await hand_back(services, ticket)
        if messages is not None:
            await push(services, ticket, messages)
            handed += 1
    return handed


class StrandedSweeper:
    def __init__(self, services: Services, stranded_seconds: float, every_seconds: float) -> None:
        self.services = services
        self.stranded_seconds = stranded_seconds
        self.every = every_seconds  # WEGWIJS_HANDOVER_SWEEP_SECONDS (api/settings.py)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="stranded-sweeper")

    async def _run(self) -> None:
        while True:
            try:
                await sweep(self.services, self.stranded_seconds)
            except (RedisError, OSError) as error:
                logger.warning("stranded hand-overs not checked: %s", type(error).__name__)
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
