"""What the conversation is about: the most recent reply that said something about a subject.

Read backwards from the replies the assistant gave (their ``topic`` and ``phone_line`` in
bot/responses.yml). Replies that say nothing about a subject are skipped: smalltalk, language,
hand-over, out of scope, contact notes, and case replies that name no line (the form's questions,
next steps). The phone line action and the hand-over action both ask this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wegwijs.responses import ResponseSpec, load_specs

PHONE_PREFIX = "utter_phone_"
NOT_A_SUBJECT = frozenset({"smalltalk", "language", "human_handover", "out_of_scope", "case_status", "contact"})


@dataclass(frozen=True)
class SubjectReply:
    key: str
    spec: ResponseSpec
    this_turn: bool  # given after the latest user message


def latest_subject(events: list[dict[str, Any]]) -> SubjectReply | None:
    specs = load_specs()
    this_turn = True
    for event in reversed(events):
        if event.get("event") == "user":
            this_turn = False
        if event.get("event") != "bot":
            continue
        key = (event.get("metadata") or {}).get("utter_action") or ""
        spec = specs.get(key)
        if spec is None or key.startswith(PHONE_PREFIX):
            continue
        if spec.phone_line or spec.topic not in NOT_A_SUBJECT:
            return SubjectReply(key, spec, this_turn)
    return None
