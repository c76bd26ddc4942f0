"""The staff console in headless Debian Chromium (Playwright) against the running stack: log in
with a code from the authenticator app, switch to available, see a queued user, claim, read the
transcript, reply with a canned text, and close. A user's HTML, script and javascript: text stays
inert; opening the ticket is audited once however often the console refreshes it. With the
page's clock under the test's control: the console's own refreshes are marked as polls, and
moving the mouse tells the server at most once a minute. Writes docs/staff-console.png."""

from __future__ import annotations

from urllib.parse import urlparse

import httpx
import redis

from api.staff.audit import STREAM
from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.screenshots import screenshot_path
from tests.staff_browser import log_in
from tests.test_handover import LiveMessages, say
from tests.test_staff_api import create_account
from wegwijs.languages import SHIPPED
from wegwijs.responses import load_specs, render
from wegwijs.translation_status import unreviewed_languages

PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">x</a>'


def test_an_agent_claims_and_answers_in_the_console(stack: Stack, gateway: httpx.Client, browser) -> None:
    username = create_account(stack, "agent")
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{stack.gateway_url}/staff")
    assert page.url.endswith("/staff/login"), "anonymous visitors are sent to the login page"
    log_in(page, stack.gateway_url, username)
    assert not page.is_checked("#available"), "not available after login: nobody is queued for a new login"
    page.check("#available")
    page.wait_for_selector("#available-state:has-text('on')")
    unreviewed = [code for code in SHIPPED if code in unreviewed_languages()]
    note = page.locator("#unreviewed")
    if unreviewed:
        assert note.is_visible() and all(code in note.inner_text() for code in unreviewed)
        assert page.locator(f"#language-filter option[value='{unreviewed[0]}']").inner_text().endswith("(not reviewed)")
    else:
        assert note.is_hidden()

    conversation = new_conversation(gateway)
    live = LiveMessages(stack.gateway_url, conversation)
    try:
        assert say(gateway, conversation, "can i please speak with a person from IOM")["handover"]["status"] == "queued"
        assert say(gateway, conversation, PAYLOAD)["handover"]["status"] == "queued"
        page.select_option("#language-filter", "en")
        page.wait_for_selector("#queue button", timeout=10_000)
        page.click("#queue li:last-child button")
        page.wait_for_selector("#transcript li.user", timeout=10_000)
        with page.expect_request(
            lambda r: "/staff/api/tickets/" in r.url and r.method == "GET" and r.headers.get("x-wegwijs-poll") == "1",
            timeout=10_000,
        ) as polled:
            pass  # the console refreshing the open ticket by itself
        ticket = urlparse(polled.value.url).path.rsplit("/", 1)[1]
        texts = page.locator("#transcript li").all_text_contents()
        assert f"User: {PAYLOAD}" in texts, "the user's HTML is shown as text, labelled with who said it"
        assert texts[0].startswith("User: ") and texts[1].startswith("Bot: ")
        assert page.locator("#transcript img, #transcript script, #transcript a").count() == 0

        greeting = render(load_specs()["staff_canned_greeting"], "en").text
        page.click(f"#canned button:has-text('{greeting}')")
        assert page.input_value("#reply") == greeting
        page.click("#reply-form button[type=submit]")
        _, message = live.next(timeout=10)
        assert message == {"text": greeting, "kind": "staff"}
        page.wait_for_selector("#transcript li.staff")
        page.screenshot(path=screenshot_path("staff-console.png"), full_page=True)

        page.click("#close")
        _, back = live.next(timeout=10)
        assert back["kind"] == "bot"
        assert dialogs == [], "no script from a message ran"
        views = [e for e in audit_log(stack) if e["ticket"] == ticket and e["action"] == "view"]
        assert len(views) == 1, "opened once, refreshed by polls: one view in the audit log"
    finally:
        live.close()
        page.click("#logout")
        page.close()


def audit_log(stack: Stack) -> list[dict]:
    """The latest audit entries (read synchronously: Playwright's sync API holds this thread's loop)."""
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        return [fields for _, fields in client.xrevrange(STREAM, count=500)]
    finally:
        client.close()


def test_the_console_marks_its_polls_and_reports_activity_at_most_once_a_minute(stack: Stack, browser) -> None:
    username = create_account(stack, "agent")
    page = browser.new_page()
    page.clock.install()  # the page's timers and Date follow the test's fast-forwards
    sent: list[tuple[str, str, str | None]] = []
    page.on(
        "request",
        lambda r: (
            sent.append((r.method, urlparse(r.url).path, r.headers.get("x-wegwijs-poll")))
            if "/staff/api/" in r.url
            else None
        ),
    )
    try:
        log_in(page, stack.gateway_url, username)
        with page.expect_request(lambda r: r.url.endswith("/staff/api/queue")):
            page.clock.run_for(10_000)  # three queue refreshes are due
        queue_requests = [poll for method, path, poll in sent if path == "/staff/api/queue"]
        assert queue_requests[0] is None and queue_requests[1:] and set(queue_requests[1:]) == {"1"}, (
            "the refresh at load is the person's; every later one is a poll"
        )

        page.clock.run_for(61_000)

        def activity(r) -> bool:
            return r.url.endswith("/staff/api/activity") and r.request.method == "POST"

        with page.expect_response(activity) as first:
            page.mouse.move(40, 40)
        for x in range(50, 250, 20):  # moving on within the same minute sends nothing more
            page.mouse.move(x, 60)
        page.clock.run_for(61_000)
        with page.expect_response(activity) as second:
            page.mouse.move(300, 80)
        assert first.value.status == second.value.status == 204, "the server took them (CSRF and all)"
        assert sum(1 for method, path, _ in sent if path == "/staff/api/activity") == 2
    finally:
        page.click("#logout")
        page.close()
