"""Sending messages through the WhatsApp Business Cloud API (Meta's Graph API).

``GraphClient.send`` posts one message to ``{base_url}/{version}/{phone_number_id}/messages`` and
retries only what provably did not reach Meta, so a user never gets the same message twice:

- a connection that was never made (connect error, connect timeout, no free pooled connection):
  the request was not sent;
- an answer of 429 or 5xx, or one of Meta's throttling codes (130429 and 133016 for the business
  number, 131048 and 131056 for the business-recipient pair, whatever the HTTP status): Meta
  answered that it did not send the message.

A read timeout, or a connection dropped after the request was written, may have reached Meta:
it is not retried but returned as ``uncertain`` (the channel records it for review). Throttling
backs off per recipient (131048, 131056) or for the business number (130429, 133016): later
sends to that recipient, or from the number, wait too, other recipients do not. The wait is the
server's ``Retry-After`` when it gives one, else exponential backoff with full jitter, always
capped by ``max_delay``; attempts are capped by ``max_attempts``. The business number's pause is
also written to Redis (``NUMBER_PAUSE``, with the pause as its expiry) when the client is given
the gateway's Redis, so that every gateway replica sending from that number waits, not only the
one Meta answered; a recipient's messages are sent by one replica at a time (its stream
partition's lease), so its pause stays in the process. Other 4xx answers are final: a
retry would get the same answer (131047, outside the 24-hour window, needs a template instead).

Logs carry status codes, Graph error codes and attempt counts only: never a message body, a
phone number or Graph's error text (which can quote the request).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.metrics import WHATSAPP_RETRIES, WHATSAPP_SENDS
from api.whatsapp.keys import NUMBER_PAUSE

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]

# Meta's throttling error codes: the message was not sent; it may be sent after a pause.
NUMBER_THROTTLED = frozenset({130429, 133016})  # the business number's throughput, registration attempts
PAIR_THROTTLED = frozenset({131048, 131056})  # spam rate limit, too many messages to this recipient
THROTTLED = NUMBER_THROTTLED | PAIR_THROTTLED
# Failures before the request left this process: nothing reached Meta.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status: int | None
    message_id: str | None
    error_code: int | None
    error: str | None
    attempts: int
    uncertain: bool = False  # the last attempt may have reached Meta: do not send it again blindly
    throttled: bool = False  # the last answer was one of Meta's throttling codes


def send_outcome(result: SendResult) -> str:
    """The metric label of a send: sent, uncertain, throttled, not_sent (never reached Meta), refused."""
    if result.ok:
        return "sent"
    if result.uncertain:
        return "uncertain"
    if result.throttled:
        return "throttled"
    return "not_sent" if result.status is None else "refused"


def retryable(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def throttled(code: int | None) -> bool:
    return code in THROTTLED


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
        clock: Clock = time.monotonic,
        shared: Redis[bytes] | None = None,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{version.strip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._http = http
        self.max_attempts = max(1, int(max_attempts))
        self.base_delay = max(0.0, base_delay)
        self.max_delay = max(0.0, max_delay)
        self._sleep = sleep
        self._clock = clock
        self._number = phone_number_id
        # Until when (clock time) sends wait: per recipient ("to:<wa_id>") and for the business
        # number ("number"). In this process only; entries are dropped once past.
        self._not_before: dict[str, float] = {}
        self._throttles: dict[str, int] = {}  # consecutive throttling answers per key
        self._shared = shared  # the gateway's Redis: the number's pause, for every replica

    def _wait_needed(self, to: str) -> float:
        now = self._clock()
        for key in [key for key, until in self._not_before.items() if until <= now]:
            del self._not_before[key]
        until = max(self._not_before.get("to:" + to, 0.0), self._not_before.get("number", 0.0))
        return max(0.0, until - now)

    async def _pause_needed(self, to: str) -> float:
        """This process's pause for the recipient or the number, or another replica's for the number."""
        pause = self._wait_needed(to)
        if self._shared is not None:
            try:
                left_ms = await self._shared.pttl(NUMBER_PAUSE)
            except (RedisError, OSError) as error:  # a missing shared pause must not stop sending
                log.warning("shared throttling pause not read: %s", type(error).__name__)
            else:
                pause = max(pause, min(self.max_delay, left_ms / 1000)) if left_ms > 0 else pause
        return pause

    async def _share_number_pause(self, delay: float) -> None:
        """The number's pause for every replica: set, or lengthened, never shortened."""
        if self._shared is None or delay <= 0:
            return
        ms = max(1, int(delay * 1000))
        try:
            async with self._shared.pipeline(transaction=True) as pipe:
                pipe.set(NUMBER_PAUSE, "1", px=ms, nx=True)
                pipe.pexpire(NUMBER_PAUSE, ms, gt=True)
                await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("shared throttling pause not written: %s", type(error).__name__)

    def _throttle(self, to: str, code: int, wait: float | None) -> float:
        """Record a throttling answer: the pause for the recipient or the business number."""
        key = "number" if code in NUMBER_THROTTLED else "to:" + to
        self._throttles[key] = self._throttles.get(key, 0) + 1
        delay = min(self.max_delay, wait) if wait is not None else self.backoff(self._throttles[key])
        self._not_before[key] = max(self._not_before.get(key, 0.0), self._clock() + delay)
        return delay

    def _unthrottle(self, to: str) -> None:
        self._throttles.pop("to:" + to, None)
        self._throttles.pop("number", None)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform between 0 and base_delay * 2^(attempt - 1), capped."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(attempt - 1, 32)))
        return random.uniform(0.0, ceiling)

    async def send(self, to: str, message: dict[str, Any]) -> SendResult:
        result = await self._send(to, message)
        WHATSAPP_SENDS.labels(outcome=send_outcome(result)).inc()
        if result.attempts > 1:
            WHATSAPP_RETRIES.inc(result.attempts - 1)
        return result

    async def _send(self, to: str, message: dict[str, Any]) -> SendResult:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        attempt = 0
        while True:
            pause = await self._pause_needed(to)  # a throttled recipient or number waits; others do not
            if pause > 0:
                await self._sleep(pause)
            attempt += 1
            delay: float | None = None
            try:
                response = await self._http.post(self.url, json=body, headers=self._headers)
            except NOT_SENT as exc:  # no connection was made: the request never left
                detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                result = SendResult(False, None, None, None, detail, attempt)
                log.warning("graph send attempt %d of %d: not sent, %s", attempt, self.max_attempts, type(exc).__name__)
            except httpx.TransportError as exc:  # read timeout, dropped connection: it may have arrived
                log.warning("graph send outcome unknown after %d attempt(s): %s", attempt, type(exc).__name__)
                self._throttles.pop("to:" + to, None)
                return SendResult(False, None, None, None, type(exc).__name__, attempt, uncertain=True)
            except httpx.HTTPError as exc:  # not a network problem: retrying would not help
                log.error("graph send failed: %s after %d attempt(s)", type(exc).__name__, attempt)
                return SendResult(False, None, None, None, type(exc).__name__, attempt)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    if attempt > 1:
                        log.info("graph send succeeded after %d attempts", attempt)
                    self._unthrottle(to)
                    return SendResult(True, status, _message_id(response), None, None, attempt)
                code, error = _graph_error(response)
                is_throttled = throttled(code)
                result = SendResult(False, status, None, code, error, attempt, throttled=is_throttled)
                if not (is_throttled or retryable(status)):
                    log.warning(
                        "graph send refused: status %d, error code %s, after %d attempt(s)", status, code, attempt
                    )
                    return result
                log.warning(
                    "graph send attempt %d of %d: status %d, error code %s", attempt, self.max_attempts, status, code
                )
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if code is not None and is_throttled:
                    paused = self._throttle(to, code, wait)  # the next attempt waits in _pause_needed
                    if code in NUMBER_THROTTLED:
                        await self._share_number_pause(paused)
                    delay = 0.0
                elif wait is not None:
                    delay = min(self.max_delay, wait)
            if attempt >= self.max_attempts:
                log.error(
                    "graph send gave up after %d attempts (last status %s, error code %s)",
                    attempt,
                    result.status,
                    result.error_code,
                )
                self._throttles.pop("to:" + to, None)
                return result
            if delay is None:
                delay = self.backoff(attempt)
            if delay > 0:
                await self._sleep(delay)
