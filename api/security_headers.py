"""Security headers on the gateway's pages: a Content-Security-Policy without inline script,
no framing, no MIME sniffing, no referrer. Applied to the staff console, the web chat page at
``/``, the chat widget's files under /chat and the privacy notice pages under /privacy/; the
OpenAPI page keeps FastAPI's own, which needs inline script."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
PAGE_PREFIXES = ("/staff", "/chat", "/privacy/")
PAGE_PATHS = frozenset({"/"})  # "/" exactly: as a prefix it would match every path


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (scope["path"] in PAGE_PATHS or scope["path"].startswith(PAGE_PREFIXES)):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)
