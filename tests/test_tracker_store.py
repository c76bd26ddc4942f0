"""The bounded tracker store keeps the latest session only, capped, in a real Redis."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import BoundedRedisTrackerStore, latest_session
from tests.conftest import RedisServer

DOMAIN = Domain.from_path(Path(__file__).resolve().parent.parent / "bot" / "domain")

TIMESTAMPS = re.compile(r'"timestamp": [0-9.e+-]+')


def session(texts: list[str]) -> list:
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for text in texts:
        events += [
            UserUttered(text, {"name": "greet", "confidence": 1.0}),
            SlotSet("language", "nl"),
            ActionExecuted("utter_greet"),
            ActionExecuted("action_listen"),
        ]
    return events


def test_latest_session_starts_at_its_session_start() -> None:
    old, new = session(["a", "b"]), session(["c"])
    kept = latest_session(old + new, max_events=100)
    assert kept == new


def test_latest_session_is_capped_from_the_end() -> None:
    events = session([str(i) for i in range(100)])
    assert latest_session(events, max_events=50) == events[-50:]


def test_store_saves_only_the_latest_session(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    try:
        store = BoundedRedisTrackerStore(DOMAIN, host="127.0.0.1", port=redis.port, key_prefix="t", max_events=30)
        tracker = DialogueStateTracker.from_events("c1", session(["a", "b"]) + session(["c", "d"]), DOMAIN.slots)
        asyncio.run(store.save(tracker))
        restored = asyncio.run(store.retrieve("c1"))
        assert [e.text for e in restored.events if isinstance(e, UserUttered)] == ["c", "d"]
        assert restored.get_slot("language") == "nl"
        many = DialogueStateTracker.from_events("c2", session([str(i) for i in range(40)]), DOMAIN.slots)
        asyncio.run(store.save(many))
        assert len(asyncio.run(store.retrieve("c2")).events) == 30
    finally:
        redis.stop()


def test_case_details_are_kept_only_while_the_lookup_needs_them(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    try:
        store = BoundedRedisTrackerStore(DOMAIN, host="127.0.0.1", port=redis.port, key_prefix="t")
        during = session(["where is my case"]) + [
            UserUttered("iom nl 2026 000042", {"name": "case_status", "confidence": 1.0}),
            SlotSet("case_reference", "IOM-NL-2026-000042"),
            ActionExecuted("action_listen"),
        ]
        tracker = DialogueStateTracker.from_events("c3", during, DOMAIN.slots)
        asyncio.run(store.save(tracker))
        stored = redis_text(redis, "t:tracker:c3")
        assert "000042" not in stored.split('"slot"')[0], "the typed reference is not stored"
        assert asyncio.run(store.retrieve("c3")).get_slot("case_reference") == "IOM-NL-2026-000042", "still needed"

        after = during + [
            UserUttered("14 mei 1990", {"name": "nlu_fallback", "confidence": 1.0}),
            SlotSet("date_of_birth", "1990-05-14"),
            ActionExecuted("action_case_status"),
            SlotSet("case_reference", None),
            SlotSet("date_of_birth", None),
        ]
        asyncio.run(store.save(DialogueStateTracker.from_events("c3", after, DOMAIN.slots)))
        stored = redis_text(redis, "t:tracker:c3")
        assert "000042" not in stored and "1990" not in stored and "mei" not in stored
        assert "where is my case" in stored, "other messages are kept"
    finally:
        redis.stop()


def redis_text(redis: RedisServer, key: str) -> str:
    import redis as redis_client

    return redis_client.Redis(port=redis.port).get(key).decode("utf-8")


def test_a_call_back_number_is_kept_only_while_the_form_needs_it(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    try:
        store = BoundedRedisTrackerStore(DOMAIN, host="127.0.0.1", port=redis.port, key_prefix="t")
        during = session(["hello"]) + [
            UserUttered("نمبرم ۰۷۰۱۲۳۴۵۶۷ است", {"name": "nlu_fallback", "confidence": 1.0}),
            SlotSet("callback_phone", "+93701234567"),
            ActionExecuted("action_ask_callback_consent"),
            BotUttered(
                "We keep the number +93 70 123 4567 with your request",
                metadata={"utter_action": "utter_ask_callback_consent", "number": "+93 70 123 4567"},
            ),
            ActionExecuted("action_listen"),
        ]
        asyncio.run(store.save(DialogueStateTracker.from_events("c4", during, DOMAIN.slots)))
        stored = redis_text(redis, "t:tracker:c4")
        assert "۱۲۳" not in stored.encode().decode("unicode_escape") and "123 4567" not in stored
        assert asyncio.run(store.retrieve("c4")).get_slot("callback_phone") == "+93701234567", "still needed"

        after = during + [
            UserUttered("yes", {"name": "affirm", "confidence": 1.0}),
            ActionExecuted("action_callback_request"),
            SlotSet("callback_phone", None),
        ]
        asyncio.run(store.save(DialogueStateTracker.from_events("c4", after, DOMAIN.slots)))
        # Without the events' times, whose digits can spell "4567" by chance (1796313840.8456779).
        stored = TIMESTAMPS.sub("", redis_text(redis, "t:tracker:c4"))
        assert "701234567" not in stored and "4567" not in stored
        assert '"yes"' in stored, "other messages are kept"
    finally:
        redis.stop()
