"""Rate limits on every public route, with the ``limits`` library (moving windows, on Redis).

One place names every limit and what it counts (per client, per conversation); each can be
changed with an environment variable in ``limits``' own notation ("20/minute;200/hour"). The
counters live in the gateway's Redis, so several gateways share them; without Redis (``make run``
on a fresh machine) they live in the process.

- ``RateLimitMiddleware`` applies the per-client limits of the routes that need no reply in the
  user's language: minting conversations, the history, the event stream, staff login and the
  WhatsApp webhook's verification. It answers ``429`` with ``Retry-After``.
- The message routes (``POST /api/v1/messages``, socket.io) and the webhook's deliveries call
  ``RateLimits.refused`` themselves: a message over its limit gets the apology and the phone line
  in the conversation's language, and only a delivery without Meta's signature counts against
  its caller (Meta itself is never limited: refusing its deliveries would lose messages).

``limits`` 2.4 has no asyncio Redis storage that works with redis-py, so its synchronous calls
(about 0.2 ms on a local Redis) run in a worker thread and never block the event loop. When
Redis fails, a limit lets the request through: the limits protect the service, they must not
take it down.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
import time
from dataclasses import dataclass

import anyio.to_thread
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.metrics import RATE_LIMIT_REFUSALS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    name: str
    default: str  # limits' notation; several windows separated by ';'
    counts: str  # what one hit is, for the docs and the OpenAPI page

    @property
    def variable(self) -> str:
        return "WEGWIJS_LIMIT_" + self.name.upper()


CONVERSATIONS = Limit("conversations", "20/minute;200/hour", "new web conversations per client")
MESSAGES_CLIENT = Limit(
    "messages_client",
    "120/minute;2000/hour",
    "messages per client (many people may share one address, e.g. in a reception centre)",
)
MESSAGES_CONVERSATION = Limit("messages_conversation", "20/minute;300/hour", "messages per conversation")
HISTORY = Limit("history", "60/minute", "history reads per client")
EVENTS = Limit("events", "30/minute", "event-stream connections per client")
LOGIN = Limit("login", "10/minute;50/hour", "staff login attempts per client")
WEBHOOK_REFUSED = Limit(
    "webhook_refused", "20/minute", "webhook verifications and unsigned or wrongly signed deliveries per client"
)
ALL = (CONVERSATIONS, MESSAGES_CLIENT, MESSAGES_CONVERSATION, HISTORY, EVENTS, LOGIN, WEBHOOK_REFUSED)

# Routes limited per client by the middleware: (method, path pattern) -> limit.
ROUTES = (
    ("POST", re.compile(r"^/api/v1/conversations$"), CONVERSATIONS),
    ("GET", re.compile(r"^/api/v1/conversations/[^/]+/events$"), EVENTS),
    ("GET", re.compile(r"^/api/v1/conversations/[^/]+$"), HISTORY),
    ("POST", re.compile(r"^/staff/api/login$"), LOGIN),
    ("GET", re.compile(r"^/webhooks/whatsapp$"), WEBHOOK_REFUSED),
)


def generous_env() -> dict[str, str]:
    """Settings for a load test or a test suite that talks from one address: every limit far above
    what it sends (the limits themselves are tested with a gateway of their own)."""
    return {**{limit.variable: "100000/minute" for limit in ALL}, "WEGWIJS_LOOKUP_LIMIT_CLIENT": "100000"}


class RateLimitConfigurationError(ValueError):
    pass


def configured(limit: Limit) -> list[RateLimitItem]:
    text = os.environ.get(limit.variable, "").strip() or limit.default
    try:
        return parse_many(text)
    except ValueError:
        raise RateLimitConfigurationError(
            f"{limit.variable}: {text!r} is not a limit such as '20/minute;200/hour'"
        ) from None


class RateLimits:
    def __init__(self, redis_url: str | None, secret: bytes) -> None:
        storage = (
            storage_from_string(redis_url, socket_timeout=2, socket_connect_timeout=2)
            if redis_url
            else storage_from_string("memory://")
        )
        self._storage = storage  # the limiter holds only a weak reference to it
        self._limiter = MovingWindowRateLimiter(storage)
        self._items = {limit.name: configured(limit) for limit in ALL}
        self._secret = secret

    def conversation(self, conversation_id: str) -> str:
        """A conversation's identifier for the counters: keyed-hashed, so their Redis keys name nobody."""
        return hmac.new(self._secret, conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def _hit(self, limit: Limit, identifier: str) -> int | None:
        """Seconds until a retry may pass when over the limit; None when the hit was allowed."""
        for item in self._items[limit.name]:
            if not self._limiter.hit(item, limit.name, identifier):
                reset, _ = self._limiter.get_window_stats(item, limit.name, identifier)
                return max(1, math.ceil(reset - time.time()))
        return None

    def _first_refused(self, checks: tuple[tuple[Limit, str], ...]) -> int | None:
        for limit, identifier in checks:
            wait = self._hit(limit, identifier)
            if wait is not None:
                RATE_LIMIT_REFUSALS.labels(limit=limit.name).inc()
                return wait
        return None

    async def refused(self, *checks: tuple[Limit, str]) -> int | None:
        """Count one hit for each (limit, identifier) in turn, until one is over its limit: the
        seconds to wait then, else None. Identifiers are client keys (``client_key``) or
        ``conversation()``'s; all checks share one trip to the worker thread."""
        try:
            return await anyio.to_thread.run_sync(self._first_refused, checks)
        except Exception as error:  # noqa: BLE001 - a limit must never take the service down
            logger.warning("rate limit %s not checked: %s", checks[0][0].name, type(error).__name__)
            return None


def too_many(retry_after: int, what: str = "requests") -> JSONResponse:
    return JSONResponse(
        status_code=429,
        headers={"Retry-After": str(retry_after)},
        content={"error": f"too many {what}: try again in {retry_after} s"},
    )


class RateLimitMiddleware:
    """The per-client limits of ``ROUTES``; everything else passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            limit = next(
                (
                    limit
                    for method, pattern, limit in ROUTES
                    if scope["method"] == method and pattern.match(scope["path"])
                ),
                None,
            )
            services = getattr(scope["app"].state, "services", None) if limit and "app" in scope else None
            if limit and services is not None:
                wait = await services.limits.refused((limit, services.settings.client_of(Request(scope))))
                if wait is not None:
                    await too_many(wait)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
