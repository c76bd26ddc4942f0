"""Error responses: every client mistake is a 4xx JSON body that says what is wrong, and an
unexpected failure is a 503 that leaks nothing (no request echo, no message text). Every one is
``api.schemas.ErrorOut``: ``{"error": ..., "detail": [{"field", "problem"}] or absent}``.

A 405 names in ``Allow`` every method the path has: Starlette's own names only those of the
first route that matched the path (``GET /webhooks/whatsapp`` hid ``POST``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)
INVALID = "invalid request"


def _where(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "__root__")) or "body"


def error_body(error: str, problems: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """An ``ErrorOut``; ``problems``: (field, problem) pairs, for a 422."""
    body: dict[str, Any] = {"error": error}
    if problems is not None:
        body["detail"] = [{"field": field, "problem": problem} for field, problem in problems]
    return body


def invalid(field: str, problem: str) -> JSONResponse:
    """A 422 about one field, as the validation handler answers it."""
    return JSONResponse(status_code=422, content=error_body(INVALID, [(field, problem)]))


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [(_where(e), str(e.get("msg", "invalid"))) for e in exc.errors()]
    return JSONResponse(status_code=422, content=error_body(INVALID, problems))


def allowed_methods(request: Request) -> list[str]:
    """Every method of every route whose path matches the request's."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse(status_code=exc.status_code, content=error_body(str(exc.detail)), headers=headers or None)


async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected %s while handling a request", type(exc).__name__)
    return JSONResponse(status_code=503, content={"error": "temporarily unavailable, please try again"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
