"""Bad input gets a 4xx JSON error that says what is wrong; nothing yields a 500; no
conversation sees another's state. Against the running stack."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import new_conversation
from wegwijs.responses import load_specs, render

URL = "/api/v1/messages"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"conversation_id": "c1", "text": ""}, "text"),
        ({"conversation_id": "c1", "text": "   "}, "text"),
        ({"conversation_id": "c1", "text": "///"}, "text"),
        ({"conversation_id": "c1", "text": "x" * 2001}, "text"),
        ({"conversation_id": "c1", "text": 42}, "text"),
        ({"conversation_id": "c1", "text": ["hi"]}, "text"),
        ({"conversation_id": "c1"}, "body"),
        ({"conversation_id": "", "text": "hi"}, "conversation_id"),
        ({"conversation_id": "a" * 65, "text": "hi"}, "conversation_id"),
        ({"conversation_id": "bad id!", "text": "hi"}, "conversation_id"),
        ({"conversation_id": "../etc", "text": "hi"}, "conversation_id"),
        ({"conversation_id": 7, "text": "hi"}, "conversation_id"),
        ({"text": "hi"}, "conversation_id"),
        ({"conversation_id": "c1", "text": "hi", "language": "de"}, "language"),
        ({"conversation_id": "c1", "text": "hi", "extra": 1}, "extra"),
    ],
)
def test_invalid_bodies_get_422_naming_the_field(gateway: httpx.Client, body: dict, field: str) -> None:
    answer = gateway.post(URL, json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()
    assert error["error"] == "invalid request"
    assert any(problem["field"] == field for problem in error["detail"]), error


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b'"text"', b"\xff\xfe"])
def test_malformed_json_gets_422(gateway: httpx.Client, raw: bytes) -> None:
    answer = gateway.post(URL, content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert "error" in answer.json()


def test_oversized_body_gets_413(gateway: httpx.Client) -> None:
    answer = gateway.post(URL, content=json.dumps({"conversation_id": "c1", "text": "x" * 70000}))
    assert answer.status_code == 413
    assert "error" in answer.json()


def test_unknown_payload_is_refused(gateway: httpx.Client, conversation_id: str) -> None:
    for payload in [
        '/return_info{"language": "de"}',
        "/restart",
        "/greet",
        "return_info",
        '/language_chosen{"language": "xx"}',
    ]:
        answer = gateway.post(URL, json={"conversation_id": conversation_id, "payload": payload})
        assert answer.status_code == 422, payload
        assert answer.json()["error"] == "unknown payload"


def test_typed_intent_syntax_is_read_as_text(gateway: httpx.Client, conversation_id: str) -> None:
    """A user typing Rasa's '/intent{...}' syntax cannot trigger intents or set slots."""
    gateway.post(URL, json={"conversation_id": conversation_id, "text": "I want to go back to my country please"})
    answer = gateway.post(URL, json={"conversation_id": conversation_id, "text": '/safety_emergency{"language": "ar"}'})
    assert answer.status_code == 200
    assert answer.json()["language"] == "en"
    assert answer.json()["topic"] != "safety"


def test_wrong_method_and_unknown_route_are_json_4xx(gateway: httpx.Client) -> None:
    assert gateway.get(URL).status_code == 405
    missing = gateway.get("/api/v1/nothing")
    assert missing.status_code == 404 and "error" in missing.json()


def test_conversations_do_not_share_state(gateway: httpx.Client) -> None:
    first, second = new_conversation(gateway), new_conversation(gateway)
    assert (
        gateway.post(URL, json={"conversation_id": first, "text": "can we continue in Arabic please"}).json()[
            "language"
        ]
        == "ar"
    )
    other = gateway.post(
        URL, json={"conversation_id": second, "text": "hallo, ik wil graag iets vragen over terugkeer"}
    ).json()
    assert other["language"] == "nl"
    assert gateway.post(URL, json={"conversation_id": first, "text": "hi"}).json()["language"] == "ar"
    assert gateway.post(URL, json={"conversation_id": second, "text": "hi"}).json()["language"] == "nl"


def test_openapi_documents_the_chat_api(gateway: httpx.Client) -> None:
    spec = gateway.get("/openapi.json").json()
    operation = spec["paths"][URL]["post"]
    assert "422" in operation["responses"] and "503" in operation["responses"]
    assert "MessageIn" in spec["components"]["schemas"] and "MessageOut" in spec["components"]["schemas"]


def test_language_hint_answers_a_short_first_message(gateway: httpx.Client, conversation_id: str) -> None:
    answer = gateway.post(URL, json={"conversation_id": conversation_id, "text": "ok", "language": "fa-AF"}).json()
    assert answer["language"] == "fa-AF"
    assert answer["messages"][0]["text"] in {render(spec, "fa-AF").text for spec in load_specs().values()}
