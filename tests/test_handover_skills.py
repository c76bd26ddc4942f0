"""Hand-over by language skill (issue 15), against real processes: the account command sets,
shows and refuses languages (a real redis-server); two agents see one queue in their own orders
through the gateway's API; a user whose language nobody present speaks is told so in it, with
the call-back offer (at queueing, or once when they write after the last speaker left), and can
leave the queue for the call-back questions, while a user whose language is spoken is not told
anything more; canned replies carry their English source; and
the console shows the agent's languages, each ticket's language and a canned reply beside its
English source (Chromium; writes docs/staff-console-languages.png)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import redis

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.screenshots import screenshot_path
from tests.staff_browser import log_in
from tests.test_callback import texts
from tests.test_handover import DARI_FOLLOW_UP, say, text_of
from tests.test_staff_api import PASSWORD, StaffClient, account_command, create_account
from tests.test_stranded_handover import ASK_PERSON
from wegwijs.digits import to_locale_digits
from wegwijs.handover.tickets import conversation_key, ticket_key
from wegwijs.languages import SHIPPED, babel_name
from wegwijs.responses import load_specs, render

SAFETY = "my husband hits me and says he will kill me"
STRANDED_MINUTES = "15"  # the session stack's WEGWIJS_HANDOVER_STRANDED_MINUTES (the default)


def accounts_command(env: dict[str, str], *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.staff.accounts", *args],
        input=password,
        capture_output=True,
        text=True,
        env=env,
    )


def test_the_account_command_sets_shows_and_refuses_languages(redis_server) -> None:
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0", WEGWIJS_STAFF_SECRET="x" * 32)
    made = accounts_command(env, "create", "anna", "--role", "agent", "--password-stdin", password=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert accounts_command(env, "list").stdout.strip() == "anna\tagent", "no list yet: nothing shown"

    # In any order, repeated: kept once each, in the shipped order.
    done = accounts_command(env, "set-languages", "anna", "ar", "nl", "en", "nl")
    assert done.returncode == 0 and done.stdout.strip() == "anna speaks nl en ar"
    assert accounts_command(env, "list").stdout.strip() == "anna\tagent\tspeaks nl en ar"
    stored = redis.Redis(port=redis_server.port).hget("wegwijs:staff:account:anna", "languages")
    assert stored == b"nl en ar"

    refused = accounts_command(env, "set-languages", "anna", "nl", "ps", "fa")
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"error: unknown language 'ps', 'fa': use one or more of {', '.join(SHIPPED)}"
    assert accounts_command(env, "list").stdout.strip() == "anna\tagent\tspeaks nl en ar", "nothing changed"

    nobody = accounts_command(env, "set-languages", "ghost", "nl")
    assert nobody.returncode == 2 and nobody.stderr.strip() == "error: no account named 'ghost'"
    assert not redis.Redis(port=redis_server.port).exists("wegwijs:staff:account:ghost"), "no stub account made"

    cleared = accounts_command(env, "set-languages", "anna", "fa-AF")
    assert cleared.stdout.strip() == "anna speaks fa-AF"
    cleared = accounts_command(env, "set-languages", "anna")
    assert cleared.returncode == 0 and "no preference" in cleared.stdout
    assert accounts_command(env, "list").stdout.strip() == "anna\tagent"


def member(stack: Stack, gateway: httpx.Client, *languages: str) -> StaffClient:
    """An agent whose account lists ``languages``, logged in and available."""
    staff = StaffClient(gateway, create_account(stack, "agent"))
    if languages:
        account_command(stack, "set-languages", staff.username, *languages)
    assert staff.login().status_code == 200
    staff.available()
    return staff


@pytest.fixture
def members() -> Iterator[list[StaffClient]]:
    made: list[StaffClient] = []
    yield made
    for staff in made:
        staff.call("POST", "/staff/api/logout")


def queue_languages(staff: StaffClient, poll: bool = True) -> list[tuple[str, str, int]]:
    tickets = staff.call("GET", "/staff/api/queue", poll=poll).json()["tickets"]
    return [(t["language"], t["priority"], t["position"]) for t in tickets]


def test_two_agents_see_the_same_queue_in_their_own_order(
    stack: Stack, gateway: httpx.Client, empty_queue: None, members: list[StaffClient]
) -> None:
    arabic_and_dari = member(stack, gateway, "ar", "fa-AF")
    dutch = member(stack, gateway, "nl")
    no_list = member(stack, gateway)
    members += [arabic_and_dari, dutch, no_list]
    for language in ("nl", "en", "ar", "fa-AF"):  # oldest first
        answer = say(gateway, new_conversation(gateway), ASK_PERSON[language])
        assert answer["language"] == language and answer["handover"]["status"] == "queued", answer
    assert say(gateway, new_conversation(gateway), SAFETY)["handover"]["status"] == "queued"

    # The one queue: urgent first, then oldest first; positions are places in it, the same for all.
    plain = [("en", "urgent", 1), ("nl", "normal", 2), ("en", "normal", 3), ("ar", "normal", 4), ("fa-AF", "normal", 5)]
    assert queue_languages(no_list) == plain, "no languages listed: the queue in its plain order"
    assert queue_languages(arabic_and_dari) == [
        ("en", "urgent", 1),  # a safety message first, whatever its language
        ("ar", "normal", 4),
        ("fa-AF", "normal", 5),
        ("nl", "normal", 2),
        ("en", "normal", 3),
    ]
    assert queue_languages(dutch) == [
        ("en", "urgent", 1),
        ("nl", "normal", 2),
        ("en", "normal", 3),
        ("ar", "normal", 4),
        ("fa-AF", "normal", 5),
    ]
    filtered = dutch.call("GET", "/staff/api/queue?language=ar", poll=True).json()["tickets"]
    assert [(t["language"], t["position"]) for t in filtered] == [("ar", 4)], "a filter keeps the queue's places"

    # The session shows the list; changing it ends no session and reorders at the next request.
    assert dutch.call("GET", "/staff/api/session").json()["languages"] == ["nl"]
    account_command(stack, "set-languages", dutch.username, "fa-AF")
    assert dutch.call("GET", "/staff/api/session").json()["languages"] == ["fa-AF"]
    assert [language for language, _, _ in queue_languages(dutch)] == ["en", "fa-AF", "nl", "en", "ar"]


def test_canned_replies_come_in_the_users_language_with_their_english_source(
    stack: Stack, gateway: httpx.Client, members: list[StaffClient]
) -> None:
    agent = member(stack, gateway, "ar")
    members.append(agent)
    conversation = new_conversation(gateway)
    assert say(gateway, conversation, ASK_PERSON["ar"])["handover"]["status"] == "queued"
    ticket_id = redis.Redis.from_url(stack.redis_url, decode_responses=True).get(
        conversation_key("api:" + conversation)
    )
    assert agent.call("POST", f"/staff/api/tickets/{ticket_id}/claim").status_code == 200
    canned = agent.call("GET", f"/staff/api/tickets/{ticket_id}").json()["canned"]
    specs = load_specs()
    assert canned and all(c["key"].startswith("staff_canned_") for c in canned)
    for reply in canned:
        assert reply["text"] == render(specs[reply["key"]], "ar").text
        assert reply["source"] == specs[reply["key"]].text, "the English source beside it"
        assert reply["text"] != reply["source"]
    agent.call("POST", f"/staff/api/tickets/{ticket_id}/close")


def no_speaker_text(language: str) -> str:
    return text_of(
        "gateway_handover_no_speaker", language, minutes=to_locale_digits(STRANDED_MINUTES, babel_name(language))
    )


def test_a_user_whose_language_nobody_present_speaks_is_told_so_with_the_call_back_offer(
    stack: Stack, gateway: httpx.Client, nobody_present: None, members: list[StaffClient]
) -> None:
    members.append(member(stack, gateway, "nl", "en"))
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)

    dari = new_conversation(gateway)
    queued = say(gateway, dari, ASK_PERSON["fa-AF"])
    assert queued["language"] == "fa-AF" and queued["handover"]["status"] == "queued"
    shown = to_locale_digits(str(queued["handover"]["position"]), "fa_AF")
    assert texts(queued) == [text_of("utter_handover_queued", "fa-AF", position=shown), no_speaker_text("fa-AF")]
    told = queued["messages"][-1]
    assert "دری" in told["text"], "the language named in itself"
    assert told["buttons"] == [{"title": "به من زنگ بزنید", "payload": "/callback_instead"}]

    dutch = say(gateway, new_conversation(gateway), ASK_PERSON["nl"])
    assert dutch["handover"]["status"] == "queued"
    assert len(dutch["messages"]) == 1, "a user whose language is spoken hears only their place in the queue"

    # "Call me back": out of the queue, to the phone line and the call-back questions.
    ticket_id = store.get(conversation_key("api:" + dari))
    instead = gateway.post(
        "/api/v1/messages",
        json={"conversation_id": dari, "payload": "/callback_instead", "text": told["buttons"][0]["title"]},
    )
    assert instead.status_code == 200, instead.text
    answer = instead.json()
    assert answer["handover"] is None and answer["language"] == "fa-AF"
    assert texts(answer)[0] == text_of("gateway_handover_callback_instead", "fa-AF")
    assert texts(answer)[-1] == text_of("utter_ask_callback_wanted", "fa-AF"), "the call-back offer, with its buttons"
    assert store.hget(ticket_key(ticket_id), "status") == "closed"
    assert store.hget(ticket_key(ticket_id), "closed_reason") == "callback_instead"
    assert store.get(conversation_key("api:" + dari)) is None


def test_a_user_still_queued_when_the_last_speaker_leaves_is_told_once_when_they_write(
    stack: Stack, gateway: httpx.Client, nobody_present: None, members: list[StaffClient]
) -> None:
    dari_speaker = member(stack, gateway, "fa-AF")
    members += [dari_speaker, member(stack, gateway, "nl")]
    conversation = new_conversation(gateway)
    queued = say(gateway, conversation, ASK_PERSON["fa-AF"])
    assert queued["handover"]["status"] == "queued" and len(queued["messages"]) == 1, "a Dari speaker is there"
    still = say(gateway, conversation, DARI_FOLLOW_UP)
    assert len(still["messages"]) == 1, "still there: only the place in the queue"

    dari_speaker.available(False)  # the last Dari speaker leaves; a Dutch speaker stays
    later = say(gateway, conversation, DARI_FOLLOW_UP)
    shown = to_locale_digits(str(later["handover"]["position"]), "fa_AF")
    assert texts(later) == [text_of("gateway_handover_waiting", "fa-AF", position=shown), no_speaker_text("fa-AF")]
    assert later["messages"][-1]["buttons"][0]["payload"] == "/callback_instead"
    again = say(gateway, conversation, DARI_FOLLOW_UP)
    assert len(again["messages"]) == 1, "told once per ticket"


def test_a_present_member_without_a_list_might_speak_it_so_nothing_is_claimed(
    stack: Stack, gateway: httpx.Client, nobody_present: None, members: list[StaffClient]
) -> None:
    members += [member(stack, gateway, "nl"), member(stack, gateway)]
    queued = say(gateway, new_conversation(gateway), ASK_PERSON["ar"])
    assert queued["handover"]["status"] == "queued" and len(queued["messages"]) == 1


def test_the_console_shows_languages_and_canned_replies_beside_their_english_source(
    stack: Stack, gateway: httpx.Client, browser, empty_queue: None
) -> None:
    username = create_account(stack, "agent")
    account_command(stack, "set-languages", username, "ar", "nl")
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    try:
        log_in(page, stack.gateway_url, username)
        page.wait_for_selector("#languages:has-text('You speak: nl, ar')")
        page.check("#available")
        page.wait_for_selector("#available-state:has-text('on')")

        english = new_conversation(gateway)
        assert say(gateway, english, ASK_PERSON["en"])["handover"]["status"] == "queued"
        arabic = new_conversation(gateway)
        assert say(gateway, arabic, ASK_PERSON["ar"])["handover"]["status"] == "queued"
        page.wait_for_selector("#queue li:nth-child(2)", timeout=10_000)
        badges = page.locator("#queue li .lang").all_text_contents()
        assert badges == ["ar", "en"], "the agent's language first, each ticket's language as a badge"
        assert page.locator("#queue li.speaks").count() == 1
        assert "your language" in page.locator("#queue li:first-child").inner_text()

        page.click("#queue li:first-child button")
        page.wait_for_selector("#canned button.canned", timeout=10_000)
        assert page.locator("#ticket-meta .lang").inner_text() == "ar"
        greeting = page.locator("#canned button[data-key='staff_canned_greeting']")
        spec = load_specs()["staff_canned_greeting"]
        assert greeting.locator(".canned-text").inner_text() == render(spec, "ar").text
        assert greeting.locator(".canned-text").get_attribute("dir") == "rtl"
        assert greeting.locator(".canned-source").inner_text() == f"English: {spec.text}"
        text_box = greeting.locator(".canned-text").bounding_box()
        source_box = greeting.locator(".canned-source").bounding_box()
        assert text_box and source_box and source_box["x"] >= text_box["x"] + text_box["width"], "beside it"
        page.screenshot(path=screenshot_path("staff-console-languages.png"), full_page=True)
        greeting.click()
        assert page.input_value("#reply") == render(spec, "ar").text, "the Arabic text is what is sent"
        page.click("#close")
        page.wait_for_selector("#status:has-text('Closed')")
    finally:
        page.click("#logout")
        page.close()


def test_call_me_back_tapped_after_a_member_claimed_goes_to_them_and_later_to_the_call_back_questions(
    stack: Stack, gateway: httpx.Client, nobody_present: None, members: list[StaffClient]
) -> None:
    agent = member(stack, gateway, "nl")
    members.append(agent)
    dari = new_conversation(gateway)
    queued = say(gateway, dari, ASK_PERSON["fa-AF"])
    button = queued["messages"][-1]["buttons"][0]
    assert button["payload"] == "/callback_instead"
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    ticket_id = store.get(conversation_key("api:" + dari))
    assert agent.call("POST", f"/staff/api/tickets/{ticket_id}/claim").status_code == 200

    def tap() -> dict:
        answer = gateway.post(
            "/api/v1/messages", json={"conversation_id": dari, "payload": button["payload"], "text": button["title"]}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    held = tap()
    assert held["messages"] == [] and held["handover"] == {"status": "active", "position": None}, "the member has it"
    assert store.hget(ticket_key(ticket_id), "status") == "active"
    transcript = agent.call("GET", f"/staff/api/tickets/{ticket_id}").json()["transcript"]
    assert transcript[-1] == {**transcript[-1], "who": "user", "text": button["title"]}

    assert agent.call("POST", f"/staff/api/tickets/{ticket_id}/close").status_code == 200
    later = tap()  # the bot has the conversation again: the same phone line and call-back questions
    assert later["handover"] is None
    assert texts(later)[0] == text_of("gateway_handover_callback_instead", "fa-AF")
    assert texts(later)[-1] == text_of("utter_ask_callback_wanted", "fa-AF")
