"""Gives every HTTP request a request id (wegwijs/request_id.py): a well-formed ``X-Request-ID``
from the caller (the reverse proxy's), else a new one; set for the request's log lines, sent on to
Rasa with the turn (api/turns.py) and returned in the response's ``X-Request-ID``."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wegwijs.request_id import CURRENT, HEADER, new_request_id, well_formed


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(HEADER.lower().encode("latin-1"), b"")
        request_id = well_formed(given.decode("latin-1")) or new_request_id()
        token = CURRENT.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CURRENT.reset(token)
