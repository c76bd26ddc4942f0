"""Rate limits (api/rate_limits.py) through a gateway of the test's own, with small limits, on the
session stack's Redis and Rasa: every public route answers 429 with Retry-After past its limit,
a message's 429 apologises in the user's language with the phone line, and the client address
comes from X-Forwarded-For only because this gateway is told to trust 127.0.0.1 as its proxy."""

from __future__ import annotations

import json

import httpx
import pytest

from api.whatsapp.signature import signature_for
from scripts.stack import Stack
from tests.conftest import WHATSAPP_APP_SECRET
from tests.gateway_process import gateway_with

SMALL = {
    "WEGWIJS_LIMIT_CONVERSATIONS": "3/minute",
    "WEGWIJS_LIMIT_MESSAGES_CONVERSATION": "2/minute",
    "WEGWIJS_LIMIT_MESSAGES_CLIENT": "4/minute",
    "WEGWIJS_LIMIT_HISTORY": "3/minute",
    "WEGWIJS_LIMIT_EVENTS": "2/minute",
    "WEGWIJS_LIMIT_LOGIN": "2/minute",
    "WEGWIJS_LIMIT_WEBHOOK_REFUSED": "2/minute",
    "WEGWIJS_CLIENT_ADDRESS_HEADER": "X-Forwarded-For",
    "WEGWIJS_TRUSTED_PROXIES": "127.0.0.1",
}
APOLOGY = {"nl": "Wacht even", "ar": "الانتظار", "fa-AF": "صبر", "en": "Please wait a moment"}


@pytest.fixture(scope="module")
def limited(stack: Stack):
    with gateway_with(stack, SMALL) as url:
        yield url


def client_at(url: str, address: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=30, headers={"X-Forwarded-For": f"{address}, 127.0.0.1"})


def mint(client: httpx.Client, language: str | None = None) -> httpx.Response:
    return client.post("/api/v1/conversations", json={"language": language} if language else None)


def test_minting_conversations_is_limited_per_client_address(limited: str) -> None:
    with client_at(limited, "203.0.113.10") as one, client_at(limited, "203.0.113.11") as other:
        answers = [mint(one).status_code for _ in range(5)]
        assert answers == [201, 201, 201, 429, 429]
        refused = mint(one)
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert "too many" in refused.json()["error"]
        assert mint(other).status_code == 201, "another address (from the trusted proxy's header) has its own limit"


@pytest.mark.parametrize("language", ["nl", "en", "ar", "fa-AF"])
def test_a_message_over_its_limit_gets_the_apology_and_the_line_in_the_users_language(
    limited: str, language: str
) -> None:
    with client_at(limited, f"198.51.100.{len(language)}{ord(language[0]) % 10}") as client:
        conversation = mint(client, language).json()["conversation_id"]
        first = [
            client.post("/api/v1/messages", json={"conversation_id": conversation, "text": "hallo"}) for _ in range(2)
        ]
        assert [a.status_code for a in first] == [200, 200]
        refused = client.post("/api/v1/messages", json={"conversation_id": conversation, "text": "hallo"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    body = refused.json()
    assert body["language"] == language and body["phone_line"] == "general" and body["handover"] is None
    text = body["messages"][0]["text"]
    assert APOLOGY[language] in text
    digits = "".join(ch for ch in text if ch.isdigit() or "\u0660" <= ch <= "\u06f9")
    assert digits, "the general line is in the apology"
    if language in ("nl", "en"):
        assert "070 318 1500" in text


def test_one_client_cannot_escape_the_message_limit_with_fresh_conversations(limited: str) -> None:
    with client_at(limited, "192.0.2.77") as client:
        statuses = []
        for _ in range(3):
            conversation = mint(client, "en").json()["conversation_id"]
            for _ in range(2):
                statuses.append(
                    client.post("/api/v1/messages", json={"conversation_id": conversation, "text": "hello"}).status_code
                )
    assert statuses.count(200) == 4 and statuses[-2:] == [429, 429], statuses


def test_history_and_event_stream_are_limited_per_client(limited: str) -> None:
    with client_at(limited, "192.0.2.88") as client:
        conversation = mint(client, "nl").json()["conversation_id"]
        history = [client.get(f"/api/v1/conversations/{conversation}").status_code for _ in range(4)]
        assert history == [200, 200, 200, 429]
        events = []
        for _ in range(3):
            with client.stream("GET", f"/api/v1/conversations/{conversation}/events") as stream:
                events.append(stream.status_code)
        assert events == [200, 200, 429]


def test_staff_login_is_limited_per_client_before_any_password_is_checked(limited: str) -> None:
    with client_at(limited, "192.0.2.99") as client:
        answers = [
            client.post(
                "/staff/api/login", json={"username": "nobody-here", "password": "wrong password", "code": "000000"}
            )
            for _ in range(3)
        ]
    assert all(a.status_code in (401, 422) for a in answers[:2])
    assert answers[2].status_code == 429 and answers[2].headers["retry-after"]


def test_only_callers_without_metas_signature_count_against_the_webhook_limit(limited: str) -> None:
    delivery = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()
    with client_at(limited, "192.0.2.111") as stranger:
        forged = [
            stranger.post(
                "/webhooks/whatsapp", content=delivery, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
            ).status_code
            for _ in range(3)
        ]
        assert forged == [401, 401, 429]
        signed = [
            stranger.post(
                "/webhooks/whatsapp",
                content=delivery,
                headers={"X-Hub-Signature-256": signature_for(WHATSAPP_APP_SECRET.encode(), delivery)},
            ).status_code
            for _ in range(5)
        ]
        assert signed == [200] * 5, "a delivery signed with the app secret is Meta's: never limited"
