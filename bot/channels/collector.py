"""An output channel that keeps, with each reply, the response key that produced it."""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel


class KeyedCollectingOutputChannel(CollectingOutputChannel):
    """Collects ``{"text", "buttons", "response"}`` per bot message.

    ``response`` is the ``utter_*`` key; the gateway derives the turn's topic and phone line
    from it (bot/responses.yml), so no wording or mapping has to be parsed out of the text.
    """

    @classmethod
    def name(cls) -> Text:
        return "gateway"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.messages.append(
            {
                "text": message.get("text") or "",
                "buttons": [
                    {"title": b.get("title", ""), "payload": b.get("payload", "")}
                    for b in message.get("buttons") or []
                ],
                "response": message.get("utter_action"),
            }
        )
