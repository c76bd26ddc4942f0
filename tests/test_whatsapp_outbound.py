"""The WhatsApp outbound side: replies shaped into Cloud API messages, sent by GraphClient over
real HTTP to a Graph API stand-in on 127.0.0.1 (tests/fake_graph_api.py) that enforces Meta's
documented contract. No mock of httpx; the only thing replaced is the client's sleep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.whatsapp.graph import GraphClient, SendResult, retry_after_seconds
from api.whatsapp.shaping import (
    BUTTON_TITLE_MAX,
    TEXT_BODY_MAX,
    Shaped,
    shape,
    split_text,
    template_message,
    text_message,
    units,
)
from tests.fake_graph_api import FakeGraphAPI
from wegwijs.languages import SHIPPED
from wegwijs.responses import load_specs, render

USER = "31612345678"
LANGUAGES = list(SHIPPED)


def gateway_text(key: str, language: str) -> str:
    return render(load_specs()[key], language).text


def options(count: int, title: str = "Option {n}") -> list[dict[str, str]]:
    return [{"title": title.format(n=n), "payload": f"/topic_{n}"} for n in range(1, count + 1)]


def reply(count: int, text: str = "What would you like to know?") -> dict[str, Any]:
    return {"text": text, "buttons": options(count), "links": []}


class Recorder:
    """Stands in for asyncio.sleep and the client's clock: records the delays and returns at once,
    moving its clock on by the delay."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI() as server:
        yield server


def send_all(
    graph: FakeGraphAPI,
    messages: list[dict],
    token: str | None = None,
    phone_number_id: str | None = None,
    sleep: Recorder | None = None,
    timeout: float = 5.0,
    **client_options: Any,
) -> list[SendResult]:
    recorder = sleep or Recorder()

    async def go() -> list[SendResult]:
        async with httpx.AsyncClient(timeout=timeout) as http:
            client = GraphClient(
                graph.base_url or "http://127.0.0.1:9",
                graph.version,
                token or graph.token,
                phone_number_id or graph.phone_number_id,
                http,
                sleep=recorder,
                clock=recorder.clock,
                **client_options,
            )
            return [await client.send(USER, message) for message in messages]

    return asyncio.run(go())


def send_one(graph: FakeGraphAPI, message: dict, **kwargs: Any) -> SendResult:
    return send_all(graph, [message], **kwargs)[0]


def post_raw(graph: FakeGraphAPI, body: Any, token: str | None = "default", path: str | None = None) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {graph.token if token == 'default' else token}"}
    url = f"{graph.base_url}{path}" if path else graph.messages_url
    return httpx.post(url, json=body, headers=headers, timeout=5)


def kind(message: dict) -> str:
    return message["interactive"]["type"] if message["type"] == "interactive" else message["type"]


# -- shaping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "count, expected", [(0, "text"), (1, "button"), (3, "button"), (4, "list"), (10, "list"), (11, "text")]
)
def test_the_number_of_options_chooses_the_message_type(language: str, count: int, expected: str) -> None:
    shaped = shape(reply(count), language)
    assert isinstance(shaped, Shaped)
    assert [kind(message) for message in shaped.messages] == [expected]
    message = shaped.messages[0]
    if expected == "button":
        buttons = message["interactive"]["action"]["buttons"]
        assert [b["reply"] for b in buttons] == [{"id": o["payload"], "title": o["title"]} for o in options(count)]
        assert message["interactive"]["body"] == {"text": "What would you like to know?"}
    if expected == "list":
        action = message["interactive"]["action"]
        assert action["button"] == gateway_text("gateway_whatsapp_choose", language)
        assert [row["id"] for section in action["sections"] for row in section["rows"]] == [
            o["payload"] for o in options(count)
        ]
    if count > 10:
        assert shaped.numbered == {str(n): f"/topic_{n}" for n in range(1, 12)}
    else:
        assert shaped.numbered == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_numbered_text_has_the_header_and_ascii_numbers_in_every_language(language: str) -> None:
    shaped = shape(reply(11), language)
    body = shaped.messages[0]["text"]["body"]
    header = gateway_text("gateway_whatsapp_numbered", language)
    assert body.startswith(f"What would you like to know?\n\n{header}\n1. Option 1\n2. Option 2\n")
    assert body.endswith("\n11. Option 11")
    assert not any("\u0660" <= char <= "\u0669" or "\u06f0" <= char <= "\u06f9" for char in body)


def test_a_21_character_button_title_falls_back_to_a_list_then_to_numbered_text() -> None:
    long_title = "x" * (BUTTON_TITLE_MAX + 1)
    as_list = shape(
        {"text": "Pick one", "buttons": [{"title": long_title, "payload": "/a"}, {"title": "Short", "payload": "/b"}]},
        "en",
    )
    assert [kind(m) for m in as_list.messages] == ["list"]  # rows take 24 characters
    assert as_list.messages[0]["interactive"]["action"]["sections"][0]["rows"][0]["title"] == long_title
    assert as_list.numbered == {}

    too_long = "y" * 25
    numbered = shape(
        {"text": "Pick one", "buttons": [{"title": too_long, "payload": "/a"}, {"title": "Short", "payload": "/b"}]},
        "nl",
    )
    assert [kind(m) for m in numbered.messages] == ["text"]
    assert numbered.messages[0]["text"]["body"].endswith(f"1. {too_long}\n2. Short")
    assert numbered.numbered == {"1": "/a", "2": "/b"}

    in_a_list = shape({"text": "Pick one", "buttons": options(5, title="{n}" + "z" * 24)}, "ar")
    assert [kind(m) for m in in_a_list.messages] == ["text"]
    assert len(in_a_list.numbered) == 5


def test_other_limits_fall_back_to_numbered_text() -> None:
    long_id = {"text": "Pick", "buttons": [{"title": "A", "payload": "/" + "p" * 256}]}
    assert kind(shape(long_id, "en").messages[0]) == "text"  # > 256 for a button and > 200 for a row
    row_id = {"text": "Pick", "buttons": [{"title": "A", "payload": "/" + "p" * 210}]}
    assert kind(shape(row_id, "en").messages[0]) == "button"  # fits a button id, not a row id
    row_id_in_list = {
        "text": "Pick",
        "buttons": [{"title": f"T{n}", "payload": "/" + "p" * 205 + str(n)} for n in range(4)],
    }
    assert kind(shape(row_id_in_list, "en").messages[0]) == "text"
    long_body = {"text": "word " * 300, "buttons": options(2)}
    shaped = shape(long_body, "fa-AF")
    assert [kind(m) for m in shaped.messages] == ["text"] and shaped.numbered == {"1": "/topic_1", "2": "/topic_2"}
    duplicate_titles = {
        "text": "Pick",
        "buttons": [{"title": "Same", "payload": "/a"}, {"title": "Same", "payload": "/b"}],
    }
    assert kind(shape(duplicate_titles, "en").messages[0]) == "list"  # rows may share titles, not ids
    duplicate_ids = {"text": "Pick", "buttons": [{"title": "One", "payload": "/a"}, {"title": "Two", "payload": "/a"}]}
    assert kind(shape(duplicate_ids, "en").messages[0]) == "text"


def test_a_5000_character_text_is_split_at_whitespace() -> None:
    words = [f"w{n:03d}" for n in range(1000)]  # 1000 words of 4 letters: 4999 characters
    text = " ".join(words)
    assert len(text) == 4999
    shaped = shape(
        {"text": text + "!", "buttons": [], "links": [{"title": "site", "url": "https://example.org"}]}, "en"
    )
    bodies = [m["text"]["body"] for m in shaped.messages]
    assert len(bodies) == 2 and all(units(body) <= TEXT_BODY_MAX for body in bodies)
    # cut between words, nothing lost: the link is the last line
    assert " ".join(bodies) == text + "!\n\nsite: https://example.org"
    assert all(m["type"] == "text" and m["text"]["preview_url"] is False for m in shaped.messages)


def test_links_reach_whatsapp_as_lines_of_text() -> None:
    tel = {"title": "088 746 4466", "url": "tel:+31-88-746-4466"}
    web = {"title": "IOM Netherlands", "url": "https://netherlands.iom.int"}
    # A number the text does not show is added, on a line of its own; so is a web link.
    shaped = shape({"text": "Call us.", "buttons": [], "links": [tel, web]}, "en")
    assert [m["text"]["body"] for m in shaped.messages] == [
        "Call us.\n\n088 746 4466\nIOM Netherlands: https://netherlands.iom.int"
    ]
    # One the text already shows is not repeated (WhatsApp makes it tappable); a path of the
    # gateway's own cannot be opened from WhatsApp and is left out.
    own_page = {"title": "Privacy", "url": "/privacy/en"}
    shaped = shape({"text": "Call 088 746 4466.", "buttons": [], "links": [tel, own_page]}, "en")
    assert [m["text"]["body"] for m in shaped.messages] == ["Call 088 746 4466."]
    # With buttons, the links stay in the body above them.
    shaped = shape({"text": "Call us.", "buttons": options(2), "links": [tel]}, "ar")
    assert kind(shaped.messages[0]) == "button"
    assert shaped.messages[0]["interactive"]["body"]["text"] == "Call us.\n\n088 746 4466"
    # A link alone still makes a message.
    assert shape({"text": "", "buttons": [], "links": [web]}, "nl").messages == [
        text_message("IOM Netherlands: https://netherlands.iom.int")
    ]


def test_replies_with_links_are_accepted_by_the_graph_api(graph: FakeGraphAPI) -> None:
    tel = {"title": "+31 88 746 4466", "url": "tel:+31-88-746-4466"}
    cases = [
        {"text": "x" * 4090, "buttons": [], "links": [tel]},  # the link line pushes it over 4096
        {"text": "y" * 1015, "buttons": options(3), "links": [tel]},  # and this body over 1024
        {"text": "Bel ons", "buttons": options(12), "links": [tel]},
    ]
    messages = [m for case in cases for m in shape(case, "nl").messages]
    assert len(messages) >= 4
    results = send_all(graph, messages)
    assert graph.violations == [] and all(result.ok for result in results)
    assert any("+31 88 746 4466" in m["text"]["body"] for m in graph.sent if m["type"] == "text")


def test_splitting_prefers_paragraphs_counts_emoji_twice_and_cuts_unbroken_runs() -> None:
    paragraph = "a" * 3000
    assert split_text(f"{paragraph}\n\n{paragraph}") == [paragraph, paragraph]
    emoji = "\U0001f600" * 3000  # 6000 UTF-16 units, no whitespace
    pieces = split_text(emoji)
    assert "".join(pieces) == emoji and all(units(piece) <= TEXT_BODY_MAX for piece in pieces)
    assert split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]


def test_a_long_reply_with_options_keeps_the_numbered_options_together() -> None:
    shaped = shape({"text": "lorem ipsum " * 500, "buttons": options(12)}, "nl")
    bodies = [m["text"]["body"] for m in shaped.messages]
    assert len(bodies) >= 2 and all(units(body) <= TEXT_BODY_MAX for body in bodies)
    assert bodies[-1].endswith("\n12. Option 12") and "1. Option 1\n" in bodies[-1]
    assert len(shaped.numbered) == 12


@pytest.mark.parametrize(
    "odd",
    [
        None,
        "text",
        42,
        {},
        {"text": None},
        {"text": "   "},
        {"text": 5, "buttons": "no"},
        {"text": "Hi", "buttons": [None, 3, {"title": None, "payload": "/x"}, {"title": "ok"}, {"payload": "/y"}]},
        {"text": "Hi", "buttons": None, "links": None},
    ],
)
def test_odd_input_never_raises(odd: Any) -> None:
    shaped = shape(odd, "en")
    assert isinstance(shaped, Shaped)
    for message in shaped.messages:
        assert message == text_message("Hi")


def test_empty_text_is_skipped_unless_there_are_buttons() -> None:
    assert shape({"text": "", "buttons": []}, "nl").messages == []
    buttons_only = shape({"text": "", "buttons": options(2)}, "ar")
    assert buttons_only.messages[0]["interactive"]["body"]["text"] == gateway_text("gateway_whatsapp_choose", "ar")
    numbered_only = shape({"text": "", "buttons": options(12)}, "fa-AF")
    assert numbered_only.messages[0]["text"]["body"].startswith(gateway_text("gateway_whatsapp_numbered", "fa-AF"))


def test_a_language_without_a_catalog_falls_back_to_english() -> None:
    shaped = shape(reply(5), "xx")
    assert shaped.messages[0]["interactive"]["action"]["button"] == "Choose"


def test_every_response_in_every_language_is_accepted(graph: FakeGraphAPI) -> None:
    messages: list[dict] = []
    kinds: set[str] = set()
    for spec in load_specs().values():
        for language in LANGUAGES:
            rendered = render(spec, language)
            shaped = shape({"text": rendered.text, "buttons": rendered.buttons, "links": []}, language)
            assert shaped.messages or not rendered.text.strip(), spec.key
            messages.extend(shaped.messages)
            kinds.update(kind(m) for m in shaped.messages)
    messages.append(template_message("wegwijs_reopen", "nl"))
    results = send_all(graph, messages)
    assert graph.violations == []
    assert all(result.ok and result.status == 200 and result.attempts == 1 for result in results)
    assert all(result.message_id and result.message_id.startswith("wamid.") for result in results)
    assert len(graph.sent) == len(messages)
    assert kinds == {"text", "button", "list"}


def test_shaped_limits_cases_are_accepted_too(graph: FakeGraphAPI) -> None:
    cases = [reply(n) for n in (1, 3, 4, 10, 11, 30)] + [
        {"text": "w " * 2600, "buttons": options(2)},
        {"text": "", "buttons": options(3)},
        {"text": "x" * 5000, "buttons": []},
        {"text": "Pick", "buttons": options(3, title="{n}" + "t" * 22)},
    ]
    messages = [m for language in LANGUAGES for case in cases for m in shape(case, language).messages]
    results = send_all(graph, messages)
    assert graph.violations == []
    assert all(result.ok for result in results)


# -- the client ------------------------------------------------------------------------------------


def test_429_twice_then_success_honours_retry_after(graph: FakeGraphAPI) -> None:
    graph.fail_next(429, times=2, code=130429, retry_after=2)
    sleep = Recorder()
    result = send_one(graph, text_message("Hallo"), sleep=sleep)
    assert result.ok and result.status == 200 and result.attempts == 3 and result.message_id
    assert sleep.delays == [2.0, 2.0]
    assert graph.requests == 3 and len(graph.sent) == 1 and graph.violations == []


def test_retry_after_is_capped_by_max_delay(graph: FakeGraphAPI) -> None:
    graph.fail_next(429, code=130429, retry_after=120)
    sleep = Recorder()
    assert send_one(graph, text_message("Hallo"), sleep=sleep, max_delay=8.0).ok
    assert sleep.delays == [8.0]
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_500_then_success_backs_off_with_jitter(graph: FakeGraphAPI) -> None:
    graph.fail_next(500, code=131000)
    sleep = Recorder()
    result = send_one(graph, text_message("Hallo"), sleep=sleep, base_delay=0.5)
    assert result.ok and result.attempts == 2
    assert len(sleep.delays) == 1 and 0.0 <= sleep.delays[0] <= 0.5


def test_400_is_not_retried(graph: FakeGraphAPI) -> None:
    graph.fail_next(400, code=131047)
    sleep = Recorder()
    result = send_one(graph, text_message("Hallo"), sleep=sleep)
    assert not result.ok and result.status == 400 and result.attempts == 1
    assert result.error_code == 131047 and result.error and "131047" in result.error
    assert result.message_id is None and sleep.delays == [] and graph.requests == 1


def test_a_refused_message_is_not_retried(graph: FakeGraphAPI) -> None:
    bad = {"type": "text", "text": {"body": ""}}
    result = send_one(graph, bad)
    assert (result.ok, result.status, result.error_code, result.attempts) == (False, 400, 100, 1)
    assert len(graph.violations) == 1


def test_connection_refused_is_retried_up_to_max_attempts(graph: FakeGraphAPI) -> None:
    graph.stop()
    sleep = Recorder()
    result = send_one(graph, text_message("Hallo"), sleep=sleep, max_attempts=4, base_delay=0.5, max_delay=8.0)
    assert not result.ok and result.status is None and result.attempts == 4
    assert result.error and result.error.startswith("ConnectError")
    assert len(sleep.delays) == 3
    assert all(0.0 <= delay <= ceiling for delay, ceiling in zip(sleep.delays, (0.5, 1.0, 2.0), strict=True))


def test_a_read_timeout_is_not_retried_but_returned_as_uncertain(graph: FakeGraphAPI) -> None:
    graph.accept_then_delay_seconds = 0.5  # Graph took the message, its answer comes too late
    sleep = Recorder()
    result = send_one(graph, text_message("Hallo"), timeout=0.1, max_attempts=3, sleep=sleep)
    assert not result.ok and result.uncertain and result.attempts == 1 and result.error == "ReadTimeout"
    assert graph.requests == 1 and len(graph.sent) == 1 and sleep.delays == []
    graph.accept_then_delay_seconds = 0.0
    assert send_one(graph, text_message("Hallo")).ok


def test_a_bad_token_answers_401_and_is_not_retried(graph: FakeGraphAPI) -> None:
    sleep = Recorder()
    result = send_one(graph, text_message("Hallo"), token="expired", sleep=sleep)
    assert (result.ok, result.status, result.error_code, result.attempts) == (False, 401, 190, 1)
    assert sleep.delays == [] and graph.sent == []


def test_the_client_logs_no_numbers_or_bodies(graph: FakeGraphAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    graph.fail_next(500)
    graph.fail_next(400, code=131047)
    send_one(graph, text_message("geheim bericht"))
    graph.stop()
    send_one(graph, text_message("geheim bericht"), max_attempts=2)
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("api.whatsapp"))
    assert "attempt" in logged and "131047" in logged
    assert USER not in logged and "geheim" not in logged


# -- the stand-in refuses what Graph refuses -------------------------------------------------------


def buttons_message(buttons: list[tuple[str, str]]) -> dict:
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pick"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": id_, "title": title}} for id_, title in buttons]},
        },
    }


def full(message: dict, **overrides: Any) -> dict:
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": USER, **message}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


@pytest.mark.parametrize(
    "name, body",
    [
        ("four buttons", full(buttons_message([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")]))),
        ("21-character title", full(buttons_message([("a", "x" * 21)]))),
        ("duplicate ids", full(buttons_message([("a", "A"), ("a", "B")]))),
        ("duplicate titles", full(buttons_message([("a", "A"), ("b", "A")]))),
        ("no messaging_product", full(text_message("Hi"), messaging_product=None)),
        ("wrong messaging_product", full(text_message("Hi"), messaging_product="sms")),
        ("unknown top-level key", full(text_message("Hi"), priority="high")),
        ("short number", full(text_message("Hi"), to="12345")),
        ("number with plus", full(text_message("Hi"), to="+31612345678")),
        ("empty text", full(text_message(""))),
        ("4097 characters", full(text_message("x" * 4097))),
        ("unknown type", full({"type": "sticker", "sticker": {"id": "1"}})),
        ("type without its object", full({"type": "interactive", "text": {"body": "Hi"}})),
        (
            "11 rows",
            full(
                {
                    "type": "interactive",
                    "interactive": {
                        "type": "list",
                        "body": {"text": "Pick"},
                        "action": {
                            "button": "Choose",
                            "sections": [{"rows": [{"id": str(n), "title": f"R{n}"} for n in range(11)]}],
                        },
                    },
                }
            ),
        ),
        (
            "untitled sections",
            full(
                {
                    "type": "interactive",
                    "interactive": {
                        "type": "list",
                        "body": {"text": "Pick"},
                        "action": {
                            "button": "Choose",
                            "sections": [{"rows": [{"id": "1", "title": "A"}]}, {"rows": [{"id": "2", "title": "B"}]}],
                        },
                    },
                }
            ),
        ),
        (
            "25-character row title",
            full(
                {
                    "type": "interactive",
                    "interactive": {
                        "type": "list",
                        "body": {"text": "Pick"},
                        "action": {"button": "Choose", "sections": [{"rows": [{"id": "1", "title": "r" * 25}]}]},
                    },
                }
            ),
        ),
        ("template without language", full({"type": "template", "template": {"name": "hello"}})),
    ],
)
def test_the_stand_in_refuses_contract_violations(graph: FakeGraphAPI, name: str, body: dict) -> None:
    answer = post_raw(graph, body)
    assert answer.status_code == 400, name
    error = answer.json()["error"]
    assert error["code"] == 100 and error["type"] == "OAuthException" and error["fbtrace_id"] and error["message"]
    assert len(graph.violations) == 1 and graph.sent == []


def test_the_stand_in_refuses_a_wrong_phone_number_id_or_version(graph: FakeGraphAPI) -> None:
    body = full(text_message("Hi"))
    assert post_raw(graph, body, path=f"/{graph.version}/999999999/messages").status_code == 400
    assert post_raw(graph, body, path=f"/v1.0/{graph.phone_number_id}/messages").status_code == 400
    assert send_one(graph, text_message("Hi"), phone_number_id="999999999").error_code == 100
    assert len(graph.violations) == 3 and graph.sent == []


def test_the_stand_in_refuses_a_missing_or_wrong_token(graph: FakeGraphAPI) -> None:
    body = full(text_message("Hi"))
    missing = post_raw(graph, body, token=None)
    wrong = post_raw(graph, body, token="guess")
    for answer in (missing, wrong):
        assert answer.status_code == 401 and answer.json()["error"]["code"] == 190
    basic = httpx.post(graph.messages_url, json=body, headers={"Authorization": f"Basic {graph.token}"})
    assert basic.status_code == 401
    assert len(graph.violations) == 3 and graph.sent == []


def test_the_stand_in_accepts_the_documented_shapes_and_answers_like_graph(graph: FakeGraphAPI) -> None:
    answer = post_raw(graph, full(text_message("Hi")))
    assert answer.status_code == 200
    data = answer.json()
    assert data["messaging_product"] == "whatsapp" and data["contacts"] == [{"input": USER, "wa_id": USER}]
    assert data["messages"][0]["id"].startswith("wamid.")
    sectioned = {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "header": {"type": "text", "text": "Wegwijs"},
            "body": {"text": "b" * 4096},
            "footer": {"text": "IOM"},
            "action": {
                "button": "c" * 20,
                "sections": [
                    {"title": "s" * 24, "rows": [{"id": "i" * 200, "title": "t" * 24, "description": "d" * 72}]},
                    {"title": "Two", "rows": [{"id": str(n), "title": f"R{n}"} for n in range(9)]},
                ],
            },
        },
    }
    assert post_raw(graph, full(sectioned)).status_code == 200
    assert post_raw(graph, full(buttons_message([("i" * 256, "t" * 20), ("b", "B"), ("c", "C")]))).status_code == 200
    assert post_raw(graph, full(template_message("hello_world", "en_US"))).status_code == 200
    assert graph.violations == [] and len(graph.sent) == 4


def test_the_stand_in_is_programmable_and_resets(graph: FakeGraphAPI) -> None:
    graph.fail_next(429, times=2, code=130429, retry_after=3)
    first = post_raw(graph, full(text_message("Hi")))
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert first.json()["error"]["code"] == 130429
    graph.reset()
    assert post_raw(graph, full(text_message("Hi"))).status_code == 200
    assert graph.requests == 1 and len(graph.sent) == 1
    graph.stop()
    with pytest.raises(httpx.ConnectError):
        post_raw(graph, full(text_message("Hi")))
    restarted = graph.start()
    assert restarted == graph.base_url and post_raw(graph, full(text_message("Hi"))).status_code == 200
