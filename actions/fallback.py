"""``action_fallback``: a message the assistant did not understand well enough to answer.

The first time, when the topic decision (bot/components/topic_decision.py) found two likely
subjects, the user is asked "Did you mean ...?" with those two as buttons and "Something else";
without two likely subjects (or for keyboard mashing) the topic menu. When the message before
was unclear too, the topic menu comes with a person: the staff queue, or the phone line and a
call-back offer (``hand_over``, reason ``repeated_fallback``). Every unclear message gets a real
reply in the user's language.

Domain needs: responses ``utter_did_you_mean`` and ``utter_fallback``; the button sets
``subjects`` and ``something_else`` in bot/responses.yml.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handover import FALLBACK_INTENT, hand_over, previous_intent
from wegwijs.intent_topics import TOPIC_DECISION
from wegwijs.languages import DEFAULT_LANGUAGE
from wegwijs.responses import intent_buttons


def suggestions(tracker: Tracker) -> list[str]:
    return list((tracker.latest_message.get(TOPIC_DECISION) or {}).get("suggestions") or [])


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if previous_intent(tracker.events) == FALLBACK_INTENT:
            dispatcher.utter_message(response="utter_fallback")
            return await hand_over(dispatcher, tracker, "repeated_fallback")
        language = tracker.get_slot("language") or DEFAULT_LANGUAGE
        subjects = intent_buttons(suggestions(tracker), language)
        if len(subjects) < 2:
            dispatcher.utter_message(response="utter_fallback")
            return []
        buttons = subjects + intent_buttons(["something_else"], language, "something_else")
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []
