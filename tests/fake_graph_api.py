"""A stand-in for Meta's Graph API (WhatsApp Business Cloud API) on 127.0.0.1, for tests.

It serves ``POST /{version}/{phone_number_id}/messages`` and enforces the documented contract:
the configured version and phone number id, ``Authorization: Bearer <token>``, a JSON body with
``messaging_product: "whatsapp"``, ``to`` of 6 to 15 digits, and the shape and limits of text,
interactive (reply buttons, list) and template messages. A refused request answers as Graph does
(400 ``{"error": {"message", "type": "OAuthException", "code": 100, "fbtrace_id"}}``, 401 with
code 190 for a bad token) and lands in ``.violations``; an accepted one answers 200 with a
``wamid`` and lands in ``.sent``.

    with FakeGraphAPI() as graph:          # or graph.start() ... graph.stop()
        graph.fail_next(429, times=2, code=130429, retry_after=1)
        graph.fail_next(400, code=131056, to="31612345678")   # only requests to this recipient
        graph.accept_then_delay_seconds = 1.0  # record as sent, answer late (a client read timeout)
        ... post to graph.base_url ...
        assert graph.violations == []

Limits come from Meta's Cloud API message reference (the same as api/whatsapp/shaping.py); lengths are counted
in code points (Python ``len``).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import socket
import threading
import time
from collections import deque
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DEFAULT_VERSION = "v21.0"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_TOKEN = "test-graph-token"

TOP_LEVEL_KEYS = {"messaging_product", "recipient_type", "to", "type", "text", "interactive", "template", "context"}
MESSAGE_TYPES = ("text", "interactive", "template")
RECIPIENT = re.compile(r"\d{6,15}")


class Violation(ValueError):
    """The request breaks the Graph API contract."""


def _string(value: Any, where: str, low: int, high: int) -> str:
    if not isinstance(value, str):
        raise Violation(f"{where} must be a string")
    if not low <= len(value) <= high:
        raise Violation(f"{where} must be {low} to {high} characters, not {len(value)}")
    return value


def _object(value: Any, where: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise Violation(f"{where} must be an object")
    missing = required - value.keys()
    if missing:
        raise Violation(f"{where} is missing {sorted(missing)}")
    unknown = value.keys() - required - optional
    if unknown:
        raise Violation(f"{where} has unknown parameters {sorted(unknown)}")
    return value


def _array(value: Any, where: str, low: int, high: int) -> list:
    if not isinstance(value, list):
        raise Violation(f"{where} must be an array")
    if not low <= len(value) <= high:
        raise Violation(f"{where} must have {low} to {high} items, not {len(value)}")
    return value


def _text_object(value: Any, where: str, high: int) -> None:
    _string(_object(value, where, {"text"})["text"], f"{where}.text", 1, high)


def check_message(body: Any) -> None:
    """Raise ``Violation`` unless ``body`` is a message the Cloud API accepts."""
    if not isinstance(body, dict):
        raise Violation("the request body must be a JSON object")
    unknown = body.keys() - TOP_LEVEL_KEYS
    if unknown:
        raise Violation(f"unknown parameters {sorted(unknown)}")
    if body.get("messaging_product") != "whatsapp":
        raise Violation("messaging_product must be 'whatsapp'")
    if body.get("recipient_type", "individual") != "individual":
        raise Violation("recipient_type must be 'individual'")
    to = body.get("to")
    if not isinstance(to, str) or not RECIPIENT.fullmatch(to):
        raise Violation("to must be a string of 6 to 15 digits")
    kind = body.get("type", "text")  # Graph's default type is text
    if kind not in MESSAGE_TYPES:
        raise Violation(f"type must be one of {MESSAGE_TYPES}")
    others = [name for name in MESSAGE_TYPES if name != kind and name in body]
    if others:
        raise Violation(f"a {kind} message cannot carry {others}")
    if kind not in body:
        raise Violation(f"a {kind} message needs the {kind} object")
    if "context" in body:
        _string(_object(body["context"], "context", {"message_id"})["message_id"], "context.message_id", 1, 1000)
    {"text": _check_text, "interactive": _check_interactive, "template": _check_template}[kind](body[kind])


def _check_text(text: Any) -> None:
    text = _object(text, "text", {"body"}, {"preview_url"})
    _string(text["body"], "text.body", 1, 4096)
    if "preview_url" in text and not isinstance(text["preview_url"], bool):
        raise Violation("text.preview_url must be a boolean")


def _check_interactive(interactive: Any) -> None:
    interactive = _object(interactive, "interactive", {"type", "body", "action"}, {"header", "footer"})
    kind = interactive["type"]
    if kind not in ("button", "list"):
        raise Violation("interactive.type must be 'button' or 'list' here")
    if "footer" in interactive:
        _text_object(interactive["footer"], "interactive.footer", 60)
    if "header" in interactive:
        header = _object(interactive["header"], "interactive.header", {"type", "text"})
        if header["type"] != "text":
            raise Violation("interactive.header.type must be 'text' here")
        _string(header["text"], "interactive.header.text", 1, 60)
    if kind == "button":
        _text_object(interactive["body"], "interactive.body", 1024)
        action = _object(interactive["action"], "interactive.action", {"buttons"})
        buttons = _array(action["buttons"], "interactive.action.buttons", 1, 3)
        ids, titles = [], []
        for number, button in enumerate(buttons):
            where = f"interactive.action.buttons[{number}]"
            button = _object(button, where, {"type", "reply"})
            if button["type"] != "reply":
                raise Violation(f"{where}.type must be 'reply'")
            reply = _object(button["reply"], f"{where}.reply", {"id", "title"})
            ids.append(_string(reply["id"], f"{where}.reply.id", 1, 256))
            titles.append(_string(reply["title"], f"{where}.reply.title", 1, 20))
        if len(set(ids)) != len(ids):
            raise Violation("reply button ids must be unique")
        if len(set(titles)) != len(titles):
            raise Violation("reply button titles must be unique")
    else:
        _text_object(interactive["body"], "interactive.body", 4096)
        action = _object(interactive["action"], "interactive.action", {"button", "sections"})
        _string(action["button"], "interactive.action.button", 1, 20)
        sections = _array(action["sections"], "interactive.action.sections", 1, 10)
        ids = []
        for number, section in enumerate(sections):
            where = f"interactive.action.sections[{number}]"
            section = _object(section, where, {"rows"}, {"title"})
            if "title" in section:
                _string(section["title"], f"{where}.title", 1, 24)
            elif len(sections) > 1:
                raise Violation(f"{where}.title is required with more than one section")
            for row_number, row in enumerate(_array(section["rows"], f"{where}.rows", 1, 10)):
                row_where = f"{where}.rows[{row_number}]"
                row = _object(row, row_where, {"id", "title"}, {"description"})
                ids.append(_string(row["id"], f"{row_where}.id", 1, 200))
                _string(row["title"], f"{row_where}.title", 1, 24)
                if "description" in row:
                    _string(row["description"], f"{row_where}.description", 0, 72)
        if len(ids) > 10:
            raise Violation(f"a list has at most 10 rows in all, not {len(ids)}")
        if len(set(ids)) != len(ids):
            raise Violation("row ids must be unique")


def _check_template(template: Any) -> None:
    template = _object(template, "template", {"name", "language"}, {"components", "namespace"})
    _string(template["name"], "template.name", 1, 512)
    language = _object(template["language"], "template.language", {"code"}, {"policy"})
    _string(language["code"], "template.language.code", 1, 20)
    if "components" in template and not isinstance(template["components"], list):
        raise Violation("template.components must be an array")


def graph_error(message: str, code: int, **extra: Any) -> dict:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            **extra,
            "fbtrace_id": "A" + secrets.token_urlsafe(16),
        }
    }


class FakeGraphAPI:
    def __init__(
        self, version: str = DEFAULT_VERSION, phone_number_id: str = DEFAULT_PHONE_NUMBER_ID, token: str = DEFAULT_TOKEN
    ) -> None:
        self.version, self.phone_number_id, self.token = version, phone_number_id, token
        self.delay_seconds = 0.0
        self.accept_then_delay_seconds = 0.0
        self.base_url: str | None = None
        self._lock = threading.Lock()
        self._sent: list[dict] = []
        self._violations: list[dict] = []
        self._failures: deque[tuple[int, int, int | None, str | None]] = deque()
        self._requests = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.app = Starlette(
            routes=[
                Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            ]
        )

    # -- what tests read and program ------------------------------------------------------------

    @property
    def sent(self) -> list[dict]:
        """The accepted request bodies, oldest first (a copy)."""
        with self._lock:
            return list(self._sent)

    @property
    def violations(self) -> list[dict]:
        """The refused requests: ``{"status", "code", "message", "path", "body"}`` (a copy)."""
        with self._lock:
            return list(self._violations)

    @property
    def requests(self) -> int:
        """How many requests reached the server, injected failures included."""
        with self._lock:
            return self._requests

    def fail_next(
        self, status: int, times: int = 1, code: int = 131000, retry_after: int | None = None, to: str | None = None
    ) -> None:
        """Answer the next ``times`` requests with ``status`` and Graph error ``code`` (and a
        ``Retry-After`` header if given), whatever they hold: 429 with 130429, 500 with 131000,
        400 with 131047 (outside the 24-hour window) ...; with ``to``, only requests to that
        recipient (400 with 131056: too many messages to one recipient)."""
        with self._lock:
            self._failures.extend([(status, code, retry_after, to)] * times)

    def reset(self) -> None:
        with self._lock:
            self._sent.clear()
            self._violations.clear()
            self._failures.clear()
            self._requests = 0
        self.delay_seconds = 0.0
        self.accept_then_delay_seconds = 0.0

    # -- the server -----------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        """Serve on ``port`` (default a free one) of 127.0.0.1; returns the base URL
        (``http://127.0.0.1:<port>``)."""
        if self._thread is not None:
            assert self.base_url
            return self.base_url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-graph-api", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError("the fake Graph API did not start")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, sock
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    def stop(self) -> None:
        """Stop serving; the port then refuses connections. ``start()`` may be called again
        (on a new port)."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> FakeGraphAPI:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{self.version}/{self.phone_number_id}/messages"

    # -- requests -------------------------------------------------------------------------------

    def _refuse(self, status: int, code: int, message: str, path: str, body: Any) -> JSONResponse:
        with self._lock:
            self._violations.append({"status": status, "code": code, "message": message, "path": path, "body": body})
        return JSONResponse(
            graph_error(message, code),
            status_code=status,
            headers={"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'} if status == 401 else None,
        )

    async def _handle(self, request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = request.url.path
        to = body.get("to") if isinstance(body, dict) else None
        with self._lock:
            self._requests += 1
            failure = next((f for f in self._failures if f[3] is None or f[3] == to), None)
            if failure is not None:
                self._failures.remove(failure)
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if failure is not None:
            status, code, retry_after, _ = failure
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            return JSONResponse(graph_error(f"(#{code}) injected failure", code), status_code=status, headers=headers)

        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), self.token.encode()):
            return self._refuse(401, 190, "Invalid OAuth access token - Cannot parse access token", path, body)

        expected = f"/{self.version}/{self.phone_number_id}/messages"
        if request.method != "POST" or path != expected:
            return self._refuse(
                400,
                100,
                f"Unsupported {request.method.lower()} request: {path} does not exist "
                "or does not support this operation",
                path,
                body,
            )
        if "application/json" not in request.headers.get("content-type", ""):
            return self._refuse(
                400, 100, "(#100) the request body must be JSON (Content-Type: application/json)", path, body
            )
        if not isinstance(body, dict):
            return self._refuse(400, 100, "(#100) the request body must be a JSON object", path, body)
        try:
            check_message(body)
        except Violation as problem:
            return self._refuse(400, 100, f"(#100) Invalid parameter: {problem}", path, body)

        with self._lock:
            self._sent.append(body)
        to = body["to"]
        if self.accept_then_delay_seconds:  # received and sent, but the answer comes late
            await asyncio.sleep(self.accept_then_delay_seconds)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": "wamid." + secrets.token_urlsafe(24)}],
            }
        )
