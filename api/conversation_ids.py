"""Web conversation ids the gateway mints and signs, so knowing an id is not enough.

In Rasa's own REST and socket.io channels whoever knows (or guesses) a sender id can read that
conversation and write into it. Here the gateway mints every web conversation id: 128 random
bits followed by an HMAC-SHA256 of them (first 128 bits) under WEGWIJS_CONVERSATION_SECRET,
both base64url, 44 characters. A client that presents an id it was not given, or alters one
character of it, gets 404 from every conversation route, the same answer as for an id that
never existed. The secret lives in .env.local (wegwijs/secrets_file.py), never in the repository.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import TypeGuard

RANDOM_BYTES = 16
PART = 22  # base64url characters of 16 bytes, without padding
# A web conversation (the chat API and socket.io) is ``api:<id>`` at Rasa, in the hand-over queue
# and in the transcripts; WhatsApp's users are ``whatsapp:<number>`` (api/whatsapp/keys.py).
SENDER_PREFIX = "api:"
# What every conversation route answers (404) to an id this gateway did not mint.
UNKNOWN_CONVERSATION = "unknown conversation: start one with POST /api/v1/conversations"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class ConversationIds:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, random_part: str) -> str:
        return _b64(hmac.new(self._secret, random_part.encode("ascii"), hashlib.sha256).digest()[:RANDOM_BYTES])

    def mint(self) -> str:
        random_part = _b64(secrets.token_bytes(RANDOM_BYTES))
        return random_part + self._mac(random_part)

    def valid(self, conversation_id: object) -> TypeGuard[str]:
        if not isinstance(conversation_id, str) or len(conversation_id) != 2 * PART or not conversation_id.isascii():
            return False
        random_part, mac = conversation_id[:PART], conversation_id[PART:]
        return hmac.compare_digest(mac, self._mac(random_part))
