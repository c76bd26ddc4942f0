"""Message texts and conversation ids never reach a log file of any process."""
from __future__ import annotations

import os

import httpx

from scripts.stack import Stack


def test_message_text_and_ids_stay_out_of_logs(stack: Stack, gateway: httpx.Client) -> None:
    marker = "zq" + os.urandom(5).hex()
    conversation = "priv-" + os.urandom(5).hex()
    texts = [f"my name is {marker} and I want to go back to my country", f"{marker} {marker}", "/" + marker]
    for text in texts:
        assert gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": text}).status_code == 200
    gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": "x" * 3000})
    for log in stack.run_dir.glob("*.log"):
        content = log.read_text(encoding="utf-8", errors="replace")
        assert marker not in content, log.name
        assert conversation not in content, log.name
