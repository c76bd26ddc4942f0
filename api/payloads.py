"""Button payloads the gateway accepts, and how it passes them to Rasa.

Only payloads the assistant itself offers are accepted (the buttons of bot/responses.yml's
button sets, which replies and actions draw from, and the language choices): a client cannot
make up intents or entities. Each one reaches Rasa with the turn's language as an entity, because messages that
start with '/' skip the NLU pipeline where the language would otherwise be set.
"""

from __future__ import annotations

import json
from functools import lru_cache

from wegwijs.languages import SHIPPED
from wegwijs.responses import button_sets, language_chosen_payload, payload_entities

LANGUAGE_CHOSEN = "/language_chosen"


@lru_cache(maxsize=1)
def offered_payloads() -> dict[str, str | None]:
    """payload -> the language it chooses (None for topic buttons)."""
    payloads: dict[str, str | None] = {button.payload: None for buttons in button_sets().values() for button in buttons}
    payloads.update({language_chosen_payload(code): code for code in SHIPPED})
    return payloads


def is_offered(payload: str) -> bool:
    return payload in offered_payloads()


def chosen_language(payload: str | None) -> str | None:
    return offered_payloads().get(payload) if payload else None


def intent_message(intent_payload: str, language: str) -> str:
    """``/return_info`` -> ``/return_info{"language": "ar"}``; a payload's own entities (only ever
    an offered one's: ``/callback_time{"callback_time": "morning"}``) are kept beside it."""
    values = payload_entities(intent_payload)
    values["language"] = language
    return intent_payload.split("{", 1)[0] + json.dumps(values)


def language_chosen_message(language: str) -> str:
    return intent_message(LANGUAGE_CHOSEN, language)
