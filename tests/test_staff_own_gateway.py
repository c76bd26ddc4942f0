"""The staff side through a gateway of its own, set up as a site might run it: behind a
(pretend) reverse proxy, with a short idle time and a short presence window.

- The client is the address the trusted proxy reports (api/client_address.py), so failures from a
  stranger's address lock that address's attempts only, never the staff member's own.
- The console's marked polls are served but do not keep a session alive; real actions do.
- Nor do polls keep an available member present: while their tab only polls, users who ask for a
  person get the phone line; once they act, users are queued again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from scripts.stack import Stack, free_port
from tests.test_health import start_gateway
from tests.test_staff_api import StaffClient, create_account
from tests.test_staff_presence import anyone, asks_for_a_person, close_all_queued

IDLE_SECONDS = 12
PRESENCE_SECONDS = 4
STRANGER = {"X-Forwarded-For": "203.0.113.9"}
MEMBER = {"X-Forwarded-For": "198.51.100.7"}


@pytest.fixture(scope="module")
def proxied(stack: Stack) -> Iterator[httpx.Client]:
    """A second gateway on the stack's Redis that believes X-Forwarded-For from 127.0.0.1, ends
    sessions after IDLE_SECONDS without an action and counts an available member present for
    PRESENCE_SECONDS after one."""
    env = dict(
        stack.environment(),
        WEGWIJS_CLIENT_ADDRESS_HEADER="X-Forwarded-For",
        WEGWIJS_TRUSTED_PROXIES="127.0.0.1",
        WEGWIJS_STAFF_IDLE_SECONDS=str(IDLE_SECONDS),
        WEGWIJS_STAFF_PRESENCE_SECONDS=str(PRESENCE_SECONDS),
    )
    port = free_port()
    process = start_gateway(env, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_stranger_elsewhere_does_not_lock_a_member_out(stack: Stack, proxied: httpx.Client) -> None:
    username = create_account(stack, "agent")
    stranger = StaffClient(proxied, username, headers=STRANGER)
    refused = [stranger.login("not the password at all") for _ in range(5)]
    with_the_password = stranger.login()
    member = StaffClient(proxied, username, headers=MEMBER)
    answer = member.login()
    try:
        assert [r.status_code for r in refused + [with_the_password]] == [401] * 6
        assert with_the_password.json() == refused[0].json(), "a locked client hears what a wrong password hears"
        assert answer.status_code == 200, "the member's own address is not locked"
    finally:
        member.call("POST", "/staff/api/logout")


def test_polls_alone_let_a_session_expire_and_actions_keep_one(stack: Stack, proxied: httpx.Client) -> None:
    polling = StaffClient(proxied, create_account(stack, "agent"), headers=MEMBER)
    acting = StaffClient(proxied, create_account(stack, "agent"), headers=MEMBER)
    # The polling session's idle clock starts at its login: the other login (a password hash, slow
    # on a loaded machine) must not run between the two.
    assert polling.login().status_code == 200
    started = time.monotonic()
    assert acting.login().status_code == 200
    served = 0
    try:
        while (answer := polling.call("GET", "/staff/api/queue", poll=True)).status_code == 200:
            served += 1
            assert time.monotonic() - started < 12 * IDLE_SECONDS, "polls kept the session alive"
            assert acting.call("POST", "/staff/api/activity").status_code == 204
            assert acting.call("GET", "/staff/api/queue", poll=True).status_code == 200
            time.sleep(0.2)
        assert answer.status_code == 401 and served > 0, "served while the session lived, then logged out"
        assert time.monotonic() - started >= IDLE_SECONDS - 1
        assert acting.call("GET", "/staff/api/session").status_code == 200, "a person acting stays logged in"
    finally:
        acting.call("POST", "/staff/api/logout")


def test_an_available_member_whose_tab_only_polls_is_not_present(
    stack: Stack,
    gateway: httpx.Client,
    proxied: httpx.Client,
    nobody_present,
) -> None:
    member = StaffClient(proxied, create_account(stack, "agent"), headers=MEMBER)
    assert member.login().status_code == 200
    try:
        member.available()
        assert asyncio.run(anyone(stack)) is True, "available and just acted"
        started = time.monotonic()
        while asyncio.run(anyone(stack)):
            assert member.call("GET", "/staff/api/queue", poll=True).status_code == 200
            assert member.call("GET", "/staff/api/session", poll=True).json()["available"] is True
            assert time.monotonic() - started < 10 * PRESENCE_SECONDS, "polls kept the member present"
            time.sleep(0.2)
        only_polling = asks_for_a_person(gateway)
        assert member.call("GET", "/staff/api/queue", poll=True).status_code == 200, "still logged in, still polling"
        assert member.call("POST", "/staff/api/activity").status_code == 204  # the person moves the mouse
        acting = asks_for_a_person(gateway)
        close_all_queued(member)
    finally:
        member.call("POST", "/staff/api/logout")
    assert (only_polling, acting) == ("phone line", "queued")
