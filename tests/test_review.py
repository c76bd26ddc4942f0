"""The review of misunderstood messages (api/review.py, api/routes/review.py) through the running
stack: real conversations that the model could not answer are kept with its guesses and what the
user did next; a supervisor labels and discards them and exports the labelled ones as NLU YAML
that `rasa data validate` loads; an agent is refused; a message with a phone number, a case
reference or a date of birth is never kept; the erasure of a conversation removes its items."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from api.review import PREFIX
from scripts.stack import VENV_BIN, Stack
from tests.conftest import new_conversation
from tests.screenshots import screenshot_path
from tests.staff_browser import log_in
from tests.test_handover import text_of
from tests.test_staff_api import StaffClient, create_account
from wegwijs.languages import SHIPPED

REVIEW = "/staff/api/review"
ROOT = Path(__file__).resolve().parent.parent


def say(gateway: httpx.Client, conversation: str, words: str, payload: str | None = None) -> dict:
    body = {"conversation_id": conversation, "text": words, **({"payload": payload} if payload else {})}
    answer = gateway.post("/api/v1/messages", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def supervisor(stack: Stack, gateway: httpx.Client) -> StaffClient:
    member = StaffClient(gateway, create_account(stack, "supervisor"))
    assert member.login().status_code == 200
    return member


@pytest.fixture
def store(stack: Stack) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    yield client
    client.close()


def items(member: StaffClient, **query: str) -> list[dict]:
    answer = member.call(
        "GET", REVIEW + "".join(f"{'&' if i else '?'}{k}={v}" for i, (k, v) in enumerate(query.items()))
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def item_of(member: StaffClient, text: str, since: float) -> dict:
    """The item kept for ``text`` since ``since`` (other tests' conversations may have said it too)."""
    (found,) = [item for item in items(member) if item["text"] == text and item["at"] >= since]
    return found


def test_misunderstood_messages_are_kept_labelled_and_exported(
    stack: Stack, gateway: httpx.Client, supervisor: StaffClient, tmp_path: Path
) -> None:
    started = time.time()
    # English: "Did you mean ...?", and the user taps one of the two guesses.
    english = new_conversation(gateway)
    asked = say(gateway, english, "what about the papers")
    assert asked["messages"][0]["text"] == text_of("utter_did_you_mean", "en")
    offered = [b["payload"] for b in asked["messages"][0]["buttons"]]
    tapped = offered[0]
    say(gateway, english, "that one", payload=tapped)
    papers = item_of(supervisor, "what about the papers", started)
    assert papers["language"] == "en" and papers["reply"] == "did_you_mean"
    assert papers["guesses"] == [p[1:] for p in offered if p != "/something_else"]
    assert papers["chosen"] == tapped[1:] and papers["label"] == ""

    # Dutch: the user rephrases, and the assistant understands the second message.
    dutch = new_conversation(gateway)
    assert say(gateway, dutch, "hoe zit het met papieren")["messages"][0]["text"] == text_of("utter_did_you_mean", "nl")
    assert say(gateway, dutch, "ik wil terug naar mijn land, kan IOM mij helpen?")["topic"] == "voluntary_return"
    rephrased = item_of(supervisor, "hoe zit het met papieren", started)
    assert (rephrased["language"], rephrased["then_topic"], rephrased["chosen"]) == ("nl", "voluntary_return", "")

    # Keyboard mashing: the topic menu, no guesses.
    mashing = new_conversation(gateway)
    assert say(gateway, mashing, "asdkjh qwe zxcvb")["messages"][0]["text"] == text_of("utter_fallback", "nl")
    mashed = item_of(supervisor, "asdkjh qwe zxcvb", started)
    assert (mashed["reply"], mashed["guesses"]) == ("fallback", [])

    agent = StaffClient(gateway, create_account(stack, "agent"))
    assert agent.login().status_code == 200
    assert agent.call("GET", REVIEW).status_code == 403
    assert (
        agent.call("POST", f"{REVIEW}/{papers['id']}/label", json_body={"intent": "return_travel"}).status_code == 403
    )
    assert agent.call("GET", f"{REVIEW}/export?language=en").status_code == 403

    refused = supervisor.call("POST", f"{REVIEW}/{papers['id']}/label", json_body={"intent": "no_such_intent"})
    assert refused.status_code == 422
    assert supervisor.call(
        "POST", f"{REVIEW}/{papers['id']}/label", json_body={"intent": "reunification_info"}
    ).json() == {"labelled": True}
    assert supervisor.call("POST", f"{REVIEW}/{mashed['id']}/discard").json() == {"dismissed": True}
    assert supervisor.call("POST", f"{REVIEW}/{mashed['id']}/discard").status_code == 404
    assert not [i for i in items(supervisor) if i["id"] == mashed["id"]]
    assert [i["id"] for i in items(supervisor, labelled="true", language="en")] == [papers["id"]]
    assert papers["id"] not in [i["id"] for i in items(supervisor, labelled="false")]

    exported = supervisor.call("GET", f"{REVIEW}/export?language=en")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/yaml")
    assert 'filename="review-en.yml"' in exported.headers["content-disposition"]
    data = yaml.safe_load(exported.text)
    assert data["version"] == "3.1"
    assert {"intent": "reunification_info", "examples": "- what about the papers\n"} in data["nlu"]
    assert "hoe zit het" not in exported.text, "only the language asked for, only labelled items"

    review_file = tmp_path / "review-en.yml"
    review_file.write_text(exported.text, encoding="utf-8")
    validated = subprocess.run(
        [str(VENV_BIN / "rasa"), "data", "validate", "--domain", "bot/domain", "--data", str(review_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "RASA_TELEMETRY_ENABLED": "false", "HOME": str(tmp_path)},
    )
    assert validated.returncode == 0, validated.stdout[-2000:] + validated.stderr[-2000:]


def test_nothing_personal_is_kept_and_erasure_removes_the_conversations_items(
    gateway: httpx.Client, supervisor: StaffClient, store: redis.Redis
) -> None:
    unclear = {text_of(key, language) for key in ("utter_fallback", "utter_did_you_mean") for language in SHIPPED}
    for words in ("qqq wpoe 0612345678 lkjh", "mnbv 14-05-1990 poiu"):  # misunderstood, but not kept
        assert say(gateway, new_conversation(gateway), words)["messages"][0]["text"] in unclear, words
    # A reference starts the case lookup (not a misunderstanding); still nothing of it is kept.
    say(gateway, new_conversation(gateway), "zxcv IOM-NL-2026-000042 qwer")
    conversation = new_conversation(gateway)
    say(gateway, conversation, "plmokn ijbuhv")
    other = new_conversation(gateway)
    say(gateway, other, "qazwsx edcrfv")
    texts = [i["text"] for i in items(supervisor)]
    assert "plmokn ijbuhv" in texts and "qazwsx edcrfv" in texts, "misunderstood messages are kept"
    kept = [value for key in store.scan_iter(f"{PREFIX}*") if store.type(key) == "hash" for value in store.hvals(key)]
    for needle in ("0612345678", "612345678", "IOM-NL-2026-000042", "14-05-1990", "1990"):
        assert not any(needle in value for value in kept), needle

    answer = supervisor.call("POST", "/staff/api/erasures", json_body={"conversation_id": conversation})
    assert answer.status_code == 200, answer.text
    texts = [i["text"] for i in items(supervisor)]
    assert "plmokn ijbuhv" not in texts and "qazwsx edcrfv" in texts, "only that conversation's items go"
    assert not store.exists(f"{PREFIX}conversation:api:{conversation}", f"{PREFIX}pending:api:{conversation}")


def test_a_supervisor_labels_a_message_in_the_review_page(
    stack: Stack, gateway: httpx.Client, supervisor: StaffClient, browser
) -> None:
    words = "و اسناد چی؟"  # Dari, "and the documents?": "Did you mean ...?"
    started = time.time()
    conversation = new_conversation(gateway)
    assert say(gateway, conversation, words)["messages"][0]["text"] == text_of("utter_did_you_mean", "fa-AF")
    username = create_account(stack, "supervisor")
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    log_in(page, stack.gateway_url, username)
    page.click("#review")
    page.wait_for_url(f"{stack.gateway_url}/staff/review")
    page.select_option("#language", "fa-AF")
    (item,) = [
        i for i in items(supervisor, language="fa-AF", labelled="false") if i["text"] == words and i["at"] >= started
    ]
    row = page.locator(f"#items tbody tr[data-id='{item['id']}']")
    row.wait_for(timeout=10_000)
    assert row.locator("td.text").get_attribute("dir") == "auto", "a right-to-left message keeps its direction"
    page.screenshot(path=screenshot_path("staff-review.png"), full_page=True)
    row.locator("select.intent").select_option("return_travel")
    row.locator("button.label").click()
    page.wait_for_selector("#status:has-text('Labelled return_travel')")
    assert row.count() == 0, "labelled: no longer among the messages to label"
    assert item_of(supervisor, words, started)["label"] == "return_travel"
    page.close()
