"""The topic decision (bot/components/topic_decision.py) on constructed classifier outputs:
safety first with the other subject kept, a request before background on a near tie, a second
subject from a sentence of its own, "did you mean" between two topics, none for keyboard mashing."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.components.topic_decision import TopicDecision


def message(
    ranking: list[tuple[str, float]],
    safety: bool = False,
    sentences: list | None = None,
    unfamiliar: bool = False,
    intent: str | None = None,
) -> Message:
    data = {
        "text": "a message",
        "intent": {"name": intent or ranking[0][0], "confidence": ranking[0][1]},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "safety": {"detected": safety, "probability": 0.8 if safety else 0.01, "threshold": 0.4, "categories": []},
    }
    if sentences:
        data["sentences"] = [{"name": n, "confidence": c} for n, c in sentences]
    if unfamiliar:
        data["unfamiliar"] = True
    return Message(data=data)


def decide(m: Message) -> dict | None:
    return TopicDecision.create({}, None, None, None).decide(m)


def test_safety_wins_whatever_the_intent_and_keeps_the_other_subject() -> None:
    d = decide(message([("return_info", 0.7), ("safety_emergency", 0.1)], safety=True))
    assert (d["intent"], d["reason"], d["also"]) == ("safety_emergency", "safety", "return_info")


def test_safety_keeps_what_the_classifier_chose_as_the_other_subject() -> None:
    d = decide(
        message(
            [("return_info", 0.36), ("ask_asylum", 0.2)],
            safety=True,
            sentences=[("ask_asylum", 0.9), ("return_info", 0.45)],
        )
    )
    assert d["also"] == "return_info"


def test_safety_takes_the_other_subject_from_a_sentence_of_its_own() -> None:
    d = decide(
        message(
            [("safety_emergency", 0.9), ("greet", 0.05)],
            safety=True,
            sentences=[("safety_emergency", 0.9), ("reunification_info", 0.7)],
        )
    )
    assert d["also"] == "reunification_info"


def test_a_request_beats_background_on_a_near_tie() -> None:
    d = decide(message([("ask_asylum", 0.40), ("return_info", 0.38)]))
    assert (d["intent"], d["reason"], d["also"]) == ("return_info", "actionable_first", "ask_asylum")
    assert decide(message([("ask_asylum", 0.70), ("return_info", 0.20)])) is None


def test_a_second_subject_in_its_own_sentence_is_offered() -> None:
    d = decide(
        message(
            [("contact_info", 0.8), ("reunification_travel", 0.1)],
            sentences=[("contact_info", 0.9), ("reunification_travel", 0.6)],
        )
    )
    assert (d["intent"], d["also"]) == ("contact_info", "reunification_travel")


def test_no_second_subject_from_an_unsure_sentence_or_the_same_topic() -> None:
    assert (
        decide(
            message(
                [("contact_info", 0.8), ("return_info", 0.05)], sentences=[("contact_info", 0.9), ("return_info", 0.3)]
            )
        )
        is None
    )
    assert (
        decide(
            message(
                [("return_info", 0.8), ("return_money", 0.1)], sentences=[("return_info", 0.9), ("return_money", 0.8)]
            )
        )
        is None
    )


def test_unsure_between_two_topics_asks_did_you_mean() -> None:
    d = decide(message([("return_travel", 0.25), ("reunification_travel", 0.22), ("greet", 0.1)]))
    assert (d["intent"], d["suggestions"]) == ("nlu_fallback", ["return_travel", "reunification_travel"])


def test_a_low_confidence_fallback_suggests_the_two_likeliest_subjects() -> None:
    m = message(
        [("nlu_fallback", 0.2), ("greet", 0.15), ("about_iom", 0.14), ("return_info", 0.12)], intent="nlu_fallback"
    )
    assert decide(m)["suggestions"] == ["about_iom", "return_info"]


def test_keyboard_mashing_gets_no_suggestions() -> None:
    m = message([("nlu_fallback", 1.0), ("affirm", 0.3), ("about_iom", 0.2)], intent="nlu_fallback", unfamiliar=True)
    assert decide(m) is None


def test_a_confident_answer_is_left_alone() -> None:
    assert decide(message([("return_info", 0.9), ("return_money", 0.05)])) is None


def test_a_danger_sentence_is_not_diluted_by_a_question_in_the_next() -> None:
    d = decide(
        message(
            [("return_info", 0.8), ("safety_emergency", 0.1)],
            sentences=[("safety_emergency", 0.85), ("return_info", 0.9)],
        )
    )
    assert (d["intent"], d["also"]) == ("safety_emergency", "return_info")


def test_one_topic_spread_over_its_intents_is_answered_not_asked_about() -> None:
    """A story ending in a request: return's intents together clearly beat the asylum background,
    even under the fallback threshold; the background sentence is offered as the second subject."""
    m = message(
        [
            ("nlu_fallback", 0.2),
            ("return_info", 0.19),
            ("ask_asylum", 0.16),
            ("return_travel", 0.1),
            ("return_money", 0.06),
        ],
        intent="nlu_fallback",
        sentences=[("ask_asylum", 0.72), ("return_travel", 0.43)],
    )
    d = decide(m)
    assert (d["intent"], d["reason"], d["also"]) == ("return_info", "topic", "ask_asylum")


def test_two_topics_close_when_summed_still_ask_did_you_mean() -> None:
    d = decide(
        message(
            [
                ("return_travel", 0.25),
                ("reunification_travel", 0.22),
                ("return_money", 0.05),
                ("reunification_info", 0.06),
            ]
        )
    )
    assert d["intent"] == "nlu_fallback" and d["suggestions"] == ["return_travel", "reunification_travel"]


def test_a_form_answer_is_never_lifted_to_a_topic() -> None:
    d = decide(message([("affirm", 0.28), ("return_info", 0.2), ("return_travel", 0.15)]))
    assert d is None or d["intent"] in ("affirm", "nlu_fallback")


def test_familiar_letters_with_no_plausible_subject_get_the_menu() -> None:
    """Only "stop" and "out of scope" score: no subject is worth a "did you mean" button."""
    m = message(
        [
            ("nlu_fallback", 0.2),
            ("stop", 0.115),
            ("out_of_scope", 0.087),
            ("safety_emergency", 0.045),
            ("return_travel", 0.04),
        ],
        intent="nlu_fallback",
    )
    assert decide(m) is None
