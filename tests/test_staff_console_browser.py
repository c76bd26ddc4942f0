"""The staff console in headless Debian Chromium (Playwright) against the running stack: log in,
see a queued user, claim, read the transcript, reply with a canned text, and close. A user's
HTML, script and javascript: text stays inert. Writes docs/staff-console.png."""
from __future__ import annotations

from pathlib import Path

import httpx

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.test_handover import LiveMessages, say
from tests.test_staff_api import PASSWORD, create_account, next_code
from wegwijs.responses import load_specs, render

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "staff-console.png"
PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">x</a>'


def test_an_agent_claims_and_answers_in_the_console(stack: Stack, gateway: httpx.Client, browser) -> None:
    username = create_account(stack, "agent")
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{stack.gateway_url}/staff")
    assert page.url.endswith("/staff/login"), "anonymous visitors are sent to the login page"
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.fill("#code", next_code(username))
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.gateway_url}/staff")
    page.wait_for_selector(f"#who:has-text('{username}')")
    assert not page.is_checked("#available"), "not available after login: nobody is queued for a new login"
    page.check("#available")
    page.wait_for_selector("#available-state:has-text('on')")

    conversation = new_conversation(gateway)
    live = LiveMessages(stack.gateway_url, conversation)
    try:
        assert say(gateway, conversation, "can i please speak with a person from IOM")["handover"]["status"] == "queued"
        assert say(gateway, conversation, PAYLOAD)["handover"]["status"] == "queued"
        page.select_option("#language-filter", "en")
        page.wait_for_selector("#queue button", timeout=10_000)
        page.click("#queue li:last-child button")
        page.wait_for_selector("#transcript li.user", timeout=10_000)
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
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        page.click("#close")
        _, back = live.next(timeout=10)
        assert back["kind"] == "bot"
        assert dialogs == [], "no script from a message ran"
    finally:
        live.close()
        page.click("#logout")
        page.close()
