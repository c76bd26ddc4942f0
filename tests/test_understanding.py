"""Real messages through the gateway, per language, against the running stack: danger with a
second question (112 and the line first, the question as a button after), and a "did you mean"
followed by a second unclear message (the topic menu and a person: with nobody at the console,
the phone line and the call-back offer). The YAML conversations (tests/conversations/) cover
a story before the request, two subjects, the recovery by button and the language that follows
a long message."""

from __future__ import annotations

import httpx
import pytest

from wegwijs.intent_topics import topic_of
from wegwijs.responses import load_specs, render

SAFETY_WITH_A_QUESTION = {
    "nl": "Mijn baas houdt mijn paspoort al maanden vast. Kan IOM mij helpen om terug naar huis te gaan?",
    "en": "My boss has kept my passport for months. Can IOM help me go back home?",
    "ar": "صاحب العمل ماسك جوازي من شهور. هل تقدر المنظمة تساعدني ارجع بلدي؟",
    "fa-AF": "صاحب کارم پاسپورتمه چند ماه اس پیش خود نگاه کده. IOM میتانه کمکم کنه که پس برم وطن؟",
}
UNSURE = {"nl": "hoe zit het met papieren", "en": "what about the papers", "ar": "طيب والاوراق", "fa-AF": "و اسناد چی؟"}
REQUEST_HUMAN = {
    "nl": "ik wil graag met een medewerker praten",
    "en": "I want to talk to a real person",
    "ar": "بدي احكي مع موظف من فضلك",
    "fa-AF": "میخواهم با یک کارمند گپ بزنم",
}
NONSENSE = {"nl": "qqq wpoe lkjh", "en": "zzkx qwpl", "ar": "ضصثق فغعهخ", "fa-AF": "شسیب لبای"}


def text_of(key: str, language: str) -> str:
    return render(load_specs()[key], language).text


def say(gateway: httpx.Client, conversation_id: str, text: str) -> dict:
    answer = gateway.post("/api/v1/messages", json={"conversation_id": conversation_id, "text": text})
    assert answer.status_code == 200, answer.text
    return answer.json()


# A danger sentence followed by a confident question: the intent classifier alone says return.
DANGER_THEN_A_CONFIDENT_QUESTION = (
    "fa-AF",
    "کسی که مره از یونان آورد پاسپورتمه پیش خود نگاه کده. میخایم پس برم افغانستان، کمک میکنین؟",
)


@pytest.mark.parametrize("language, text", [*SAFETY_WITH_A_QUESTION.items(), DANGER_THEN_A_CONFIDENT_QUESTION])
def test_danger_comes_first_and_the_other_question_follows_as_a_button(
    gateway: httpx.Client, conversation_id: str, language: str, text: str
) -> None:
    reply = say(gateway, conversation_id, text)
    texts = [m["text"] for m in reply["messages"]]
    assert (reply["language"], reply["topic"], reply["phone_line"]) == (language, "safety", "general")
    assert texts[0] == text_of("utter_safety", language)
    offer = texts.index(text_of("utter_also_offer", language))
    offered = [b["payload"].lstrip("/") for b in reply["messages"][offer]["buttons"]]
    assert [topic_of(intent) for intent in offered] == ["voluntary_return"], offered
    assert texts[-1] == text_of("utter_ask_callback_wanted", language)
    assert 0 < offer < len(texts) - 1


@pytest.mark.parametrize("language", list(UNSURE))
def test_a_second_miss_after_did_you_mean_brings_the_menu_and_a_person(
    gateway: httpx.Client, conversation_id: str, language: str
) -> None:
    first = say(gateway, conversation_id, UNSURE[language])
    assert first["messages"][0]["text"] == text_of("utter_did_you_mean", language)
    assert first["messages"][0]["buttons"][-1]["payload"] == "/something_else"
    second = say(gateway, conversation_id, NONSENSE[language])
    texts = [m["text"] for m in second["messages"]]
    assert second["language"] == language
    assert texts[0] == text_of("utter_fallback", language)
    assert second["messages"][0]["buttons"] == render(load_specs()["utter_fallback"], language).buttons
    assert text_of("utter_human_unavailable", language) in texts
    assert texts[-1] == text_of("utter_ask_callback_wanted", language)


# Two subjects: the second follows as a button, whether the answer gives a phone line (the line
# action offers it) or not (the rule for an answer with a second subject runs action_offer_also).
TWO_SUBJECTS = {
    "nl": (
        "Wat is het Moving the Middle project eigenlijk? "
        "Ik wil ook graag weten hoe gezinshereniging werkt voor mijn vrouw.",
        "utter_reunification_info",
        "/project_moving_the_middle",
    ),
    "en": (
        "What is the LEARN project exactly? I also want to know how family reunification works for my wife.",
        "utter_reunification_info",
        "/project_learn",
    ),
    "ar": (
        "ما هو مشروع LEARN؟ وكمان بدي اعرف كيف بيشتغل لم الشمل لمرتي.",
        "utter_project_learn",
        "/reunification_info",
    ),
    "fa-AF": (
        "پروژه LEARN چیست؟ همچنان میخواهم بفهمم که الحاق فامیل برای خانمم چطور کار میکند.",
        "utter_project_learn",
        "/reunification_info",
    ),
}


@pytest.mark.parametrize("language", list(TWO_SUBJECTS))
def test_the_second_subject_follows_the_answer_as_a_button(
    gateway: httpx.Client, conversation_id: str, language: str
) -> None:
    text, answer, other = TWO_SUBJECTS[language]
    reply = say(gateway, conversation_id, text)
    assert reply["messages"][0]["text"] == text_of(answer, language)
    last = reply["messages"][-1]
    assert last["text"] == text_of("utter_also_offer", language)
    assert [b["payload"] for b in last["buttons"]] == [other]


@pytest.mark.parametrize("language", list(NONSENSE))
def test_an_unclear_answer_to_the_call_back_offer_gets_a_reply(
    gateway: httpx.Client, conversation_id: str, language: str
) -> None:
    """Nobody is at the console: a request for a person ends with the call-back offer; a message
    the assistant does not understand then gets the unclear-message reply, not silence or a 503."""
    offer = say(gateway, conversation_id, REQUEST_HUMAN[language])
    assert offer["messages"][-1]["text"] == text_of("utter_ask_callback_wanted", language)
    reply = say(gateway, conversation_id, NONSENSE[language])
    assert reply["language"] == language
    assert reply["messages"][0]["text"] in (
        text_of("utter_fallback", language),
        text_of("utter_did_you_mean", language),
    )
