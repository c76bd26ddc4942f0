"""``action_human_line``: answers a request for a person with the phone line of the topic.

Until staff hand-over exists, a person is reached by phone. The right line is the one of what
the conversation was about: the most recent user intent about voluntary return or family
reunification decides, anything else gets the general line.

Domain needs: responses ``utter_human_line_general``, ``utter_human_line_return``,
``utter_human_line_reunification``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

LINE_BY_INTENT_PREFIX = {"return_": "return", "reunification_": "reunification"}
GENERAL = "general"


def line_for_intent(intent: Optional[Text]) -> Optional[Text]:
    for prefix, line in LINE_BY_INTENT_PREFIX.items():
        if intent and intent.startswith(prefix):
            return line
    return None


def line_for_conversation(events: List[Dict[Text, Any]]) -> Text:
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        line = line_for_intent((event.get("parse_data") or {}).get("intent", {}).get("name"))
        if line:
            return line
    return GENERAL


class ActionHumanLine(Action):
    def name(self) -> Text:
        return "action_human_line"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        line = line_for_conversation(tracker.events)
        dispatcher.utter_message(response=f"utter_human_line_{line}")
        return []
