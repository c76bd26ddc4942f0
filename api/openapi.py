"""The OpenAPI document, as honest as the code: every status a route can answer, one error body.

Each route names the statuses of its own decisions with ``errors(404, 409, ...)``. What every
route, or every route of a kind, can answer is added here, once, from where it is decided:

- 422 on every operation with parameters or a body: the request is not as documented (the
  validation handler in api/errors.py answers it as ``ErrorOut``, so FastAPI's own
  ``HTTPValidationError`` is replaced and dropped);
- 400 (the body is not JSON that can be read) and 413 (api/body_limit.py) with a request body;
- 429 with ``Retry-After`` on the rate-limited operations (api/rate_limits.py);
- 503 on every operation: an unexpected failure (api/errors.py) or a dependency that is down.

Every error is ``application/json`` ``ErrorOut``, also on routes whose success is HTML or text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.schemas import ErrorOut
from api.staff.sessions import COOKIE, CSRF_HEADER

ERROR_REF = "#/components/schemas/ErrorOut"
DESCRIPTIONS = {
    400: "The body could not be read as JSON.",
    401: "No live staff session (log in first), or the login was refused.",
    403: "Not allowed: a missing or wrong X-CSRF-Token, or a role that may not do this.",
    404: "No such resource, or one this caller may not see.",
    409: "The resource is not in a state that allows this.",
    413: "The request body is over 64 KiB.",
    422: "The request is not as documented: `detail` names each problem.",
    429: "Over a rate limit: `Retry-After` says when to try again.",
    503: "Temporarily unavailable (a dependency is down, or an unexpected failure): try again.",
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 1}}
}
# Operations the rate limits cover (api/rate_limits.py: the middleware's ROUTES, and the routes
# that count their own hits: messages and the webhook's unsigned deliveries).
RATE_LIMITED = frozenset(
    {
        ("post", "/api/v1/conversations"),
        ("get", "/api/v1/conversations/{conversation_id}"),
        ("get", "/api/v1/conversations/{conversation_id}/events"),
        ("post", "/api/v1/messages"),
        ("post", "/staff/api/login"),
        ("get", "/webhooks/whatsapp"),
        ("post", "/webhooks/whatsapp"),
    }
)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The staff API's credentials (api/routes/staff.py, current_session): the session cookie, and on
# every state-changing request the session's CSRF token. Login needs neither.
SECURITY_SCHEMES = {
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": COOKIE,
        "description": "The session cookie POST /staff/api/login sets.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "The `csrf` of the login's answer, on every state-changing request.",
    },
}
STAFF_PREFIX, LOGIN = "/staff/api/", "/staff/api/login"


def errors(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status as ``ErrorOut``; ``descriptions`` by ``s404=...``."""
    return {
        code: {"model": ErrorOut, "description": descriptions.get(f"s{code}", DESCRIPTIONS[code])} for code in codes
    }


def _error_response(code: int, description: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description or DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }
    if code == 429:
        response["headers"] = RETRY_AFTER
    return response


def _is_error_body(response: dict[str, Any]) -> bool:
    return any(
        media.get("schema", {}).get("$ref") in (ERROR_REF, "#/components/schemas/HTTPValidationError")
        for media in response.get("content", {}).values()
    )


def _complete(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    wanted: Iterable[int] = [503]
    if operation.get("parameters") or operation.get("requestBody"):
        wanted = [*wanted, 422]
    if operation.get("requestBody"):
        wanted = [*wanted, 400, 413]
    if (method, path) in RATE_LIMITED:
        wanted = [*wanted, 429]
    for wanted_code in wanted:
        responses.setdefault(str(wanted_code), _error_response(wanted_code))
    for code, response in list(responses.items()):
        if code.isdigit() and int(code) >= 400 and _is_error_body(response):
            # An error is JSON ErrorOut even where the success is HTML or text (FastAPI gives an
            # extra response the route's media type), and FastAPI's own 422 is replaced.
            description = response.get("description")
            if code == "422" and description == "Validation Error":
                description = None
            responses[code] = {
                **_error_response(int(code), description),
                **({"headers": response["headers"]} if "headers" in response else {}),
            }
    if "429" in responses:
        responses["429"].setdefault("headers", RETRY_AFTER)
    if path.startswith(STAFF_PREFIX) and path != LOGIN:
        operation["security"] = [{"staffSession": []} if method == "get" else {"staffSession": [], "csrfToken": []}]


def document(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _complete(path, method, item[method])
    spec.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
