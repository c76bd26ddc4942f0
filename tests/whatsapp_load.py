"""Test stand-ins for WhatsApp load: a burst of signed deliveries against a gateway, and a slow
Rasa to send it against.

Used by tests/test_whatsapp_burst.py (every delivery acknowledged, every message handled, each
user's messages in order, while Rasa is slow) and, like the Graph API stand-in, by the benchmark
(scripts/whatsapp_load.py: the webhook's acknowledgement latency under the burst). Everything
runs on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import threading
import time

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from api.whatsapp.signature import signature_for


class SlowProxy:
    """Forwards every request to ``target`` after ``delay_seconds``: Rasa, made slow."""

    def __init__(self, target: str, delay_seconds: float) -> None:
        self.target = target.rstrip("/")
        self.delay_seconds = delay_seconds
        self.url: str | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    async def _forward(self, request: Request) -> Response:
        try:
            body = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        await asyncio.sleep(self.delay_seconds)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with httpx.AsyncClient(timeout=60) as client:
            answer = await client.request(
                request.method,
                self.target + request.url.path,
                params=request.query_params,
                content=body,
                headers=headers,
            )
        return Response(answer.content, status_code=answer.status_code, media_type=answer.headers.get("content-type"))

    def start(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=["GET", "POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the slow proxy did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)


def delivery(wa_id: str, message: dict) -> dict:
    """Meta's sample shape of a messages webhook delivery, around one message of ``wa_id``."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                            "contacts": [{"profile": {"name": "Test User"}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": "wamid." + secrets.token_urlsafe(24),
                                    "timestamp": str(int(time.time())),
                                    **message,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def text(body: str) -> dict:
    return {"type": "text", "text": {"body": body}}


def burst_users(count: int) -> list[str]:
    return ["3162" + "".join(secrets.choice("0123456789") for _ in range(7)) for _ in range(count)]


async def burst(gateway_url: str, app_secret: bytes, users: list[str], per_user: int) -> list[tuple[int, float]]:
    """Every user's messages "hallo 1" .. "hallo N", all sent at once (each user's in order):
    (status, acknowledgement milliseconds) per delivery. The bodies are signed beforehand and
    sent with aiohttp, so the client's own work stays out of the measured time as far as it can."""
    import aiohttp

    results: list[tuple[int, float]] = []
    signed = {wa_id: [] for wa_id in users}
    for wa_id in users:
        for n in range(1, per_user + 1):
            raw = json.dumps(delivery(wa_id, text(f"hallo {n}"))).encode()
            signed[wa_id].append(
                (raw, {"Content-Type": "application/json", "X-Hub-Signature-256": signature_for(app_secret, raw)})
            )

    async def one_user(session: aiohttp.ClientSession, wa_id: str) -> None:
        for raw, headers in signed[wa_id]:
            started = time.perf_counter()
            async with session.post(f"{gateway_url}/webhooks/whatsapp", data=raw, headers=headers) as answer:
                await answer.read()
                results.append((answer.status, (time.perf_counter() - started) * 1000))

    connector = aiohttp.TCPConnector(limit=len(users) + 2)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(one_user(session, wa_id) for wa_id in users))
    return results
