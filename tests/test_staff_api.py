"""The staff API through the gateway against the running stack (real Redis): every non-public
route refuses anonymous requests, sessions and CSRF, the queue, claims and closing."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pyotp
from redis.asyncio import Redis

from api.main import fastapi_app as app
from api.routes.staff_pages import PAGES as PAGE_FILES
from api.staff.audit import AuditLog
from api.staff.sessions import COOKIE
from scripts.stack import Stack
from wegwijs.handover.tickets import TicketQueue
from wegwijs.languages import SHIPPED
from wegwijs.translation_status import unreviewed_languages

PUBLIC = {
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/api/v1/messages",
    "/health",
    "/health/live",
    "/health/ready",
    # Counts only, no personal data (tests/test_metrics.py); refused when it comes through the
    # reverse proxy, so only a scraper inside reaches it.
    "/metrics",
    "/staff/api/login",
    "/api/v1/conversations/{conversation_id}/events",
    "/staff/login",
    # the web chat: a signed conversation id (not a staff session) guards these
    "/api/v1/conversations",
    "/api/v1/conversations/{conversation_id}",
    "/api/v1/ui/{language}",
    "/",
    "/chat",  # the web chat's page, script and style: no data in them
    "/webhooks/whatsapp",  # Meta's: the verify token and the body's signature guard it
    "/privacy/{language}",  # the privacy notice page: public texts only
    "/staff/static",
}  # the console's script and style: no data in them
# Pages answer an anonymous browser with a redirect to the login page instead of a 401.
PAGES = {"/staff", "/staff/whatsapp", "/staff/review", "/staff/dashboard"}
PASSWORD = "a long enough password"


@dataclass
class Enrolled:
    """What the account command printed for one account, as its owner would keep it."""

    secret: str
    recovery_codes: list[str]
    uri: str
    last_step: int = -1  # the last TOTP step handed out: the gateway accepts each step once
    used_recovery: set[str] = field(default_factory=set)


ENROLLED: dict[str, Enrolled] = {}


def enrolment_of(output: str) -> Enrolled:
    """Parse the command's output: the otpauth:// URI, the secret and the recovery codes."""
    uri = re.search(r"^provisioning URI: (otpauth://\S+)$", output, re.M).group(1)
    secret = re.search(r"^secret \(to type in instead\): ([A-Z2-7 ]+)$", output, re.M).group(1).replace(" ", "")
    codes = re.findall(r"^  ([0-9]{5}-[0-9]{5}-[0-9]{5}-[0-9]{5})$", output, re.M)
    assert pyotp.parse_uri(uri).secret == secret, "the URI and the printed secret agree"
    return Enrolled(secret, codes, uri)


def create_account(stack: Stack, role: str) -> str:
    username = f"{role}-{os.urandom(3).hex()}"
    made = subprocess.run(
        [sys.executable, "-m", "api.staff.accounts", "create", username, "--role", role, "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=stack.environment(),
    )
    assert made.returncode == 0, made.stderr
    ENROLLED[username] = enrolment_of(made.stdout)
    return username


def account_command(stack: Stack, *args: str) -> subprocess.CompletedProcess:
    """``python -m api.staff.accounts ARGS`` against the stack's Redis, as an administrator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "api.staff.accounts", *args], capture_output=True, text=True, env=stack.environment()
    )
    assert done.returncode == 0, done.stderr
    return done


def fresh_code(username: str) -> tuple[str, Callable[[], None]]:
    """A code the gateway has not seen used for this account, computed from its printed secret,
    and what marks it used (once the gateway accepted it): the current step's code, or the next
    step's (also accepted) when this one is used, else an unused recovery code."""
    enrolled = ENROLLED[username]
    totp = pyotp.TOTP(enrolled.secret)
    now = totp.timecode(time.time())
    step = max(now, enrolled.last_step + 1)
    if step <= now + 1:
        return totp.generate_otp(step), lambda: setattr(enrolled, "last_step", step)
    code = next(c for c in enrolled.recovery_codes if c not in enrolled.used_recovery)
    return code, lambda: enrolled.used_recovery.add(code)


def next_code(username: str) -> str:
    """A fresh code, counted as used at once (for a browser, whose answer the test does not see)."""
    code, used = fresh_code(username)
    used()
    return code


class StaffClient:
    """A staff member's browser: keeps the session cookie (sent by hand: httpx, like a browser,
    would keep a Secure cookie off plain http, and these tests talk to 127.0.0.1) and the CSRF token."""

    def __init__(self, gateway: httpx.Client, username: str, headers: dict[str, str] | None = None) -> None:
        self.gateway, self.username = gateway, username
        self.cookie, self.csrf = "", ""
        self.headers = dict(headers or {})  # sent with every request, e.g. a proxy's X-Forwarded-For

    def login(self, password: str = PASSWORD, code: str | None = None) -> httpx.Response:
        """Log in with the password and, unless one is given, a fresh code from the account's app."""
        headers = dict(self.headers, **({"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}))
        used = None
        if code is None:
            code, used = fresh_code(self.username) if self.username in ENROLLED else ("000000", None)
        answer = self.gateway.post(
            "/staff/api/login", headers=headers, json={"username": self.username, "password": password, "code": code}
        )
        if answer.status_code == 200:
            if used:
                used()
            self.cookie = answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]
            self.csrf = answer.json()["csrf"]
        return answer

    def available(self, on: bool = True) -> None:
        """Flip the console's "available" switch (off after login): users are queued for a person
        only while someone is available and acting."""
        answer = self.call("POST", "/staff/api/availability", json_body={"available": on})
        assert answer.status_code == 200 and answer.json() == {"available": on}, answer.text

    def call(
        self, method: str, path: str, csrf: bool = True, json_body: dict | None = None, poll: bool = False
    ) -> httpx.Response:
        """A request of the person's; ``poll``: one the console makes by itself, marked as such."""
        headers = dict(self.headers, Cookie=f"{COOKIE}={self.cookie}")
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        if poll:
            headers["X-Wegwijs-Poll"] = "1"
        return self.gateway.request(method, path, headers=headers, json=json_body)


def test_every_non_public_route_refuses_anonymous_requests(gateway: httpx.Client) -> None:
    checked = []
    for route in app.routes:
        if route.path in PUBLIC:
            continue
        path = route.path.replace("{ticket_id}", "x" * 22)
        for method in getattr(route, "methods", {"GET"}) - {"HEAD"}:
            answer = gateway.request(method, path)
            if route.path in PAGES:
                assert (answer.status_code, answer.headers.get("location")) == (303, "/staff/login"), path
            else:
                assert answer.status_code == 401, (method, path, answer.status_code)
            checked.append(path)
    assert "/staff/api/queue" in checked and "/staff" in checked and len(checked) >= 8


def assert_served_with_strict_csp(gateway: httpx.Client, paths: tuple[str, ...]) -> None:
    """Each path answers 200 with a Content-Security-Policy that allows no inline script."""
    for path in paths:
        answer = gateway.get(path)
        assert answer.status_code == 200, path
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path


def test_pages_carry_a_csp_without_inline_script(gateway: httpx.Client) -> None:
    assert_served_with_strict_csp(gateway, ("/staff/login", "/staff/static/console.js", "/staff/static/console.css"))
    for page in PAGE_FILES.glob("*.html"):
        scripts = re.findall(r"<script\b[^>]*>", page.read_text(encoding="utf-8"))
        assert scripts and all(" src=" in tag for tag in scripts), f"{page.name}: inline script"
        assert not re.search(r"\son[a-z]+\s*=", page.read_text(encoding="utf-8")), f"{page.name}: inline event handler"


def test_login_session_cookie_csrf_and_logout(stack: Stack, gateway: httpx.Client) -> None:
    agent = StaffClient(gateway, create_account(stack, "agent"))
    wrong = StaffClient(gateway, agent.username).login("not the password at all")
    unknown = StaffClient(gateway, "nobody-" + os.urandom(3).hex()).login()
    assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()

    answer = agent.login()
    assert answer.status_code == 200 and answer.json()["role"] == "agent"
    attributes = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
    assert attributes[0].startswith("__host-") and {"secure", "httponly", "samesite=strict", "path=/"} <= set(
        attributes
    )
    assert not any(a.startswith("domain") for a in attributes)
    first_cookie = agent.cookie

    session = agent.call("GET", "/staff/api/session").json()
    assert session["username"] == agent.username
    assert session["unreviewed_languages"] == [code for code in SHIPPED if code in unreviewed_languages()]
    assert agent.call("POST", "/staff/api/tickets/" + "x" * 22 + "/claim", csrf=False).status_code == 403
    agent.login()
    assert agent.cookie != first_cookie, "the session id rotates at login"
    old = StaffClient(gateway, agent.username)
    old.cookie, old.csrf = first_cookie, agent.csrf
    assert old.call("GET", "/staff/api/session").status_code == 401, "the session before the login is gone"

    assert agent.call("POST", "/staff/api/logout").status_code == 204
    assert agent.call("GET", "/staff/api/session").status_code == 401, "logout ends the session on the server"


def test_a_login_needs_a_fresh_code_or_an_unused_recovery_code(stack: Stack, gateway: httpx.Client) -> None:
    member = StaffClient(gateway, create_account(stack, "agent"))
    wrong_password = member.login("not the password at all")
    without_code = gateway.post("/staff/api/login", json={"username": member.username, "password": PASSWORD})
    totp = pyotp.TOTP(ENROLLED[member.username].secret)
    valid = {totp.at(time.time(), counter_offset=offset) for offset in (-1, 0, 1)}
    wrong_code = member.login(code=next(f"{n:06d}" for n in range(0, 10**6, 7919) if f"{n:06d}" not in valid))

    code, used = fresh_code(member.username)
    assert member.login(code=code).status_code == 200
    used()
    assert member.call("POST", "/staff/api/logout").status_code == 204
    reused = member.login(code=code)

    recovery = ENROLLED[member.username].recovery_codes[-1]
    ENROLLED[member.username].used_recovery.add(recovery)
    assert member.login(code=recovery).status_code == 200, "a recovery code instead of the app's code"
    assert member.call("POST", "/staff/api/logout").status_code == 204
    recovery_again = member.login(code=recovery)

    refusals = [wrong_password, without_code, wrong_code, reused, recovery_again]
    assert [r.status_code for r in refusals] == [401] * 5
    assert all(r.json() == wrong_password.json() for r in refusals), "one answer for every refusal"
    assert member.login().status_code == 200, "refusals were failed logins, not a lock: a fresh code works"
    assert member.call("POST", "/staff/api/logout").status_code == 204


def test_demoting_re_enrolling_or_deleting_an_account_ends_its_sessions_at_once(
    stack: Stack, gateway: httpx.Client
) -> None:
    boss = StaffClient(gateway, create_account(stack, "supervisor"))
    assert boss.login().json()["role"] == "supervisor"
    account_command(stack, "set-role", boss.username, "agent")
    assert boss.call("GET", "/staff/api/session").status_code == 401, "demoted: the supervisor's session is gone"
    assert boss.login().json()["role"] == "agent"

    ENROLLED[boss.username] = enrolment_of(account_command(stack, "reset-totp", boss.username).stdout)
    assert boss.call("GET", "/staff/api/session").status_code == 401, "a reset second factor ends the session"
    assert boss.login().status_code == 200, "with a code of the new secret"

    account_command(stack, "delete", boss.username)
    assert boss.call("GET", "/staff/api/queue").status_code == 401, "a deleted account's session is gone"
    assert boss.login().status_code == 401


def open_tickets(stack: Stack, specs: list[tuple[str, str, str]]) -> list[str]:
    async def go():
        redis = Redis.from_url(stack.redis_url)
        queue = TicketQueue(redis)
        ids = []
        for language, priority, reason in specs:
            ticket = await queue.open("t-" + os.urandom(6).hex(), "api", language, "contact", priority, reason)
            ids.append(ticket.id)
        await redis.close()
        return ids

    return asyncio.run(go())


def test_queue_claims_and_closing(stack: Stack, gateway: httpx.Client) -> None:
    anna, bram = (StaffClient(gateway, create_account(stack, "agent")) for _ in range(2))
    boss = StaffClient(gateway, create_account(stack, "supervisor"))
    for member in (anna, bram, boss):
        assert member.login().status_code == 200
    normal, urgent = open_tickets(stack, [("fa-AF", "normal", "user_request"), ("fa-AF", "urgent", "safety")])

    listed = [t["id"] for t in anna.call("GET", "/staff/api/queue?language=fa-AF").json()["tickets"]]
    assert listed.index(urgent) < listed.index(normal), "safety first"
    assert anna.call("GET", "/staff/api/queue?language=xx").status_code == 422

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda who: who.call("POST", f"/staff/api/tickets/{normal}/claim"), (anna, bram)))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409] or codes == [200, 404], codes
    winner, loser = (anna, bram) if results[0].status_code == 200 else (bram, anna)
    assert loser.call("POST", f"/staff/api/tickets/{normal}/close").status_code == 404, "not theirs"
    assert winner.call("POST", f"/staff/api/tickets/{normal}/close").status_code == 200
    assert boss.call("POST", f"/staff/api/tickets/{urgent}/close").status_code == 200, "a supervisor may close any"
    assert anna.call("POST", "/staff/api/tickets/" + "y" * 22 + "/claim").status_code == 404
    for member in (anna, bram, boss):  # nobody stays "at the console" for later tests
        assert member.call("POST", "/staff/api/logout").status_code == 204
    done = {(e["staff"], e["action"], e["ticket"], e["outcome"]) for e in audit_entries(stack)}
    assert {
        (winner.username, "claim", normal, "ok"),
        (winner.username, "close", normal, "ok"),
        (boss.username, "close", urgent, "ok"),
        (anna.username, "logout", "", "ok"),
    } <= done


def audit_entries(stack: Stack) -> list[dict]:
    async def read():
        redis = Redis.from_url(stack.redis_url)
        entries = await AuditLog(redis).latest(500)
        await redis.close()
        return entries

    return asyncio.run(read())


def test_a_ticket_view_is_audited_once_per_opening_not_per_poll(stack: Stack, gateway: httpx.Client) -> None:
    agent = StaffClient(gateway, create_account(stack, "agent"))
    assert agent.login().status_code == 200
    try:
        (ticket,) = open_tickets(stack, [("nl", "normal", "user_request")])
        assert agent.call("POST", f"/staff/api/tickets/{ticket}/claim").status_code == 200

        def views() -> int:
            return sum(1 for e in audit_entries(stack) if e["ticket"] == ticket and e["action"] == "view")

        assert agent.call("GET", f"/staff/api/tickets/{ticket}").status_code == 200  # opened
        for _ in range(5):  # the console refreshing the open ticket
            assert agent.call("GET", f"/staff/api/tickets/{ticket}", poll=True).status_code == 200
        after_polls = views()
        assert agent.call("GET", f"/staff/api/tickets/{ticket}").status_code == 200  # opened again
        assert (after_polls, views()) == (1, 2)
        assert agent.call("POST", f"/staff/api/tickets/{ticket}/close").status_code == 200
    finally:
        agent.call("POST", "/staff/api/logout")


def test_an_empty_or_over_long_reply_is_refused_and_nothing_is_sent(stack: Stack, gateway: httpx.Client) -> None:
    agent = StaffClient(gateway, create_account(stack, "agent"))
    assert agent.login().status_code == 200
    try:
        (ticket,) = open_tickets(stack, [("nl", "normal", "user_request")])
        assert agent.call("POST", f"/staff/api/tickets/{ticket}/claim").status_code == 200
        for text in ("", "x" * 2001):
            refused = agent.call("POST", f"/staff/api/tickets/{ticket}/reply", json_body={"text": text})
            assert refused.status_code == 422 and refused.json()["error"], text[:10]
        assert agent.call("POST", f"/staff/api/tickets/{ticket}/reply", json_body={"text": 42}).status_code == 422
        assert agent.call("GET", f"/staff/api/tickets/{ticket}").json()["transcript"] == [], "nothing was sent"
        assert (
            agent.call("POST", f"/staff/api/tickets/{ticket}/reply", json_body={"text": "x" * 2000}).status_code == 200
        )
        assert agent.call("POST", f"/staff/api/tickets/{ticket}/close").status_code == 200
    finally:
        agent.call("POST", "/staff/api/logout")
