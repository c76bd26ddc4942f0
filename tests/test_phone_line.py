"""action_phone_line (no server needed): which line, which format, which link, which hours."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.phone_line import ActionPhoneLine, hours_message, lines_for_conversation, whereabouts
from tests.phone_texts import OPENING_HOURS
from wegwijs.opening_hours import load

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def user(intent: str) -> dict:
    return {"event": "user", "text": "…", "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def bot(key: str) -> dict:
    return {"event": "bot", "text": "…", "metadata": {"utter_action": key}}


def run(events: list[dict], slots: dict | None = None, metadata: dict | None = None) -> list[dict]:
    latest = {"intent": {}, "entities": [], "text": "…", "metadata": metadata or {}}
    tracker = Tracker("c", slots or {}, latest, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    action = ActionPhoneLine()
    action.clock = staticmethod(lambda: dt.datetime(2026, 11, 30, 10, 0, tzinfo=AMSTERDAM))  # a Monday
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_the_topic_of_the_conversation_decides_the_line() -> None:
    assert lines_for_conversation([user("return_money"), bot("utter_return_money")]) == ["return"]
    assert lines_for_conversation(
        [
            user("reunification_dna"),
            bot("utter_reunification_dna"),
            user("thank"),
            bot("utter_thank"),
            user("request_human"),
            bot("utter_human_unavailable"),
        ]
    ) == ["reunification"]
    assert lines_for_conversation(
        [bot("utter_return_info"), bot("utter_phone_return_unknown"), bot("utter_resettlement_info")]
    ) == ["general"], "the latest subject wins"
    assert lines_for_conversation([bot("utter_about_iom")]) == ["general"]
    assert lines_for_conversation([]) == ["general"]


def test_a_case_status_answer_gives_its_programmes_line() -> None:
    assert lines_for_conversation([bot("utter_case_family_reunification_arrived")]) == ["reunification"]
    assert lines_for_conversation(
        [bot("utter_case_voluntary_return_travel_booked"), bot("utter_case_next_step_date_place")]
    ) == ["return"], "a detail names no line"
    assert lines_for_conversation([bot("utter_case_not_found")]) == ["general"]


def test_a_contact_question_gets_every_line_but_only_in_its_own_turn() -> None:
    assert lines_for_conversation([user("contact_info"), bot("utter_contact_info")]) == [
        "general",
        "return",
        "reunification",
    ]
    later = [user("contact_info"), bot("utter_contact_info"), user("bot_challenge"), bot("utter_bot_challenge")]
    assert lines_for_conversation(later) == ["general"]
    noted = [bot("utter_return_info"), user("location_abroad"), bot("utter_noted_abroad")]
    assert lines_for_conversation(noted) == ["return"], "saying where you are keeps the conversation's line"


@pytest.mark.parametrize(
    "slot, metadata, where",
    [
        (None, {}, "unknown"),
        (True, {}, "abroad"),
        (False, {}, "netherlands"),
        (None, {"channel": "whatsapp", "sender_phone": "251911234567"}, "abroad"),
        (None, {"channel": "whatsapp", "sender_phone": "+31612345678"}, "netherlands"),
        (False, {"channel": "whatsapp", "sender_phone": "93701234567"}, "netherlands"),
        (None, {"channel": "whatsapp", "sender_phone": "not a number"}, "unknown"),
        (None, {"channel": "api", "sender_phone": "251911234567"}, "unknown"),
    ],
)
def test_where_the_user_is(slot, metadata, where) -> None:
    assert whereabouts(slot, metadata) == where


def test_formats_links_and_hours() -> None:
    events = [user("return_info"), bot("utter_return_info")]
    messages = run(events, {"abroad": True, "language": "nl"}, {"channel": "api"})
    assert messages[0]["response"] == "utter_phone_return_abroad"
    assert messages[0]["custom"] == {"links": [{"title": "+31 88 746 4466", "url": "tel:+31-88-746-4466"}]}
    messages = run(events, {"abroad": False, "language": "nl"}, {"channel": "api"})
    assert messages[0]["custom"]["links"][0]["title"] == "088 746 4466"
    assert not run(events, {"language": "nl"}, {"channel": "whatsapp"})[0].get("custom"), "WhatsApp shows no links"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    "now, expected",
    [
        (at(30, 10), {"response": "utter_phone_open_until", "time": "12:30"}),  # Monday morning
        (at(30, 12, 45), {"response": "utter_phone_closed_opens_today", "time": "13:30"}),  # lunch
        (at(30, 8), {"response": "utter_phone_closed_opens_today", "time": "09:00"}),
        (at(30, 18), {"response": "utter_phone_closed_opens_tomorrow", "time": "09:00"}),
        (
            at(28, 11),
            {"response": "utter_phone_closed_opens_on", "day": "maandag 30 november", "time": "09:00"},
        ),  # Saturday
    ],
)
def test_opening_hours_in_dutch(now, expected) -> None:
    assert hours_message(load(OPENING_HOURS), "general", now, "nl") == expected


def test_holidays_and_other_locales() -> None:
    hours = load(OPENING_HOURS)
    christmas_eve = dt.datetime(2026, 12, 24, 17, 30, tzinfo=AMSTERDAM)  # Thursday; 25 and 26 closed
    assert hours_message(hours, "general", christmas_eve, "en") == {
        "response": "utter_phone_closed_opens_on",
        "day": "Monday 28 December",
        "time": "9:00\u202fAM",
    }
    assert hours_message(hours, "general", christmas_eve, "fa-AF")["time"] == "۹:۰۰"
    assert hours_message(hours, "general", at(30, 18), "ar")["time"] == "9:00 ص", "CLDR: Arabic (ar) writes latn digits"
    assert hours_message(hours, "return", christmas_eve, "en") == {"response": "utter_phone_open_now"}, (
        "open day and night"
    )
    assert hours_message(hours, "reunification", christmas_eve, "en") is None, "no hours configured, nothing said"


def test_the_shipped_file_invents_no_hours() -> None:
    from wegwijs.opening_hours import DEFAULT_FILE

    assert load(DEFAULT_FILE).schedules == {}, "the brochure gives no opening hours"


@pytest.mark.parametrize(
    "weekly, message",
    [
        ({"funday": ["09:00-17:00"]}, "is not one of"),
        ({"monday": ["17:00-09:00"]}, "ends before it starts"),
        ({"monday": ["9-17"]}, "is not an interval"),
        ({"monday": ["09:00-24:30"]}, "is not a time of day"),
    ],
)
def test_a_wrong_hours_file_is_refused_with_the_reason(weekly, message) -> None:
    from wegwijs.opening_hours import parse

    with pytest.raises(ValueError, match=message):
        parse({"lines": {"general": {"weekly": weekly}}}, "hours.yml")


def test_summer_time_keeps_wall_clock_hours() -> None:
    hours = load(OPENING_HOURS)
    before_switch = dt.datetime(2027, 3, 26, 16, 0, tzinfo=AMSTERDAM)  # Friday, clocks go forward on Sunday
    state = hours.line_state("general", before_switch)
    assert not state.open and state.change == dt.datetime(2027, 3, 29, 9, 0, tzinfo=AMSTERDAM)
    assert state.change.utcoffset() == dt.timedelta(hours=2)


def test_the_staff_chat_has_office_hours_only_when_configured(monkeypatch, tmp_path) -> None:
    from actions import handover
    from wegwijs import opening_hours as hours_module

    assert handover.within_office_hours(at(29, 3)), "no chat hours configured: always"
    configured = tmp_path / "hours.yml"
    configured.write_text("lines:\n  chat:\n    weekly:\n      monday: ['09:00-17:00']\n", encoding="utf-8")
    monkeypatch.setattr(hours_module, "hours_file", lambda: configured)
    assert handover.within_office_hours(at(30, 10))
    assert not handover.within_office_hours(at(30, 18)), "Monday evening: closed"
