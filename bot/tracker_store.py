"""A Redis tracker store whose cost per turn does not grow with the conversation's history.

Rasa's ``RedisTrackerStore`` keeps every event of every session and, on every save, reads the
stored tracker back, replays it and merges it with the new one: each turn replays the whole
history several times, so turns get slower and slower (measured: 35 ms to about 1 s over 100
turns on this machine). This store
- keeps only the latest conversation session, at most ``max_events`` events of it: Rasa's
  ``retrieve`` only ever hands the latest session to the policies, and the transcript people
  may need later is not Rasa's to keep;
- writes without the read-merge step: the lock store (bot/lock_store.py) lets one turn of a
  conversation run at a time across Rasa processes, and the HTTP API that could write beside it
  is off. A turn inside the lock writes only while its ticket still holds the lock, checked in
  the same Redis script as the write (a turn whose lease ran out, and that another replica has
  overtaken, gets ``StaleTurn``); a save outside any lock (tests, tools) writes unchecked.
- keeps personal details out of the stored transcript once the conversation no longer needs
  them: a user message that contains a case reference, a date or a phone number is stored as
  ``[personal details]``, so is the bot's question that repeats a call-back number, and the
  values of the case lookup's and the call-back's slots are dropped once they have been
  forgotten (actions/case_status.py, actions/callback.py). The action server has already read
  them in the turn they arrived. The bot's replies that stated a case's stage, next-step date or
  place, or repeated the call-back number are kept as ``[personal details]`` too.
Configured in bot/endpoints.yml as ``type: bot.tracker_store.BoundedRedisTrackerStore``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.understanding import note as note_understanding
from bot.lock_store import FENCED_SET, StaleTurn, held_ticket
from wegwijs.personal_replies import is_personal
from wegwijs.redaction import REDACTED_TEXT, holds_personal_details

DEFAULT_MAX_EVENTS = 200
OPEN_FORM_SECONDS = 3600  # session_expiration_time (60 minutes, bot/domain/domain.yml)
PERSONAL_SLOTS = ("case_reference", "date_of_birth", "callback_phone")
# Replies that repeat what the user gave or state their case (wegwijs/personal_replies.py): kept
# as the stand-in, without the values they were filled with.
FILLED_VALUES = ("number", "date", "place", "time", "day")


def redact(events: list[dict[str, Any]], current_slots: dict[str, Any]) -> list[dict[str, Any]]:
    """Events as stored: personal details out of texts, forgotten personal slot values dropped."""
    for event in events:
        kind = event.get("event")
        if kind == "user" and holds_personal_details(event.get("text")):
            event["text"] = REDACTED_TEXT
            if isinstance(event.get("parse_data"), dict):
                event["parse_data"]["text"] = REDACTED_TEXT
        elif kind == "bot" and is_personal((event.get("metadata") or {}).get("utter_action")):
            event["text"] = REDACTED_TEXT
            for name in FILLED_VALUES:  # the values the reply was filled with
                event["metadata"].pop(name, None)
        elif kind == "slot" and event.get("name") in PERSONAL_SLOTS and current_slots.get(event["name"]) is None:
            event["value"] = None
    return events


def latest_session(events: list[Event], max_events: int) -> list[Event]:
    """The events of the latest session (from its ``action_session_start``), at most max_events."""
    start = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], SessionStarted):
            previous = events[index - 1] if index else None
            start = index - 1 if isinstance(previous, ActionExecuted) else index
            break
    return events[start:][-max_events:]


class BoundedRedisTrackerStore(RedisTrackerStore):
    def __init__(self, *args: Any, max_events: int = DEFAULT_MAX_EVENTS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_events = int(max_events)
        self._fenced_set = self.red.register_script(FENCED_SET)

    def serialise_tracker(self, tracker: DialogueStateTracker) -> str:
        events = latest_session(list(tracker.events), self.max_events)
        stored = Dialogue(tracker.sender_id, events).as_dict()
        stored["events"] = redact(stored["events"], {name: tracker.get_slot(name) for name in PERSONAL_SLOTS})
        return json.dumps(stored)

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        note_understanding(tracker.latest_message.parse_data if tracker.latest_message else None)
        expiry = timeout or self.record_exp
        if any(tracker.get_slot(name) is not None for name in PERSONAL_SLOTS):
            # A form holds a reference, a date of birth or a number for its next question. If the
            # user leaves it there, the tracker goes when the session would have ended (a new
            # session carries nothing over), not after the conversation's 30 days.
            expiry = min(expiry, OPEN_FORM_SECONDS) if expiry else OPEN_FORM_SECONDS
        key, value = self.key_prefix + tracker.sender_id, self.serialise_tracker(tracker)
        held = held_ticket(tracker.sender_id)
        if held is None:
            self.red.set(key, value, ex=expiry)
        elif not self._fenced_set(keys=[held.lock_key, key], args=[held.token, value, math.ceil(expiry or 0)]):
            # Rasa's FailSafeTrackerStore logs this (no conversation id in it) and keeps the turn's
            # tracker in its in-memory fallback, as for any failed save.
            raise StaleTurn(f"ticket {held.token} no longer holds its conversation's lock: tracker not written")
        await self.stream_events(tracker)  # after the write: a refused turn's events are not streamed
