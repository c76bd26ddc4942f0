"""The case status conversation: the form's validation and the lookup it ends with.

``validate_case_status_form`` reads a case reference and a date of birth from whatever the user
types (both in one message, in any order, any digits) and lets a later message correct either.
A message with neither gets a hint in the user's language, unless it clearly means something
else (a question, "stop", a safety message): then the form steps aside and the rules answer.

``action_case_status`` runs the identity check (actions/cases/lookup.py) and answers with the
stage explained, the next step's date as the user's locale writes it and the place (for a case
with a phone number on file, only on WhatsApp, where the sender's number was checked; elsewhere
the stage and where to get the details), then forgets
the reference and the date of birth; action_phone_line follows with the programme's line (the
stage replies name it in bot/responses.yml).

Domain needs: slots ``case_reference``, ``date_of_birth``, ``language``; form
``case_status_form``; the ``utter_case_*`` responses of bot/responses.yml.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cases.lookup import verified_case
from actions.cases.programmes import stage_response
from actions.cases.store import CaseStore
from actions.cases.throttle import Throttle, open_throttle
from actions.redis_client import shared_redis
from actions.settings import settings
from wegwijs.case_references import find_reference, remove_reference
from wegwijs.dates import format_for, format_solar_hijri, parse_date_of_birth

REFERENCE_SLOT = "case_reference"
BIRTH_SLOT = "date_of_birth"
# With neither value in the message, a confident other intent means the user moved on.
STAYING_INTENTS = {"nlu_fallback", "case_status"}
MOVED_ON_CONFIDENCE = 0.6


@lru_cache(maxsize=1)
def store() -> CaseStore:
    return CaseStore(settings().database_url)


@lru_cache(maxsize=1)
def throttle() -> Throttle:
    config = settings()
    return open_throttle(shared_redis(), config.lookup_secret, config.lookup_limit_client)


def forget() -> list[dict[str, Any]]:
    """The events that clear what the user typed for the lookup."""
    return [SlotSet(REFERENCE_SLOT, None), SlotSet(BIRTH_SLOT, None)]


def read_values(text: str, language: str | None = None) -> tuple[dict[str, str | None], dt.date | None]:
    """The reference and date of birth in a message, and the date of birth again when it was
    written in the Solar Hijri calendar (to confirm it in both calendars)."""
    found: dict[str, str | None] = {}
    reference = find_reference(text)
    if reference:
        found[REFERENCE_SLOT] = reference
    birth = parse_date_of_birth(remove_reference(text), language)
    if birth:
        found[BIRTH_SLOT] = birth[0].isoformat()
    return found, (birth[0] if birth and birth[1] else None)


class ValidateCaseStatusForm(Action):
    def name(self) -> str:
        return "validate_case_status_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        language = tracker.get_slot("language")
        found, solar = read_values(message.get("text") or "", language)
        if solar and language:
            both = f"{format_solar_hijri(solar, language)} ({format_for(solar, language)})"
            dispatcher.utter_message(response="utter_date_of_birth_read", date=both)
        if found:
            return [SlotSet(slot, value) for slot, value in found.items()]
        intent = message.get("intent") or {}
        if intent.get("name") not in STAYING_INTENTS and (intent.get("confidence") or 0) >= MOVED_ON_CONFIDENCE:
            return []  # the form steps aside; the rules answer what the user asked
        requested = tracker.get_slot("requested_slot")
        if requested == BIRTH_SLOT:
            dispatcher.utter_message(response="utter_date_of_birth_not_understood")
        elif requested == REFERENCE_SLOT:
            dispatcher.utter_message(response="utter_case_reference_not_understood")
        return [SlotSet(requested, None)] if requested else []


class ActionCaseStatus(Action):
    def name(self) -> str:
        return "action_case_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reference, birth = tracker.get_slot(REFERENCE_SLOT), tracker.get_slot(BIRTH_SLOT)
        if not reference or not birth:
            return forget()
        metadata = tracker.latest_message.get("metadata") or {}
        case = await verified_case(
            store(),
            throttle(),
            tracker.sender_id,
            reference,
            dt.date.fromisoformat(birth),
            channel=metadata.get("channel"),
            sender_phone=metadata.get("sender_phone"),
            client=metadata.get("client") if isinstance(metadata.get("client"), str) else None,
        )
        if case is None:
            dispatcher.utter_message(response="utter_case_not_found")
            return forget()
        language = tracker.get_slot("language") or "en"
        dispatcher.utter_message(response=stage_response(case.programme, case.stage))
        if case.phone and metadata.get("channel") != "whatsapp":
            # Only WhatsApp shows whose phone is asking: elsewhere the stage, never a date or place.
            dispatcher.utter_message(response="utter_case_details_elsewhere")
            return forget()
        date = format_for(case.next_step_date, language) if case.next_step_date else None
        if date and case.next_step_place:
            dispatcher.utter_message(response="utter_case_next_step_date_place", date=date, place=case.next_step_place)
        elif date:
            dispatcher.utter_message(response="utter_case_next_step_date", date=date)
        elif case.next_step_place:
            dispatcher.utter_message(response="utter_case_next_step_place", place=case.next_step_place)
        return forget()


class ActionForgetCaseDetails(Action):
    """After the user stops the lookup: forget what they typed so far."""

    def name(self) -> str:
        return "action_forget_case_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return forget()
