"""Fixtures that start the real services: a redis-server of the tests' own (on a free port, in
a temporary folder, so the machine's Redis and a running `make run` are never touched), the
action server, Rasa with the trained model, and the gateway."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from api.rate_limits import generous_env
from scripts.stack import Ports, Stack, free_port, port_open
from scripts.train import model_path

# IOM's real opening hours are not known (bot/opening_hours.yml); the stack under test uses these.
from tests.fake_graph_api import FakeGraphAPI
from tests.phone_texts import OPENING_HOURS
from wegwijs.handover.presence import ONLINE
from wegwijs.handover.tickets import QUEUE, WAITING, conversation_key, ticket_key

ROOT = Path(__file__).resolve().parent.parent
# The WhatsApp channel of the stack under test (the secrets are the tests' own, not real ones).
WHATSAPP_VERIFY_TOKEN = "verify-token-for-tests"
WHATSAPP_APP_SECRET = "app-secret-for-tests"
WHATSAPP_TEMPLATE = "wegwijs_staff_reply"
# The demo cases' references and dates of birth (data/cases/demo.csv): no log may ever hold them.
DEMO_CASE_DETAILS = (
    "IOM-NL-2026-000042",
    "IOM-NL-2026-000107",
    "IOM-NL-2025-000913",
    "2026000042",
    "2026000107",
    "2025000913",
    "1990-05-14",
    "1985-11-02",
    "2001-01-30",
    "14-05-1990",
    "02-11-1985",
    "30-01-2001",
)


class RedisServer:
    """A redis-server of the tests' own on 127.0.0.1. ``durable`` keeps an append-only file
    (fsync on every write), so a test can stop and start it and find its data again."""

    def __init__(self, folder: Path, durable: bool = False) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder, self.durable = folder, durable
        self.process: subprocess.Popen | None = None
        if not shutil.which("redis-server"):
            pytest.fail("redis-server is not installed: the tests need a real Redis (apt-get install redis-server)")
        folder.mkdir(parents=True, exist_ok=True)
        self.start()

    def start(self) -> None:
        keep = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.folder),
                "--save",
                "",
                *keep,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        assert self.process
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A durable Redis for one test."""
    server = RedisServer(tmp_path, durable=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def graph_api() -> Iterator[FakeGraphAPI]:
    """The WhatsApp Graph API stand-in on 127.0.0.1 that the stack's gateway sends to."""
    with FakeGraphAPI() as server:
        yield server


# The whole suite talks from 127.0.0.1, one client: the session stack's limits are far above what
# it sends. tests/test_rate_limits.py starts a gateway of its own with small limits.
GENEROUS_LIMITS = generous_env()


def whatsapp_env(graph: FakeGraphAPI) -> dict[str, str]:
    return {
        "WEGWIJS_WHATSAPP_VERIFY_TOKEN": WHATSAPP_VERIFY_TOKEN,
        "WEGWIJS_WHATSAPP_APP_SECRET": WHATSAPP_APP_SECRET,
        "WEGWIJS_WHATSAPP_TOKEN": graph.token,
        "WEGWIJS_WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
        "WEGWIJS_WHATSAPP_API_BASE": graph.base_url or "",
        "WEGWIJS_WHATSAPP_API_VERSION": graph.version,
        "WEGWIJS_WHATSAPP_TEMPLATE": WHATSAPP_TEMPLATE,
    }


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, graph_api: FakeGraphAPI) -> Iterator[Stack]:
    model = model_path()
    if not model.exists():
        pytest.fail(f"{model.name} is missing: run the tests with `make test`, which trains it")
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    ports = Ports.free()
    running = Stack(
        ports=ports,
        redis_url=redis.url,
        model=model,
        run_dir=tmp_path_factory.mktemp("stack"),
        quiet=True,
        opening_hours=OPENING_HOURS,
        extra_env={
            **whatsapp_env(graph_api),
            **GENEROUS_LIMITS,
            # stranded hand-overs are tested with a
            # sweeping gateway of their own
            "WEGWIJS_HANDOVER_SWEEP_SECONDS": "3600",
        },
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
        redis.stop()
    leaks = [
        log.name
        for log in running.run_dir.glob("*.log")
        if any(detail in log.read_text(encoding="utf-8", errors="replace") for detail in DEMO_CASE_DETAILS)
    ]
    assert not leaks, f"demo case references or dates of birth were logged by the whole run: {leaks}"


@pytest.fixture(scope="session")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        yield client


def new_conversation(gateway: httpx.Client | str) -> str:
    """A conversation id minted by the gateway (the only kind it accepts), as the web chat gets one."""
    answer = (
        gateway.post("/api/v1/conversations")
        if isinstance(gateway, httpx.Client)
        else httpx.post(f"{gateway}/api/v1/conversations", timeout=20)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["conversation_id"]


def clear_presence(stack: Stack) -> None:
    client = redis.Redis.from_url(stack.redis_url)
    try:
        client.delete(ONLINE)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def nobody_left_at_the_console(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test on the session's stack, nobody is "available" any more, however the test
    ended: the presence set is shared, and a member left there would have the next test's users
    queued instead of offered a call-back."""
    yield
    if "stack" in request.fixturenames:
        clear_presence(request.getfixturevalue("stack"))


@pytest.fixture
def nobody_present(stack: Stack) -> Iterator[None]:
    """Nobody at the console during the test (users who ask for a person get the phone line and
    the call-back offer)."""
    clear_presence(stack)
    try:
        yield
    finally:
        clear_presence(stack)


def clear_queue(stack: Stack) -> None:
    """Every queued ticket gone (with its hash and its conversation's link), as if handled."""
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        for ticket_id in client.zrange(QUEUE, 0, -1):
            conversation = client.hget(ticket_key(ticket_id), "conversation")
            client.delete(ticket_key(ticket_id), *([conversation_key(conversation)] if conversation else []))
            client.zrem(QUEUE, ticket_id)
            client.zrem(WAITING, ticket_id)
    finally:
        client.close()


@pytest.fixture
def empty_queue(stack: Stack) -> Iterator[None]:
    """An empty hand-over queue for a test about positions in it; emptied again afterwards."""
    clear_queue(stack)
    try:
        yield
    finally:
        clear_queue(stack)


@pytest.fixture
def conversation_id(gateway: httpx.Client) -> str:
    """A fresh conversation per test, so no test sees another's state."""
    return new_conversation(gateway)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium, driven by Playwright (the console's and the web chat's tests)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed (apt-get install chromium): the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()
