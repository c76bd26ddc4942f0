"""Sending messages through the WhatsApp Business Cloud API (Meta's Graph API).

``GraphClient.send`` posts one message to ``{base_url}/{version}/{phone_number_id}/messages`` and
retries what can succeed later: 429 (throughput, Graph error 130429), 5xx and network errors
(connection refused, timeouts), with exponential backoff and full jitter, or the server's
``Retry-After`` when it gives one (capped by ``max_delay``). Other 4xx answers are final: a
retry would get the same answer (131047, outside the 24-hour window, needs a template instead).

Logs carry status codes, Graph error codes and attempt counts only: never a message body, a
phone number or Graph's error text (which can quote the request).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int | None
    message_id: str | None
    error_code: int | None
    error: str | None
    attempts: int


def retryable(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds, or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _graph_error(response: httpx.Response) -> tuple[int | None, str | None]:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None, None
    if not isinstance(error, dict):
        return None, None
    code = error.get("code")
    message = error.get("message")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else None,
    )


def _message_id(response: httpx.Response) -> str | None:
    try:
        messages = response.json().get("messages")
        message_id = messages[0].get("id")
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        return None
    return message_id if isinstance(message_id, str) else None


class GraphClient:
    def __init__(
        self,
        base_url: str,
        version: str,
        token: str,
        phone_number_id: str,
        http: httpx.AsyncClient,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{version.strip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._http = http
        self.max_attempts = max(1, int(max_attempts))
        self.base_delay = max(0.0, base_delay)
        self.max_delay = max(0.0, max_delay)
        self._sleep = sleep

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform between 0 and base_delay * 2^(attempt - 1), capped."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(attempt - 1, 32)))
        return random.uniform(0.0, ceiling)

    async def send(self, to: str, message: dict[str, Any]) -> SendResult:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        attempt = 0
        while True:
            attempt += 1
            wait: float | None = None
            try:
                response = await self._http.post(self.url, json=body, headers=self._headers)
            except httpx.TransportError as exc:  # connection refused or reset, timeouts, ...
                detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                result = SendResult(False, None, None, None, detail, attempt)
                log.warning(
                    "graph send attempt %d of %d: network error %s", attempt, self.max_attempts, type(exc).__name__
                )
            except httpx.HTTPError as exc:  # not a network problem: retrying would not help
                log.error("graph send failed: %s after %d attempt(s)", type(exc).__name__, attempt)
                return SendResult(False, None, None, None, type(exc).__name__, attempt)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    if attempt > 1:
                        log.info("graph send succeeded after %d attempts", attempt)
                    return SendResult(True, status, _message_id(response), None, None, attempt)
                code, error = _graph_error(response)
                result = SendResult(False, status, None, code, error, attempt)
                if not retryable(status):
                    log.warning(
                        "graph send refused: status %d, error code %s, after %d attempt(s)", status, code, attempt
                    )
                    return result
                log.warning(
                    "graph send attempt %d of %d: status %d, error code %s", attempt, self.max_attempts, status, code
                )
                wait = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt >= self.max_attempts:
                log.error(
                    "graph send gave up after %d attempts (last status %s, error code %s)",
                    attempt,
                    result.status,
                    result.error_code,
                )
                return result
            delay = min(self.max_delay, wait) if wait is not None else self.backoff(attempt)
            await self._sleep(delay)
