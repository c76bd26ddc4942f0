"""One bot reply, as the gateway has it, turned into WhatsApp Cloud API message bodies.

``shape(reply, language)`` returns the type-specific parts of Graph API message bodies
(``{"type": "text", "text": {...}}``, ``{"type": "interactive", ...}``); the Graph client adds
``messaging_product``, ``recipient_type`` and ``to``. The choice follows the number of options:

- none: text;
- 1 to 3: reply buttons;
- 4 to 10: a list, opened with ``gateway_whatsapp_choose`` in the user's language;
- more than 10, or anything that would break one of Meta's limits (titles, ids, body, the list's
  button label, duplicates): numbered text, with ``Shaped.numbered`` telling the caller which
  payload a typed digit stands for. The numbers stay ASCII in Arabic-script languages too.

Links (``{title, url}``) have no message type of their own on WhatsApp: each goes into the text,
on a line of its own after it, before any options, so it counts against the same limits and
splits like any text. A ``tel:`` link shows its number (WhatsApp makes it tappable), a web link
its title and address; one whose number or address the text already shows is not repeated. A
link to a page of the gateway's own (a path such as ``/privacy/en``, without a host) cannot be
opened from WhatsApp and is left out; the WhatsApp texts never need one (api/privacy_notice.py).

Lengths are measured in UTF-16 code units. Meta gives its limits in "characters" without saying
how it counts them; UTF-16 units are never fewer than code points, so a body that fits here fits
whichever way Meta counts (an emoji counts as two).

``shape`` never raises: odd input gives fewer messages (or none), never an exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wegwijs.wire import ReplyMessage

log = logging.getLogger(__name__)

# Meta's documented limits for Cloud API messages (text, interactive reply buttons and lists,
# templates), the same ones the tests' Graph API stand-in enforces (tests/fake_graph_api.py).
TEXT_BODY_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
REPLY_BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_ID_MAX = 200
LIST_BUTTON_MAX = 20

CHOOSE_KEY = "gateway_whatsapp_choose"
NUMBERED_KEY = "gateway_whatsapp_numbered"
# Used only when the catalogs cannot give the text (a language without a catalog, a broken
# responses.yml): English, as bot/responses.yml has it.
FALLBACK_TEXTS = {CHOOSE_KEY: "Choose", NUMBERED_KEY: "Reply with the number of your choice:"}

_WHITESPACE = re.compile(r"\s+")
TEL_SCHEME = "tel:"


@dataclass(frozen=True)
class Shaped:
    messages: list[dict[str, Any]] = field(default_factory=list)
    numbered: dict[str, str] = field(default_factory=dict)


def units(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (the conservative reading of "characters")."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def text_message(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def template_message(name: str, language_code: str) -> dict[str, Any]:
    return {"type": "template", "template": {"name": name, "language": {"code": language_code}}}


def gateway_text(key: str, language: str) -> str:
    """A gateway text of bot/responses.yml in ``language``; English if that is not possible."""
    try:
        from wegwijs.responses import load_specs, render

        text = render(load_specs()[key], language).text.strip()
        if text:
            return text
    except Exception:  # noqa: BLE001 - shaping must never fail a reply over a missing catalog
        log.warning("gateway text %s unavailable in %s; using English", key, language)
    return FALLBACK_TEXTS[key]


def split_text(text: str, limit: int = TEXT_BODY_MAX) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 units, cut at a paragraph break, else a line
    break, else a space; only a run without any whitespace is cut in the middle."""
    text = text.strip()
    pieces: list[str] = []
    while units(text) > limit:
        fits = _prefix_fitting(text, limit)
        # The character just after the window may itself be the whitespace to cut at.
        window = text[: fits + 1]
        cut = _best_break(window, fits)
        piece, rest = text[:cut].rstrip(), text[cut:].lstrip()
        if not piece:  # only whitespace before the break: cut hard instead
            piece, rest = text[:fits], text[fits:].lstrip()
        pieces.append(piece)
        text = rest
    if text:
        pieces.append(text)
    return pieces


def _prefix_fitting(text: str, limit: int) -> int:
    """How many code points of ``text`` fit in ``limit`` UTF-16 units (at least one)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return max(index, 1)
    return len(text)


def _best_break(window: str, fits: int) -> int:
    # A paragraph or line break is worth a shorter piece, but not a tiny one.
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator, 0, fits + 1)
        if at > fits // 2:
            return at
    spaces = [match.start() for match in re.finditer(r"\s", window)]
    spaces = [at for at in spaces if 0 < at <= fits]
    return spaces[-1] if spaces else fits


def _one_line(value: Any) -> str:
    return _WHITESPACE.sub(" ", value).strip() if isinstance(value, str) else ""


def _link_lines(reply: Any, text: str) -> list[str]:
    """The reply's links as lines of text, those the text already shows left out."""
    links = reply.get("links")
    if not isinstance(links, (list, tuple)):
        return []
    lines: list[str] = []
    for item in links:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        title, url = _one_line(item.get("title")), item["url"].strip()
        if url.lower().startswith(TEL_SCHEME):
            line = title or url[len(TEL_SCHEME) :]
            shown = line
        elif url.lower().startswith(("https://", "http://")) and not _WHITESPACE.search(url):
            line = f"{title}: {url}" if title and title != url else url
            shown = url
        else:  # a path of the gateway's own, or nothing WhatsApp can open
            continue
        if shown and shown not in text and line not in lines:
            lines.append(line)
    return lines


def _options(reply: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(title, payload) of the reply's usable buttons, exact repeats dropped."""
    buttons = reply.get("buttons")
    if not isinstance(buttons, (list, tuple)):
        return []
    options: list[tuple[str, str]] = []
    for button in buttons:
        if not isinstance(button, dict):
            continue
        title = _one_line(button.get("title"))
        payload = button.get("payload")
        if not title or not isinstance(payload, str) or not payload.strip():
            continue
        if (title, payload) not in options:
            options.append((title, payload))
    return options


def _reply_buttons(body: str, options: list[tuple[str, str]]) -> dict[str, Any] | None:
    titles = [title for title, _ in options]
    ids = [payload for _, payload in options]
    if (
        len(options) > REPLY_BUTTONS_MAX
        or units(body) > INTERACTIVE_BODY_MAX
        or any(units(title) > BUTTON_TITLE_MAX for title in titles)
        or any(units(payload) > BUTTON_ID_MAX for payload in ids)
        or len(set(titles)) != len(titles)
        or len(set(ids)) != len(ids)
    ):
        return None
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": payload, "title": title}} for title, payload in options]
            },
        },
    }


def _list(body: str, options: list[tuple[str, str]], language: str) -> dict[str, Any] | None:
    label = gateway_text(CHOOSE_KEY, language)
    ids = [payload for _, payload in options]
    if (
        len(options) > LIST_ROWS_MAX
        or units(body) > INTERACTIVE_BODY_MAX
        or not 0 < units(label) <= LIST_BUTTON_MAX
        or any(units(title) > ROW_TITLE_MAX for title, _ in options)
        or any(units(payload) > ROW_ID_MAX for payload in ids)
        or len(set(ids)) != len(ids)
    ):
        return None
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": label,
                "sections": [{"rows": [{"id": payload, "title": title} for title, payload in options]}],
            },
        },
    }


def _numbered(text: str, options: list[tuple[str, str]], language: str) -> Shaped:
    # ASCII digits in every language: users of Arabic script type either kind, and the gateway
    # converts Arabic-Indic and Persian digits to ASCII before reading them.
    lines = [gateway_text(NUMBERED_KEY, language)]
    lines += [f"{number}. {title}" for number, (title, _) in enumerate(options, start=1)]
    block = "\n".join(lines)
    numbered = {str(number): payload for number, (_, payload) in enumerate(options, start=1)}
    if not text:
        bodies = split_text(block)
    elif units(text) + 2 + units(block) <= TEXT_BODY_MAX:
        bodies = [f"{text}\n\n{block}"]
    else:
        bodies = split_text(text)
        if units(bodies[-1]) + 2 + units(block) <= TEXT_BODY_MAX:
            bodies[-1] = f"{bodies[-1]}\n\n{block}"
        else:
            bodies += split_text(block)
    return Shaped(messages=[text_message(body) for body in bodies], numbered=numbered)


def shape(reply: ReplyMessage, language: str) -> Shaped:
    """The WhatsApp messages for one bot reply ``{"text", "buttons": [{"title", "payload"}],
    "links": [{"title", "url"}]}`` in ``language``; the links go into the text."""
    try:
        return _shape(reply, language)
    except Exception:
        log.exception("could not shape a reply; sending its text only")
        try:
            text = reply.get("text") if isinstance(reply, dict) else None
            text = text.strip() if isinstance(text, str) else ""
            return Shaped(messages=[text_message(body) for body in split_text(text)])
        except Exception:  # noqa: BLE001
            return Shaped()


def _shape(reply: Any, language: str) -> Shaped:
    if not isinstance(reply, dict):
        return Shaped()
    language = language if isinstance(language, str) else ""
    raw_text = reply.get("text")
    text = raw_text.strip() if isinstance(raw_text, str) else ""
    lines = _link_lines(reply, text)
    if lines:
        text = "\n\n".join(part for part in (text, "\n".join(lines)) if part)
    options = _options(reply)
    if not options:
        return Shaped(messages=[text_message(body) for body in split_text(text)])
    # WhatsApp wants a body above buttons and lists: a reply of buttons alone gets "Choose".
    body = text or gateway_text(CHOOSE_KEY, language)
    if len(options) <= REPLY_BUTTONS_MAX:
        message = _reply_buttons(body, options) or _list(body, options, language)
    else:
        message = _list(body, options, language)
    if message is not None:
        return Shaped(messages=[message])
    return _numbered(text, options, language)
