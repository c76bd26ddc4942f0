"""The retention table (docs/privacy.md), enforced: after driving every feature through the real
stack (web chat, WhatsApp, a case lookup, a call-back, a hand-over with a staff reply, the rate
limits), a scan of the whole Redis finds no key without an expiry that is not one of the table's
bounded structures, and no marker text where its data should be gone: the call-back number after
the request is closed, a WhatsApp message and number once handled, a case's reference, date of
birth, next-step date and place anywhere."""

from __future__ import annotations

import re
import secrets
import time

import httpx
import redis

from scripts.stack import Stack
from tests.conftest import DEMO_CASE_DETAILS, new_conversation
from tests.redis_scan import new_marker, scan
from tests.test_staff_api import StaffClient, create_account
from tests.test_whatsapp import number, post, settled
from tests.whatsapp_load import delivery, text

# Keys that may live without an expiry, because they are bounded (docs/privacy.md): every other
# key that exists after the run must expire.
BOUNDED = re.compile(
    r"^(wegwijs:handover:(queue|waiting)|wegwijs:staff:online|wegwijs:staff:audit|wegwijs:lock-tokens"
    r"|wegwijs:wa:(inbound:\d+|failed|statuses)|wegwijs:review:index|wegwijs:staff:account:[a-z0-9._-]+)$"
)
CALLBACK_NUMBER = "+31 6 4{}"  # a Dutch mobile number, made unique per run


def say(gateway: httpx.Client, conversation: str, words: str, payload: str | None = None) -> dict:
    answer = gateway.post(
        "/api/v1/messages",
        json={"conversation_id": conversation, "text": words, **({"payload": payload} if payload else {})},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_every_key_expires_or_is_bounded_and_nothing_outlives_its_use(
    stack: Stack, gateway: httpx.Client, nobody_present: None, graph_api
) -> None:
    marker = new_marker()
    digits = "".join(secrets.choice("0123456789") for _ in range(7))
    callback_number = CALLBACK_NUMBER.format(digits)

    # The web chat, with a case lookup that matches and one that does not.
    web = new_conversation(gateway)
    say(gateway, web, f"hello, I am {marker}")
    for words in ("where is my case", "IOM-NL-2026-000042", "14-05-1990"):
        say(gateway, web, words)
    for words in ("where is my case", "IOM-NL-2026-000107", "01-01-1999"):
        say(gateway, web, words)

    # WhatsApp: a message, handled.
    wa_id = number("31")
    assert post(gateway, delivery(wa_id, text(f"hallo, ik ben {marker}"))).status_code == 200
    with redis.Redis.from_url(stack.redis_url, decode_responses=True) as store:
        settled(store, wa_id)  # answered, and its stream entry deleted
    assert graph_api.sent

    # A call-back (nobody at the console), booked and then handled by a supervisor.
    callback = new_conversation(gateway)
    say(gateway, callback, "I want to talk to a person")
    say(gateway, callback, "yes", payload="/affirm")
    say(gateway, callback, callback_number)
    say(gateway, callback, "Any time", payload='/callback_time{"callback_time": "any"}')
    booked = say(gateway, callback, "yes", payload="/affirm")
    assert booked["handover"]["status"] == "queued", booked
    supervisor = StaffClient(gateway, create_account(stack, "supervisor"))
    assert supervisor.login().status_code == 200
    try:
        ticket = [t for t in supervisor.call("GET", "/staff/api/queue").json()["tickets"] if t["callback"]][-1]
        assert supervisor.call("POST", f"/staff/api/tickets/{ticket['id']}/claim").status_code == 200
        assert supervisor.call("POST", f"/staff/api/tickets/{ticket['id']}/close").status_code == 200

        # A hand-over with a staff reply, closed.
        supervisor.available()
        person = new_conversation(gateway)
        assert say(gateway, person, "I want to talk to a person")["handover"]["status"] == "queued"
        queued = [t for t in supervisor.call("GET", "/staff/api/queue").json()["tickets"] if not t["callback"]][-1]
        assert supervisor.call("POST", f"/staff/api/tickets/{queued['id']}/claim").status_code == 200
        assert (
            supervisor.call(
                "POST", f"/staff/api/tickets/{queued['id']}/reply", json_body={"text": f"hello {marker}"}
            ).status_code
            == 200
        )
        assert supervisor.call("POST", f"/staff/api/tickets/{queued['id']}/close").status_code == 200
    finally:
        supervisor.call("POST", "/staff/api/logout")

    deadline = time.monotonic() + 10  # the WhatsApp worker deletes its handled entry just after replying
    while True:
        keys = scan(stack.redis_url)
        in_streams = [
            k.name for k in keys if k.name.startswith("wegwijs:wa:inbound:") and (k.holds(marker) or k.holds(wa_id))
        ]
        if not in_streams or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    forever = [k.name for k in keys if k.ttl == -1 and not BOUNDED.match(k.name)]
    assert forever == [], "keys without an expiry that docs/privacy.md does not name as bounded"
    assert in_streams == [], "a handled WhatsApp message and its number are gone from the inbound streams"
    # (the number names its own 24-hour-window key, which expires after 8 days: docs/privacy.md)
    number_forms = (callback_number, callback_number.replace(" ", ""), "6 4" + digits, "64" + digits, digits)
    assert [k.name for k in keys if any(k.holds(form) for form in number_forms)] == [], (
        "the call-back number is gone once the request is closed"
    )
    assert [(k.name, v) for k in keys for v in DEMO_CASE_DETAILS if k.holds(v)] == [], (
        "no case reference or date of birth is kept, by any test of the run"
    )
    # The places and dates of the case this test looked up (other tests' users may type a city).
    shown = ("Addis Ababa", "2026-12-10", "December 10, 2026", "Schiphol", "2026-12-03")
    assert [(k.name, v) for k in keys if k.holds(web) for v in shown if k.holds(v)] == [], "no case detail is kept"
    assert any(k.holds(marker) for k in keys if k.name.startswith("wegwijs:gw:transcript:")), (
        "what the user wrote is kept for the conversation retention, as the table says"
    )
