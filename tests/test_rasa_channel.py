"""Rasa's gateway channel refuses callers without the token and reports failures as failures."""

from __future__ import annotations

import httpx

from scripts.stack import Stack


def test_channel_requires_the_token(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.ports.rasa}/webhooks/gateway/webhook"
    body = {"sender": "x", "message": "hi"}
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401


def test_channel_refuses_a_missing_sender(stack: Stack) -> None:
    token = stack.environment()["WEGWIJS_RASA_TOKEN"]
    url = f"http://127.0.0.1:{stack.ports.rasa}/webhooks/gateway/webhook"
    answer = httpx.post(url, json={"message": "hi"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400


def test_services_listen_on_loopback_only(stack: Stack) -> None:
    import subprocess

    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    for port in (stack.ports.gateway, stack.ports.rasa, stack.ports.actions):
        lines = [line for line in listening.splitlines() if f":{port} " in line]
        assert lines and all("127.0.0.1:" in line for line in lines), lines
