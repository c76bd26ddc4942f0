"""An output channel that keeps, with each reply, the response key that produced it."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel

from wegwijs.wire import KeyedReply, LinkDict, button, link

TEL_SCHEME = "tel:"


def tel_links(custom: Any) -> list[LinkDict]:
    """The ``tel:`` links of an action's ``json_message`` (``wegwijs.wire.ActionMessage``)."""
    links = custom.get("links") if isinstance(custom, dict) else None
    return [
        link(str(item["title"]), str(item["url"]))
        for item in (links if isinstance(links, list) else [])
        if isinstance(item, dict) and str(item.get("url", "")).startswith(TEL_SCHEME) and item.get("title")
    ]


def keyed_reply(message: dict[str, Any]) -> KeyedReply:
    """One message Rasa sends to the channel, as the gateway reads it (``wegwijs.wire.KeyedReply``)."""
    return {
        "text": message.get("text") or "",
        "buttons": [
            button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in message.get("buttons") or []
            if isinstance(b, dict)
        ],
        "links": tel_links(message.get("custom")),
        "response": message.get("utter_action"),
    }


class KeyedCollectingOutputChannel(CollectingOutputChannel):
    """Collects a ``KeyedReply`` (``{"text", "buttons", "links", "response"}``) per bot message.

    ``response`` is the ``utter_*`` key; the gateway derives the turn's topic and phone line
    from it (bot/responses.yml), so no wording or mapping has to be parsed out of the text.
    ``links`` are the ``tel:`` links an action attached (``custom.links``); nothing else passes.
    """

    @classmethod
    def name(cls) -> str:
        return "gateway"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(dict(keyed_reply(message)))
