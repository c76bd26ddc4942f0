"""Staff logins through a gateway of its own behind a (pretend) reverse proxy: the client is the
address the trusted proxy reports (api/client_address.py), so failures from a stranger's address
lock that address's attempts only, never the staff member's own."""
from __future__ import annotations

from typing import Iterator

import httpx
import pytest

from scripts.stack import Stack, free_port
from tests.test_health import start_gateway
from tests.test_staff_api import StaffClient, create_account

STRANGER = {"X-Forwarded-For": "203.0.113.9"}
MEMBER = {"X-Forwarded-For": "198.51.100.7"}


@pytest.fixture(scope="module")
def proxied(stack: Stack) -> Iterator[httpx.Client]:
    """A second gateway on the stack's Redis that believes X-Forwarded-For from 127.0.0.1."""
    env = dict(stack.environment(), WEGWIJS_CLIENT_ADDRESS_HEADER="X-Forwarded-For", WEGWIJS_TRUSTED_PROXIES="127.0.0.1")
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
