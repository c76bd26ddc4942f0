"""Wire formats of the chat API, named by role."""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, StrictStr, root_validator, validator

from wegwijs.languages import SHIPPED

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
MAX_TEXT_LENGTH = 2000


class MessageIn(BaseModel):
    conversation_id: StrictStr = Field(
        ..., regex=r"^[A-Za-z0-9_:-]{1,64}$", description="1 to 64 letters, digits, '-', '_' or ':'."
    )
    text: StrictStr | None = Field(None, max_length=MAX_TEXT_LENGTH, description="What the user typed.")
    language: StrictStr | None = Field(None, description=f"A language hint: one of {', '.join(SHIPPED)}.")
    payload: StrictStr | None = Field(None, max_length=200, description="The payload of a button the user pressed.")

    class Config:
        extra = "forbid"
        schema_extra: ClassVar[dict[str, Any]] = {"example": {"conversation_id": "web-3f9a", "text": "میخواهم به افغانستان برگردم"}}

    @validator("text")
    def text_has_content(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().lstrip("/").strip():
            raise ValueError("text must contain something to read")
        return value

    @validator("language")
    def language_is_shipped(cls, value: str | None) -> str | None:
        if value is not None and value not in SHIPPED:
            raise ValueError(f"language must be one of {', '.join(SHIPPED)}")
        return value

    @root_validator(skip_on_failure=True)
    def text_or_payload(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("text") is None and values.get("payload") is None:
            raise ValueError("give text, a button payload, or both")
        return values


class ButtonOut(BaseModel):
    title: str
    payload: str


class LinkOut(BaseModel):
    title: str = Field(..., description="What to show: the phone number as the user dials it, or the notice's name.")
    url: str = Field(..., description="A tel: link (RFC 3966), or the gateway's own privacy notice page "
                                      "(/privacy/{language}), for channels that show links.")


class BotMessageOut(BaseModel):
    text: str
    buttons: list[ButtonOut] = []
    links: list[LinkOut] = []


class HandoverOut(BaseModel):
    status: Literal["queued", "active", "closed"]
    position: int | None = Field(None, description="1 for the next in the queue; null once a person has it.")


class MessageOut(BaseModel):
    conversation_id: str
    language: str
    topic: Topic
    phone_line: PhoneLine | None
    messages: list[BotMessageOut]
    handover: HandoverOut | None = None
    erased: bool = Field(False, description="The user confirmed \"delete my data\": everything kept about the "
                                            "conversation is gone; a client forgets its id and its history too.")


class ErrorOut(BaseModel):
    error: str
    detail: object = None
