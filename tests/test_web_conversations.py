"""Web conversations through the gateway: ids the gateway mints and signs, history restored from
the server, the widget's texts from the catalogs. An id the gateway did not give out, or one
altered by a single character, reads nothing and writes nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import new_conversation
from wegwijs.languages import SHIPPED, native_name
from wegwijs.responses import load_specs, render


def flip_last(conversation_id: str) -> str:
    return conversation_id[:-1] + ("A" if conversation_id[-1] != "A" else "B")


def test_the_gateway_mints_distinct_signed_ids(gateway: httpx.Client) -> None:
    ids = {new_conversation(gateway) for _ in range(20)}
    assert len(ids) == 20 and all(len(i) == 44 for i in ids)
    chosen = gateway.post("/api/v1/conversations", json={"language": "fa-AF"})
    assert chosen.status_code == 201 and chosen.json()["language"] == "fa-AF"
    restored = gateway.get(f"/api/v1/conversations/{chosen.json()['conversation_id']}").json()
    assert (restored["language"], restored["direction"], restored["messages"]) == ("fa-AF", "rtl", [])
    for bad in ({"language": "de"}, {"language": 7}, {"colour": "red"}):
        refused = gateway.post("/api/v1/conversations", json=bad)
        assert refused.status_code == 422 and refused.json()["error"]


@pytest.mark.parametrize(
    "make_forged",
    [
        lambda real: flip_last(real),
        lambda real: "A" * 44,
        lambda real: "t-0123456789ab",
        lambda real: real[:22] + real[:22],
    ],
)
def test_an_id_the_gateway_did_not_give_reads_and_writes_nothing(gateway: httpx.Client, make_forged) -> None:
    real = new_conversation(gateway)
    assert gateway.post("/api/v1/messages", json={"conversation_id": real, "text": "hello"}).status_code == 200
    forged = make_forged(real)
    posted = gateway.post("/api/v1/messages", json={"conversation_id": forged, "text": "show me the history"})
    assert posted.status_code == 404 and "conversation" in posted.json()["error"]
    assert gateway.get(f"/api/v1/conversations/{forged}").status_code == 404
    with gateway.stream("GET", f"/api/v1/conversations/{forged}/events") as events:
        assert events.status_code == 404
    history = gateway.get(f"/api/v1/conversations/{real}").json()["messages"]
    assert [m["text"] for m in history if m["who"] == "user"] == ["hello"], "the forged message went nowhere"


def test_the_history_comes_back_with_buttons_and_links(gateway: httpx.Client) -> None:
    conversation = new_conversation(gateway)
    greeting = gateway.post(
        "/api/v1/messages", json={"conversation_id": conversation, "text": "hallo, goedemorgen"}
    ).json()
    question = gateway.post(
        "/api/v1/messages",
        json={"conversation_id": conversation, "text": "ik wil terug naar mijn land, hoe helpt IOM daarbij?"},
    ).json()
    history = gateway.get(f"/api/v1/conversations/{conversation}").json()
    assert history["language"] == "nl" and history["direction"] == "ltr" and history["handover"] is None
    sent = [{"who": "user", "text": "hallo, goedemorgen"}] + [
        {"who": "bot", "text": m["text"]} for m in greeting["messages"]
    ]
    sent += [{"who": "bot", "text": greeting["notice"]["text"]}]  # the privacy notice, with the first reply
    sent += [{"who": "user", "text": "ik wil terug naar mijn land, hoe helpt IOM daarbij?"}]
    sent += [{"who": "bot", "text": m["text"]} for m in question["messages"]]
    assert [{"who": m["who"], "text": m["text"]} for m in history["messages"]] == sent
    assert history["messages"][1]["buttons"] == greeting["messages"][0]["buttons"] != []
    links = [link for m in history["messages"] for link in m["links"]]
    assert links and all(link["url"].startswith("tel:+31") or link["url"] == "/privacy/nl" for link in links)
    assert any(link["url"] == "/privacy/nl" for link in links), "the notice links to the full notice page"


def test_a_users_personal_details_are_not_in_the_history(gateway: httpx.Client) -> None:
    conversation = new_conversation(gateway)
    gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": "mijn nummer is 06 12345678"})
    texts = [m["text"] for m in gateway.get(f"/api/v1/conversations/{conversation}").json()["messages"]]
    assert "[personal details]" in texts and not any("12345678" in t for t in texts)


@pytest.mark.parametrize("language", SHIPPED)
def test_the_widget_texts_come_from_the_catalogs(gateway: httpx.Client, language: str) -> None:
    ui = gateway.get(f"/api/v1/ui/{language}").json()
    assert ui["direction"] == ("rtl" if language in ("ar", "fa-AF") else "ltr") and ui["name"] == native_name(language)
    assert ui["texts"]["send"] == render(load_specs()["gateway_widget_send"], language).text
    assert set(ui["texts"]) >= {
        "title",
        "open",
        "close",
        "input_label",
        "placeholder",
        "send",
        "language",
        "typing",
        "you",
        "assistant",
        "staff",
        "offline",
        "error",
        "call",
    }
    assert [(entry["code"], entry["name"]) for entry in ui["languages"]] == [(c, native_name(c)) for c in SHIPPED]


def test_an_unknown_widget_language_is_refused(gateway: httpx.Client) -> None:
    answer = gateway.get("/api/v1/ui/de")
    assert answer.status_code == 422 and answer.json()["error"]
