"""The gateway's HTTP bodies, named by role: what the OpenAPI document shows and the routes answer.

Shapes that also travel between the processes (a reply's ``{text, buttons, links}``) are
TypedDicts in wegwijs/wire.py; the models here are their HTTP form, with the same fields
(tests/test_wire_formats.py holds them to it). Every error, whatever the route and status, is one
``ErrorOut``. A field that may be ``null`` says so in the document (``anyOf`` with
``{"type": "null"}``: pydantic 1 leaves that out), so neither side is surprised by it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, StrictStr, root_validator, validator

from api.payloads import offered_payloads
from api.review import labels as review_labels
from api.transcripts import Who
from wegwijs.handover.tickets import CALLBACK_TIMES, Priority, Status
from wegwijs.languages import Language

Topic = Literal[
    "voluntary_return",
    "family_reunification",
    "resettlement",
    "integration",
    "diaspora",
    "about_iom",
    "contact",
    "case_status",
    "human_handover",
    "safety",
    "smalltalk",
    "language",
    "out_of_scope",
    "privacy",
]
PhoneLine = Literal["return", "reunification", "general"]
Direction = Literal["ltr", "rtl"]
CallbackTime = Literal["morning", "afternoon", "any"]
assert set(CallbackTime.__args__) == set(CALLBACK_TIMES)  # type: ignore[attr-defined]
MAX_TEXT_LENGTH = 2000
# Something to read: not only spaces and slashes (a leading '/' is cut before Rasa sees the text).
TEXT_TO_READ = re.compile(r"^[\s/]*[^\s/]")


def _nullable(schema: dict[str, Any], model: Any) -> None:
    """``Optional`` fields as ``anyOf: [..., {"type": "null"}]`` (OpenAPI 3.1), so that ``null``
    is documented wherever it is accepted or answered."""
    properties = schema.get("properties", {})
    for field in model.__fields__.values():
        shown = properties.get(field.alias)
        if shown is None or not field.allow_none or ("anyOf" in shown and {"type": "null"} in shown["anyOf"]):
            continue
        outer = {key: shown.pop(key) for key in ("title", "description", "default") if key in shown}
        properties[field.alias] = {**outer, "anyOf": [shown, {"type": "null"}]}


def _one_of_these(schema: dict[str, Any], names: tuple[str, ...], exclusive: bool) -> None:
    """Rewrite an object schema as alternatives, one per name in ``names``, each requiring that
    field (not null); ``exclusive``: the others null or absent. Said as whole objects in an
    ``anyOf``, not as a constraint beside ``properties``, so generators read it too."""
    base = {key: schema.pop(key) for key in ("type", "properties", "required", "additionalProperties") if key in schema}
    alternatives = []
    for name in names:
        properties = dict(base["properties"])
        shown = base["properties"][name]
        properties[name] = {**shown["anyOf"][0], "description": shown.get("description", "")}  # without its null
        if exclusive:
            properties.update({other: {"type": "null"} for other in names if other != name})
        alternatives.append({**base, "properties": properties, "required": [*base.get("required", []), name]})
    schema["anyOf"] = alternatives


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class IsoDate(dt.date):
    """A day written as the document says, ``YYYY-MM-DD``: pydantic's own ``date`` would also
    take a number as seconds since 1970, which no client means."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Callable[[Any], dt.date]]:
        yield cls.validate

    @classmethod
    def __modify_schema__(cls, schema: dict[str, Any]) -> None:
        schema.update(type="string", format="date")

    @classmethod
    def validate(cls, value: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValueError("a day as YYYY-MM-DD")
        return dt.date.fromisoformat(value)


class Body(BaseModel):
    class Config:
        extra = "forbid"
        schema_extra = staticmethod(_nullable)


# -- errors ------------------------------------------------------------------------------------


class Problem(Body):
    field: str = Field(
        ...,
        description="Where: a body field (`text`), a parameter (`path.language`, "
        "`query.language`), or `body` for the body as a whole.",
    )
    problem: str


class ErrorOut(Body):
    """Every error the gateway answers, whatever its status."""

    error: str = Field(..., description="What is wrong, in English, for the developer.")
    detail: list[Problem] | None = Field(None, description="For 422: each problem with the request.")


# -- the chat API --------------------------------------------------------------------------------


class MessageIn(Body):
    conversation_id: StrictStr = Field(
        ..., regex=r"^[A-Za-z0-9_:-]{1,64}$", description="1 to 64 letters, digits, '-', '_' or ':'."
    )
    text: StrictStr | None = Field(None, max_length=MAX_TEXT_LENGTH, description="What the user typed.")
    language: Language | None = Field(None, description="A language hint.")
    payload: StrictStr | None = Field(None, max_length=200, description="The payload of a button the user pressed.")

    class Config:
        @staticmethod
        def schema_extra(schema: dict[str, Any], model: Any) -> None:
            _nullable(schema, model)
            properties = schema["properties"]
            # What the validators below refuse, said in the schema: text with something to read
            # (not only spaces and slashes), a payload the assistant offers, and one of the two.
            properties["text"]["anyOf"][0]["pattern"] = TEXT_TO_READ.pattern
            properties["payload"]["anyOf"][0]["enum"] = sorted(offered_payloads())
            _one_of_these(schema, ("text", "payload"), exclusive=False)
            schema["example"] = {"conversation_id": "web-3f9a", "text": "میخواهم به افغانستان برگردم"}

    @validator("text")
    def text_has_content(cls, value: str | None) -> str | None:
        if value is not None and not TEXT_TO_READ.match(value):
            raise ValueError("text must contain something to read")
        return value

    @root_validator(skip_on_failure=True)
    def text_or_payload(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("text") is None and values.get("payload") is None:
            raise ValueError("give text, a button payload, or both")
        return values


class ButtonOut(Body):
    title: str
    payload: str = Field(..., description="Send it back as `payload` when the user presses the button.")


class LinkOut(Body):
    title: str = Field(..., description="What to show: the phone number as the user dials it, or the notice's name.")
    url: str = Field(
        ...,
        description="A tel: link (RFC 3966), or the gateway's own privacy notice page "
        "(/privacy/{language}), for channels that show links.",
    )


class BotMessageOut(Body):
    """One reply (wegwijs.wire.ReplyMessage)."""

    text: str
    buttons: list[ButtonOut]
    links: list[LinkOut]


class HandoverOut(Body):
    status: Status
    position: int | None = Field(..., description="1 for the next in the queue; null once a person has it.")


class MessageOut(Body):
    conversation_id: str
    language: Language
    topic: Topic
    phone_line: PhoneLine | None = Field(..., description="The line a reply gives, if any.")
    messages: list[BotMessageOut]
    handover: HandoverOut | None = Field(None, description="Set when a person is involved.")
    erased: bool = Field(
        False,
        description='The user confirmed "delete my data": everything kept about the '
        "conversation is gone; a client forgets its id and its history too.",
    )
    notice: BotMessageOut | None = Field(
        None,
        description="The privacy notice, with a conversation's first reply (and once more when the notice changes).",
    )


class NewConversationIn(Body):
    language: Language | None = Field(None, description="The language the user chose, if any.")


class NewConversationOut(Body):
    conversation_id: str = Field(..., description="Keep it: every other conversation route needs it.")
    language: Language | None


class HistoryMessageOut(Body):
    who: Who
    text: str = Field(..., description="The user's texts with their personal details replaced.")
    buttons: list[ButtonOut]
    links: list[LinkOut]


class HistoryOut(Body):
    conversation_id: str
    language: Language | None = Field(..., description="null until the conversation has one.")
    direction: Direction
    messages: list[HistoryMessageOut]
    handover: HandoverOut | None


class LanguageOut(Body):
    code: Language
    name: str = Field(..., description="The language's name in its own script.")
    direction: Direction
    reviewed: bool = Field(..., description="False while the catalog holds machine-drafted entries.")
    review_note: str | None = Field(
        ..., description="For a language not yet reviewed: saying so, in that language (else null)."
    )


class UiTextsOut(Body):
    language: Language
    direction: Direction
    name: str
    texts: dict[str, str] = Field(..., description="The web chat's own words, by key.")
    languages: list[LanguageOut]


# -- operations --------------------------------------------------------------------------------


class LiveOut(Body):
    status: Literal["ok"]


class HealthOut(Body):
    status: Literal["ok", "unavailable"]
    down: list[Literal["redis", "rasa", "action_server"]]
    checks: dict[str, str] = Field(
        ..., description="`redis`, `rasa`, `action_server`: `ok`, `down`, or why a dependency is not configured."
    )


class DeliveryOut(Body):
    stored: int = Field(..., description="Messages stored for the workers.")
    duplicates: int = Field(..., description="Messages Meta delivered before (ignored).")
    statuses: int = Field(..., description="Status callbacks kept.")


# -- the staff API -------------------------------------------------------------------------------


class ReplyIn(Body):
    text: StrictStr = Field(..., min_length=1, max_length=MAX_TEXT_LENGTH)


class LoginIn(Body):
    username: StrictStr = Field(..., max_length=64)
    password: StrictStr = Field(..., max_length=1024)
    # The authenticator app's code or a recovery code. Not required by the schema: a login without
    # one is a failed login like a wrong password (counted, the same 401), not a 422 that says why.
    code: StrictStr = Field("", max_length=64)


class AvailabilityIn(Body):
    available: StrictBool


class AvailabilityOut(Body):
    available: bool


class SessionOut(Body):
    username: str
    role: Literal["agent", "supervisor"]
    csrf: str = Field(..., description="Send it as X-CSRF-Token with every state-changing request.")
    available: bool
    languages: list[Language] = Field(
        ...,
        description="The languages the member's account lists (api.staff.accounts set-languages); "
        "their tickets come first in the queue. Empty: no preference.",
    )
    unreviewed_languages: list[Language] = Field(
        ...,
        description="Shipped languages whose catalog still holds machine-drafted entries (no native review yet).",
    )


class CallbackOut(Body):
    time: CallbackTime


class CallbackDetailOut(CallbackOut):
    phone: str | None = Field(..., description="The number to call (E.164); null once the ticket is closed.")


class TicketView(Body):
    """A ticket as the console sees it."""

    id: str
    language: Language
    topic: Topic
    priority: Priority
    reason: str
    created: float = Field(..., description="Epoch seconds.")
    status: Status
    holder: str = Field(..., description="The staff member who has it; empty while queued.")
    channel: str
    position: int | None = Field(..., description="Its place in the queue; null unless queued.")
    callback: CallbackOut | None = Field(..., description="Set on a call-back request.")


class QueueOut(Body):
    tickets: list[TicketView]


class TranscriptEntryOut(Body):
    """One entry of a transcript (api.transcripts.TranscriptEntry)."""

    who: Who
    text: str
    at: float = Field(..., description="Epoch seconds.")
    buttons: list[ButtonOut] | None = Field(None, description="A bot reply's buttons, if it had any.")
    links: list[LinkOut] | None = Field(None, description="A bot reply's links, if it had any.")


class CannedReplyOut(Body):
    key: str
    text: str = Field(..., description="In the ticket's language: what is sent.")
    source: str = Field(..., description="The English source of the text, shown beside it.")


class TicketDetailOut(TicketView):
    """The (audited) detail view: the only one with the call-back number."""

    callback: CallbackDetailOut | None = Field(..., description="Set on a call-back request.")
    transcript: list[TranscriptEntryOut]
    canned: list[CannedReplyOut] = Field(..., description="Ready replies in the user's language.")
    direction: Direction


class SentOut(Body):
    sent: bool
    whatsapp: Literal["text", "template"] | None = Field(
        ..., description="On WhatsApp: sent as text, or as the template outside the 24-hour window; else null."
    )


class ClosedOut(Body):
    id: str
    status: Literal["closed"]


class ErasureIn(Body):
    conversation_id: StrictStr | None = Field(
        None, regex=r"^[A-Za-z0-9_-]{1,64}$", description="A web chat or socket.io conversation id."
    )
    whatsapp_number: StrictStr | None = Field(
        None, regex=r"^\+?[0-9]{6,15}$", description="A WhatsApp number in international form (+ optional)."
    )

    class Config:
        @staticmethod
        def schema_extra(schema: dict[str, Any], model: Any) -> None:
            _nullable(schema, model)
            _one_of_these(schema, ("conversation_id", "whatsapp_number"), exclusive=True)

    @root_validator(skip_on_failure=True)
    def exactly_one(cls, values: dict[str, Any]) -> dict[str, Any]:
        if bool(values.get("conversation_id")) == bool(values.get("whatsapp_number")):
            raise ValueError("give either conversation_id or whatsapp_number")
        return values


class ErasedOut(Body):
    erased: Literal[True]


class FailedSendOut(Body):
    """A WhatsApp send that did not surely arrive (api/whatsapp/failed_sends.py)."""

    id: str = Field(..., description="The entry's id, to send it again or dismiss it.")
    to: str = Field(..., description="The WhatsApp number, in international form with '+'.")
    text: str = Field(..., description="The message's words as the user would read them.")
    outcome: Literal["failed", "uncertain"] = Field(
        ..., description="failed: Meta did not send it. uncertain: it may have arrived."
    )
    status: str = Field(..., description="The HTTP status Meta answered, or empty.")
    error_code: str = Field(..., description="Meta's error code, or empty.")
    error: str = Field(..., description="For an uncertain send, the kind of failure; else empty.")
    at: float = Field(..., description="When it was recorded (epoch seconds).")
    in_window: bool = Field(..., description="Whether WhatsApp's 24-hour window still allows sending it.")


class FailedSendsOut(Body):
    sends: list[FailedSendOut]


class ResendIn(Body):
    even_if_arrived: StrictBool = Field(
        False, description="Required for an uncertain send: the user may then get it twice."
    )


class ResentOut(Body):
    queued: Literal[True]


class DismissedOut(Body):
    dismissed: Literal[True]


class ReviewItemOut(Body):
    """A misunderstood message kept for review (api/review.py)."""

    id: str
    text: str = Field(..., description="What the user typed (never one with a reference, date or number).")
    language: Language
    reply: Literal["did_you_mean", "fallback"] = Field(..., description="What the assistant answered.")
    guesses: list[str] = Field(..., description='The intents "Did you mean ...?" offered.')
    chosen: str = Field(..., description="The intent the user tapped next, or empty.")
    then_topic: str = Field(..., description="The topic of the user's next message, when understood, or empty.")
    label: str = Field(..., description="The intent a supervisor gave it, or empty.")
    at: float = Field(..., description="When it was kept (epoch seconds).")


class ReviewItemsOut(Body):
    items: list[ReviewItemOut]
    labels: list[str] = Field(..., description="The intents an item can be labelled with.")


class LabelIn(Body):
    intent: StrictStr = Field(..., description="One of the trained intents.", enum=list(review_labels()))

    @validator("intent")
    def intent_is_trained(cls, value: str) -> str:
        if value not in review_labels():
            raise ValueError("not a trained intent")
        return value


class LabelledOut(Body):
    labelled: Literal[True]


# -- the dashboard's figures (api/routes/insight.py) ------------------------------------------


class InsightFigureOut(Body):
    """One figure of the dashboard, as one line of its CSV export; empty strings where a key does
    not apply (a figure of all days, all languages, ...)."""

    section: str = Field(..., description="conversations_by_language, top_topics, fallback, handovers, ...")
    day: str = Field(..., description="YYYY-MM-DD (UTC), or empty")
    language: str
    channel: str
    topic: str
    reason: str
    measure: str = Field(..., description="conversations, turns, fallbacks, opened, claim_median_seconds, ...")
    value: str = Field(..., description="a count, seconds or a mean; empty when there is none")


class InsightOut(Body):
    start: str = Field(..., description="the first day (UTC), included")
    end: str = Field(..., description="the last day (UTC), included")
    rows: list[InsightFigureOut]
