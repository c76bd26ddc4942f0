"""The reply specification in bot/responses.yml: English source text, topic, phone line, buttons,
and where the reply's facts come from.

Rendering a reply in a language is: translate the English source through that language's
catalog, then fill the placeholders. The same function serves the domain builder (Rasa renders
the result in-process) and the gateway (its own few messages), so both always agree.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from wegwijs.catalogs import translator
from wegwijs.languages import RIGHT_TO_LEFT, SHIPPED, native_name
from wegwijs.paths import RESPONSES_FILE
from wegwijs.phone_lines import contacts
from wegwijs.wire import ButtonDict, button

LANGUAGE_BUTTONS = "languages"
RLM = "\u200f"
LEFT_TO_RIGHT_ISOLATE = "\u2066"
POP_ISOLATE = "\u2069"
NO_BREAK_SPACE = "\u00a0"
# The text's first letter is a Latin one (digits, spaces and punctuation before it do not count).
_FIRST_LETTER_IS_LATIN = re.compile(r"^[\W\d_]*[A-Za-z\u00c0-\u024f]")
LEFT_TO_RIGHT_VALUES = ("country_code",)
# Filled per message by Rasa from what an action passes (``utter_message(date=...)``), so a
# rendered text keeps them as ``{date}``.
RUNTIME_PLACEHOLDERS = (
    "date",
    "place",
    "time",
    "day",
    "position",
    "number",
    "days",
    "callback_days",
    "minutes",
    "analytics_days",
)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


SourceKind = Literal["brochure", "service"]


@dataclass(frozen=True)
class Source:
    """Where a reply's facts come from: ``brochure`` with the passages it rests on, quoted from IOM
    Netherlands' brochure, or ``service``: what the assistant itself does or asks (the call-back,
    the hand-over, the privacy notice, a case's stage as its record says), no passages."""

    kind: SourceKind
    passages: tuple[str, ...] = ()


SERVICE = Source("service")


class ResponseSpecError(ValueError):
    """A reply of bot/responses.yml that does not say what it must (its key is in the message)."""


@dataclass(frozen=True)
class ResponseSpec:
    key: str
    topic: str
    text: str
    source: Source
    phone_line: str | None = None
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    language_buttons: bool = False


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: list[ButtonDict]


def placeholders_in(text: str) -> set[str]:
    """The ``{name}`` placeholders of a text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def parse_source(key: str, raw: object) -> Source:
    """A reply's ``source``: ``service``, or ``{brochure: [passage, ...]}`` with at least one
    non-empty passage. Anything else, or none, is an error that names the reply."""
    if raw == "service":
        return SERVICE
    if isinstance(raw, dict) and list(raw) == ["brochure"]:
        passages = raw["brochure"]
        if isinstance(passages, list) and passages and all(isinstance(p, str) and p.strip() for p in passages):
            return Source("brochure", tuple(passages))
        raise ResponseSpecError(f"{key}: source brochure needs a list of one or more quoted passages, not {passages!r}")
    if raw is None:
        raise ResponseSpecError(f"{key}: no source; give `source: service` or `source: {{brochure: [passage, ...]}}`")
    raise ResponseSpecError(f"{key}: source must be `service` or `{{brochure: [passage, ...]}}`, not {raw!r}")


def read_specs(path: Path) -> dict[str, ResponseSpec]:
    """Every reply of a responses file, its source checked (``ResponseSpecError`` names the key)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sets = _button_sets(raw)
    specs = {}
    for key, item in raw["responses"].items():
        set_name = item.get("buttons")
        specs[key] = ResponseSpec(
            key=key,
            topic=item["topic"],
            text=item["text"],
            source=parse_source(key, item.get("source")),
            phone_line=item.get("phone_line"),
            buttons=sets.get(set_name, ()) if set_name != LANGUAGE_BUTTONS else (),
            language_buttons=set_name == LANGUAGE_BUTTONS,
        )
    return specs


@lru_cache(maxsize=1)
def load_specs() -> dict[str, ResponseSpec]:
    """The replies of bot/responses.yml."""
    return read_specs(RESPONSES_FILE)


@lru_cache(maxsize=1)
def button_sets() -> dict[str, tuple[Button, ...]]:
    """The named button sets of bot/responses.yml (English titles)."""
    return _button_sets(yaml.safe_load(RESPONSES_FILE.read_text(encoding="utf-8")))


def _button_sets(raw: dict[str, Any]) -> dict[str, tuple[Button, ...]]:
    return {
        name: tuple(Button(b["title"], b["payload"]) for b in buttons) for name, buttons in raw["button_sets"].items()
    }


def intent_buttons(intents: list[str], language: str, set_name: str = "subjects") -> list[ButtonDict]:
    """Buttons that send these intents, titled from ``set_name`` in ``language``; intents
    without a button there are skipped."""
    gettext = translator(language).gettext
    by_payload = {offered.payload: offered for offered in button_sets()[set_name]}
    chosen = [by_payload[f"/{intent}"] for intent in intents if f"/{intent}" in by_payload]
    return [button(gettext(offered.title), offered.payload) for offered in chosen]


def language_chosen_payload(code: str) -> str:
    return "/language_chosen" + json.dumps({"language": code})


def keep_left_to_right(value: str, language: str) -> str:
    """A phone number or country code as it goes into a reply: in right-to-left text,
    a left-to-right isolate (U+2066 ... U+2069), which keeps "+31 88 746 4466" in order (without
    it the plus sign shows at the wrong end), with no-break spaces, so that a narrow screen never
    splits it over two lines, where each part would be ordered on its own
    (tests/test_rtl_numbers.py, in Chromium)."""
    if language not in RIGHT_TO_LEFT:
        return value
    return f"{LEFT_TO_RIGHT_ISOLATE}{value.replace(' ', NO_BREAK_SPACE)}{POP_ISOLATE}"


def starts_right_to_left(text: str, language: str) -> str:
    """A right-to-left reply that begins with a Latin word ("IOM ...") starts with a right-to-left
    mark, so that WhatsApp and the browser align and order it as right-to-left text."""
    if language in RIGHT_TO_LEFT and _FIRST_LETTER_IS_LATIN.match(text):
        return RLM + text
    return text


def payload_entities(payload: str) -> dict[str, Any]:
    """The entities of a button payload: ``/callback_time{"callback_time": "any"}`` -> its dict."""
    _, brace, entities = payload.partition("{")
    return json.loads(brace + entities) if brace else {}


def render(spec: ResponseSpec, language: str) -> Rendered:
    """The reply in ``language``, placeholders filled."""
    gettext = translator(language).gettext
    values = {
        name: keep_left_to_right(value, language)
        if name in LEFT_TO_RIGHT_VALUES or name.startswith("phone_")
        else value
        for name, value in contacts().placeholders().items()
    }
    values["language_name"] = native_name(language)
    values.update({name: "{" + name + "}" for name in RUNTIME_PLACEHOLDERS})
    text = starts_right_to_left(gettext(spec.text).format(**values), language)
    if spec.language_buttons:
        buttons = [button(native_name(code), language_chosen_payload(code)) for code in SHIPPED]
    else:
        buttons = [button(gettext(b.title), b.payload) for b in spec.buttons]
    return Rendered(text=text, buttons=buttons)
