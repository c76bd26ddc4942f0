"""The input channel the gateway talks to: ``POST /webhooks/gateway/webhook``.

Unlike Rasa's REST channel it
- requires a bearer token (Rasa's ``--auth-token`` never covers ``/webhooks/*``),
- refuses a request without a sender instead of filing it under ``default``,
- answers 500 when handling fails, instead of 200 with an empty list,
- returns each reply's response key beside its text, and what Rasa understood (the intent's name
  and confidence, ``metadata``; bot/channels/understanding.py) for the gateway's analytics.
Message texts are never logged.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.collector import KeyedCollectingOutputChannel
from bot.channels.understanding import UNDERSTOOD
from bot.metrics import TURN_SECONDS
from wegwijs.log_hygiene import reapply_logging_file
from wegwijs.metrics import exposition
from wegwijs.request_id import CURRENT, METADATA_KEY, new_request_id, well_formed

logger = logging.getLogger(__name__)

TOKEN_ENV = "WEGWIJS_RASA_TOKEN"


class GatewayInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GatewayInput:
        token = os.environ.get(TOKEN_ENV, "")
        if len(token) < 16:
            raise ValueError(f"{TOKEN_ENV} must be set to a secret of at least 16 characters")
        # Rasa has by now put coloredlogs' handler on the root logger: ours again (content-free,
        # with the request id) for every logger that is not configured by name.
        reapply_logging_file()
        return cls(token)

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def _authorised(self, request: Request) -> bool:
        given = (request.headers.get("Authorization") or "").encode()
        return hmac.compare_digest(given, self._expected)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("gateway_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/metrics", methods=["GET"])
        async def metrics(_: Request) -> HTTPResponse:
            body, content_type = exposition()
            return response.raw(body, content_type=content_type)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            given = body.get("metadata")
            metadata: dict[str, Any] = given if isinstance(given, dict) else {}
            if not isinstance(sender, str) or not sender or not isinstance(text, str) or not text:
                return response.json({"error": "sender and message are required"}, status=400)
            collector = KeyedCollectingOutputChannel()
            # The gateway's request id, for every log line of this turn (wegwijs/request_id.py).
            token = CURRENT.set(well_formed(metadata.get(METADATA_KEY)) or new_request_id())
            understood: dict[str, Any] = {}
            understood_token = UNDERSTOOD.set(understood)
            started = time.perf_counter()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            except Exception as error:  # noqa: BLE001 - reported to the gateway, never swallowed
                TURN_SECONDS.labels(outcome="failed").observe(time.perf_counter() - started)
                logger.error("handling a message failed: %s", type(error).__name__)
                return response.json({"error": "message handling failed"}, status=500)
            else:
                seconds = time.perf_counter() - started
                TURN_SECONDS.labels(outcome="ok").observe(seconds)
                logger.info("message handled in %.3f s", seconds)
                return response.json({"messages": collector.messages, "metadata": understood})
            finally:
                UNDERSTOOD.reset(understood_token)
                CURRENT.reset(token)

        return webhook
