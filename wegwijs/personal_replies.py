"""Which of the assistant's replies carry a user's personal details, wherever replies are kept.

A reply is personal when an action filled it with the user's own values (a case's next-step
date or place, the number given for a call-back), or when it states the stage of someone's case.
Rasa's stored tracker (bot/tracker_store.py) and the gateway's transcript (api/transcripts.py)
both keep such a reply without them; the user saw it once, in the turn it was sent.
"""

from __future__ import annotations

from typing import TypeGuard

from wegwijs.responses import load_specs, placeholders_in

PERSONAL_VALUES = frozenset({"date", "place", "number"})
CASE_STAGE_PREFIXES = ("utter_case_voluntary_return_", "utter_case_family_reunification_", "utter_case_resettlement_")


def is_personal(response: str | None) -> TypeGuard[str]:
    if not response:
        return False
    if response.startswith(CASE_STAGE_PREFIXES):
        return True
    spec = load_specs().get(response)
    return spec is not None and bool(placeholders_in(spec.text) & PERSONAL_VALUES)
