"""GET /health names what is down; a dead Rasa or Redis yields a clear 503, never a 500.
GET /health/live stays 200 meanwhile: a liveness probe must not restart a gateway for Rasa's sake;
GET /health/ready fails only with the gateway's own Redis (without Rasa it still answers, with the
phone line).

These tests run a second gateway process of their own, beside the session's stack, with a Redis
they can stop, or pointed at a Rasa that is not there.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.stack import Stack, free_port, port_open
from tests.conftest import RedisServer, new_conversation
from wegwijs.responses import load_specs, render

ROOT = Path(__file__).resolve().parent.parent


def start_gateway(env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "wegwijs.serve", "gateway", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not port_open(port):
        assert process.poll() is None, "gateway exited"
        assert time.monotonic() < deadline, "gateway did not start"
        time.sleep(0.1)
    return process


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    yield server
    if server.process.poll() is None:
        server.stop()


def test_health_is_ok_when_everything_is_up(gateway: httpx.Client) -> None:
    for path in ("/health", "/health/ready"):
        answer = gateway.get(path)
        assert answer.status_code == 200
        assert answer.json()["checks"] == {"redis": "ok", "rasa": "ok", "action_server": "ok"}
    assert gateway.get("/health/live").json() == {"status": "ok"}


def test_redis_down_is_named_and_messages_get_503(stack: Stack, own_redis: RedisServer) -> None:
    env = stack.environment()
    env["REDIS_URL"] = own_redis.url
    port = free_port()
    process = start_gateway(env, port)
    try:
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/health").status_code == 200
        own_redis.stop()
        health = httpx.get(f"{url}/health", timeout=10)
        assert health.status_code == 503
        assert health.json()["down"] == ["redis"]
        ready = httpx.get(f"{url}/health/ready", timeout=10)
        assert ready.status_code == 503 and ready.json()["down"] == ["redis"]
        answer = httpx.post(
            f"{url}/api/v1/messages", json={"conversation_id": new_conversation(url), "text": "hello"}, timeout=20
        )
        assert answer.status_code == 503
        assert "error" in answer.json()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_rasa_down_gets_an_apology_with_the_phone_line_in_the_users_language(stack: Stack) -> None:
    env = stack.environment()
    env["WEGWIJS_RASA_URL"] = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    process = start_gateway(env, port)
    try:
        url = f"http://127.0.0.1:{port}"
        health = httpx.get(f"{url}/health", timeout=10)
        assert health.status_code == 503 and health.json()["down"] == ["rasa"]
        ready = httpx.get(f"{url}/health/ready", timeout=10)  # it still answers, with the phone line
        assert ready.status_code == 200 and ready.json()["down"] == ["rasa"]
        live = httpx.get(f"{url}/health/live", timeout=10)
        assert live.status_code == 200 and live.json() == {"status": "ok"}
        answer = httpx.post(
            f"{url}/api/v1/messages",
            json={"conversation_id": new_conversation(url), "text": "میخواهم به وطنم برگردم، چطور کمک میکنید؟"},
            timeout=20,
        )
        assert answer.status_code == 503
        body = answer.json()
        assert body["language"] == "fa-AF"
        assert body["phone_line"] == "general"
        assert body["messages"][0]["text"] == render(load_specs()["gateway_service_unavailable"], "fa-AF").text
    finally:
        process.terminate()
        process.wait(timeout=10)
