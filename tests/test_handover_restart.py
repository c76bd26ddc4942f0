"""Restarting the gateway in the middle of a hand-over loses no ticket and no message: tickets,
sessions, transcripts and the outbox live in Redis. (The queue's own test restarts Redis.)"""

from __future__ import annotations

import httpx

from scripts.stack import Stack, free_port
from tests.conftest import new_conversation
from tests.test_handover import LiveMessages, say
from tests.test_health import start_gateway
from tests.test_staff_api import StaffClient, create_account


def test_a_gateway_restart_mid_handover_loses_nothing(stack: Stack) -> None:
    env = stack.environment()
    port = free_port()
    first = start_gateway(env, port)
    url = f"http://127.0.0.1:{port}"
    conversation = new_conversation(url)
    with httpx.Client(base_url=url, timeout=30) as gateway:
        agent = StaffClient(gateway, create_account(stack, "agent"))
        assert agent.login().status_code == 200
        agent.available()
        assert say(gateway, conversation, "I need to talk to a real person")["handover"]["status"] == "queued"
        ticket = max(agent.call("GET", "/staff/api/queue?language=en").json()["tickets"], key=lambda t: t["created"])
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/claim").status_code == 200
        assert say(gateway, conversation, "my flight is on monday, is that still right?")["messages"] == []

    first.terminate()
    first.wait(timeout=20)
    second = start_gateway(env, port)
    live = LiveMessages(url, conversation)
    try:
        with httpx.Client(base_url=url, timeout=30) as gateway:
            agent.gateway = gateway  # the same browser session, now served by the new process
            detail = agent.call("GET", f"/staff/api/tickets/{ticket['id']}")
            assert detail.status_code == 200 and detail.json()["status"] == "active"
            said = [e["text"] for e in detail.json()["transcript"] if e["who"] == "user"]
            assert said[-2:] == ["I need to talk to a real person", "my flight is on monday, is that still right?"]
            assert (
                agent.call(
                    "POST", f"/staff/api/tickets/{ticket['id']}/reply", json_body={"text": "Yes, Monday."}
                ).status_code
                == 200
            )
            assert live.next()[1] == {"text": "Yes, Monday.", "kind": "staff"}
            after = say(gateway, conversation, "thank you")
            assert after["handover"] == {"status": "active", "position": None} and after["messages"] == []
            assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/close").status_code == 200
            agent.call("POST", "/staff/api/logout")
    finally:
        live.close()
        second.terminate()
        second.wait(timeout=20)
