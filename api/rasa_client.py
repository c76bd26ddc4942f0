"""The gateway's client for Rasa's gateway channel (bot/channels/gateway_channel.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import httpx

WEBHOOK = "/webhooks/gateway/webhook"


class RasaUnavailable(Exception):
    """Rasa did not answer usefully: down, timed out, failed, or answered with no reply at all."""


@dataclass(frozen=True)
class BotReply:
    text: str
    buttons: list[dict[str, str]]
    response: Optional[str]


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[BotReply]:
        try:
            answer = await self._client.post(WEBHOOK, json={"sender": sender, "message": message, "metadata": metadata})
        except httpx.HTTPError as error:
            raise RasaUnavailable(type(error).__name__) from error
        if answer.status_code != 200:
            raise RasaUnavailable(f"status {answer.status_code}")
        replies = [
            BotReply(text=m.get("text") or "", buttons=m.get("buttons") or [], response=m.get("response"))
            for m in answer.json().get("messages", [])
        ]
        # Rasa answers an internal failure (its NLG, its tracker store) with no reply at all.
        if not replies:
            raise RasaUnavailable("no reply")
        return replies

    async def healthy(self) -> bool:
        try:
            return (await self._client.get("/webhooks/gateway/", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self._client.aclose()
