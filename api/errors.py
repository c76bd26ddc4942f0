"""Error responses: every client mistake is a 4xx JSON body that says what is wrong, and an
unexpected failure is a 503 that leaks nothing (no request echo, no message text)."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


def _where(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "__root__")) or "body"


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [{"field": _where(e), "problem": e.get("msg", "invalid")} for e in exc.errors()]
    return JSONResponse(status_code=422, content={"error": "invalid request", "detail": jsonable_encoder(problems)})


async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse(status_code=exc.status_code, content={"error": str(exc.detail)}, headers=getattr(exc, "headers", None))


async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected %s while handling a request", type(exc).__name__)
    return JSONResponse(status_code=503, content={"error": "temporarily unavailable, please try again"})


def install(app: FastAPI) -> None:
    # Starlette types every handler as taking Exception; it calls each with its own class only.
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected_error)
