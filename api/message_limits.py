"""The per-message rate limits as the chat channels apply them (the chat API's route and
socket.io): a message over its conversation's or its client's limit gets an apology in the
user's language with the general line, and never reaches the assistant. The limits themselves
are in api/rate_limits.py."""

from __future__ import annotations

from dataclasses import dataclass

from api.language.resolve import resolve
from api.rate_limits import MESSAGES_CLIENT, MESSAGES_CONVERSATION
from api.services import Services
from wegwijs.responses import load_specs, render
from wegwijs.wire import ReplyMessage, reply_message

RATE_LIMITED = "gateway_rate_limited"


@dataclass(frozen=True)
class Refusal:
    """A message over its limit: how long to wait, and the apology in the user's language."""

    retry_after: int
    language: str
    message: ReplyMessage


async def message_refused(
    services: Services, client: str | None, conversation: str, text: str | None, hint: str | None
) -> Refusal | None:
    """Counts the message against its conversation's and its client's limits; a Refusal (with the
    apology and the general line) when it is over one of them, else None."""
    checks = [(MESSAGES_CONVERSATION, services.limits.conversation(conversation))]
    if client is not None:
        checks.append((MESSAGES_CLIENT, client))
    wait = await services.limits.refused(*checks)
    if wait is None:
        return None
    state = await services.store.get(conversation)
    language = resolve(
        services.detector, text or "", remembered=state.language, remembered_explicit=state.explicit, hint=hint
    ).language
    rendered = render(load_specs()[RATE_LIMITED], language)
    return Refusal(wait, language, reply_message(rendered.text))
