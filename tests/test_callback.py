"""The call-back offer through the gateway against the running stack: with nobody at the staff
console, a user who asks for a person (or is unsafe, or is locked out of case lookups) gets the
phone line and the offer of a call-back; a number, a time and consent later, a call-back ticket
waits in the queue, the number kept nowhere else, and the bot goes on answering."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import redis

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.test_handover import say, text_of
from tests.test_staff_api import StaffClient, audit_entries, create_account
from wegwijs.handover.presence import ONLINE
from wegwijs.handover.tickets import conversation_key, ticket_key

DARI_ASK_PERSON = "میشه لطفا با یک کارمند صحبت کنم"
DARI_NUMBER = "نمبرم +۹۳ ۷۰ ۱۲۳ ۴۵۶۷ است"  # +93 70 123 4567 in Persian digits
NUMBER_E164 = "+93701234567"
NUMBER_SHOWN = "\u2066+93\u00a070\u00a0123\u00a04567\u2069"  # an isolate, no-break spaces (wegwijs.responses)
DARI_RETURN_QUESTION = "برای برگشت داوطلبانه به افغانستان چه کمکی میکنید؟"


@pytest.fixture
def store(stack: Stack) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    client.delete(ONLINE)  # nobody at the console: the offer is what is tested here
    yield client
    client.close()


def chat(gateway: httpx.Client) -> str:
    return new_conversation(gateway)


def texts(answer: dict) -> list[str]:
    return [m["text"] for m in answer["messages"]]


def ticket_of(store: redis.Redis, conversation: str) -> dict:
    ticket_id = store.get(conversation_key("api:" + conversation))
    return store.hgetall(ticket_key(ticket_id)) if ticket_id else {}


def offer(gateway: httpx.Client, conversation: str, text: str, language: str) -> dict:
    answer = say(gateway, conversation, text)
    assert answer["language"] == language
    assert texts(answer)[-1] == text_of("utter_ask_callback_wanted", language)
    assert [b["payload"] for b in answer["messages"][-1]["buttons"]] == ["/affirm", "/deny"]
    return answer


def test_a_dari_user_leaves_a_number_and_staff_see_it(stack: Stack, gateway: httpx.Client, store: redis.Redis) -> None:
    conversation = chat(gateway)
    first = offer(gateway, conversation, DARI_ASK_PERSON, "fa-AF")
    assert texts(first)[0] == text_of("utter_human_unavailable", "fa-AF")
    assert first["handover"] is None and ticket_of(store, conversation) == {}, "nothing is queued before consent"

    assert texts(say(gateway, conversation, "بلی")) == [text_of("utter_ask_callback_phone", "fa-AF")]
    time_question = say(gateway, conversation, DARI_NUMBER)
    assert texts(time_question) == [text_of("utter_ask_callback_time", "fa-AF")]
    assert [b["title"] for b in time_question["messages"][0]["buttons"]] == ["صبح", "بعد از چاشت", "هر وقت"]
    consent = say(gateway, conversation, "بعد از چاشت")
    assert texts(consent) == [text_of("utter_ask_callback_consent", "fa-AF", number=NUMBER_SHOWN, time="بعد از چاشت")]
    booked = say(gateway, conversation, "بلی موافقم")
    assert texts(booked) == [text_of("utter_callback_booked", "fa-AF", time="بعد از چاشت")]
    assert booked["handover"]["status"] == "queued"

    ticket = ticket_of(store, conversation)
    assert (ticket["callback_phone"], ticket["callback_time"], ticket["status"]) == (NUMBER_E164, "afternoon", "queued")
    assert (ticket["language"], ticket["reason"], ticket["priority"]) == ("fa-AF", "user_request", "normal")

    # The chat stays with the bot while the call-back waits.
    answer = say(gateway, conversation, DARI_RETURN_QUESTION)
    assert answer["topic"] == "voluntary_return" and texts(answer)[0] == text_of("utter_return_info", "fa-AF")

    # The number is kept with the ticket only: not in the stored tracker, not in any log.
    stored = store.get("wegwijs:tracker:api:" + conversation)
    assert stored and "701234567" not in stored and "۱۲۳" not in json.loads(stored).__repr__()
    for log in stack.run_dir.glob("*.log"):
        content = log.read_text(encoding="utf-8", errors="replace")
        assert "701234567" not in content and "70 123 4567" not in content, log.name

    agent = StaffClient(gateway, create_account(stack, "agent"))
    assert agent.login().status_code == 200
    try:
        queued = [
            t for t in agent.call("GET", "/staff/api/queue?language=fa-AF").json()["tickets"] if t["id"] == ticket["id"]
        ]
        assert queued and queued[0]["callback"] == {"time": "afternoon"}, "the queue shows no number"
        detail = agent.call("GET", f"/staff/api/tickets/{ticket['id']}").json()
        assert detail["callback"] == {"time": "afternoon", "phone": NUMBER_E164}
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/claim").status_code == 200
        assert say(gateway, conversation, "تشکر")["topic"] == "smalltalk", (
            "a claimed call-back leaves the chat to the bot"
        )
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/close").status_code == 200
        closed = store.hgetall(ticket_key(ticket["id"]))
        assert closed["status"] == "closed" and "callback_phone" not in closed, "closing deletes the number"
        after = agent.call("GET", f"/staff/api/tickets/{ticket['id']}").json()
        assert after["status"] == "closed" and after["callback"] == {"time": "afternoon", "phone": None}
        audit = [e for e in audit_entries(stack) if e["ticket"] == ticket["id"]]
        assert audit and not any("701234567" in str(value) for e in audit for value in e.values())
    finally:
        agent.call("POST", "/staff/api/logout")


def test_no_consent_keeps_nothing(gateway: httpx.Client, store: redis.Redis) -> None:
    conversation = chat(gateway)
    offer(gateway, conversation, "i need to talk to a real person", "en")
    say(gateway, conversation, "yes please")
    say(gateway, conversation, "06 12345678")
    pressed = gateway.post(
        "/api/v1/messages",
        json={"conversation_id": conversation, "text": "Any time", "payload": '/callback_time{"callback_time": "any"}'},
    )
    consent = pressed.json()  # the button's payload, not its title, carries the choice
    assert texts(consent) == [text_of("utter_ask_callback_consent", "en", number="+31 6 12345678", time="Any time")]
    refused = say(gateway, conversation, "no, I don't agree")
    assert texts(refused)[0] == text_of("utter_callback_not_kept", "en") and len(texts(refused)) > 1, (
        "the phone line follows"
    )
    assert ticket_of(store, conversation) == {}


def test_declining_stopping_or_moving_on_keeps_nothing(gateway: httpx.Client, store: redis.Redis) -> None:
    declined = chat(gateway)
    offer(gateway, declined, "ik wil graag met een medewerker praten", "nl")
    assert texts(say(gateway, declined, "nee dank u")) == [text_of("utter_callback_declined", "nl")]

    stopped = chat(gateway)
    offer(gateway, stopped, "ik wil graag met een medewerker praten", "nl")
    say(gateway, stopped, "ja graag")
    assert texts(say(gateway, stopped, "stop")) == [text_of("utter_callback_stopped", "nl")]

    moved_on = chat(gateway)
    offer(gateway, moved_on, "ik wil graag met een medewerker praten", "nl")
    answer = say(gateway, moved_on, "hoe werkt de DNA test voor gezinshereniging")
    assert answer["topic"] == "family_reunification"
    assert text_of("utter_ask_callback_wanted", "nl") not in texts(answer), (
        "the offer is made once, not after every answer"
    )
    assert texts(say(gateway, moved_on, "ja")) == [text_of("utter_anything_else", "nl")], "a later yes starts nothing"
    for conversation in (declined, stopped, moved_on):
        assert ticket_of(store, conversation) == {}


def test_a_number_that_cannot_be_read_is_asked_again(gateway: httpx.Client) -> None:
    conversation = chat(gateway)
    offer(gateway, conversation, "أريد التحدث مع موظف من فضلك", "ar")
    say(gateway, conversation, "نعم")
    assert texts(say(gateway, conversation, "رقمي هو ١٢")) == [
        text_of("utter_callback_phone_not_understood", "ar"),
        text_of("utter_ask_callback_phone", "ar"),
    ]
    assert texts(say(gateway, conversation, "٠٠٣١٦١٢٣٤٥٦٧٨")) == [text_of("utter_ask_callback_time", "ar")]


def test_someone_abroad_gives_the_country_code(gateway: httpx.Client) -> None:
    conversation = chat(gateway)
    say(gateway, conversation, "I am in Kabul at the moment")
    offer(gateway, conversation, "i need to talk to a real person", "en")
    say(gateway, conversation, "yes")
    assert texts(say(gateway, conversation, "0701234567"))[0] == text_of("utter_callback_phone_not_understood", "en"), (
        "a national number from abroad is ambiguous"
    )
    say(gateway, conversation, "+93 70 123 4567")
    consent = say(gateway, conversation, "1")
    assert texts(consent) == [text_of("utter_ask_callback_consent", "en", number="+93 70 123 4567", time="Morning")]


def test_an_unsafe_user_gets_112_first_and_an_urgent_call_back(
    gateway: httpx.Client, store: redis.Redis, empty_queue: None
) -> None:
    conversation = chat(gateway)
    answer = offer(gateway, conversation, "my husband hits me and says he will kill me", "en")
    assert answer["topic"] == "safety" and texts(answer)[0] == text_of("utter_safety", "en")
    for reply in ("Yes, call me back", "+31 6 23456789", "Morning", "Yes, I agree"):
        last = say(gateway, conversation, reply)
    assert texts(last) == [text_of("utter_callback_booked", "en", time="Morning")]
    ticket = ticket_of(store, conversation)
    assert (ticket["priority"], ticket["reason"], ticket["callback_phone"]) == ("urgent", "safety", "+31623456789")
    assert last["handover"] == {"status": "queued", "position": 1}, "urgent: first in the queue"
