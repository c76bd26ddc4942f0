"""Operational alerts (issue 15): the example Prometheus rules in deploy/prometheus/alerts.yml
parse and name only metrics the gateway serves; the gauges they read move with what happens: a
ticket waiting past the threshold, the share of turns not understood per language."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest
import yaml
from redis.asyncio import Redis as AsyncRedis

from scripts.stack import ROOT, Stack
from tests.conftest import new_conversation
from tests.gateway_process import gateway_with
from tests.test_dashboard_browser import fell_back, send
from tests.test_never_a_dead_end import GIBBERISH
from tests.waiting import until
from wegwijs.handover.tickets import TicketQueue

RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\b(wegwijs_[a-z0-9_]+)\b")


@pytest.fixture(scope="module")
def own_gateway(stack: Stack) -> Iterator[str]:
    with gateway_with(stack, {"WEGWIJS_ALERT_WAIT_MINUTES": "0.02"}) as base:  # 1.2 s
        yield base


def served_names(text: str) -> set[str]:
    return set(re.findall(r"^# HELP (\S+) ", text, re.M))


def sample(text: str, name: str, labels: str = "") -> float | None:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_rule_names_served_metrics(own_gateway: str) -> None:
    with httpx.Client(base_url=own_gateway, timeout=30) as client:
        send(client, new_conversation(client), "hello, how can IOM help me return home", "en")
        served = served_names(client.get("/metrics").text)
    found = rules()
    assert {r["alert"] for r in found} >= {
        "WegwijsTicketsWaitingLong",
        "WegwijsFallbackRateHigh",
        "WegwijsWhatsAppSendFailures",
    }
    for rule in found:
        assert rule["labels"]["severity"] in ("page", "ticket") and rule["annotations"]["summary"], rule["alert"]
        names = METRIC.findall(rule["expr"])
        assert names, f"{rule['alert']} names no metric"
        missing = [name for name in names if name not in served]
        assert not missing, f"{rule['alert']}: not served by the gateway: {missing}"
    assert "wegwijs_no_such_metric" not in served, "the check can fail"


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool is not installed; the names are checked above")
def test_promtool_accepts_the_rules() -> None:
    done = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_fallback_rate_follows_the_turns(own_gateway: str) -> None:
    with httpx.Client(base_url=own_gateway, timeout=30) as client:
        conversation = new_conversation(client)
        before = client.get("/metrics").text
        counted = {
            outcome: sample(before, "wegwijs_turns_understood_total", f'{{language="nl",outcome="{outcome}"}}') or 0.0
            for outcome in ("understood", "fallback")
        }
        replies = [
            send(client, conversation, text, "nl")
            for text in ("Hallo, ik wil graag terug naar mijn land. Kan IOM mij helpen?", GIBBERISH, GIBBERISH)
        ]
        unclear = sum(fell_back(body, "nl") for body in replies)
        assert unclear >= 1, "gibberish is not understood"
        after = client.get("/metrics").text
    fallback = sample(after, "wegwijs_turns_understood_total", '{language="nl",outcome="fallback"}')
    understood = sample(after, "wegwijs_turns_understood_total", '{language="nl",outcome="understood"}')
    assert (fallback or 0) - counted["fallback"] == unclear
    assert (understood or 0) - counted["understood"] == 3 - unclear
    total_nl = (fallback or 0) + (understood or 0)
    assert sample(after, "wegwijs_fallback_rate", '{language="nl"}') == pytest.approx((fallback or 0) / total_nl)


def test_a_ticket_waiting_too_long_is_counted(stack: Stack, own_gateway: str) -> None:
    conversation = f"api:alert-test-{uuid.uuid4().hex}"

    async def scenario() -> None:
        redis = AsyncRedis.from_url(stack.redis_url)
        queue = TicketQueue(redis)
        ticket = await queue.open(conversation, "api", "en", "human_handover", "normal", "user_request")
        try:
            async with httpx.AsyncClient(base_url=own_gateway, timeout=30) as client:

                async def waiting_long() -> bool:
                    text = (await client.get("/metrics")).text
                    return (sample(text, "wegwijs_tickets_waiting_long") or 0) >= 1

                await until(waiting_long, "the ticket counted as waiting long", seconds=20, poll=0.2)
                text = (await client.get("/metrics")).text
                assert sample(text, "wegwijs_tickets_waiting_long_threshold_seconds") == pytest.approx(1.2)
                await queue.close(ticket.id)

                async def not_any_more() -> bool:
                    queued = [t for t in await queue.queued() if not t.is_callback]
                    text = (await client.get("/metrics")).text
                    return sample(text, "wegwijs_tickets_waiting_long") == float(len(queued))

                await until(not_any_more, "the closed ticket no longer counted", seconds=20, poll=0.2)
        finally:
            await queue.close(ticket.id)
            await redis.close()

    asyncio.run(scenario())
