"""Who counts as present for a hand-over: a member who switched "available" on and acted within
the window. Against a real redis-server (the presence list's rules, with a clock) and through the
running stack, where a user who asks for a person is queued only then, and otherwise gets the
phone line and the offer of a call-back."""

from __future__ import annotations

import asyncio

import httpx
from redis.asyncio import Redis

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.test_callback import texts
from tests.test_handover import say, text_of
from tests.test_staff_api import StaffClient, account_command, create_account
from wegwijs.handover.presence import AWAY_AFTER_SECONDS, ONLINE, Presence

ASK = "i would like to talk to a human from IOM please"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_member_counts_for_the_window_after_an_action_and_lapsed_names_are_pruned(redis_server) -> None:
    async def scenario():
        client, clock = Redis(host="127.0.0.1", port=redis_server.port), Clock()
        presence = Presence(client, clock)
        seen = [await presence.anyone()]
        await presence.seen("anna")
        seen.append(await presence.anyone())
        clock.now += AWAY_AFTER_SECONDS - 1
        seen.append(await presence.anyone())
        clock.now += 2
        seen.append(await presence.anyone())
        await presence.seen("bram", for_seconds=10)  # a shorter window: a session's idle time
        names = [name.decode() for name in await client.zrange(ONLINE, 0, -1)]
        await presence.gone("bram")
        seen.append(await presence.anyone())
        await client.close()
        return seen, names

    seen, names = asyncio.run(scenario())
    assert seen == [False, True, True, False, False]
    assert names == ["bram"], "anna had lapsed: pruned when bram was seen"


def asks_for_a_person(gateway: httpx.Client) -> str:
    """'queued', or 'phone line' (the line and the offer of a call-back), for a fresh user."""
    answer = say(gateway, new_conversation(gateway), ASK)
    if answer["handover"] and answer["handover"]["status"] == "queued":
        return "queued"
    assert texts(answer)[0] == text_of("utter_human_unavailable", "en")
    assert texts(answer)[-1] == text_of("utter_ask_callback_wanted", "en"), "the offer of a call-back"
    return "phone line"


def close_all_queued(member: StaffClient) -> None:
    for ticket in member.call("GET", "/staff/api/queue?language=en").json()["tickets"]:
        member.call("POST", f"/staff/api/tickets/{ticket['id']}/claim")
        member.call("POST", f"/staff/api/tickets/{ticket['id']}/close")


def test_only_an_available_member_gets_users_queued(stack: Stack, gateway: httpx.Client, nobody_present) -> None:
    member = StaffClient(gateway, create_account(stack, "agent"))
    assert member.login().status_code == 200
    try:
        assert member.call("GET", "/staff/api/session").json()["available"] is False, "off after login"
        assert member.call("GET", "/staff/api/queue").status_code == 200  # acting, but not available
        logged_in = asks_for_a_person(gateway)

        assert (
            member.call("POST", "/staff/api/availability", json_body={"available": True}, csrf=False).status_code == 403
        )
        member.available()
        assert member.call("GET", "/staff/api/session").json()["available"] is True
        available = asks_for_a_person(gateway)
        close_all_queued(member)

        member.available(False)
        switched_off = asks_for_a_person(gateway)

        member.available()
        assert member.call("POST", "/staff/api/logout").status_code == 204
        logged_out = asks_for_a_person(gateway)
    finally:
        member.call("POST", "/staff/api/logout")
    assert (logged_in, available, switched_off, logged_out) == ("phone line", "queued", "phone line", "phone line")


def test_deleting_an_available_member_leaves_nobody_present(
    stack: Stack, gateway: httpx.Client, nobody_present
) -> None:
    member = StaffClient(gateway, create_account(stack, "agent"))
    assert member.login().status_code == 200
    member.available()
    assert asyncio.run(anyone(stack)) is True
    account_command(stack, "delete", member.username)
    assert asyncio.run(anyone(stack)) is False, "at once, not when the window lapses"
    assert asks_for_a_person(gateway) == "phone line"


async def anyone(stack: Stack) -> bool:
    """What the action server asks before it queues a user."""
    client = Redis.from_url(stack.redis_url)
    try:
        return await Presence(client).anyone()
    finally:
        await client.close()
