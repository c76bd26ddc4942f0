"""``action_phone_line``: the one place that decides which phone line to give and presents it.

Which line: the topic of the conversation, read from the replies the assistant gave (their
``topic`` and ``phone_line`` in bot/responses.yml): the most recent reply about a subject
decides; voluntary return and family reunification have their own line, everything else gets
the general line (bot/phone_lines.yml). The contact answer in this turn gets every line.

How: for someone in the Netherlands the national number; for someone abroad the +31 number
with a note; when we do not know, both. Abroad means the user said so (slot ``abroad``, from
the intents ``location_abroad`` / ``location_netherlands``) or, failing that, they write from a
WhatsApp number with a country code other than +31. Channels that show links get a ``tel:``
link beside the text. Then the line's opening hours (bot/opening_hours.yml), if configured:
open until when, or when it opens next. Then, if the message also asked about another subject,
that subject as a button (actions/also_offer.py), so that no second action call is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import phonenumbers
from babel.dates import format_date, format_time
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.also_offer import offer_also
from actions.conversation_topic import PHONE_PREFIX, latest_subject
from wegwijs.digits import to_locale_digits
from wegwijs.languages import babel_name
from wegwijs.opening_hours import OpeningHours, opening_hours
from wegwijs.phone_lines import GENERAL, contacts
from wegwijs.wire import ActionMessage, link

NETHERLANDS, ABROAD, UNKNOWN = "netherlands", "abroad", "unknown"
NETHERLANDS_COUNTRY_CODE = 31
# Replies after which every line is given (in their own turn).
EVERY_LINE = frozenset({"utter_contact_info"})
# Channels whose clients show links: the chat API (the web chat renders its `links`) and Rasa's
# socket.io protocol (`bot_uttered` carries them). WhatsApp shows plain text and makes phone
# numbers tappable itself.
LINK_CHANNELS = frozenset({"api", "socketio"})


def lines_for_conversation(events: list[dict[str, Any]]) -> list[str]:
    subject = latest_subject(events)
    if subject is None:
        return [GENERAL]
    if subject.key in EVERY_LINE and subject.this_turn:
        return list(dict.fromkeys(contacts().lines))
    return [subject.spec.phone_line or contacts().line_for_topic(subject.spec.topic)]


def sender_number(metadata: dict[str, Any]) -> phonenumbers.PhoneNumber | None:
    """The WhatsApp sender's number (WhatsApp gives it without the +), if this is WhatsApp."""
    sender = str(metadata.get("sender_phone") or "") if metadata.get("channel") == "whatsapp" else ""
    if not sender:
        return None
    try:
        return phonenumbers.parse(sender if sender.startswith("+") else f"+{sender}", None)
    except phonenumbers.NumberParseException:
        return None


def whereabouts(abroad_slot: bool | None, metadata: dict[str, Any]) -> str:
    if abroad_slot is not None:
        return ABROAD if abroad_slot else NETHERLANDS
    number = sender_number(metadata)
    if number is None:
        return UNKNOWN
    return NETHERLANDS if number.country_code == NETHERLANDS_COUNTRY_CODE else ABROAD


def hours_message(hours: OpeningHours, line: str, now: dt.datetime, language: str) -> dict[str, Any] | None:
    """The response (and its runtime values) that tells when the line is open, or None."""
    state = hours.line_state(line, now)
    if state is None:
        return None
    locale = babel_name(language)
    today = now.astimezone(hours.zone).date()
    if state.change is None:
        return {"response": "utter_phone_open_now" if state.open else "utter_phone_closed_now"}
    time = to_locale_digits(format_time(state.change.time(), "short", locale=locale), locale)
    day = state.change.date()
    if state.open:
        if day == today:
            return {"response": "utter_phone_open_until", "time": time}
        return {"response": "utter_phone_open_now"}
    if day == today:
        return {"response": "utter_phone_closed_opens_today", "time": time}
    if day == today + dt.timedelta(days=1):
        return {"response": "utter_phone_closed_opens_tomorrow", "time": time}
    day_text = to_locale_digits(format_date(day, "EEEE d MMMM", locale=locale), locale)
    return {"response": "utter_phone_closed_opens_on", "day": day_text, "time": time}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def present_phone_lines(dispatcher: CollectingDispatcher, tracker: Tracker, now: dt.datetime) -> None:
    """Send the conversation's line(s) in the user's format, with links and opening hours."""
    metadata = tracker.latest_message.get("metadata") or {}
    where = whereabouts(tracker.get_slot("abroad"), metadata)
    language = tracker.get_slot("language") or "en"
    for line in lines_for_conversation(tracker.events):
        attached: ActionMessage | None = None
        if metadata.get("channel") in LINK_CHANNELS:
            shown = contacts().international(line) if where == ABROAD else contacts().national(line)
            attached = {"links": [link(shown, contacts().tel_uri(line))]}
        dispatcher.utter_message(
            response=f"{PHONE_PREFIX}{line}_{where}", json_message=dict(attached) if attached else None
        )
        hours = hours_message(opening_hours(), line, now, language)
        if hours:
            dispatcher.utter_message(**hours)


class ActionPhoneLine(Action):
    clock: Callable[[], dt.datetime] = staticmethod(utc_now)

    def name(self) -> str:
        return "action_phone_line"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        present_phone_lines(dispatcher, tracker, self.clock())
        offer_also(dispatcher, tracker)
        return []
