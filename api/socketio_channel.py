"""Rasa's socket.io channel protocol, spoken by the gateway, so existing Rasa web chat widgets
(rasa-webchat and the like) connect to it unchanged: ``session_request`` -> ``session_confirm``,
``user_uttered`` -> ``bot_uttered`` (``{"text"}``, with ``quick_replies`` for buttons and
``links`` for tap-to-call numbers).

What differs from Rasa's own channel, on purpose: the session id is one the gateway minted and
signed (api/conversation_ids.py). A client that asks for a session with an id it was not given
(or an altered one) is confirmed a new id instead, so it can neither read nor write someone
else's conversation; and a message is taken for the session this connection was confirmed,
never for a ``session_id`` the client puts in the message. Turns go through the same
api/turns.py as the chat API; staff replies during a hand-over are pushed as ``bot_uttered``.

Cross-origin browsers are refused unless ``WEGWIJS_SOCKETIO_ORIGINS`` lists their origins
(comma-separated); same-origin pages always work.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import socketio
from starlette.requests import HTTPConnection

from api.body_limit import MAX_BODY_BYTES
from api.conversation_ids import SENDER_PREFIX
from api.message_limits import message_refused
from api.outbox import event_buttons
from api.payloads import is_offered
from api.rate_limits import CONVERSATIONS
from api.services import Services
from api.turns import take_turn
from wegwijs.languages import SHIPPED
from wegwijs.wire import ReplyMessage, reply_message

logger = logging.getLogger(__name__)
USER_EVENT, BOT_EVENT = "user_uttered", "bot_uttered"
MAX_TEXT = 2000
RELAY_WAIT_MS = 3000


def allowed_origins() -> list[str] | None:
    listed = [o.strip() for o in os.environ.get("WEGWIJS_SOCKETIO_ORIGINS", "").split(",") if o.strip()]
    return listed or None  # None: same origin only


def bot_uttered(message: ReplyMessage) -> dict[str, Any]:
    """Rasa's socket.io ``bot_uttered``: the text, and the buttons as ``quick_replies``. The
    tap-to-call and notice links go along as ``links`` (``{title, url}``), as Rasa passes a custom
    payload's keys through: a client that knows them offers the call, another shows the text,
    which carries the numbers too."""
    out: dict[str, Any] = {"text": message["text"]}
    if message["buttons"]:
        out["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in message["buttons"]
        ]
    if message["links"]:
        out["links"] = [{"title": link["title"], "url": link["url"]} for link in message["links"]]
    return out


class SocketIOChannel:
    def __init__(self) -> None:
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=allowed_origins(),
            logger=False,
            engineio_logger=False,
            max_http_buffer_size=MAX_BODY_BYTES,
        )
        self.services: Services | None = None
        self._relays: dict[str, asyncio.Task[None]] = {}
        self.sio.on("connect", self.connect)
        self.sio.on("session_request", self.session_request)
        self.sio.on(USER_EVENT, self.user_uttered)
        self.sio.on("disconnect", self.disconnect)

    def asgi_app(self, other_app: Any) -> socketio.ASGIApp:
        return socketio.ASGIApp(self.sio, other_asgi_app=other_app, socketio_path="socket.io")

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Remembers the connection's client (a keyed hash of its address) for the limits."""
        services, scope = self.services, environ.get("asgi.scope")
        if services is not None and scope is not None:
            await self.sio.save_session(sid, {"client": services.settings.client_of(HTTPConnection(scope))})

    async def session_request(self, sid: str, data: Any) -> None:
        services = self.services
        if services is None:
            return
        asked = data.get("session_id") if isinstance(data, dict) else None
        if not services.ids.valid(asked):
            client = (await self.sio.get_session(sid)).get("client", "")
            if await services.limits.refused((CONVERSATIONS, client)) is not None:
                await self.sio.disconnect(sid)  # minting conversations without limit is refused here too
                return
        session = asked if services.ids.valid(asked) else services.ids.mint()
        await self.sio.save_session(
            sid, {"conversation": session, "client": (await self.sio.get_session(sid)).get("client", "")}
        )
        await self.sio.enter_room(sid, session)
        await self.sio.emit("session_confirm", session, room=sid)
        self._start_relay(sid, session)

    async def user_uttered(self, sid: str, data: Any) -> None:
        services = self.services
        if services is None or not isinstance(data, dict):
            return
        session = (await self.sio.get_session(sid)).get("conversation")
        message = data.get("message")
        if not session or not isinstance(message, str) or not message.strip() or len(message) > MAX_TEXT:
            return  # no confirmed session, or nothing readable: Rasa's channel ignores these too
        custom_data = data.get("customData")
        custom = custom_data if isinstance(custom_data, dict) else {}
        hint = custom.get("language") if custom.get("language") in SHIPPED else None
        payload = message if is_offered(message) else None
        text = None if payload else message
        client = (await self.sio.get_session(sid)).get("client") or None
        refused = await message_refused(services, client, session, text, hint)
        if refused is not None:  # over the conversation's limit: the apology, and Rasa is not asked
            await self.sio.emit(BOT_EVENT, bot_uttered(refused.message), room=sid)
            return
        turn = await take_turn(
            services, session, SENDER_PREFIX + session, text, payload, hint, {"channel": "socketio", "client": client}
        )
        for reply in turn.messages + ([turn.notice] if turn.notice else []):
            await self.sio.emit(BOT_EVENT, bot_uttered(reply), room=sid)

    async def disconnect(self, sid: str) -> None:
        relay = self._relays.pop(sid, None)
        if relay:
            relay.cancel()

    def _start_relay(self, sid: str, session: str) -> None:
        """Staff replies (and the bot's return) to this connection, as they are sent."""
        old = self._relays.pop(sid, None)
        if old:
            old.cancel()
        if self.services is not None and self.services.staff is not None:
            self._relays[sid] = asyncio.create_task(self._relay(sid, session))

    async def _relay(self, sid: str, session: str) -> None:
        outbox = self.services.staff.outbox  # type: ignore[union-attr]
        sender = SENDER_PREFIX + session
        after = await outbox.latest_id(sender) or "0-0"
        while True:
            try:
                for entry_id, fields in await outbox.wait(sender, after, RELAY_WAIT_MS):
                    after = entry_id
                    reply = reply_message(fields["text"], event_buttons(fields))
                    await self.sio.emit(BOT_EVENT, bot_uttered(reply), room=sid)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - Redis hiccup: try again shortly
                logger.warning("socket.io relay: %s", type(error).__name__)
                await asyncio.sleep(1)
