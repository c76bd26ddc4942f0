"""Erasure through the real stack: "delete my data" in each shipped language asks once, then erases
everything kept about the conversation (web) or the number (WhatsApp); a supervisor can do the
same from the staff API, an agent cannot; each erasure leaves a content-free audit entry. After
each, a scan of the whole Redis finds neither the id, nor the number, nor the marker text."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from api.staff.audit import STREAM as AUDIT
from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.redis_scan import holding, new_marker
from tests.test_staff_api import StaffClient, create_account
from tests.test_whatsapp import answer_to, body_text, button_reply, number, post, sent_to, text
from tests.waiting import until
from tests.whatsapp_load import delivery
from wegwijs.responses import load_specs, render

ASK = {"nl": "verwijder mijn gegevens", "en": "delete my data", "ar": "احذف بياناتي", "fa-AF": "معلوماتم را پاک کنید"}
STORY = {
    "nl": "ik ben {m} en ik wil terug naar mijn land",
    "en": "I am {m} and I want to go back home",
    "ar": "انا {m} واريد العودة الى بلدي",
    "fa-AF": "من {m} هستم و میخواهم به وطنم برگردم",
}


def eventually_none(url: str, *needles: str, timeout: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := holding(url, *needles)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def said(gateway: httpx.Client, conversation: str, text_: str | None = None, payload: str | None = None) -> dict:
    answer = gateway.post(
        "/api/v1/messages",
        json={"conversation_id": conversation, "text": text_ or payload, **({"payload": payload} if payload else {})},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def expected(key: str, language: str) -> str:
    return render(load_specs()[key], language).text


@pytest.mark.parametrize("language", ["nl", "en", "ar", "fa-AF"])
def test_delete_my_data_asks_once_then_erases_the_web_conversation(
    stack: Stack, gateway: httpx.Client, language: str
) -> None:
    marker = new_marker()
    conversation = new_conversation(gateway)
    first = said(gateway, conversation, STORY[language].format(m=marker))
    assert first["language"] == language
    asked = said(gateway, conversation, ASK[language])
    assert asked["messages"][0]["text"] == expected("utter_ask_erase_confirm", language), asked
    assert [b["payload"] for b in asked["messages"][0]["buttons"]] == ["/affirm", "/deny"]
    assert holding(stack.redis_url, marker), "before the erasure the conversation is kept"

    done = said(gateway, conversation, payload="/affirm")
    assert done["erased"] is True
    assert done["messages"][0]["text"] == expected("utter_erase_done", language)
    assert holding(stack.redis_url, marker, conversation) == []
    history = gateway.get(f"/api/v1/conversations/{conversation}").json()
    assert history["messages"] == [] and history["language"] is None


def test_a_no_keeps_everything(stack: Stack, gateway: httpx.Client) -> None:
    marker = new_marker()
    conversation = new_conversation(gateway)
    said(gateway, conversation, STORY["en"].format(m=marker))
    said(gateway, conversation, ASK["en"])
    kept = said(gateway, conversation, payload="/deny")
    assert kept["erased"] is False and kept["messages"][0]["text"] == expected("utter_erase_cancelled", "en")
    assert holding(stack.redis_url, marker)


def test_delete_my_data_on_whatsapp_erases_everything_about_the_number(
    stack: Stack, gateway: httpx.Client, graph_api
) -> None:
    import redis

    wa_id = number("93")
    marker = new_marker()
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        assert answer_to(gateway, graph_api, store, wa_id, text(STORY["fa-AF"].format(m=marker)))
        asked = answer_to(gateway, graph_api, store, wa_id, text(ASK["fa-AF"]))
        assert [body_text(m) for m in asked] == [expected("utter_ask_erase_confirm", "fa-AF")]
        assert holding(stack.redis_url, marker) and holding(stack.redis_url, wa_id)
        # The erasure deletes the stream entry it is itself answering, so the entry is gone before
        # its reply is sent: wait for the reply, not for the entry.
        before = len(sent_to(graph_api, wa_id))
        assert post(gateway, delivery(wa_id, button_reply("/affirm", "بلی، پاک کنید"))).status_code == 200
        asyncio.run(until(lambda: len(sent_to(graph_api, wa_id)) > before, "the erasure's reply", 30))
        done = sent_to(graph_api, wa_id)[before:]
        assert [body_text(m) for m in done] == [expected("utter_erase_done", "fa-AF")]
    finally:
        store.close()
    # The worker deletes the handled entry right after its replies went out: allow it that moment.
    assert eventually_none(stack.redis_url, marker, wa_id) == [], "nothing about the number is left"


def test_a_supervisor_erases_by_number_or_id_an_agent_cannot(stack: Stack, gateway: httpx.Client) -> None:
    import redis

    marker = new_marker()
    conversation = new_conversation(gateway)
    said(gateway, conversation, STORY["nl"].format(m=marker))
    agent = StaffClient(gateway, create_account(stack, "agent"))
    supervisor = StaffClient(gateway, create_account(stack, "supervisor"))
    assert agent.login().status_code == 200 and supervisor.login().status_code == 200
    try:
        assert agent.call("POST", "/staff/api/erasures", json_body={"conversation_id": conversation}).status_code == 403
        assert holding(stack.redis_url, marker)
        assert (
            supervisor.call(
                "POST", "/staff/api/erasures", csrf=False, json_body={"conversation_id": conversation}
            ).status_code
            == 403
        ), "CSRF token needed"
        for wrong in (
            {},
            {"conversation_id": conversation, "whatsapp_number": "+31612345678"},
            {"whatsapp_number": "not a number"},
        ):
            assert supervisor.call("POST", "/staff/api/erasures", json_body=wrong).status_code == 422
        answer = supervisor.call("POST", "/staff/api/erasures", json_body={"conversation_id": conversation})
        assert answer.status_code == 200 and answer.json() == {"erased": True}
        assert holding(stack.redis_url, marker, conversation) == []
        latest = redis.Redis.from_url(stack.redis_url, decode_responses=True).xrevrange(AUDIT, count=1)[0][1]
        assert latest["action"] == "erase" and latest["staff"] == supervisor.username
        assert conversation not in repr(latest) and marker not in repr(latest)
    finally:
        agent.call("POST", "/staff/api/logout")
        supervisor.call("POST", "/staff/api/logout")
