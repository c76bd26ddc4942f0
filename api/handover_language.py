"""Hand-over by language skill, on the user's side (issue 15).

When a user has just been queued (Rasa's ``utter_handover_queued``) and none of the staff members
present speaks their language (wegwijs/handover/skills.py: everyone present lists their
languages and nobody lists this one), the gateway adds, in the user's language: nobody who speaks
it is available now; they can keep waiting, as a staff member may answer in another language;
after how many minutes without an answer the hand-over goes back to the bot with the phone line
and the call-back offer (the stranded time, api/stranded.py); and a "Call me back" button.

It is said once per ticket (a marker ``wegwijs:handover:no-speaker:<ticket id>``, which lives as
long as a queued ticket can wait). If it was not said at queueing (a speaker was there) and the
last speaker has gone by the time the user writes again while still queued, it is said then,
with the minutes that are left before the hand-over goes back to the bot. Nothing is pushed to a
user who writes nothing: presence lapses without an event (docs/architecture.md).

The button's payload (``/callback_instead``) never reaches Rasa as it is. While the user is
queued, the gateway closes the ticket (reason ``callback_instead``) and asks Rasa for what a
stranded hand-over gets (``/handover_stranded``: the phone line and the call-back questions,
actions/callback.py), with this module's text in place of the "nobody could take it in time"
apology, which would not be true. Tapped later (the ticket was claimed or closed meanwhile), it
goes to the staff member who has it, or, when the bot has the conversation back, it asks Rasa for
the same phone line and call-back questions (api/turns.py).

The text lives in bot/responses.yml and the catalogs like every gateway text, outside Rasa's
domain, so adding it did not change the trained model.
"""

from __future__ import annotations

import logging
import math
import time

from api.rasa_client import RasaUnavailable
from api.services import Services
from api.staff.service import Staff
from api.transcripts import Said
from api.whatsapp.keys import SENDER_PREFIX as WHATSAPP_PREFIX
from wegwijs.digits import to_locale_digits
from wegwijs.handover.skills import nobody_present_speaks
from wegwijs.handover.tickets import WAITING, Ticket
from wegwijs.languages import babel_name
from wegwijs.responses import load_specs, render
from wegwijs.wire import KeyedReply, ReplyMessage, reply_message

logger = logging.getLogger(__name__)
TOLD = "wegwijs:handover:no-speaker:"
NO_SPEAKER = "gateway_handover_no_speaker"
INSTEAD = "gateway_handover_callback_instead"
CALLBACK_INSTEAD = "/callback_instead"
STRANDED_INTENT = "/handover_stranded"
STRANDED_REPLY = "utter_handover_stranded"
UNAVAILABLE = "gateway_service_unavailable"


async def no_speaker_message(staff: Staff, ticket: Ticket, stranded_seconds: int) -> ReplyMessage | None:
    """The message for a queued user whose language nobody present speaks, if they have not had
    it for this ticket yet; else None. The minutes: what is left of the stranded time."""
    if ticket.is_callback or ticket.status != "queued":
        return None
    if await staff.redis.exists(TOLD + ticket.id):
        return None
    if not await nobody_present_speaks(staff.redis, ticket.language, staff.presence):
        return None
    since = await staff.redis.zscore(WAITING, ticket.id)
    left = stranded_seconds - (time.time() - (since if since is not None else ticket.created))
    if left <= 0 or not await staff.redis.set(TOLD + ticket.id, "1", nx=True, ex=stranded_seconds):
        return None  # stranded already (the hand-back follows), or another turn has just said it
    rendered = render(load_specs()[NO_SPEAKER], ticket.language)
    minutes = to_locale_digits(str(max(1, math.ceil(left / 60))), babel_name(ticket.language))
    return reply_message(rendered.text.format(minutes=minutes), rendered.buttons)


def instead_of_stranded(replies: list[KeyedReply], language: str) -> list[KeyedReply]:
    """Rasa's replies to ``/handover_stranded`` with this module's text instead of the apology."""
    instead = render(load_specs()[INSTEAD], language).text
    return [
        KeyedReply(text=instead, buttons=r["buttons"], links=r["links"], response=r["response"])
        if r["response"] == STRANDED_REPLY
        else r
        for r in replies
    ]


async def callback_instead(services: Services, ticket: Ticket, said: str) -> list[ReplyMessage] | None:
    """The user asked for a call-back instead of waiting: close the queued ticket and give the
    phone line and the call-back questions. None when the ticket was claimed or closed meanwhile
    (a staff member has it: the message is an ordinary one for them)."""
    staff = services.staff
    assert staff is not None
    if ticket.status != "queued" or not await staff.tickets.close(ticket.id, reason="callback_instead"):
        return None
    metadata = {"channel": ticket.channel, "language": ticket.language}
    if ticket.conversation.startswith(WHATSAPP_PREFIX):
        metadata["sender_phone"] = ticket.conversation[len(WHATSAPP_PREFIX) :]
    try:
        replies = await services.rasa.send(ticket.conversation, STRANDED_INTENT, metadata)
        kept = instead_of_stranded(replies, ticket.language)
        messages = [reply_message(r["text"], r["buttons"], r["links"]) for r in kept]
    except RasaUnavailable as error:
        logger.error("call-back instead of waiting: assistant unavailable: %s", error)
        messages = [reply_message(render(load_specs()[UNAVAILABLE], ticket.language).text)]
    await staff.transcripts.add(ticket.conversation, [Said.by_user(said)] + [Said.by_bot(m) for m in messages])
    await staff.audit.write(staff="-", action="callback_instead", ticket=ticket.id, outcome="handed_back")
    return messages
