"""A new session carries nothing of the last one (bot/domain/domain.yml session_config): Rasa's
own session start action, with the project's domain, on a tracker whose case form was left
half-filled and whose call-back number was typed."""

from __future__ import annotations

import asyncio

from rasa.core.actions.action import ActionSessionStart
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from wegwijs.paths import ROOT


def test_an_abandoned_form_hands_no_personal_detail_to_the_next_session() -> None:
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    tracker = DialogueStateTracker.from_events(
        "someone",
        [
            SlotSet("case_reference", "IOM-NL-2099-000001"),
            SlotSet("date_of_birth", "1970-01-01"),
            SlotSet("callback_phone", "+31611112222"),
            SlotSet("language", "fa-AF"),
        ],
        slots=domain.slots,
    )
    events = asyncio.run(
        ActionSessionStart().run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain
        )
    )
    carried = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    assert carried == {}
