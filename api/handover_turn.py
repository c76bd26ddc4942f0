"""A user's turn while their conversation is with staff (queued or active).

The bot neither answers nor learns: the message is not sent to Rasa. It goes into the
transcript the staff member reads. While the ticket waits, the user hears their place in the
queue; while a staff member holds it, the gateway answers nothing (the staff member will).

A call-back ticket is different: nobody was at the console, a staff member will phone the user,
and the chat stays with the bot meanwhile (staff replies in the chat still reach the user).
"""

from __future__ import annotations

from typing import TypedDict

from api.handover_language import no_speaker_message
from api.staff.service import Staff
from api.transcripts import Said
from wegwijs.digits import to_locale_digits
from wegwijs.handover.tickets import Status, Ticket
from wegwijs.languages import babel_name
from wegwijs.responses import load_specs, render
from wegwijs.wire import ReplyMessage, reply_message

WAITING = "gateway_handover_waiting"
LANGUAGE_CHOSEN = "gateway_handover_language"
TOPIC = "human_handover"


class HandoverView(TypedDict):
    """A turn's ``handover``: whether a person has the conversation or it waits for one."""

    status: Status
    position: int | None  # 1 for the next in the queue; None once a person has it


def handover_view(status: Status, position: int | None) -> HandoverView:
    return {"status": status, "position": position}


async def handover_turn(
    staff: Staff, ticket: Ticket, text: str, language: str, switched: bool = False, stranded_seconds: int = 0
) -> tuple[list[ReplyMessage], HandoverView]:
    """(messages, handover) for a turn while ``ticket`` (open, not a call-back) has the conversation.

    ``switched``: the user chose another language. The conversation stays with staff: the user
    hears, in the new language, that staff will answer (the staff console shows the new
    language with the next poll); Rasa is not asked, so a language button cannot skip the queue.

    ``stranded_seconds``: when the last member who speaks the user's language has gone since they
    were queued, the waiting reply is followed, once, by "nobody who speaks your language is
    available" (api/handover_language.py) with the minutes left of this time."""
    await staff.transcripts.add(ticket.conversation, [Said.by_user(text)])
    if switched:
        await staff.tickets.set_language(ticket.id, language)
        rendered = render(load_specs()[LANGUAGE_CHOSEN], language)
        position = await staff.tickets.position(ticket.id)
        return [reply_message(rendered.text)], handover_view(ticket.status, position)
    if ticket.status != "queued":
        return [], handover_view(ticket.status, None)
    position = await staff.tickets.position(ticket.id)
    rendered = render(load_specs()[WAITING], language)
    shown = to_locale_digits(str(position or 1), babel_name(language))
    messages = [reply_message(rendered.text.format(position=shown))]
    told = await no_speaker_message(staff, ticket, stranded_seconds) if stranded_seconds else None
    if told is not None:
        messages.append(told)
        await staff.transcripts.add(ticket.conversation, [Said.by_bot(told)])
    return messages, handover_view("queued", position)


async def queued_view(staff: Staff, sender: str) -> HandoverView | None:
    """The hand-over object for a turn in which the bot has just queued the conversation."""
    ticket = await staff.tickets.open_for(sender)
    if ticket is None:
        return None
    return handover_view(ticket.status, await staff.tickets.position(ticket.id))
