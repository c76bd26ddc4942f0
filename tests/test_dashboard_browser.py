"""The supervisors' dashboard (issue 15) in headless Debian Chromium, against a gateway of the
test's own (its own analytics database) beside the session's Rasa, action server and Redis.

Conversations in Dutch, English, Arabic and Dari go through the real gateway and Rasa, one with
a message the bot cannot understand and one handed over to the supervisor, who claims it,
answers in the console and closes it; two users answer "Did this help you?" (the Dari one after
thanking for the answer about return, the English one at the end of the hand-over). The
dashboard's figures are then what was sent, and so is the CSV export with the same filters; the
language filter narrows them; the page stays within the window in Arabic (right to left); an
agent is refused and an anonymous visitor sent to the login page. Writes docs/dashboard.png (with
WEGWIJS_UPDATE_SCREENSHOTS=1; tests/screenshots.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import httpx

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.gateway_process import gateway_with
from tests.screenshots import screenshot_path
from tests.staff_browser import log_in
from tests.test_handover import text_of
from tests.test_insight_events import store_url, wait_for_rows
from tests.test_never_a_dead_end import GIBBERISH
from tests.test_staff_api import StaffClient, create_account

YES, PARTLY = '/satisfaction{"satisfaction": "yes"}', '/satisfaction{"satisfaction": "partly"}'
# (language, messages) per conversation, a message being a text or (a button's title, its payload);
# the English one asks for a person.
CONVERSATIONS = [
    ("nl", ["Hallo, ik wil graag terug naar mijn land. Kan IOM mij helpen?", GIBBERISH]),
    ("ar", ["اريد معرفة حالة ملفي"]),
    ("fa-AF", ["میخواهم به افغانستان برگردم، IOM چه کمکی میکند؟", "تشکر", ("تا اندازه‌ای", PARTLY)]),
    ("en", ["I want to talk to a person"]),
]


def send(client: httpx.Client, conversation: str, message: str | tuple[str, str], language: str) -> dict:
    text, payload = message if isinstance(message, tuple) else (message, None)
    body = {"conversation_id": conversation, "text": text, "language": language}
    answer = client.post("/api/v1/messages", json={**body, **({"payload": payload} if payload else {})})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["language"] == language, body
    return body


def fell_back(body: dict, language: str) -> bool:
    unclear = {text_of("utter_fallback", language), text_of("utter_did_you_mean", language)}
    return any(m["text"] in unclear for m in body["messages"])


def cells(page, selector: str) -> dict[tuple[str, ...], str]:
    """The dashboard table's figures: (measure, day, language, topic, reason) -> the cell's text."""
    found = {}
    for cell in page.locator(f"{selector} td[data-measure]").all():
        key = tuple(
            cell.get_attribute(name) or ""
            for name in ("data-measure", "data-day", "data-language", "data-topic", "data-reason")
        )
        found[key] = cell.inner_text()
    return found


def test_a_supervisor_sees_what_was_sent(stack: Stack, browser, tmp_path: Path, empty_queue: None) -> None:
    url = store_url(tmp_path)
    supervisor, agent = create_account(stack, "supervisor"), create_account(stack, "agent")
    with gateway_with(stack, {"DATABASE_URL": url}) as base, httpx.Client(base_url=base, timeout=30) as client:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/staff/dashboard")
        assert page.url.endswith("/staff/login"), "anonymous visitors are sent to the login page"
        log_in(page, base, supervisor)
        assert page.is_visible("#dashboard-link"), "the console links supervisors to the dashboard"
        page.check("#available")
        page.wait_for_selector("#available-state:has-text('on')")

        turns, topics, fallbacks = 0, Counter(), Counter()
        for language, messages in CONVERSATIONS:
            conversation = new_conversation(client)
            for text in messages:
                body = send(client, conversation, text, language)
                turns += 1
                topics[(language, body["topic"])] += 1
                fallbacks[language] += fell_back(body, language)
        assert fallbacks["nl"] == 1, "the gibberish was not understood"
        assert body["handover"]["status"] == "queued", "the English user waits for the supervisor"

        page.select_option("#language-filter", "en")
        page.wait_for_selector("#queue li button", timeout=10_000)
        page.click("#queue li:last-child button")
        page.wait_for_selector("#transcript li.user", timeout=10_000)
        page.click(f"#canned button:has-text('{text_of('staff_canned_greeting', 'en')}')")
        page.click("#reply-form button[type=submit]")
        page.wait_for_selector("#transcript li.staff", timeout=10_000)
        page.click("#close")
        page.wait_for_selector("#status:has-text('Closed')")
        # The English user, asked "Did this help you?" at the end of the hand-over, says yes.
        assert send(client, conversation, ("Yes, it helped", YES), "en")["messages"][0]["text"] == text_of(
            "gateway_satisfaction_thanks", "en"
        )
        turns += 1
        topics[("en", "smalltalk")] += 1

        def written(rows: list[dict]) -> bool:
            stages = {r["stage"] for r in rows if r["kind"] == "handover"}
            answers = sum(r["kind"] == "csat" for r in rows)
            return (
                sum(r["kind"] == "turn" for r in rows) == turns
                and {"opened", "claimed", "replied"} <= stages
                and (answers == 2)
            )

        rows = wait_for_rows(url, "every turn and the hand-over's three stages", written)
        claimed = next(r["seconds"] for r in rows if r["stage"] == "claimed")
        replied = next(r["seconds"] for r in rows if r["stage"] == "replied")

        page.goto(f"{base}/staff/dashboard?lang=en")
        today = dt.datetime.now(dt.timezone.utc).date().isoformat()
        assert page.inner_text("#summary-conversations") == "4" and page.inner_text("#summary-messages") == str(turns)
        by_language = cells(page, "#by-language-table")
        assert by_language == {("conversations", today, code, "", ""): "1" for code, _ in CONVERSATIONS}
        shown_topics = cells(page, "#topics-table")
        assert shown_topics == {("turns", "", lang, topic, ""): str(n) for (lang, topic), n in topics.items()}
        fallback = cells(page, "#fallback-table")
        assert {k[2]: v for k, v in fallback.items() if k[0] == "fallbacks"} == {
            code: str(fallbacks[code]) for code, _ in CONVERSATIONS
        }
        handovers = {k[0]: v for k, v in cells(page, "#handovers-table").items() if k[4] == "user_request"}
        assert (handovers["opened"], handovers["claimed"], handovers["stranded"]) == ("1", "1", "0")
        medians = {
            cell.get_attribute("data-measure"): cell.get_attribute("data-seconds")
            for cell in page.locator("#handovers-table td[data-seconds]").all()
        }
        assert medians["claim_median"] == medians["claim_p90"] == str(claimed)
        assert medians["first_reply_median"] == str(replied) and replied >= claimed
        waiting = cells(page, "#waiting-table")
        assert waiting[("claimed", "", "en", "", "")] == "1"
        satisfied = cells(page, "#satisfaction-language-table")
        assert {(k[0], k[2]): v for k, v in satisfied.items()} == {
            **{
                (m, "en"): v
                for m, v in (("answers", "1"), ("yes", "1"), ("partly", "0"), ("no", "0"), ("helped", "100%"))
            },
            **{
                (m, "fa-AF"): v
                for m, v in (("answers", "1"), ("yes", "0"), ("partly", "1"), ("no", "0"), ("helped", "0%"))
            },
        }
        by_subject = {(k[0], k[3]): v for k, v in cells(page, "#satisfaction-topic-table").items() if k[0] == "answers"}
        assert by_subject == {("answers", "human_handover"): "1", ("answers", "voluntary_return"): "1"}
        assert page.locator("svg.chart").count() >= 5, "the charts are drawn"
        page.screenshot(path=screenshot_path("dashboard.png"), full_page=True)

        export = page.request.get(base + page.get_attribute("#export", "href"))
        assert export.status == 200 and export.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(export.text())))

        def figure(section: str, measure: str, **keys: str) -> str:
            (value,) = [
                row["value"]
                for row in table
                if row["section"] == section and row["measure"] == measure and all(row[k] == v for k, v in keys.items())
            ]
            return value

        assert figure("summary", "conversations") == "4" and figure("summary", "turns") == str(turns)
        for code, _ in CONVERSATIONS:
            assert figure("conversations_by_language", "conversations", day=today, language=code) == "1"
            assert figure("fallback", "fallbacks", day=today, language=code) == str(fallbacks[code])
        for (lang, topic), n in topics.items():
            assert figure("top_topics", "turns", language=lang, topic=topic) == str(n)
        assert figure("handovers", "opened", reason="user_request") == "1"
        assert figure("handovers", "claim_median_seconds", reason="user_request") == str(claimed)
        assert figure("handovers", "first_reply_median_seconds", reason="user_request") == str(replied)
        assert figure("satisfaction_by_language", "yes", language="en") == "1"
        assert figure("satisfaction_by_language", "partly", language="fa-AF") == "1"
        assert figure("satisfaction_by_topic", "answers", topic="voluntary_return") == "1"
        as_json = page.request.get(base + page.get_attribute("#export", "href").replace("insight.csv", "insight"))
        assert as_json.json()["rows"] == table, "the JSON figures are the CSV's"

        page.goto(f"{base}/staff/dashboard?lang=en&language=ar")
        assert page.inner_text("#summary-conversations") == "1", "the language filter narrows every figure"
        assert {k[2] for k in cells(page, "#by-language-table")} == {"ar"}
        filtered = page.request.get(base + page.get_attribute("#export", "href"))
        assert "language=ar" in page.get_attribute("#export", "href") and ",nl," not in filtered.text()

        page.goto(f"{base}/staff/dashboard?lang=ar")
        assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
        assert page.inner_text("h1") == text_of("staff_dashboard_title", "ar")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, "nothing sticks out of the window right to left"
        right_edges = page.evaluate(
            "[...document.querySelectorAll('section')].map(s => s.getBoundingClientRect().right)"
        )
        assert max(right_edges) <= 1280
        page.screenshot(path=screenshot_path("dashboard-rtl.png"), full_page=True)
        page.close()

        member = StaffClient(client, agent)
        assert member.login().status_code == 200
        for path in ("/staff/dashboard", "/staff/api/insight", "/staff/api/insight.csv"):
            assert member.call("GET", path).status_code == 403, f"an agent is refused {path}"
        member.call("POST", "/staff/api/logout")
        assert client.get("/staff/api/insight").status_code == 401
        assert client.get("/staff/dashboard").headers.get("location") == "/staff/login"
