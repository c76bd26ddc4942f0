"""action_human_line picks the line of what the conversation was about (no server needed)."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.human_line import ActionHumanLine


def user(intent: str) -> dict:
    return {"event": "user", "text": "…", "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def run(events: list[dict]) -> list[dict]:
    tracker = Tracker("c", {}, {}, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHumanLine().run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_return_topic_gets_the_return_line() -> None:
    messages = run([user("greet"), user("return_money"), user("request_human")])
    assert [m["response"] for m in messages] == ["utter_human_line_return"]


def test_latest_topic_wins() -> None:
    messages = run([user("return_info"), user("reunification_dna"), user("thank"), user("request_human")])
    assert [m["response"] for m in messages] == ["utter_human_line_reunification"]


def test_anything_else_gets_the_general_line() -> None:
    assert [m["response"] for m in run([user("about_iom"), user("request_human")])] == ["utter_human_line_general"]
    assert [m["response"] for m in run([])] == ["utter_human_line_general"]
