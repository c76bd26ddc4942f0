"""Which topic each intent leads to, read from the rules (data/rules.yml) and the replies' topics.

An intent's topic is the topic (bot/responses.yml) of the first reply its rule gives; a rule
that starts with the hand-over is ``human_handover``, one that starts the case lookup is
``case_status``. The topic decision (bot/components/topic_decision.py), the "did you mean"
buttons and the NLU reports all use this one table, so they always agree with what the bot
answers.
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from wegwijs.paths import ROOT
from wegwijs.responses import load_specs

RULES_FILE = ROOT / "data" / "rules.yml"
# The key of the topic decision in a message's parse data, which the actions read.
TOPIC_DECISION = "topic_decision"
ACTION_TOPICS = {"action_handover": "human_handover", "case_status_form": "case_status"}
# A request someone can act on: it wins over the background a message also tells.
ACTIONABLE_TOPICS = frozenset({"voluntary_return", "family_reunification", "case_status", "human_handover"})
# Intents that carry no subject of their own: never offered as "I can also tell you about" or
# "Did you mean"; out_of_scope is the absence of one.
NOT_A_SUBJECT = frozenset(
    {
        "greet",
        "thank",
        "goodbye",
        "bot_challenge",
        "affirm",
        "deny",
        "stop",
        "switch_language",
        "language_chosen",
        "callback_time",
        "location_abroad",
        "location_netherlands",
        "something_else",
        "nlu_fallback",
        "out_of_scope",
    }
)


@lru_cache(maxsize=1)
def intent_topics() -> dict[str, str]:
    specs = load_specs()
    topics: dict[str, str] = {}
    for rule in yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["rules"]:
        steps = rule.get("steps") or []
        if rule.get("condition") or not steps or "intent" not in steps[0]:
            continue
        intent = steps[0]["intent"]
        for step in steps[1:]:
            action = step.get("action")
            topic = ACTION_TOPICS.get(action) or (specs[action].topic if action in specs else None)
            if topic:
                topics.setdefault(intent, topic)
                break
    return topics


def topic_of(intent: str) -> str:
    return intent_topics().get(intent, "out_of_scope")


def is_subject(intent: str) -> bool:
    return intent not in NOT_A_SUBJECT and intent in intent_topics()
