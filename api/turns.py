"""One user turn, whatever the channel: settle the language, let staff have it during a
hand-over, else ask Rasa, keep the transcript. The web chat's route and the WhatsApp worker
both take turns here, so both channels behave the same.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from redis.exceptions import RedisError

from api.conversation_store import ConversationState
from api.erasure import Erasure
from api.handover_language import (
    CALLBACK_INSTEAD,
    STRANDED_INTENT,
    callback_instead,
    instead_of_stranded,
    no_speaker_message,
)
from api.handover_turn import TOPIC as HANDOVER_TOPIC, HandoverView, handover_turn, queued_view
from api.language.resolve import resolve
from api.metrics import FALLBACKS, SATISFACTION, TURN_SECONDS
from api.payloads import chosen_language, intent_message, language_chosen_message
from api.privacy_notice import notice_message, version as notice_version
from api.rasa_client import RasaUnavailable
from api.review import UNCLEAR_REPLIES
from api.satisfaction import (
    DONE_REPLIES,
    QUESTION as SATISFACTION_QUESTION,
    SCORES,
    answer_of,
    question as satisfaction_question,
    thanks as satisfaction_thanks,
)
from api.services import Services
from api.staff.service import Staff
from api.stranded import hand_back
from api.topics import topic_and_line
from api.transcripts import Said, kept_bot_text
from wegwijs.handover.tickets import Ticket
from wegwijs.languages import SOURCE_LANGUAGE, native_name
from wegwijs.request_id import CURRENT, METADATA_KEY, NONE as NO_REQUEST_ID, current, new_request_id
from wegwijs.responses import language_chosen_payload, load_specs, render
from wegwijs.wire import KeyedReply, ReplyMessage, button, reply_message

logger = logging.getLogger(__name__)
UNAVAILABLE = "gateway_service_unavailable"
LANGUAGE_FOLLOWED = "gateway_language_followed"
LANGUAGE_ROMANIZED = "gateway_language_romanized"
ERASE_DONE = "utter_erase_done"
HANDOVER_QUEUED = "utter_handover_queued"
# Replies after which the conversation has a queued ticket: the turn reports its hand-over.
QUEUED = frozenset({"utter_handover_queued", "utter_callback_booked", "utter_callback_already_queued"})
# Replies that open a ticket in this turn: a hand-over's or a call-back's first analytics event.
OPENED = frozenset({"utter_handover_queued", "utter_callback_booked"})


@dataclass(frozen=True)
class Turn:
    language: str
    topic: str
    phone_line: str | None
    messages: list[ReplyMessage]
    handover: HandoverView | None
    unavailable: bool = False  # Rasa could not answer: the messages apologise and give the line
    erased: bool = False  # the user confirmed "delete my data": nothing of the conversation is left
    notice: ReplyMessage | None = None  # the privacy notice, with the first reply (api/privacy_notice.py)
    # What Rasa understood, for the analytics (api/insight/); None when Rasa was not asked.
    intent: str | None = None
    confidence: float | None = None
    fell_back: bool = False  # the bot did not understand: "did you mean" or the topic menu


CHANNELS = frozenset({"api", "socketio", "whatsapp"})  # the turn metric's channel label


async def take_turn(
    services: Services,
    key: str,
    sender: str,
    text: str | None,
    payload: str | None,
    hint: str | None,
    metadata: dict[str, Any],
) -> Turn:
    """One turn, timed by channel (api/metrics.py) and logged with its request id (which Rasa and
    the action server log too; wegwijs/request_id.py), never with what was said; see ``_take_turn``."""
    channel = metadata.get("channel", "api")
    label = channel if channel in CHANNELS else "other"
    token = CURRENT.set(current() if current() != NO_REQUEST_ID else new_request_id())
    started = time.perf_counter()
    try:
        turn = await _take_turn(services, key, sender, text, payload, hint, {**metadata, METADATA_KEY: current()})
    finally:
        seconds = time.perf_counter() - started
        TURN_SECONDS.labels(channel=label).observe(seconds)
        CURRENT.reset(token)
    logger.info("turn on %s: %s in %.3f s", label, turn.topic or "no topic", seconds)
    if services.insight is not None and not turn.erased:  # an erased conversation leaves no turn
        await services.insight.record(
            "turn",
            sender,
            channel=label,
            language=turn.language,
            topic=turn.topic,
            intent=turn.intent,
            confidence=turn.confidence,
            fallback=turn.fell_back,
        )
    return turn


async def _take_turn(
    services: Services,
    key: str,
    sender: str,
    text: str | None,
    payload: str | None,
    hint: str | None,
    metadata: dict[str, Any],
) -> Turn:
    """``key``: the conversation in the gateway's store; ``sender``: its id at Rasa and in the
    hand-over queue; ``payload``: an offered button payload; ``metadata``: for the actions
    (channel, sender_phone)."""
    state = await services.store.get(key)
    # A button's title is the bot's own wording: it tells the language only when nothing else does.
    detect_text = "" if payload and state.language else text or ""
    settled = resolve(
        services.detector,
        detect_text,
        remembered=state.language,
        remembered_explicit=state.explicit,
        hint=hint,
        chosen=chosen_language(payload),
    )
    new_state = ConversationState(settled.language, settled.explicit, state.notice)
    if new_state != state:
        await services.store.save(key, new_state)

    satisfaction = answer_of(payload)
    if satisfaction is not None:  # "Did this help you?": the gateway's own question, never Rasa's
        return await satisfaction_answered(services, sender, text or "", satisfaction, settled.language, metadata)
    if settled.switched:
        message = language_chosen_message(settled.language)
    elif payload == CALLBACK_INSTEAD:
        # "Call me back", tapped once the queue is behind the user (or by someone never queued):
        # the phone line and the call-back questions, as for a hand-over nobody took.
        message = intent_message(STRANDED_INTENT, settled.language)
    elif payload:
        message = intent_message(payload, settled.language)
    else:
        # A leading '/' would make Rasa read the text as an intent with entities.
        message = (text or "").strip().lstrip("/").strip()

    said = text or payload or ""
    staff = services.staff
    ticket = await staff.tickets.open_for(sender) if staff is not None else None
    if staff is not None and ticket is not None and not ticket.is_callback:
        if payload == CALLBACK_INSTEAD:
            # "Call me back" under "nobody here speaks your language": out of the queue, to the
            # phone line and the call-back questions (api/handover_language.py).
            instead = await callback_instead(services, ticket, said)
            if instead is not None:
                return Turn(settled.language, HANDOVER_TOPIC, "general", instead, None)
        if not await staff.tickets.is_stranded(ticket.id, services.retention.stranded_seconds):
            held, view = await handover_turn(
                staff,
                ticket,
                said,
                settled.language,
                switched=settled.switched,
                stranded_seconds=services.retention.stranded_seconds,
            )
            return Turn(settled.language, HANDOVER_TOPIC, None, held, view)
        # Waiting past the stranded time: it goes back to the bot now (api/stranded.py), and this
        # message gets the line and the call-back offer. None: another gateway just did it, and
        # the bot has the conversation.
        back = await hand_back(services, ticket, said=said)
        if back is not None:
            return Turn(settled.language, HANDOVER_TOPIC, "general", back, None)

    try:
        answer = await services.rasa.converse(sender, message, {**metadata, "language": settled.language})
    except RasaUnavailable as error:
        logger.error("assistant unavailable: %s", error)
        spec = load_specs()[UNAVAILABLE]
        rendered = render(spec, settled.language)
        return Turn(
            settled.language,
            spec.topic,
            spec.phone_line,
            [reply_message(rendered.text, rendered.buttons)],
            None,
            unavailable=True,
        )

    replies = answer.replies
    if payload == CALLBACK_INSTEAD:
        replies = instead_of_stranded(replies, settled.language)
    topic, line = topic_and_line(reply["response"] for reply in replies)
    messages = [reply_message(r["text"], r["buttons"], r["links"]) for r in replies]
    fell_back = answer.intent == "nlu_fallback" or any(r["response"] in UNCLEAR_REPLIES for r in replies)
    FALLBACKS.add(settled.language, fell_back)
    if any(reply["response"] == ERASE_DONE for reply in replies):
        await erase_conversation(services, key, sender, by="user", channel=metadata.get("channel"))
        return Turn(settled.language, topic, line, messages, None, erased=True)
    notice = None
    if new_state.notice != notice_version():
        # The first reply of a conversation (or the first since the notice changed) comes with it,
        # after the replies themselves (a safety reply keeps 112 and the line first).
        notice = notice_message(metadata.get("channel", "api"), settled.language, services.retention)
        replies = [
            *replies,
            {"text": notice["text"], "buttons": notice["buttons"], "links": notice["links"], "response": None},
        ]
        await services.store.save(key, replace(new_state, notice=notice_version()))
    ask = await satisfaction_asked(services, sender, topic, replies, settled.language, with_notice=notice is not None)
    if ask is not None:
        messages.append(ask)
        replies = [*replies, {**ask, "response": SATISFACTION_QUESTION}]
    handover: HandoverView | None = None
    if staff is not None:
        try:  # the transcript is for staff; failing to keep it must not cost the user the reply
            await staff.transcripts.add(
                sender,
                [Said.by_user(said)]
                + [Said.by_bot(r, kept_bot_text(r["response"], r["text"], settled.language)) for r in replies],
            )
        except RedisError as error:
            logger.warning("transcript not kept: %s", type(error).__name__)
        if any(reply["response"] in QUEUED for reply in replies):
            handover = await queued_view(staff, sender)
        opened = await opened_ticket(staff, sender) if any(r["response"] in OPENED for r in replies) else None
        if opened is not None and services.insight is not None:
            await services.insight.ticket_stage(opened, "opened", timed=False)
        if opened is not None and any(reply["response"] == HANDOVER_QUEUED for reply in replies):
            told = await no_speaker_message(staff, opened, services.retention.stranded_seconds)
            if told:
                messages.append(told)
                await staff.transcripts.add(sender, [Said.by_bot(told)])
    if services.review is not None:
        try:  # kept for a supervisor to label (api/review.py); never at the cost of the reply
            await services.review.after_turn(sender, text, payload, settled.language, replies, topic)
        except RedisError as error:
            logger.warning("review item not kept: %s", type(error).__name__)
    if settled.followed_from:
        messages.append(language_followed_message(settled.language, settled.followed_from))
    elif settled.romanized and settled.language != state.language:
        # Once, when Latin letters first settle Arabic or Dari: the replies are in its own script,
        # which not everyone who types Arabizi reads well; one tap gives English.
        messages.append(romanized_message(settled.language))
    return Turn(
        settled.language,
        topic,
        line,
        messages,
        handover,
        notice=notice,
        intent=answer.intent,
        confidence=answer.confidence,
        fell_back=fell_back,
    )


async def opened_ticket(staff: Staff, sender: str) -> Ticket | None:
    """The ticket this turn opened (a hand-over or a call-back request), read once for its
    analytics event and for "nobody here speaks your language"; None if it cannot be read, which
    never costs the user the reply."""
    try:
        return await staff.tickets.open_for(sender)
    except RedisError as error:
        logger.warning("opened ticket not read: %s", type(error).__name__)
        return None


async def satisfaction_asked(
    services: Services, sender: str, topic: str, replies: list[KeyedReply], language: str, with_notice: bool
) -> ReplyMessage | None:
    """ "Did this help you?" after the answer to a thanks or goodbye that follows a subject, once a
    day; never beside the privacy notice (nobody has been helped yet). None: not asked now."""
    if services.satisfaction is None:
        return None
    try:
        await services.satisfaction.note_topic(sender, topic)
        done = any(r["response"] in DONE_REPLIES for r in replies)
        if done and not with_notice and await services.satisfaction.may_ask(sender, after_subject=True):
            return satisfaction_question(language)
    except RedisError as error:
        logger.warning("satisfaction not asked: %s", type(error).__name__)
    return None


async def satisfaction_answered(
    services: Services, sender: str, said: str, answer: str, language: str, metadata: dict[str, Any]
) -> Turn:
    """An answer to "Did this help you?": counted once (api/satisfaction.py), then thanks."""
    reply = satisfaction_thanks(language)
    try:
        subject = await services.satisfaction.answered(sender) if services.satisfaction is not None else None
        if subject is not None:
            SATISFACTION.labels(language=language, answer=answer).inc()
            if services.insight is not None:
                channel = metadata.get("channel", "api")
                await services.insight.record(
                    "csat", sender, channel=channel, language=language, topic=subject or None, score=SCORES[answer]
                )
        if services.staff is not None:
            await services.staff.transcripts.add(sender, [Said.by_user(said), Said.by_bot(reply)])
    except RedisError as error:
        logger.warning("satisfaction answer not kept: %s", type(error).__name__)
    return Turn(language, "smalltalk", None, [reply], None)


async def erase_conversation(services: Services, key: str, sender: str, by: str, channel: str | None = None) -> None:
    """Everything kept about the conversation, gone (api/erasure.py); without Redis, what the
    gateway keeps in its memory (Rasa's in-memory tracker goes with its restart). Its analytics
    events of the periods whose pseudonym key still exists go too (api/insight/pseudonyms.py);
    the erasure itself is counted, without a pseudonym."""
    await services.store.delete(key)
    if services.staff is not None:
        await Erasure(services.staff.redis).erase(key, sender, by)
    if services.insight is not None:
        await services.insight.forget(sender)
        await services.insight.record("erasure", None, channel=channel or "staff")


def romanized_message(language: str) -> ReplyMessage:
    """Said in the language's own script, with one button for English."""
    rendered = render(load_specs()[LANGUAGE_ROMANIZED], language)
    english = button(native_name(SOURCE_LANGUAGE), language_chosen_payload(SOURCE_LANGUAGE))
    return reply_message(rendered.text, [english])


def language_followed_message(language: str, earlier: str) -> ReplyMessage:
    """Said in the message's language, with one button back to the language chosen before."""
    rendered = render(load_specs()[LANGUAGE_FOLLOWED], language)
    return reply_message(rendered.text, [button(native_name(earlier), language_chosen_payload(earlier))])
