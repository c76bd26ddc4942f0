"""Gateway configuration, from the environment. Fails fast on what it cannot run without."""

from __future__ import annotations

import os
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from api.client_address import ClientAddresses, ProxyConfigurationError, client_key


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    rasa_url: str
    rasa_token: str
    actions_url: str
    redis_url: str | None
    rasa_timeout_seconds: float
    conversation_secret: bytes
    clients: ClientAddresses  # where a request's client address comes from (api/client_address.py)

    @classmethod
    def from_env(cls) -> Settings:
        token = os.environ.get("WEGWIJS_RASA_TOKEN", "")
        if len(token) < 16:
            raise ConfigurationError("WEGWIJS_RASA_TOKEN must be a secret of at least 16 characters")
        conversation_secret = os.environ.get("WEGWIJS_CONVERSATION_SECRET", "")
        if len(conversation_secret) < 16:
            raise ConfigurationError("WEGWIJS_CONVERSATION_SECRET must be a secret of at least 16 characters")
        try:
            clients = ClientAddresses.from_env()
        except ProxyConfigurationError as error:
            raise ConfigurationError(str(error)) from None
        return cls(
            rasa_url=os.environ.get("WEGWIJS_RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            rasa_token=token,
            actions_url=os.environ.get("WEGWIJS_ACTIONS_URL", "http://127.0.0.1:5055/webhook").rstrip("/"),
            redis_url=os.environ.get("REDIS_URL") or None,
            rasa_timeout_seconds=float(os.environ.get("WEGWIJS_RASA_TIMEOUT", "30")),
            conversation_secret=conversation_secret.encode("utf-8"),
            clients=clients,
        )

    def client_of(self, connection: HTTPConnection) -> str:
        """The calling client as a keyed hash of its address (api/client_address.py): for limits."""
        return client_key(self.clients.of(connection), self.conversation_secret)

    def __repr__(self) -> str:  # never print the token
        return f"Settings(rasa_url={self.rasa_url!r}, redis={'set' if self.redis_url else 'none'})"
