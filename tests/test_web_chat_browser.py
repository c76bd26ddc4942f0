"""The web chat (api/static/chat) in headless Debian Chromium (Playwright) against the running
stack, at 360 px wide: a Dari conversation turns the page right-to-left, the picker turns it
back to Dutch without a reload, a reload restores the history from the server, keyboard-only use
works, a message sent offline goes out when the connection is back, and a staff reply arrives
live during a hand-over, with HTML, script and javascript: links inert text. Writes
docs/web-chat-dari.png and docs/web-chat-dutch.png."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.security_headers import CSP
from scripts.stack import Stack
from tests.screenshots import screenshot_path
from tests.test_handover import DARI_RETURN_QUESTION, text_of
from tests.test_staff_api import StaffClient, assert_served_with_strict_csp, create_account
from wegwijs.digits import to_locale_digits
from wegwijs.languages import SHIPPED, babel_name, native_name
from wegwijs.responses import load_specs, render
from wegwijs.translation_status import unreviewed_languages

ROOT = Path(__file__).resolve().parent.parent
CHAT_FILES = ROOT / "api" / "static" / "chat"
VIEWPORT = {"width": 360, "height": 740}
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><a href="javascript:window.__xss=3">x</a>'
DUTCH_QUESTION = "ik wil graag terug naar mijn land, kan dat?"
REPLY_TIMEOUT = 30_000


@pytest.fixture
def context(browser):
    """A fresh browser profile (its own localStorage) with an English browser language."""
    opened = browser.new_context(viewport=VIEWPORT, locale="en-US")
    yield opened
    opened.close()


@pytest.fixture
def agent(stack: Stack, gateway: httpx.Client) -> Iterator[StaffClient]:
    member = StaffClient(gateway, create_account(stack, "agent"))
    assert member.login().status_code == 200
    member.available()  # at the console and taking chats: users are queued
    yield member
    member.call("POST", "/staff/api/logout")


def open_chat(context, stack: Stack, dialogs: list[str] | None = None):
    page = context.new_page()
    if dialogs is not None:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    response = page.goto(f"{stack.gateway_url}/")
    page.wait_for_selector(".wegwijs[data-state=ready]", timeout=REPLY_TIMEOUT)
    return page, response


def bot_count(page) -> int:
    return page.locator(".wegwijs .ww-bot").count()


def wait_for_reply(page, before: int) -> list[str]:
    """Waits until a new bot message is shown and nothing is in flight; returns the new ones' texts."""
    page.wait_for_function(
        "n => document.querySelectorAll('.wegwijs .ww-bot').length > n"
        " && document.querySelector('.wegwijs .ww-typing').hidden",
        arg=before,
        timeout=REPLY_TIMEOUT,
    )
    return page.locator(".wegwijs .ww-bot .ww-text").all_text_contents()[before:]


def ask(page, text: str) -> list[str]:
    before = bot_count(page)
    page.fill("#wegwijs-input", text)
    page.press("#wegwijs-input", "Enter")
    return wait_for_reply(page, before)


def directions(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => getComputedStyle(n).direction)")


def shown(page) -> list[tuple[str, str]]:
    """(speaker, text) of every message in the list, in order."""
    return page.eval_on_selector_all(
        ".wegwijs .ww-msg",
        "nodes => nodes.map(n => [n.querySelector('.ww-who').dataset.who, n.querySelector('.ww-text').textContent])",
    )


def ui_texts(gateway: httpx.Client, language: str) -> dict:
    answer = gateway.get(f"/api/v1/ui/{language}")
    assert answer.status_code == 200, answer.text
    return answer.json()["texts"]


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
        " && [...document.querySelectorAll('.wegwijs *')].every("
        "n => n.getBoundingClientRect().right <= window.innerWidth + 0.5)"
    )


def test_dari_then_dutch_without_reload_and_the_history_survives_a_reload(
    stack: Stack, gateway: httpx.Client, context
) -> None:
    page, response = open_chat(context, stack)
    csp = response.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'self'" in script_src and "unsafe-inline" not in script_src and "unsafe-inline" not in csp
    assert page.evaluate("localStorage.getItem('wegwijs.conversation')"), "the conversation id is kept"

    # Each language in its own script; one not yet reviewed by a native speaker says so, in itself.
    options = page.eval_on_selector("#wegwijs-language", "s => [...s.options].map(o => [o.value, o.textContent])")
    note = load_specs()["gateway_widget_unreviewed"]
    unreviewed = unreviewed_languages()
    expected = [
        [code, f"{native_name(code)} ({render(note, code).text})" if code in unreviewed else native_name(code)]
        for code in SHIPPED
    ]
    assert options == expected
    assert [code for code, _ in options] == ["nl", "en", "ar", "fa-AF"]
    assert [name.split(" (")[0] for _, name in options] == ["Nederlands", "English", "العربية", "دری"]

    # Dari, chosen with the picker: the whole widget turns right-to-left at once.
    before = bot_count(page)
    page.select_option("#wegwijs-language", value="fa-AF")
    page.wait_for_selector(".wegwijs[dir=rtl][lang=fa-AF]")
    wait_for_reply(page, before)
    dari = ui_texts(gateway, "fa-AF")
    assert page.text_content(".ww-send") == dari["send"]
    assert page.get_attribute("#wegwijs-input", "placeholder") == dari["placeholder"]
    assert ask(page, DARI_RETURN_QUESTION)[0] == text_of("utter_return_info", "fa-AF")
    assert set(directions(page, ".wegwijs .ww-msg")) == {"rtl"}
    assert set(directions(page, ".wegwijs .ww-msg .ww-text")) == {"rtl"}
    assert directions(page, "#wegwijs-input") == ["rtl"]
    send_box, input_box = page.locator(".ww-send").bounding_box(), page.locator("#wegwijs-input").bounding_box()
    assert send_box["x"] < input_box["x"], "right-to-left: the send button is on the left of the input"
    user_box = page.locator(".ww-user").last.bounding_box()
    bot_box = page.locator(".ww-bot").last.bounding_box()
    assert user_box["x"] < bot_box["x"] + bot_box["width"] / 2, "the user's messages sit at the inline end (left)"
    assert no_horizontal_scroll(page)
    page.screenshot(path=screenshot_path("web-chat-dari.png"))

    # Back to Dutch with the picker, without a reload.
    before = bot_count(page)
    page.select_option("#wegwijs-language", "nl")
    page.wait_for_selector(".wegwijs[dir=ltr][lang=nl]")
    wait_for_reply(page, before)
    dutch = ui_texts(gateway, "nl")
    assert page.text_content(".ww-send") == dutch["send"]
    assert page.get_attribute("#wegwijs-input", "placeholder") == dutch["placeholder"]
    assert page.text_content(".ww-title") == dutch["title"]
    assert page.eval_on_selector("label[for=wegwijs-input]", "n => n.textContent") == dutch["input_label"]
    assert set(page.locator(".ww-who").all_text_contents()) <= {dutch["you"], dutch["assistant"]}
    reply = ask(page, DUTCH_QUESTION)[0]
    specs = load_specs()
    assert reply in {render(spec, "nl").text for spec in specs.values()}, "a Dutch reply"
    assert reply not in {render(spec, "en").text for spec in specs.values()}
    assert directions(page, "#wegwijs-input") == ["ltr"]
    assert directions(page, ".wegwijs .ww-msg .ww-text")[-1] == "ltr"
    send_box, input_box = page.locator(".ww-send").bounding_box(), page.locator("#wegwijs-input").bounding_box()
    assert send_box["x"] > input_box["x"]
    assert no_horizontal_scroll(page)
    page.screenshot(path=screenshot_path("web-chat-dutch.png"))

    # A reload: the history comes back from the server, same texts in the same order.
    before_reload = shown(page)
    assert len(before_reload) >= 8
    page.reload()
    page.wait_for_selector(".wegwijs[data-state=ready]", timeout=REPLY_TIMEOUT)
    assert shown(page) == before_reload
    assert page.get_attribute(".wegwijs", "dir") == "ltr" and page.input_value("#wegwijs-language") == "nl"
    page.close()


def test_keyboard_only_and_the_language_follows_what_the_user_types(
    stack: Stack, gateway: httpx.Client, context
) -> None:
    page, _ = open_chat(context, stack)
    english = ui_texts(gateway, "en")
    assert page.text_content(".ww-send") == english["send"], "an English browser gets English texts"
    for _ in range(15):
        if page.evaluate("document.activeElement && document.activeElement.id") == "wegwijs-input":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "wegwijs-input", "Tab reaches the input"
    before = bot_count(page)
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    assert wait_for_reply(page, before)[0] == text_of("utter_greet", "en")
    greeting = page.locator(".ww-bot", has_text=text_of("utter_greet", "en")).last
    assert greeting.locator("button.ww-choice").count() >= 2
    notice = page.locator(".ww-bot").last  # the first reply ends with the privacy notice and its link
    assert notice.locator("button.ww-choice").all_text_contents() == ["Delete my data"]
    assert notice.locator("a.ww-notice").get_attribute("href").endswith("/privacy/en")

    for _ in range(10):
        if page.evaluate("document.activeElement.classList.contains('ww-choice')"):
            break
        page.keyboard.press("Shift+Tab")
    focused = page.evaluate(
        "[document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused[0] and focused[1] != "none", "a bot button is reached with Tab, with a visible focus outline"
    before = bot_count(page)
    page.keyboard.press("Space")
    wait_for_reply(page, before)
    said = [message for message in shown(page) if message[0] == "user"]
    assert said[-1] == ["user", focused[0]], "the button's title is sent as the user's message"
    assert page.get_attribute(".ww-log", "aria-live") == "polite" and page.get_attribute(".ww-log", "role") == "log"

    # No picker: the user simply writes Dari and the widget follows the reply's language.
    assert ask(page, DARI_RETURN_QUESTION)[0] == text_of("utter_return_info", "fa-AF")
    page.wait_for_selector(".wegwijs[dir=rtl][lang=fa-AF]")
    assert page.input_value("#wegwijs-language") == "fa-AF"
    assert page.text_content(".ww-send") == ui_texts(gateway, "fa-AF")["send"]
    page.close()


def test_a_message_sent_offline_goes_out_when_the_connection_is_back(
    stack: Stack, gateway: httpx.Client, context
) -> None:
    page, _ = open_chat(context, stack)
    before = bot_count(page)
    context.set_offline(True)
    page.fill("#wegwijs-input", "hello")
    page.press("#wegwijs-input", "Enter")
    offline = ui_texts(gateway, "en")["offline"]
    page.wait_for_function("t => document.querySelector('.ww-status').textContent === t", arg=offline)
    assert shown(page)[-1] == ["user", "hello"], "the message stays on screen"
    context.set_offline(False)
    assert wait_for_reply(page, before)[0] == text_of("utter_greet", "en")
    assert page.text_content(".ww-status") == ""
    page.close()


def test_a_staff_reply_arrives_live_and_html_stays_text(
    stack: Stack, gateway: httpx.Client, context, agent: StaffClient
) -> None:
    dialogs: list[str] = []
    page, _ = open_chat(context, stack, dialogs)
    ask(page, "can i please speak with a person from IOM")
    tickets = agent.call("GET", "/staff/api/queue?language=en").json()["tickets"]
    ticket = max(tickets, key=lambda t: t["created"])
    try:
        assert agent.call("POST", f"/staff/api/tickets/{ticket['id']}/claim").status_code == 200
        assert (
            agent.call("POST", f"/staff/api/tickets/{ticket['id']}/reply", json_body={"text": XSS}).status_code == 200
        )
        page.wait_for_selector(".wegwijs .ww-staff", timeout=10_000)
        assert shown(page)[-1] == ["staff", XSS], "the staff reply arrives without a reload, as text"
        assert page.locator(".ww-staff .ww-who").text_content() == ui_texts(gateway, "en")["staff"]

        page.fill("#wegwijs-input", XSS)
        page.press("#wegwijs-input", "Enter")
        page.wait_for_function("() => document.querySelector('.wegwijs .ww-typing').hidden")
        assert shown(page)[-1] == ["user", XSS]
        assert page.text_content(".ww-status") == ""
        transcript = agent.call("GET", f"/staff/api/tickets/{ticket['id']}").json()["transcript"]
        assert transcript[-1]["text"] == XSS, "the user's message went to the agent"
    finally:
        agent.call("POST", f"/staff/api/tickets/{ticket['id']}/close")
    question = text_of("gateway_satisfaction_question", "en")  # asked at the end of a hand-over
    page.wait_for_function(
        "q => { const m = document.querySelector('.wegwijs .ww-msg:last-child .ww-text');"
        " return m !== null && m.textContent === q; }",
        arg=question,
        timeout=10_000,
    )
    assert shown(page)[-2:] == [["bot", text_of("gateway_handover_back", "en")], ["bot", question]]
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == [], "no script from a message ran"
    assert page.locator(".ww-log img, .ww-log script, .ww-log iframe").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    page.close()


def test_one_script_tag_embeds_a_launcher_and_a_panel(stack: Stack, gateway: httpx.Client, context) -> None:
    """Any page with the script tag (here a page served by the test, under the same CSP) gets a
    launcher; the panel opens and closes from the keyboard and chats like the full page."""
    host = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>'
        f'<script src="{stack.gateway_url}/chat/widget.js" defer></script></head>'
        "<body><h1>A page of IOM</h1></body></html>"
    )
    page = context.new_page()
    page.route(
        f"{stack.gateway_url}/embedding-page",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body=host, headers={"content-security-policy": CSP}
        ),
    )
    page.goto(f"{stack.gateway_url}/embedding-page")
    page.wait_for_selector(".wegwijs[data-state=ready] .ww-launcher", timeout=REPLY_TIMEOUT)
    english = ui_texts(gateway, "en")
    launcher = page.locator(".ww-launcher")
    assert launcher.text_content() == english["open"] and launcher.get_attribute("aria-expanded") == "false"
    assert page.locator(".ww-panel").is_hidden()
    assert page.evaluate("[...document.styleSheets].some(s => (s.href || '').endsWith('/chat/widget.css'))")
    assert page.evaluate("getComputedStyle(document.querySelector('.ww-launcher')).position") == "fixed"

    launcher.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".ww-panel", state="visible")
    assert page.evaluate("document.activeElement.id") == "wegwijs-input"
    page.wait_for_function("() => localStorage.getItem('wegwijs.conversation')")
    before = bot_count(page)
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    assert wait_for_reply(page, before)[0] == text_of("utter_greet", "en")
    assert no_horizontal_scroll(page)
    assert page.text_content(".ww-close") == english["close"]
    page.keyboard.press("Escape")
    assert page.locator(".ww-panel").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('ww-launcher')")
    assert page.get_attribute(".ww-launcher", "aria-expanded") == "false"
    page.close()


def test_the_page_and_the_widget_files_are_served_with_a_csp(gateway: httpx.Client) -> None:
    assert_served_with_strict_csp(gateway, ("/", "/chat/widget.js", "/chat/widget.css"))
    assert gateway.get("/").headers["cache-control"] == "no-cache"
    assert "content-security-policy" not in gateway.get("/health").headers, "'/' is not a prefix of every path"
    page = (CHAT_FILES / "index.html").read_text(encoding="utf-8")
    assert all(" src=" in tag for tag in re.findall(r"<script\b[^>]*>", page)), "no inline script"
    assert not re.search(r"\son[a-z]+\s*=|\sstyle\s*=|<style", page), "no inline handler or style"


def test_the_widget_is_small_and_self_contained() -> None:
    script = (CHAT_FILES / "widget.js").read_bytes()
    style = (CHAT_FILES / "widget.css").read_bytes()
    assert len(gzip.compress(script, 9)) + len(gzip.compress(style, 9)) < 50 * 1024
    text = script.decode("utf-8")
    assert text.startswith('"use strict";')
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "eval(" not in text
    assert not re.search(r"https?://", text.replace("https://GATEWAY", "")), "nothing loaded from elsewhere"
    assert not re.search(
        r"\b(left|right)\s*:|margin-(left|right)|padding-(left|right)|text-align:\s*(left|right)", style.decode("utf-8")
    ), "logical properties only"


def test_leave_quickly_clears_the_chat_and_this_browser_and_opens_a_neutral_page(stack: Stack, context) -> None:
    """For someone sharing the phone with a person they fear: one tap, and the chat, its stored id
    and the session storage are gone, and the chat page is replaced (not left in the history)."""
    context.route(
        "https://www.google.com/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>Google</title><p>neutral</p>"
        ),
    )
    page, _ = open_chat(context, stack)
    ask(page, "hello")
    earlier = page.evaluate("localStorage.getItem('wegwijs.conversation')")
    assert earlier, "the conversation id is kept for reloads"
    page.evaluate("sessionStorage.setItem('something', 'kept by the page')")
    exit_button = page.locator(".ww-exit")
    assert exit_button.is_visible() and exit_button.text_content() == "Leave quickly"
    exit_button.click()
    page.wait_for_url("https://www.google.com/**", timeout=REPLY_TIMEOUT)
    assert page.text_content("p") == "neutral"
    page.go_back()
    assert not page.url.startswith(stack.gateway_url), "the chat page was replaced, so Back does not return to it"
    page.goto(f"{stack.gateway_url}/")
    page.wait_for_selector(".wegwijs[data-state=ready]", timeout=REPLY_TIMEOUT)
    assert page.evaluate("localStorage.getItem('wegwijs.conversation')") != earlier
    assert page.evaluate("sessionStorage.length") == 0
    assert page.locator(".ww-msg").count() == 0, "nothing of the earlier conversation comes back"
    page.close()


@pytest.mark.parametrize("language", ["nl", "ar"])
def test_the_privacy_notice_page_opens_in_the_users_language(stack: Stack, context, language: str) -> None:
    page = context.new_page()
    answer = page.goto(f"{stack.gateway_url}/privacy/{language}")
    assert answer.status == 200
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    assert page.text_content("h1") == text_of("gateway_privacy_page_title", language)
    body = page.text_content("main")
    assert (
        to_locale_digits("30", babel_name(language)) in body and to_locale_digits("112", babel_name(language)) in body
    )
    assert page.evaluate("document.scripts.length") == 0
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize") != "32px", (
        "its own stylesheet is applied under the strict policy"
    )
    page.close()


# For each phone link: its line boxes, and its characters read left to right on the screen.
TEL_LINKS = """() => [...document.querySelectorAll('.wegwijs .ww-links a.ww-tel')].map((a) => {
  const node = a.firstChild;
  const chars = [];
  for (let i = 0; i < node.length; i++) {
    if (!node.data[i].trim()) continue;
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    chars.push({c: node.data[i], x: range.getBoundingClientRect().x});
  }
  return {text: a.textContent, href: a.getAttribute('href'), lines: a.getClientRects().length,
          read: chars.sort((p, q) => p.x - q.x).map((p) => p.c).join('')};
})"""


def test_phone_links_in_a_dari_reply_stay_whole_and_read_as_written(stack: Stack, context) -> None:
    """The tap-to-call links under a right-to-left reply, at 360 px: each number on one line, its
    characters in the order they are written ("088 746 4466", never with its groups reversed)."""
    page, _ = open_chat(context, stack)
    try:
        ask(page, DARI_RETURN_QUESTION)
        page.wait_for_selector(".wegwijs .ww-links a.ww-tel", timeout=REPLY_TIMEOUT)
        links = page.evaluate(TEL_LINKS)
        assert links, "the return line's number is offered as a link"
        for link in links:
            assert link["href"].startswith("tel:+"), link
            assert link["lines"] == 1, link
            assert link["read"] == "".join(link["text"].split()), link
        assert no_horizontal_scroll(page)
    finally:
        page.close()
