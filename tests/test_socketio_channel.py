"""Rasa's socket.io channel protocol against the gateway, with python-socketio's client (the
same protocol rasa-webchat speaks): session_request -> session_confirm, user_uttered ->
bot_uttered with quick replies; a forged session id gets a new session, not the conversation
behind it; staff replies arrive as bot_uttered."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import socketio

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.test_handover import text_of
from tests.test_staff_api import StaffClient, create_account


class RasaWebchatLike:
    """What a Rasa web chat widget does: ask for a session, send user_uttered, read bot_uttered."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.uttered: asyncio.Queue[dict] = asyncio.Queue()
        self.client.on("session_confirm", self.confirmed.put)
        self.client.on("bot_uttered", self.uttered.put)

    async def start(self, session_id: Any = None) -> str:
        await self.client.connect(self.url, transports=["polling"], socketio_path="socket.io")
        await self.client.emit("session_request", {"session_id": session_id})
        self.session = await asyncio.wait_for(self.confirmed.get(), 10)
        return self.session

    async def say(self, message: str, session_id: Any = None) -> None:
        await self.client.emit("user_uttered", {"message": message, "session_id": session_id or self.session})

    async def replies(self, count: int, timeout: float = 20) -> list[dict]:
        return [await asyncio.wait_for(self.uttered.get(), timeout) for _ in range(count)]

    async def stop(self) -> None:
        # The polling client's own disconnect waits for its pending long poll (the server's ping
        # interval, 25 s); dropping the transport ends it at once, as a closed browser tab does.
        await self.client.eio.disconnect(abort=True)


def test_a_rasa_webchat_client_talks_to_the_gateway(stack: Stack, gateway: httpx.Client) -> None:
    async def scenario() -> tuple:
        chat = RasaWebchatLike(stack.gateway_url)
        session = await chat.start()
        await chat.say("hello, good evening")
        greeting, notice = await chat.replies(2)  # the first reply comes with the privacy notice
        assert notice["quick_replies"] == [
            {"content_type": "text", "title": "Delete my data", "payload": "/erase_data"}
        ]
        await chat.say("/return_info")  # a quick reply sends its payload
        answer, line = await chat.replies(2)  # the answer, then the return line with its numbers
        await chat.stop()
        return session, greeting, answer, line

    session, greeting, answer, line = asyncio.run(scenario())
    assert len(session) == 44
    assert greeting["text"] == text_of("utter_greet", "en")
    assert greeting["quick_replies"][0] == {
        "content_type": "text",
        "title": "Voluntary return",
        "payload": "/return_info",
    }
    assert answer["text"] == text_of("utter_return_info", "en") and "links" not in answer
    numbers = [link["url"] for link in line["links"]]
    assert numbers and all(url.startswith("tel:+31") for url in numbers), line
    assert all(link["title"] in line["text"] for link in line["links"]), "the numbers are in the text too"
    history = gateway.get(f"/api/v1/conversations/{session}").json()["messages"]
    assert [m["text"] for m in history if m["who"] == "user"] == ["hello, good evening", "/return_info"], (
        "the same conversation, reachable with the id the gateway gave"
    )


def test_a_session_id_the_gateway_did_not_give_gets_a_new_session(stack: Stack, gateway: httpx.Client) -> None:
    victim = new_conversation(gateway)
    gateway.post("/api/v1/messages", json={"conversation_id": victim, "text": "hallo, ik wil terug naar Irak"})

    async def scenario() -> tuple:
        chat = RasaWebchatLike(stack.gateway_url)
        forged = victim[:-1] + ("A" if victim[-1] != "A" else "B")
        given = await chat.start(forged)
        await chat.say("dank je wel", session_id=victim)  # a message naming someone else's session
        (reply,) = await chat.replies(1)
        await chat.stop()
        return forged, given, reply

    forged, given, reply = asyncio.run(scenario())
    assert given not in (forged, victim)
    assert reply["text"] == text_of("utter_thank", "nl")
    victims = gateway.get(f"/api/v1/conversations/{victim}").json()["messages"]
    assert "dank je wel" not in [m["text"] for m in victims], "the message went to the confirmed session only"


def test_a_staff_reply_reaches_a_socketio_client_live(stack: Stack, gateway: httpx.Client) -> None:
    agent = StaffClient(gateway, create_account(stack, "agent"))
    assert agent.login().status_code == 200
    agent.available()

    async def scenario() -> dict:
        chat = RasaWebchatLike(stack.gateway_url)
        await chat.start()
        await chat.say("i would like to talk to a human from IOM please")
        await chat.replies(2)  # the reply and the privacy notice
        queue = await asyncio.to_thread(lambda: agent.call("GET", "/staff/api/queue?language=en").json()["tickets"])
        ticket = max(queue, key=lambda t: t["created"])
        await asyncio.to_thread(agent.call, "POST", f"/staff/api/tickets/{ticket['id']}/claim")
        await asyncio.to_thread(
            lambda: agent.call(
                "POST", f"/staff/api/tickets/{ticket['id']}/reply", json_body={"text": "Hello, this is Anna from IOM."}
            )
        )
        (live,) = await chat.replies(1, timeout=10)
        await asyncio.to_thread(agent.call, "POST", f"/staff/api/tickets/{ticket['id']}/close")
        await chat.stop()
        return live

    try:
        assert asyncio.run(scenario()) == {"text": "Hello, this is Anna from IOM."}
    finally:
        agent.call("POST", "/staff/api/logout")


def test_the_websocket_transport_speaks_the_protocol(stack: Stack) -> None:
    """Rasa web chat widgets connect over a WebSocket by default: the Engine.IO v4 handshake,
    then Socket.IO packets, spoken here by hand."""
    import json

    import websockets

    async def scenario() -> tuple:
        url = stack.gateway_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(url) as ws:
            opened = await asyncio.wait_for(ws.recv(), 10)  # 0{"sid": ...}
            await ws.send("40")  # connect to the default namespace
            connected = await asyncio.wait_for(ws.recv(), 10)
            await ws.send('42["session_request",{"session_id":null}]')
            confirm = json.loads((await asyncio.wait_for(ws.recv(), 10))[2:])
            await ws.send(
                "42"
                + json.dumps(
                    ["user_uttered", {"message": "سلام، میخواهم به افغانستان برگردم", "session_id": confirm[1]}]
                )
            )
            while True:
                packet = await asyncio.wait_for(ws.recv(), 20)
                if packet == "2":  # the server's ping
                    await ws.send("3")
                    continue
                return opened, connected, confirm, json.loads(packet[2:])

    opened, connected, confirm, uttered = asyncio.run(scenario())
    assert opened.startswith("0{") and connected.startswith("40")
    assert confirm[0] == "session_confirm" and len(confirm[1]) == 44
    assert uttered[0] == "bot_uttered" and uttered[1]["text"] == text_of("utter_return_info", "fa-AF")
