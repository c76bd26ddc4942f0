"""The WhatsApp channel through the gateway against the running stack (real Redis, model, action
server) and the Graph API stand-in on 127.0.0.1 (tests/fake_graph_api.py), which checks every
outgoing request against the documented shape and limits. Deliveries use the shapes of Meta's
sample payloads (text, button reply, list reply, status)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from api.privacy_notice import notice_message
from api.whatsapp.inbox import PARTITIONS, STATUSES, partition_key, partition_of
from api.whatsapp.keys import FAILED, last_inbound_key
from api.whatsapp.signature import signature_for
from scripts.stack import Stack
from tests.conftest import WHATSAPP_APP_SECRET, WHATSAPP_TEMPLATE, WHATSAPP_VERIFY_TOKEN
from tests.fake_graph_api import FakeGraphAPI
from tests.phone_texts import phone_texts
from tests.test_handover import text_of
from tests.test_staff_api import StaffClient, create_account
from tests.whatsapp_load import delivery, text
from wegwijs.handover.presence import ONLINE
from wegwijs.retention import Retention

URL = "/webhooks/whatsapp"
DARI_RETURN = "سلام، میخواهم به افغانستان برگردم. IOM چه کمکی میکند؟"


def number(country: str) -> str:
    """A fresh WhatsApp id (the number without +): Afghan mobile "93", Dutch mobile "31"."""
    prefix = {"93": "9370", "31": "316"}[country]
    return prefix + "".join(secrets.choice("0123456789") for _ in range(8 if country == "31" else 7))


def button_reply(reply_id: str, title: str) -> dict:
    return {
        "type": "interactive",
        "context": {"from": "15550783881", "id": "wamid.previous"},
        "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
    }


def list_reply(reply_id: str, title: str) -> dict:
    return {
        "type": "interactive",
        "interactive": {"type": "list_reply", "list_reply": {"id": reply_id, "title": title, "description": ""}},
    }


def post(gateway: httpx.Client, body: dict, secret: str = WHATSAPP_APP_SECRET) -> httpx.Response:
    raw = json.dumps(body).encode()
    return gateway.post(
        URL,
        content=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature_for(secret.encode(), raw)},
    )


def body_text(message: dict) -> str:
    if message["type"] == "text":
        return message["text"]["body"]
    if message["type"] == "interactive":
        return message["interactive"]["body"]["text"]
    return f"[template {message['template']['name']}]"


def whatsapp_notice(language: str) -> str:
    return notice_message("whatsapp", language, Retention.from_env())["text"]


def violations_for(graph: FakeGraphAPI, wa_id: str) -> list[dict]:
    """The stand-in's refusals of requests to this user (other tests' users are theirs)."""
    return [v for v in graph.violations if isinstance(v["body"], dict) and v["body"].get("to") == wa_id]


def sent_to(graph: FakeGraphAPI, wa_id: str) -> list[dict]:
    return [m for m in graph.sent if m["to"] == wa_id]


def wait_for(graph: FakeGraphAPI, wa_id: str, count: int, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(sent_to(graph, wa_id)) < count:
        assert time.monotonic() < deadline, f"{len(sent_to(graph, wa_id))} of {count} messages reached the Graph API"
        time.sleep(0.05)
    return sent_to(graph, wa_id)


def waiting_for(store: redis.Redis, wa_id: str) -> list[dict]:
    """The entries of the user's partition that concern them and are not handled yet: their
    messages, and what staff queued for them. The worker deletes an entry only after every reply
    to it went out, so an empty list proves that everything sent so far has been answered."""
    return [
        fields
        for _, fields in store.xrange(partition_key(partition_of(wa_id)))
        if fields.get("to") == wa_id or f'"from": "{wa_id}"' in fields.get("body", "")
    ]


def settled(store: redis.Redis, wa_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while waiting_for(store, wa_id):
        assert time.monotonic() < deadline, "the worker did not finish the user's messages"
        time.sleep(0.05)


def answer_to(gateway: httpx.Client, graph: FakeGraphAPI, store: redis.Redis, wa_id: str, message: dict) -> list[dict]:
    """Every reply to one message, exactly: sent, then awaited until the worker has handled it
    (a reply count can be reached while the answer's last messages are still on their way)."""
    before = len(sent_to(graph, wa_id))
    answer = post(gateway, delivery(wa_id, message))
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
    settled(store, wa_id)
    return sent_to(graph, wa_id)[before:]


@pytest.fixture
def store(stack: Stack) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    yield client
    client.close()


def test_meta_verifies_the_webhook_with_the_token(gateway: httpx.Client) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": WHATSAPP_VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answer = gateway.get(URL, params=query)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    assert gateway.get(URL, params={**query, "hub.verify_token": "wrong"}).status_code == 403
    assert gateway.get(URL, params={**query, "hub.mode": "unsubscribe"}).status_code == 403


def test_a_forged_or_missing_signature_is_refused_and_nothing_is_processed(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    wa_id = number("31")
    body = delivery(wa_id, text("hallo, ik wil terug naar mijn land"))
    raw = json.dumps(body).encode()
    for headers in (
        {},
        {"X-Hub-Signature-256": signature_for(b"not the app secret", raw)},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": signature_for(WHATSAPP_APP_SECRET.encode(), raw + b" ")},
    ):
        answer = gateway.post(URL, content=raw, headers={"Content-Type": "application/json", **headers})
        assert answer.status_code == 401 and answer.json()["error"]
        assert waiting_for(store, wa_id) == [], "a refused delivery is not stored, so nothing can process it"
    assert post(gateway, body).json()["stored"] == 1, "the same body, signed, is taken: its message id was not claimed"
    settled(store, wa_id)
    replies = [body_text(m) for m in sent_to(graph_api, wa_id)]
    assert replies[-1] == whatsapp_notice("nl") and replies.count(replies[-1]) == 1, "answered, once"
    raw = b"{not json"
    signed = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature_for(WHATSAPP_APP_SECRET.encode(), raw),
    }
    assert gateway.post(URL, content=raw, headers=signed).status_code == 400


def test_a_dari_text_from_an_afghan_number_is_answered_in_dari_with_plus_31(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    wa_id = number("93")
    before = dt.datetime.now(dt.timezone.utc)
    answer = post(gateway, delivery(wa_id, text(DARI_RETURN)))
    assert answer.status_code == 200 and answer.json() == {"stored": 1, "duplicates": 0, "statuses": 0}
    expected = [text_of("utter_return_info", "fa-AF")] + phone_texts("return", "abroad", "fa-AF", before)
    settled(store, wa_id)
    replies = sent_to(graph_api, wa_id)
    assert [body_text(m) for m in replies[:-1]] in (
        expected,
        [text_of("utter_return_info", "fa-AF")]
        + phone_texts("return", "abroad", "fa-AF", dt.datetime.now(dt.timezone.utc)),
    )
    assert body_text(replies[-1]) == whatsapp_notice("fa-AF"), "the first reply ends with the privacy notice"
    assert [b["reply"]["id"] for b in replies[-1]["interactive"]["action"]["buttons"]] == ["/erase_data"]
    assert all(m["messaging_product"] == "whatsapp" for m in replies)


def test_a_dutch_number_gets_the_national_number(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    wa_id = number("31")
    before = dt.datetime.now(dt.timezone.utc)
    replies = answer_to(
        gateway, graph_api, store, wa_id, text("Ik wil graag vrijwillig terugkeren naar mijn land, hoe helpt IOM?")
    )
    assert body_text(replies[1]) == phone_texts("return", "netherlands", "nl", before)[0]


def test_buttons_go_out_as_interactive_messages_and_their_replies_come_back(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis, nobody_present: None
) -> None:
    """Each answer is taken whole, once the worker has handled its message, and compared whole:
    a reply left over from one answer, or one sent twice, fails here (the flake of issue 12 was
    the contact answer's last replies, arriving after the test had counted enough of them)."""
    wa_id = number("31")
    greeting, notice = answer_to(gateway, graph_api, store, wa_id, text("hello, good morning"))
    assert body_text(notice) == whatsapp_notice("en")
    assert greeting["type"] == "interactive" and greeting["interactive"]["type"] == "list", "five topics: a list"
    rows = greeting["interactive"]["action"]["sections"][0]["rows"]
    assert [r["title"] for r in rows][:2] == ["Voluntary return", "Family reunification"]

    before = dt.datetime.now(dt.timezone.utc)
    contact = answer_to(gateway, graph_api, store, wa_id, list_reply(rows[4]["id"], rows[4]["title"]))  # Contact IOM
    lines = [
        [text for line in ("general", "return", "reunification") for text in phone_texts(line, "netherlands", "en", at)]
        for at in (before, dt.datetime.now(dt.timezone.utc))
    ]
    assert [body_text(m) for m in contact] in [[text_of("utter_contact_info", "en"), *texts] for texts in lines]

    before = dt.datetime.now(dt.timezone.utc)
    unavailable = answer_to(gateway, graph_api, store, wa_id, text("I need to talk to a real person"))
    assert [body_text(m) for m in unavailable] in [
        [
            text_of("utter_human_unavailable", "en"),
            *phone_texts("general", "netherlands", "en", at),
            text_of("utter_ask_callback_wanted", "en"),
        ]
        for at in (before, dt.datetime.now(dt.timezone.utc))
    ]
    offer = unavailable[-1]
    assert offer["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in offer["interactive"]["action"]["buttons"]] == [
        "Yes, call me back",
        "No, thank you",
    ]
    declined = answer_to(gateway, graph_api, store, wa_id, button_reply("/deny", "No, thank you"))
    assert [body_text(m) for m in declined] == [text_of("utter_callback_declined", "en")]
    assert violations_for(graph_api, wa_id) == []


def test_what_the_assistant_cannot_read_gets_a_polite_reply_in_the_users_language(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    wa_id = number("93")
    answer_to(gateway, graph_api, store, wa_id, text(DARI_RETURN))
    for other in (
        {"type": "image", "image": {"id": "1234", "mime_type": "image/jpeg", "sha256": "x"}},
        {"type": "audio", "audio": {"id": "5678", "mime_type": "audio/ogg", "voice": True}},
        {"type": "location", "location": {"latitude": 52.08, "longitude": 4.31}},
    ):
        replies = answer_to(gateway, graph_api, store, wa_id, other)
        assert [body_text(m) for m in replies] == [text_of("gateway_whatsapp_unsupported", "fa-AF")]


def test_status_callbacks_are_recorded(gateway: httpx.Client, store: redis.Redis) -> None:
    wamid = "wamid." + secrets.token_urlsafe(20)
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                            "statuses": [
                                {
                                    "id": wamid,
                                    "recipient_id": "31612345678",
                                    "status": "delivered",
                                    "timestamp": "1750263773",
                                    "conversation": {"id": "c1", "origin": {"type": "service"}},
                                    "pricing": {"billable": False, "pricing_model": "PMP", "category": "service"},
                                },
                                {
                                    "id": wamid,
                                    "recipient_id": "31612345678",
                                    "status": "failed",
                                    "timestamp": "1750263774",
                                    "errors": [{"code": 131047, "title": "Re-engagement message"}],
                                },
                            ],
                        },
                    }
                ],
            }
        ],
    }
    assert post(gateway, body).json() == {"stored": 0, "duplicates": 0, "statuses": 2}
    recorded = [fields for _, fields in store.xrevrange(STATUSES, count=50) if fields["id"] == wamid]
    assert sorted((f["status"], f["error_code"]) for f in recorded) == [("delivered", ""), ("failed", "131047")]
    assert not any("31612345678" in value for f in recorded for value in f.values()), "no recipient number kept"


def test_a_delivery_sent_twice_or_five_times_at_once_is_answered_once(
    stack: Stack, gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    wa_id = number("31")
    body = delivery(wa_id, text("hallo, goedemiddag"))
    assert post(gateway, body).json()["stored"] == 1
    assert post(gateway, body).json() == {"stored": 0, "duplicates": 1, "statuses": 0}
    settled(store, wa_id)
    assert len(sent_to(graph_api, wa_id)) == 2  # the greeting and the privacy notice

    again = delivery(wa_id, text("dank u wel voor de hulp"))
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client, ThreadPoolExecutor(5) as pool:
        stored = list(pool.map(lambda _: post(client, again).json()["stored"], range(5)))
    assert sorted(stored) == [0, 0, 0, 0, 1]
    settled(store, wa_id)  # every stored entry handled: nothing more can come
    assert len(sent_to(graph_api, wa_id)) == 3, "one reply per message, however often it was delivered"


def test_a_rate_limited_send_is_retried_and_a_refused_one_is_recorded(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    wa_id = number("31")
    graph_api.fail_next(429, times=2, code=130429)
    greeting = answer_to(gateway, graph_api, store, wa_id, text("hallo daar"))
    assert body_text(greeting[0]) == text_of("utter_greet", "nl")

    # Only now, with the whole first answer (greeting and notice) out: the stand-in fails the
    # next request, whichever it is, and that must be the reply to "dank je wel".
    graph_api.fail_next(400, times=1, code=131026)  # "message undeliverable": not retried
    assert answer_to(gateway, graph_api, store, wa_id, text("dank je wel")) == []
    deadline = time.monotonic() + 20
    while not [f for _, f in store.xrevrange(FAILED, count=20) if f.get("to") == wa_id]:
        assert time.monotonic() < deadline, "the refused message was not recorded"
        time.sleep(0.1)
    (failed,) = [f for _, f in store.xrevrange(FAILED, count=20) if f.get("to") == wa_id]
    assert (failed["status"], failed["error_code"]) == ("400", "131026")
    assert json.loads(failed["body"])["text"]["body"] == text_of("utter_thank", "nl"), (
        "the message is kept to send again"
    )


def test_staff_replies_go_out_on_whatsapp_and_a_template_outside_the_window(
    stack: Stack, gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    agent = StaffClient(gateway, create_account(stack, "agent"))
    assert agent.login().status_code == 200
    agent.available()
    try:
        wa_id = number("93")
        queued = answer_to(gateway, graph_api, store, wa_id, text("لطفا مرا با یک نفر از کارمندان IOM وصل کنید"))
        assert body_text(queued[0]).startswith(text_of("utter_handover_queued", "fa-AF", position="X")[:20])
        tickets = agent.call("GET", "/staff/api/queue?language=fa-AF").json()["tickets"]
        ticket = max((t for t in tickets if t["channel"] == "whatsapp"), key=lambda t: t["created"])
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/claim").status_code == 200
        reply = agent.call(
            "POST", f"/staff/api/tickets/{ticket['id']}/reply", json_body={"text": "سلام، چطور کمک کنم؟"}
        )
        assert reply.json() == {"sent": True, "whatsapp": "text"}
        assert body_text(wait_for(graph_api, wa_id, 3)[2]) == "سلام، چطور کمک کنم؟"  # after the notice

        # The user last wrote 25 hours ago (the key keeps the expiry the channel gave it).
        store.set(last_inbound_key(wa_id), repr(time.time() - 25 * 3600), keepttl=True)
        late = agent.call(
            "POST", f"/staff/api/tickets/{ticket['id']}/reply", json_body={"text": "آیا هنوز آنجا هستید؟"}
        )
        assert late.json() == {"sent": True, "whatsapp": "template"}
        template = wait_for(graph_api, wa_id, 4)[3]
        assert template["type"] == "template" and template["template"]["name"] == WHATSAPP_TEMPLATE
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/close").status_code == 200
        settled(store, wa_id)  # a "bot is back" would have been queued by the close itself
        assert len(sent_to(graph_api, wa_id)) == 4, "no free-form 'the bot is back' outside the window"
        assert violations_for(graph_api, wa_id) == []
    finally:
        agent.call("POST", "/staff/api/logout")
        store.zrem(ONLINE, agent.username)


def test_a_handled_message_leaves_nothing_in_the_inbound_streams(
    gateway: httpx.Client, graph_api: FakeGraphAPI, store: redis.Redis
) -> None:
    """Stream entries hold the message and the number: once handled, they are deleted."""
    wa_id = number("31")
    marker = "marker" + secrets.token_hex(6)
    post(gateway, delivery(wa_id, text(f"hallo, ik wil terug naar mijn land {marker}")))
    deadline = time.monotonic() + 30
    while True:
        kept = [
            entry
            for p in range(PARTITIONS)
            for entry in store.xrange(partition_key(p))
            if marker in json.dumps(entry) or wa_id in json.dumps(entry)
        ]
        if not kept:
            break
        assert time.monotonic() < deadline, kept
        time.sleep(0.05)
    assert sent_to(graph_api, wa_id), "handled (answered), not merely gone"
