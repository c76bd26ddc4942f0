"""The wire formats: each TypedDict of wegwijs/wire.py (and the gateway's own) has the fields of the
HTTP body that documents it; the enums of the OpenAPI document cover what the code can answer;
every error the document names is the one ErrorOut; the 405's Allow names every method of a path."""

from __future__ import annotations

from typing import Any, get_args

import httpx
import pytest
import yaml

from api.handover_turn import HandoverView
from api.main import fastapi_app as app
from api.schemas import (
    BotMessageOut,
    ButtonOut,
    ErrorOut,
    HandoverOut,
    LinkOut,
    MessageOut,
    PhoneLine,
    Topic,
    TranscriptEntryOut,
)
from api.transcripts import TranscriptEntry
from wegwijs.languages import SHIPPED, Language
from wegwijs.paths import PHONE_LINES_FILE
from wegwijs.responses import load_specs
from wegwijs.wire import ButtonDict, KeyedReply, LinkDict, ReplyMessage, reply_message


def keys(typed: Any) -> tuple[set[str], set[str]]:
    """(required, optional) keys of a TypedDict."""
    return set(typed.__required_keys__), set(typed.__optional_keys__)


def fields(model: Any) -> tuple[set[str], set[str]]:
    """(required, optional) fields of a pydantic model, as the document lists them; a field with
    a default counts as always sent when the code always sends it (``always``)."""
    required = {name for name, field in model.__fields__.items() if field.required}
    return required, set(model.__fields__) - required


@pytest.mark.parametrize(
    "typed, model",
    [
        (ButtonDict, ButtonOut),
        (LinkDict, LinkOut),
        (ReplyMessage, BotMessageOut),
        (HandoverView, HandoverOut),
        (TranscriptEntry, TranscriptEntryOut),
    ],
)
def test_each_typed_shape_has_the_fields_of_its_http_body(typed: Any, model: Any) -> None:
    assert keys(typed) == fields(model)


def test_a_keyed_reply_is_a_reply_with_its_response_key() -> None:
    assert set(KeyedReply.__required_keys__) == set(ReplyMessage.__required_keys__) | {"response"}
    made = reply_message("hi", [{"title": "A", "payload": "/a"}])
    assert made == {"text": "hi", "buttons": [{"title": "A", "payload": "/a"}], "links": []}
    BotMessageOut.parse_obj(made)  # the HTTP body accepts it as it is


def test_the_enums_cover_what_the_code_answers() -> None:
    assert set(get_args(Language)) == set(SHIPPED)
    assert {spec.topic for spec in load_specs().values()} <= set(get_args(Topic))
    lines = yaml.safe_load(PHONE_LINES_FILE.read_text(encoding="utf-8"))["lines"]
    assert set(lines) == set(get_args(PhoneLine))
    assert {spec.phone_line for spec in load_specs().values() if spec.phone_line} <= set(get_args(PhoneLine))


def test_the_message_route_answers_every_field_of_message_out() -> None:
    required, optional = fields(MessageOut)
    assert required | optional == {
        "conversation_id",
        "language",
        "topic",
        "phone_line",
        "messages",
        "handover",
        "erased",
        "notice",
    }


def test_every_error_in_the_document_is_error_out() -> None:
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "503" in responses, (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                assert responses["422"]["content"]["application/json"]["schema"] == error_ref, (method, path)
            for code, response in responses.items():
                if int(code) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert (
                        schema == error_ref
                        or error_ref in schema.get("anyOf", [])
                        or schema["$ref"].endswith(("MessageOut", "HealthOut"))
                    ), (method, path, code)
            if path.startswith("/staff/api/") and path != "/staff/api/login":
                assert "401" in responses, (method, path)
                needed = {"staffSession"} | ({"csrfToken"} if method != "get" else set())
                assert [set(option) for option in operation["security"]] == [needed], (method, path)
    for alternative in spec["components"]["schemas"]["MessageIn"]["anyOf"]:  # text, or a payload, or both
        language = alternative["properties"]["language"]
        assert language["anyOf"][0]["enum"] == list(SHIPPED) and language["anyOf"][1] == {"type": "null"}


def test_a_422_body_is_the_documented_error_out(gateway: httpx.Client) -> None:
    answer = gateway.post("/api/v1/messages", json={"conversation_id": "c1", "text": "hi", "language": "de"})
    assert answer.status_code == 422
    ErrorOut.parse_obj(answer.json())
    assert answer.json()["detail"][0]["field"] == "language"
    for path in ("/api/v1/ui/de", "/privacy/xx"):
        answer = gateway.get(path)
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/json", path
        assert ErrorOut.parse_obj(answer.json()).dict()["detail"][0]["field"] == "path.language"


def test_a_null_body_does_not_start_a_conversation(gateway: httpx.Client) -> None:
    answer = gateway.post("/api/v1/conversations", content=b"null", headers={"content-type": "application/json"})
    assert answer.status_code == 422 and ErrorOut.parse_obj(answer.json()).dict()["detail"][0]["field"] == "body"
    for body in (None, {}, {"language": "ar"}):
        answer = gateway.post("/api/v1/conversations", json=body)
        assert answer.status_code == 201, body


def test_a_405_allows_every_method_of_the_path(gateway: httpx.Client) -> None:
    answer = gateway.request("PUT", "/webhooks/whatsapp")
    assert answer.status_code == 405
    assert {"GET", "POST"} <= {method.strip() for method in answer.headers["allow"].split(",")}
    ErrorOut.parse_obj(answer.json())
