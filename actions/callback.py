"""The call-back offer: when no staff member can take the chat, a person can still call the user.

``action_handover`` (actions/handover.py) starts ``callback_form`` when nobody is at the console
or it is outside the staff chat's hours, after the phone line has been given. The form asks, one
at a time: would you like a call-back (yes / no); the number to call (any format a person types:
national, +country code, 00, Arabic-Indic or Persian digits); the preferred time (morning,
afternoon, any time: buttons, their titles typed in the user's language, or 1-3); and consent to
keep the number with the request. Only after a yes to that last question is anything stored: a
call-back ticket in the hand-over queue (wegwijs/handover/tickets.py), which stays queued until a
staff member handles it; closing it deletes the number. A no, "stop" or an unclear answer keeps
nothing, and the slots are cleared in every case, so the number leaves the stored tracker too
(bot/tracker_store.py).

Domain needs: slots ``callback_wanted``, ``callback_phone``, ``callback_time``,
``callback_consent``, ``handover_reason``; form ``callback_form``; intents ``affirm``, ``deny``,
``callback_time`` (button payloads only) and entity ``callback_time``; the ``utter_*callback*``
responses of bot/responses.yml.
"""

from __future__ import annotations

import time
from typing import Any

import phonenumbers
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from redis.exceptions import RedisError

from actions.handover import open_ticket
from actions.phone_line import ABROAD, present_phone_lines, sender_number, utc_now, whereabouts
from wegwijs.catalogs import translator
from wegwijs.handover.tickets import CALLBACK_TIMES, Callback
from wegwijs.normalize import normalize
from wegwijs.redaction import HOME_REGION, phone_numbers_in
from wegwijs.responses import keep_left_to_right, load_specs, payload_entities

WANTED, PHONE, TIME, CONSENT = "callback_wanted", "callback_phone", "callback_time", "callback_consent"
REASON_SLOT = "handover_reason"
FORM_SLOTS = (WANTED, PHONE, TIME, CONSENT)
TIME_QUESTION = "utter_ask_callback_time"
# Answers that leave the form where it is: the rules answer whatever else the user asked.
MOVED_ON_CONFIDENCE = 0.6
YES_NO = {"affirm": True, "deny": False}


def forget() -> list[dict[str, Any]]:
    """The events that clear the call-back's slots (the number among them)."""
    return [SlotSet(slot, None) for slot in (*FORM_SLOTS, REASON_SLOT)]


def time_titles(language: str) -> dict[str, str]:
    """The preferred-time buttons' titles in ``language``, by value (morning, afternoon, any)."""
    gettext = translator(language).gettext
    titles = {}
    for button in load_specs()[TIME_QUESTION].buttons:
        titles[payload_entities(button.payload)[TIME]] = gettext(button.title)
    return titles


def read_time(message: dict[str, Any], language: str) -> str | None:
    """The preferred time from a button's entity, a typed button title (user's language or
    English) or its number (1-3, any digits)."""
    for entity in message.get("entities") or []:
        if entity.get("entity") == TIME and entity.get("value") in CALLBACK_TIMES:
            return str(entity["value"])
    typed = normalize(message.get("text") or "").strip().strip(".!؟?").casefold()
    if typed.isdigit() and 1 <= int(typed) <= len(CALLBACK_TIMES):
        return list(time_titles(language))[int(typed) - 1]
    for titles in (time_titles(language), time_titles("en")):
        for value, title in titles.items():
            if normalize(title).casefold() == typed:
                return value
    return None


def dialling_region(tracker: Tracker) -> str | None:
    """How a number without a country code is read: as dialled in the Netherlands, unless the
    user is abroad: then in the country of their WhatsApp number, or, with no such number, not
    at all (the user is asked for + and the country code)."""
    metadata = tracker.latest_message.get("metadata") or {}
    if whereabouts(tracker.get_slot("abroad"), metadata) != ABROAD:
        return HOME_REGION
    number = sender_number(metadata)
    if number is None:
        return None
    return phonenumbers.region_code_for_number(number) or None


def read_phone(text: str, region: str | None) -> str | None:
    """The first valid phone number in the text, in E.164."""
    for number in phone_numbers_in(text, region, phonenumbers.Leniency.VALID):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def shown_phone(e164: str, language: str) -> str:
    formatted = phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return keep_left_to_right(formatted, language)


def moved_on(message: dict[str, Any]) -> bool:
    intent = message.get("intent") or {}
    return (
        intent.get("name") not in (*YES_NO, "nlu_fallback", TIME)
        and (intent.get("confidence") or 0) >= MOVED_ON_CONFIDENCE
    )


class ValidateCallbackForm(Action):
    def name(self) -> str:
        return "validate_callback_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        if requested not in FORM_SLOTS:
            return []  # the form has just started: nothing asked yet
        message = tracker.latest_message or {}
        language = tracker.get_slot("language") or "en"
        if requested in (WANTED, CONSENT):
            answer = YES_NO.get((message.get("intent") or {}).get("name") or "")
            if answer is True:
                return [SlotSet(requested, True)]
            if answer is False:  # a no ends the form here; action_callback_request says so
                return [SlotSet(requested, False), SlotSet("requested_slot", None)]
        elif requested == PHONE:
            number = read_phone(message.get("text") or "", dialling_region(tracker))
            if number:
                return [SlotSet(PHONE, number)]
        elif requested == TIME:
            value = read_time(message, language)
            if value:
                return [SlotSet(TIME, value)]
        typed_digits = requested == PHONE and any(ch.isdigit() for ch in message.get("text") or "")
        not_understood = (message.get("intent") or {}).get("name") == "nlu_fallback"
        # The offer is made once (action_ask_callback_wanted), so an unclear answer to it would get
        # no reply at all: it steps aside and is answered like any unclear message.
        if (moved_on(message) or (requested == WANTED and not_understood)) and not typed_digits:
            return []  # the form steps aside; the rules answer, then it asks again
        if requested == PHONE:
            dispatcher.utter_message(response="utter_callback_phone_not_understood")
        return [SlotSet(requested, None)]


def offered_this_turn(events: list[dict[str, Any]]) -> bool:
    """Whether a hand-over has just offered the call-back (it sets ``handover_reason``)."""
    for event in reversed(events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == REASON_SLOT and event.get("value"):
            return True
    return False


class ActionAskCallbackWanted(Action):
    """Offers the call-back once. When the user answered something else instead, the rules have
    answered that, and the form would ask again: it ends quietly instead (nothing kept)."""

    def name(self) -> str:
        return "action_ask_callback_wanted"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not offered_this_turn(tracker.events):
            return [SlotSet("requested_slot", None)]
        dispatcher.utter_message(response="utter_ask_callback_wanted")
        return []


class ActionAskCallbackConsent(Action):
    """Asks for consent, repeating the number and the time so the user can check them."""

    def name(self) -> str:
        return "action_ask_callback_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or "en"
        phone, when = tracker.get_slot(PHONE), tracker.get_slot(TIME)
        dispatcher.utter_message(
            response="utter_ask_callback_consent",
            number=shown_phone(phone, language),
            time=time_titles(language).get(when, when),
        )
        return []


class ActionCallbackRequest(Action):
    """The form is done: store the call-back request when the user agreed, and say what happened."""

    def name(self) -> str:
        return "action_callback_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or "en"
        wanted = tracker.get_slot(WANTED)
        if wanted is None:  # the user went on to something else; the offer lapses
            return forget()
        if not wanted:
            dispatcher.utter_message(response="utter_callback_declined")
            return forget()
        if not tracker.get_slot(CONSENT):
            dispatcher.utter_message(response="utter_callback_not_kept")
            present_phone_lines(dispatcher, tracker, utc_now())
            return forget()
        callback = Callback(phone=tracker.get_slot(PHONE), time=tracker.get_slot(TIME), consented=time.time())
        try:
            await open_ticket(tracker, tracker.get_slot(REASON_SLOT) or "user_request", callback)
        except (RedisError, OSError):
            dispatcher.utter_message(response="utter_callback_failed")
            present_phone_lines(dispatcher, tracker, utc_now())
            return forget()
        dispatcher.utter_message(response="utter_callback_booked", time=time_titles(language).get(callback.time))
        return forget()


class ActionForgetCallback(Action):
    """After the user stops the call-back questions: forget what they typed."""

    def name(self) -> str:
        return "action_forget_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return forget()
