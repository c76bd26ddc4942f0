"""The WhatsApp channel: reading a stored message, taking the user's turn, answering through the
Graph API, and what is remembered per WhatsApp user.

Per user (the sender's number, ``wa_id``) Redis keeps: the conversation's language (the gateway's
conversation store, key ``whatsapp:<wa_id>``, as for the web chat), when they last wrote (the
24-hour customer-service window), and, after a reply sent as numbered text, which payload each
number stands for. Rasa sees the sender as ``whatsapp:<wa_id>`` with metadata ``channel``
``whatsapp`` and ``sender_phone``: the phone line action formats numbers from its country code.

A reply the Graph API finally refuses (after the client's retries) is recorded in the
``wegwijs:wa:failed`` stream with the message, so it can be sent again; it is never only logged.

Sends are idempotent per entry: each reply to an inbound message (or a queued staff send) has a
stable id, the message's id (or the stream entry's id) and the reply's index. Before sending,
``wegwijs:wa:reply:<id>`` is claimed (``SET NX``, 7 days) as ``sending``, then set to ``sent``,
``failed`` or ``uncertain``. When an entry is handled again (a pending entry re-read after a crash
or a lease takeover), a reply already claimed is not sent again: one found still ``sending`` was cut
off mid-send and may have arrived, so it is recorded as uncertain, like a read timeout.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, cast

from redis.asyncio import Redis

from api.payloads import is_offered
from api.services import Services
from api.turns import take_turn
from api.whatsapp.config import WhatsAppConfig
from api.whatsapp.graph import GraphClient, SendResult
from api.whatsapp.inbox import Inbox
from api.whatsapp.keys import (
    FAILED,
    FAILED_SEND,
    REPLY_TTL_SECONDS,
    SENDER_PREFIX,
    SENDING,
    SENT,
    UNCERTAIN,
    last_inbound_key,
    numbered_key,
    reply_key,
)
from api.whatsapp.shaping import shape, template_message, text_message
from wegwijs.languages import DEFAULT_LANGUAGE
from wegwijs.normalize import to_ascii_digits
from wegwijs.request_id import CURRENT, new_request_id
from wegwijs.responses import load_specs, render
from wegwijs.retention import min_stream_id, retention
from wegwijs.wire import ReplyMessage, reply_message

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 24 * 3600
KEEP = retention()
NUMBERED_TTL_SECONDS = 24 * 3600
UNSUPPORTED = "gateway_whatsapp_unsupported"
# What a staff reply became on WhatsApp (reported to the console).
SENT_TEXT, SENT_TEMPLATE, OUTSIDE_WINDOW = "text", "template", "outside_window"


def read_message(message: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(text, payload) of a stored message; (None, None) for a type the assistant cannot read."""
    kind = message.get("type")
    if kind == "text":
        body = (message.get("text") or {}).get("body")
        return (body, None) if isinstance(body, str) and body.strip() else (None, None)
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get(interactive.get("type") or "") or {}
        if interactive.get("type") in ("button_reply", "list_reply") and isinstance(reply.get("id"), str):
            return str(reply.get("title") or ""), reply["id"]
    if kind == "button":  # a template's quick-reply button
        text = (message.get("button") or {}).get("text")
        return (text, None) if isinstance(text, str) and text.strip() else (None, None)
    return None, None


class WhatsAppChannel:
    def __init__(self, services: Services, config: WhatsAppConfig, redis: Redis[bytes], graph: GraphClient) -> None:
        self.services = services
        self.config = config
        self.redis = redis
        self.graph = graph
        self.inbox = Inbox(redis)

    # -- one stored entry ------------------------------------------------------------------
    async def handle(self, fields: dict[str, str], entry_id: str | None = None) -> None:
        """One inbox entry; ``entry_id`` (its stream id) names a queued send's reply. The entry is
        one request id (wegwijs/request_id.py): its turn and its sends log under it."""
        token = CURRENT.set(new_request_id())
        try:
            if fields.get("kind") == "send":
                reply_id = f"entry:{entry_id}:0" if entry_id else None
                await self._send(fields["to"], json.loads(fields["body"]), reply_id)
            elif fields.get("kind") == "message":
                await self.take_turn(json.loads(fields["body"]))
        finally:
            CURRENT.reset(token)

    async def take_turn(self, message: Mapping[str, Any]) -> None:
        wa_id = str(message["from"])
        replies = f"message:{message['id']}" if message.get("id") else None
        sender = SENDER_PREFIX + wa_id
        await self.redis.set(last_inbound_key(wa_id), repr(time.time()), ex=WINDOW_SECONDS * 8)
        text, payload = read_message(message)
        if text is None and payload is None:
            state = await self.services.store.get(sender)
            language = state.language or DEFAULT_LANGUAGE
            await self.deliver(
                wa_id, [reply_message(render(load_specs()[UNSUPPORTED], language).text)], language, replies
            )
            return
        if payload is None and text is not None:
            payload = await self._numbered_choice(wa_id, text)
        if payload is not None and not is_offered(payload):
            payload = None  # not one of ours: read the title as text
        turn = await take_turn(
            self.services, sender, sender, text or None, payload, None, {"channel": "whatsapp", "sender_phone": wa_id}
        )
        await self.deliver(wa_id, turn.messages + ([turn.notice] if turn.notice else []), turn.language, replies)

    async def _numbered_choice(self, wa_id: str, text: str) -> str | None:
        typed = to_ascii_digits(text.strip().rstrip("."))
        if not typed.isdigit():
            return None
        payload = await self.redis.hget(numbered_key(wa_id), typed)
        return payload.decode() if isinstance(payload, bytes) else payload

    # -- answering ---------------------------------------------------------------------------
    async def deliver(
        self, wa_id: str, messages: list[ReplyMessage], language: str, replies: str | None = None
    ) -> None:
        """Each reply shaped for WhatsApp (text, buttons, list or numbered text) and sent in order.
        With ``replies`` (the inbound message's id) each message sent is claimed as
        ``<replies>:<index>`` first, so handling the same message again sends none twice."""
        index = 0
        for reply in messages:
            shaped = shape(reply, language)
            await self._remember_numbered(wa_id, shaped.numbered)
            for part in shaped.messages:
                await self._send(wa_id, part, f"{replies}:{index}" if replies else None)
                index += 1

    async def _remember_numbered(self, wa_id: str, numbered: Mapping[str, str] | None) -> None:
        """The payloads of a numbered list, so that a typed "2" means its second option."""
        if not numbered:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(numbered_key(wa_id))
            pipe.hset(numbered_key(wa_id), mapping=cast("Mapping[str | bytes, str]", numbered))
            pipe.expire(numbered_key(wa_id), NUMBERED_TTL_SECONDS)
            await pipe.execute()

    async def _send(self, wa_id: str, message: dict[str, Any], reply_id: str | None = None) -> None:
        key = reply_key(reply_id) if reply_id else None
        if key is not None and not await self.redis.set(key, SENDING, nx=True, ex=REPLY_TTL_SECONDS):
            state = await self.redis.get(key)
            if state != SENDING.encode():
                logger.info("WhatsApp reply already handled (%s): not sent again", (state or b"").decode())
                return
            # Claimed and never settled: the earlier attempt was cut off mid-send (a crash, a lost
            # lease) and may have reached Meta. Not sent again; recorded for a person to decide.
            logger.warning("WhatsApp reply cut off mid-send earlier: may have arrived, not sent again")
            await self._record(wa_id, message, None, "interrupted", UNCERTAIN)
            await self.redis.set(key, UNCERTAIN, ex=REPLY_TTL_SECONDS)
            return
        result = await self.graph.send(wa_id, message)
        if result.ok:
            if key is not None:
                await self.redis.set(key, SENT, ex=REPLY_TTL_SECONDS)
            return
        if result.uncertain:
            logger.warning("WhatsApp message may have arrived (%s): not sent again", result.error)
        else:
            logger.warning(
                "WhatsApp message not delivered: status %s, error code %s, %s attempts",
                result.status,
                result.error_code,
                result.attempts,
            )
        outcome = UNCERTAIN if result.uncertain else FAILED_SEND
        await self._record(wa_id, message, result, result.error if result.uncertain else None, outcome)
        if key is not None:
            await self.redis.set(key, outcome, ex=REPLY_TTL_SECONDS)

    async def _record(
        self, wa_id: str, message: dict[str, Any], result: SendResult | None, error: str | None, outcome: str
    ) -> None:
        """A send that did not (surely) arrive, in the failed stream: ``outcome`` ``failed`` (Meta
        did not send it; it can be sent again) or ``uncertain`` (it may have arrived)."""
        await self.redis.xadd(
            FAILED,
            {
                "to": wa_id,
                "body": json.dumps(message, ensure_ascii=False),
                "status": str((result.status if result else None) or ""),
                "error_code": str((result.error_code if result else None) or ""),
                "outcome": outcome,
                "error": error or "",
                "at": repr(time.time()),
            },
            minid=min_stream_id(time.time(), KEEP.whatsapp_failed_seconds),
            approximate=True,
        )

    # -- messages outside the user's turn (staff) ------------------------------------------------
    async def within_window(self, wa_id: str) -> bool:
        last = await self.redis.get(last_inbound_key(wa_id))
        return last is not None and time.time() - float(last) < WINDOW_SECONDS

    async def send_if_window(self, wa_id: str, text: str) -> bool:
        """A text outside the user's turn (the bot is back) when WhatsApp still allows one."""
        if not await self.within_window(wa_id):
            return False
        await self.inbox.send_later(wa_id, text_message(text))
        return True

    async def reply_if_window(self, wa_id: str, reply: ReplyMessage, language: str) -> bool:
        """A reply with buttons outside the user's turn (after the bot is back), shaped as in a
        turn and queued behind what was queued before it, when WhatsApp still allows one."""
        if not await self.within_window(wa_id):
            return False
        shaped = shape(reply, language)
        await self._remember_numbered(wa_id, shaped.numbered)
        for part in shaped.messages:
            await self.inbox.send_later(wa_id, part)
        return True

    async def send_staff_text(self, wa_id: str, text: str) -> str:
        """Queue a staff member's text behind the user's own messages. Outside the 24-hour window
        a free-form message is not allowed: the configured template goes instead, or nothing."""
        if await self.within_window(wa_id):
            await self.inbox.send_later(wa_id, text_message(text))
            return SENT_TEXT
        if self.config.template:
            await self.inbox.send_later(wa_id, template_message(self.config.template, self.config.template_language))
            return SENT_TEMPLATE
        return OUTSIDE_WINDOW
