"""``action_handover``: puts the conversation in the staff queue, or gives the phone line.

Why now (the latest user intent): the user asked for a person, the assistant did not understand
twice in a row, or a safety message (the rules show 112 and the phone line first; the ticket is
urgent). When a staff member is at the console, within the staff chat's office hours (`chat` in
bot/opening_hours.yml, if configured), the conversation is queued (wegwijs/handover)
with its channel, language and topic, and the user hears their place in the queue. When nobody
is, the user gets the phone line of the conversation's topic (as action_phone_line gives it;
after a safety message or a locked case lookup the rules have given it already) and the offer of
a call-back (``callback_form``, actions/callback.py), which ends in a call-back ticket that stays
queued until a staff member handles it. Without Redis nothing can be queued: the phone line only.

``action_fallback`` (actions/fallback.py) hands over with reason ``repeated_fallback`` when the
message before was unclear too.

``action_case_lookup_help`` follows a case lookup: when this conversation's failed lookups have
locked it (actions/cases/throttle.py), it says a staff member can help and hands over with
reason ``case_locked``. The lock depends only on what this conversation tried, so the failure
reply itself stays the same for an unknown reference, a wrong date and a locked reference.

Domain needs: responses ``utter_handover_queued`` ({position}), ``utter_human_unavailable``,
``utter_callback_already_queued``, ``utter_case_lookup_help``; slot
``handover_reason``; form ``callback_form``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.also_offer import offer_also
from actions.case_status import throttle
from actions.conversation_topic import latest_subject
from actions.phone_line import present_phone_lines, utc_now
from actions.redis_client import shared_redis
from wegwijs.digits import to_locale_digits
from wegwijs.handover.presence import Presence
from wegwijs.handover.tickets import Callback, Ticket, TicketQueue
from wegwijs.languages import babel_name
from wegwijs.opening_hours import opening_hours

if TYPE_CHECKING:  # imported when REDIS_URL is set (actions/redis_client.py)
    from redis.asyncio import Redis

FALLBACK_INTENT = "nlu_fallback"
CHAT_HOURS = "chat"
REASON_BY_INTENT = {"request_human": "user_request", "safety_emergency": "safety"}
URGENT_REASONS = frozenset({"safety"})
NO_SUBJECT = "human_handover"
CALLBACK_FORM = "callback_form"


def handover_redis() -> Redis[bytes] | None:
    """The Redis of the queue; None without REDIS_URL (then nobody can be queued)."""
    return shared_redis()


def reason_for(intent: str | None) -> str:
    return REASON_BY_INTENT.get(intent or "", "user_request")


def previous_intent(events: list[dict[str, Any]]) -> str | None:
    """The intent of the user message before the latest one."""
    users = [event for event in events if event.get("event") == "user"]
    return ((users[-2].get("parse_data") or {}).get("intent") or {}).get("name") if len(users) > 1 else None


def within_office_hours(now: dt.datetime) -> bool:
    """The staff chat's office hours (`chat` in bot/opening_hours.yml); none configured: always."""
    state = opening_hours().line_state(CHAT_HOURS, now)
    return state is None or state.open


async def open_ticket(tracker: Tracker, reason: str, callback: Callback | None = None) -> Ticket:
    """Queue the conversation (or return its open ticket) with its channel, language and topic."""
    redis = handover_redis()
    if redis is None:
        raise OSError("no Redis for the hand-over queue (REDIS_URL is not set)")
    subject = latest_subject(tracker.events)
    metadata = tracker.latest_message.get("metadata") or {}
    return await TicketQueue(redis).open(
        conversation=tracker.sender_id,
        channel=str(metadata.get("channel") or "api"),
        language=tracker.get_slot("language") or "nl",
        topic=subject.spec.topic if subject else NO_SUBJECT,
        priority="urgent" if reason in URGENT_REASONS else "normal",
        reason=reason,
        callback=callback,
    )


async def hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, line_given: bool = False
) -> list[dict[str, Any]]:
    """Queue the conversation, or offer a call-back when nobody can take it; the events to return.

    ``line_given``: the rules have just given the phone line (safety, locked lookup)."""
    redis = handover_redis()
    if redis is None:
        if not line_given:
            dispatcher.utter_message(response="utter_human_unavailable")
            present_phone_lines(dispatcher, tracker, utc_now())
        return []
    queue = TicketQueue(redis)
    existing = await queue.open_for(tracker.sender_id)
    if existing is not None and existing.is_callback:
        if reason in URGENT_REASONS:
            await queue.escalate(existing.id)
        dispatcher.utter_message(response="utter_callback_already_queued")
        return []
    if not within_office_hours(utc_now()) or not await Presence(redis).anyone():
        if not line_given:
            dispatcher.utter_message(response="utter_human_unavailable")
            present_phone_lines(dispatcher, tracker, utc_now())
        return [SlotSet("handover_reason", reason), FollowupAction(CALLBACK_FORM)]
    ticket = await open_ticket(tracker, reason)
    position = await queue.position(ticket.id)
    language = tracker.get_slot("language") or "nl"
    shown = to_locale_digits(str(position or 1), babel_name(language))
    dispatcher.utter_message(response="utter_handover_queued", position=shown)
    return []


class ActionHandover(Action):
    def name(self) -> str:
        return "action_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = reason_for((tracker.latest_message.get("intent") or {}).get("name"))
        if reason not in URGENT_REASONS:  # after a safety message the phone line has offered it
            offer_also(dispatcher, tracker)
        return await hand_over(dispatcher, tracker, reason, line_given=reason in URGENT_REASONS)


class ActionHandoverStranded(Action):
    """No staff member acted on the hand-over in time (the gateway closed it, api/stranded.py):
    say so, give the phone line, and offer a call-back; the bot answers again from here."""

    def name(self) -> str:
        return "action_handover_stranded"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_handover_stranded")
        present_phone_lines(dispatcher, tracker, utc_now())
        if handover_redis() is None:
            return []
        return [SlotSet("handover_reason", "user_request"), FollowupAction(CALLBACK_FORM)]


class ActionCaseLookupHelp(Action):
    """After a failed case lookup that left this conversation locked: offer a person."""

    def name(self) -> str:
        return "action_case_lookup_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not await throttle().conversation_locked(tracker.sender_id):
            return []
        dispatcher.utter_message(response="utter_case_lookup_help")
        return await hand_over(dispatcher, tracker, "case_locked", line_given=True)
