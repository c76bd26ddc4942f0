"""An output channel that keeps, with each reply, the response key that produced it."""
from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel

TEL_SCHEME = "tel:"


def tel_links(custom: Any) -> list[dict[str, str]]:
    links = custom.get("links") if isinstance(custom, dict) else None
    return [
        {"title": str(link["title"]), "url": link["url"]}
        for link in links or []
        if isinstance(link, dict) and str(link.get("url", "")).startswith(TEL_SCHEME) and link.get("title")
    ]


class KeyedCollectingOutputChannel(CollectingOutputChannel):
    """Collects ``{"text", "buttons", "links", "response"}`` per bot message.

    ``response`` is the ``utter_*`` key; the gateway derives the turn's topic and phone line
    from it (bot/responses.yml), so no wording or mapping has to be parsed out of the text.
    ``links`` are the ``tel:`` links an action attached (``custom.links``); nothing else passes.
    """

    @classmethod
    def name(cls) -> str:
        return "gateway"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(
            {
                "text": message.get("text") or "",
                "buttons": [
                    {"title": b.get("title", ""), "payload": b.get("payload", "")}
                    for b in message.get("buttons") or []
                ],
                "links": tel_links(message.get("custom")),
                "response": message.get("utter_action"),
            }
        )
