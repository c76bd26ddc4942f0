"""One settings object per process, checked at start-up: every problem is named by its variable,
no value is ever printed, a partial WhatsApp configuration is an error, and no running service
generates a secret. The last two tests start real processes through their one entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.settings import ActionSettings
from api.settings import Settings
from scripts.stack import Stack, free_port
from wegwijs.settings import ConfigurationError, load

ROOT = Path(__file__).resolve().parent.parent
TOKEN, KEY, STAFF = "t" * 24, "k" * 24, "s" * 24
GOOD = {"WEGWIJS_RASA_TOKEN": TOKEN, "WEGWIJS_CONVERSATION_SECRET": KEY}
WHATSAPP = {
    "WEGWIJS_WHATSAPP_VERIFY_TOKEN": "verify-token-value",
    "WEGWIJS_WHATSAPP_APP_SECRET": "app-secret-value",
    "WEGWIJS_WHATSAPP_TOKEN": "graph-token-value",
    "WEGWIJS_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """An environment without any of our variables, for the test to fill."""
    for name in list(os.environ):
        if name.startswith("WEGWIJS_") or name in ("REDIS_URL", "DATABASE_URL"):
            monkeypatch.delenv(name)
    yield monkeypatch


def gateway_error(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> str:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as refused:
        load(Settings)
    return str(refused.value)


def test_missing_secrets_are_named_each(environment: pytest.MonkeyPatch) -> None:
    message = gateway_error(environment, {})
    assert "WEGWIJS_RASA_TOKEN: must be set" in message
    assert "WEGWIJS_CONVERSATION_SECRET: must be set" in message


def test_a_short_secret_and_a_bad_number_are_refused_without_printing_them(environment: pytest.MonkeyPatch) -> None:
    message = gateway_error(
        environment,
        {**GOOD, "WEGWIJS_RASA_TOKEN": "short-token", "WEGWIJS_RASA_TIMEOUT": "-3", "WEGWIJS_TRUSTED_PROXIES": "nope"},
    )
    assert "WEGWIJS_RASA_TOKEN: must be a secret of at least 16 characters" in message
    assert "WEGWIJS_RASA_TIMEOUT:" in message
    assert "WEGWIJS_TRUSTED_PROXIES:" in message
    assert "short-token" not in message


@pytest.mark.parametrize("left_out", sorted(WHATSAPP))
def test_a_partial_whatsapp_configuration_is_an_error(environment: pytest.MonkeyPatch, left_out: str) -> None:
    given = {name: value for name, value in WHATSAPP.items() if name != left_out}
    message = gateway_error(
        environment, {**GOOD, "REDIS_URL": "redis://127.0.0.1:1/0", "WEGWIJS_STAFF_SECRET": STAFF, **given}
    )
    assert "WhatsApp is partly configured" in message and left_out in message
    assert not any(value in message for value in given.values())


def test_whatsapp_needs_redis(environment: pytest.MonkeyPatch) -> None:
    assert "needs Redis" in gateway_error(environment, {**GOOD, **WHATSAPP})


def test_the_staff_side_needs_its_secret(environment: pytest.MonkeyPatch) -> None:
    message = gateway_error(environment, {**GOOD, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert "WEGWIJS_STAFF_SECRET must be set with REDIS_URL" in message


def test_a_complete_configuration_gives_every_part(environment: pytest.MonkeyPatch) -> None:
    for name, value in {
        **GOOD,
        **WHATSAPP,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "WEGWIJS_STAFF_SECRET": STAFF,
        "WEGWIJS_RASA_URL": "http://rasa:5005/",
        "WEGWIJS_CLIENT_ADDRESS_HEADER": "X-Forwarded-For",
        "WEGWIJS_TRUSTED_PROXIES": "10.0.0.0/8",
    }.items():
        environment.setenv(name, value)
    settings = load(Settings)
    assert settings.rasa_url == "http://rasa:5005" and settings.rasa_token == TOKEN
    assert settings.conversation_secret == KEY.encode() and settings.staff_secret == STAFF.encode()
    whatsapp = settings.whatsapp
    assert whatsapp is not None and whatsapp.phone_number_id == "106540352242922"
    assert settings.clients.header == "x-forwarded-for"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)


def test_empty_variables_count_as_unset(environment: pytest.MonkeyPatch) -> None:
    for name, value in {**GOOD, "REDIS_URL": "", "WEGWIJS_WHATSAPP_TOKEN": ""}.items():
        environment.setenv(name, value)
    settings = load(Settings)
    assert settings.redis_url is None and settings.whatsapp is None


def test_the_action_server_needs_its_lookup_secret(environment: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="WEGWIJS_LOOKUP_SECRET: must be set"):
        load(ActionSettings)
    environment.setenv("WEGWIJS_LOOKUP_SECRET", KEY)
    environment.setenv("WEGWIJS_LOOKUP_LIMIT_CLIENT", "0")
    with pytest.raises(ConfigurationError, match="WEGWIJS_LOOKUP_LIMIT_CLIENT"):
        load(ActionSettings)


def run_to_exit(process: str, env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """Start one process through its entry point and wait for it to give up (bounded)."""
    log = tmp_path / f"{process}.log"
    with log.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "wegwijs.serve", process, "--port", str(free_port())],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    return done.returncode, log.read_text(encoding="utf-8", errors="replace")


def test_a_gateway_with_half_a_whatsapp_configuration_does_not_start(stack: Stack, tmp_path: Path) -> None:
    env = {**stack.environment(), **WHATSAPP}
    del env["WEGWIJS_WHATSAPP_TOKEN"]
    code, log = run_to_exit("gateway", env, tmp_path)
    assert code != 0
    assert "WhatsApp is partly configured: set WEGWIJS_WHATSAPP_TOKEN too" in log
    assert WHATSAPP["WEGWIJS_WHATSAPP_APP_SECRET"] not in log


def test_no_running_service_generates_a_secret(stack: Stack, tmp_path: Path) -> None:
    """Without its secret the action server stops and names it; nothing writes a .env.local."""
    env = {k: v for k, v in stack.environment().items() if k != "WEGWIJS_LOOKUP_SECRET"}
    before = (ROOT / ".env.local").read_bytes() if (ROOT / ".env.local").exists() else None
    code, log = run_to_exit("actions", env, tmp_path)
    assert code != 0 and "WEGWIJS_LOOKUP_SECRET: must be set" in log
    after = (ROOT / ".env.local").read_bytes() if (ROOT / ".env.local").exists() else None
    assert after == before
