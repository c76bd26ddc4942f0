"""The shapes that travel between the processes: one TypedDict per wire format.

In the style of rasa-sdk's ``types.py``: plain dicts at run time (they go into JSON, Redis and
Rasa's dispatcher as they are, at no cost per turn), named and checked shapes for the reader and
for mypy. What the gateway, Rasa's components and the actions all pass around lives here; the
HTTP bodies the gateway documents are pydantic models in api/schemas.py with the same fields
(tests/test_wire_formats.py holds them to it).

- ``ButtonDict``: a button under a reply, ``{title, payload}`` (the payload goes back to Rasa).
- ``LinkDict``: a link beside a reply, ``{title, url}``: a ``tel:`` link or the privacy notice page.
- ``ReplyMessage``: one reply as a channel shows it, ``{text, buttons, links}``. Made by
  ``reply_message``, the one place that builds it.
- ``KeyedReply``: a reply as Rasa's gateway channel answers it (bot/channels/collector.py): a
  ``ReplyMessage`` with the ``utter_*`` key that produced it.
- ``ActionMessage``: what an action attaches to a reply through ``json_message`` (its ``links``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict


class ButtonDict(TypedDict):
    title: str  # what the button shows, in the user's language
    payload: str  # what pressing it sends: an offered intent payload (api/payloads.py)


class LinkDict(TypedDict):
    title: str  # what to show: the number as the user dials it, or the notice's name
    url: str  # a tel: link (RFC 3966), or the gateway's own privacy notice page (/privacy/{language})


class ReplyMessage(TypedDict):
    text: str
    buttons: list[ButtonDict]
    links: list[LinkDict]


class KeyedReply(ReplyMessage):
    response: str | None  # the utter_* key (bot/responses.yml) that produced the reply, if any


class ActionMessage(TypedDict):
    links: list[LinkDict]


def button(title: str, payload: str) -> ButtonDict:
    return {"title": title, "payload": payload}


def link(title: str, url: str) -> LinkDict:
    return {"title": title, "url": url}


def reply_message(text: str, buttons: Iterable[ButtonDict] = (), links: Iterable[LinkDict] = ()) -> ReplyMessage:
    """One reply: its text, the buttons under it and the links beside it (fresh lists)."""
    return {"text": text, "buttons": list(buttons), "links": list(links)}
