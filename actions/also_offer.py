"""``action_offer_also``: after an answer, the second subject the message plainly asked about.

"My asylum was refused, I want to go home" is answered as voluntary return; the topic decision
(bot/components/topic_decision.py) keeps the asylum question as ``also``, and this action offers
it as one button ("I can also tell you about this too"). After a safety message it follows the
112 answer and the phone line, before the hand-over. Nothing is said when there is no second
subject.

Domain needs: response ``utter_also_offer``; the button set ``subjects`` in bot/responses.yml.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from wegwijs.intent_topics import TOPIC_DECISION
from wegwijs.languages import DEFAULT_LANGUAGE
from wegwijs.responses import intent_buttons


def offer_also(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    also = (tracker.latest_message.get(TOPIC_DECISION) or {}).get("also")
    buttons = intent_buttons([also], tracker.get_slot("language") or DEFAULT_LANGUAGE) if also else []
    if buttons:
        dispatcher.utter_message(response="utter_also_offer", buttons=buttons)


class ActionOfferAlso(Action):
    def name(self) -> str:
        return "action_offer_also"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        offer_also(dispatcher, tracker)
        return []
