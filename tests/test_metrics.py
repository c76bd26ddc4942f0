"""Prometheus metrics on each process that serves HTTP: the gateway (``/metrics``), Rasa (the
gateway channel's ``/webhooks/gateway/metrics``) and the action server (``/metrics``). A real turn
moves the counts; no metric carries what the user wrote, their number or their reference."""

from __future__ import annotations

import re
import uuid

import httpx

from scripts.stack import Stack
from tests.conftest import new_conversation
from tests.gateway_process import gateway_with
from wegwijs.paths import ROOT


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when it is not there)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        given = ",".join(sorted((match.group(2) or "{}")[1:-1].split(","))) if match.group(2) else ""
        if given == wanted:
            return float(match.group(3))
    return 0.0


def scrape(stack: Stack) -> dict[str, str]:
    return {
        "gateway": httpx.get(f"{stack.gateway_url}/metrics", timeout=10).text,
        "rasa": httpx.get(f"http://127.0.0.1:{stack.ports.rasa}/webhooks/gateway/metrics", timeout=10).text,
        "actions": httpx.get(f"http://127.0.0.1:{stack.ports.actions}/metrics", timeout=10).text,
    }


def test_a_turn_moves_every_process_count_and_leaves_no_personal_data(stack: Stack, gateway: httpx.Client) -> None:
    before = scrape(stack)
    marker = f"Maarten{uuid.uuid4().hex[:8]}"
    conversation = new_conversation(gateway)
    # A phone-line question runs a custom action (action_phone_line) as well as Rasa's NLU.
    text = f"Ik ben {marker}, wat is het telefoonnummer van IOM? Mijn nummer is +31 6 12345678"
    answer = gateway.post("/api/v1/messages", json={"conversation_id": conversation, "text": text})
    assert answer.status_code == 200, answer.text
    after = scrape(stack)

    def grew(process: str, name: str, **labels: str) -> bool:
        return sample(after[process], name, **labels) > sample(before[process], name, **labels)

    assert grew("gateway", "wegwijs_gateway_turn_seconds_count", channel="api")
    assert grew("gateway", "wegwijs_gateway_rasa_seconds_count", outcome="ok")
    assert grew("rasa", "wegwijs_rasa_turn_seconds_count", outcome="ok")
    assert grew("rasa", "wegwijs_rasa_lock_wait_seconds_count")
    assert any(
        grew("actions", "wegwijs_action_seconds_count", action=name, outcome="ok")
        for name in ("action_phone_line", "action_offer_also", "action_fallback")
    ), "no custom action was counted"
    assert "wegwijs_tickets_waiting" in after["gateway"]
    for process, text_out in after.items():
        for secret in (marker, "12345678", conversation):
            assert secret not in text_out, f"{process}'s metrics hold what the user sent"


def test_metrics_answer_in_prometheus_text_format(stack: Stack) -> None:
    answer = httpx.get(f"{stack.gateway_url}/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "# TYPE wegwijs_gateway_turn_seconds histogram" in answer.text
    assert "# TYPE wegwijs_whatsapp_sends_total counter" in answer.text


def test_the_grafana_dashboard_asks_only_for_metrics_the_processes_have() -> None:
    import json

    from prometheus_client import REGISTRY

    import actions.metrics
    import api.metrics
    import bot.metrics

    assert actions.metrics and api.metrics and bot.metrics  # imported for their registrations
    served = {
        sample.name for family in REGISTRY.collect() for sample in family.samples if sample.name.startswith("wegwijs_")
    } | {family.name for family in REGISTRY.collect() if family.name.startswith("wegwijs_")}
    served |= {f"{name}_{suffix}" for name in served for suffix in ("bucket", "count", "sum", "total")}
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "wegwijs-dashboard.json").read_text(encoding="utf-8"))
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bwegwijs_[a-z_]+", target["expr"])
    }
    assert asked and asked <= served, sorted(asked - served)


def test_metrics_are_not_served_through_the_reverse_proxy(stack: Stack) -> None:
    proxied = {"WEGWIJS_CLIENT_ADDRESS_HEADER": "X-Forwarded-For", "WEGWIJS_TRUSTED_PROXIES": "127.0.0.1/32"}
    with gateway_with(stack, proxied) as url:
        answer = httpx.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
        assert answer.status_code == 404 and "wegwijs_" not in answer.text
        # A scraper on the same host as the proxy asks without the proxy's header.
        assert httpx.get(f"{url}/metrics", timeout=10).status_code == 200
