"""The deployment files (Dockerfile, docker-compose.yml, deploy/) against what the code needs:
scripts/validate_deploy.py's checks, offline. Each kind of check is also shown to fail on a
concrete mistake, so a green run means the files were looked at, not that nothing was."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scripts import validate_deploy as vd

CHECKS = vd.python_checks()


@pytest.mark.parametrize("title, check", CHECKS, ids=[title.split(":")[0] for title, _ in CHECKS])
def test_the_repository_files_pass(title: str, check: vd.Check) -> None:
    assert check() == []


@pytest.mark.parametrize("title, tool_check", vd.tool_checks(), ids=[t for t, _ in vd.tool_checks()])
def test_the_installed_tools_accept_the_files(title: str, tool_check: Any) -> None:
    problems, how = tool_check()
    if "not installed" in how:
        pytest.skip(how)
    assert problems == []


# -- each check can fail ------------------------------------------------------------------------
@pytest.fixture
def docs() -> list[dict[str, Any]]:
    return vd.render_kustomization()


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def container(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    spec: dict[str, Any] = find(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]
    return spec


def test_a_missing_secret_is_named(docs: list[dict[str, Any]]) -> None:
    gateway = container(docs, "gateway")
    gateway["env"] = [e for e in gateway["env"] if e["name"] != "WEGWIJS_STAFF_SECRET"]
    assert "k8s Deployment/gateway: WEGWIJS_STAFF_SECRET is not set, and gateway needs it" in vd.check_k8s(docs)


def test_a_secret_written_in_a_manifest_is_refused(docs: list[dict[str, Any]]) -> None:
    rasa = container(docs, "rasa")
    for item in rasa["env"]:
        if item["name"] == "WEGWIJS_RASA_TOKEN":
            item.pop("valueFrom")
            item["value"] = "a-token-of-at-least-sixteen-characters"
    assert (
        "k8s Deployment/rasa: WEGWIJS_RASA_TOKEN is written in the file; it must come from a Secret or the environment"
        in vd.check_k8s(docs)
    )


def test_a_variable_no_code_reads_is_named(docs: list[dict[str, Any]]) -> None:
    container(docs, "gateway")["env"].append({"name": "WEGWIJS_RASA_TOKN", "value": "typo"})
    assert "k8s Deployment/gateway: WEGWIJS_RASA_TOKN is given, but api/wegwijs never reads it" in vd.check_k8s(docs)


def test_a_wrong_command_and_url_are_named(docs: list[dict[str, Any]]) -> None:
    container(docs, "rasa")["command"] = ["rasa", "run"]
    find(docs, "ConfigMap", "wegwijs-gateway")["data"]["WEGWIJS_RASA_URL"] = "http://rasa:5006"
    problems = vd.check_k8s(docs)
    assert "k8s Deployment/rasa: runs rasa run, not python -m wegwijs.serve rasa" in problems
    assert "k8s Deployment/gateway: WEGWIJS_RASA_URL=http://rasa:5006 should be http://rasa:5005" in problems


def test_a_probe_on_the_wrong_path_is_named(docs: list[dict[str, Any]]) -> None:
    container(docs, "gateway")["readinessProbe"]["httpGet"]["path"] = "/health"
    container(docs, "rasa")["startupProbe"]["failureThreshold"] = 6
    problems = vd.check_k8s(docs)
    assert "k8s Deployment/gateway: readinessProbe asks /health, not /health/ready" in problems
    assert "k8s Deployment/rasa: the startup probe gives less than 180 s to load the model" in problems


def test_retention_that_differs_between_gateway_and_actions_is_named(docs: list[dict[str, Any]]) -> None:
    container(docs, "actions")["env"].append({"name": "WEGWIJS_KEEP_CONVERSATION_DAYS", "value": "90"})
    assert "k8s: WEGWIJS_KEEP_CONVERSATION_DAYS is 30 for the gateway but 90 for the action server" in vd.check_k8s(
        docs
    )


def test_lost_stickiness_is_named(docs: list[dict[str, Any]]) -> None:
    del find(docs, "Service", "gateway")["spec"]["sessionAffinity"]
    del find(docs, "Ingress", "gateway")["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"]
    problems = vd.check_k8s(docs)
    assert "k8s Service/gateway: sessionAffinity is not ClientIP (socket.io needs sticky sessions)" in problems
    assert "k8s Ingress: no cookie affinity (socket.io needs sticky sessions)" in problems


def test_a_connection_the_network_policies_should_not_allow_is_named(docs: list[dict[str, Any]]) -> None:
    find(docs, "NetworkPolicy", "rasa")["spec"]["egress"].append(
        {
            "to": [{"podSelector": {"matchLabels": {vd.COMPONENT: "postgres"}}}],
            "ports": [{"protocol": "TCP", "port": 5432}],
        }
    )
    find(docs, "NetworkPolicy", "postgres")["spec"]["ingress"][0]["from"].append(
        {"podSelector": {"matchLabels": {vd.COMPONENT: "rasa"}}}
    )
    del find(docs, "NetworkPolicy", "gateway")["spec"]["ingress"]
    problems = vd.check_network_policies(docs)
    assert "k8s NetworkPolicies allow rasa -> postgres:5432, which nothing needs" in problems
    assert "k8s NetworkPolicies block ingress-nginx -> gateway:8000, which is needed" in problems


def test_an_unknown_field_fails_the_strict_schema(docs: list[dict[str, Any]]) -> None:
    deployment = copy.deepcopy(find(docs, "Deployment", "gateway"))
    deployment["spec"]["replica"] = 2
    problems = vd.check_schemas([deployment], "test")
    assert len(problems) == 1
    assert problems[0].startswith("test Deployment/gateway: spec: Additional properties are not allowed")
    unknown = {"apiVersion": "autoscaling/v3", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"}}
    assert vd.check_schemas([unknown], "test") == [
        "test HorizontalPodAutoscaler/x: Kubernetes 1.28.0 has no autoscaling/v3 HorizontalPodAutoscaler"
    ]


def test_compose_mistakes_are_named() -> None:
    raw, resolved = vd.load_compose()
    del resolved["services"]["gateway"]["environment"]["WEGWIJS_STAFF_SECRET"]
    raw["services"]["actions"]["environment"]["REDIS_URL"] = "redis://:hunter2hunter2@redis:6379/0"
    resolved["services"]["actions"]["environment"]["REDIS_URL"] = "redis://:hunter2hunter2@redis:6379/0"
    resolved["services"]["rasa"]["ports"] = ["5005:5005"]
    resolved["services"]["actions"]["environment"]["WEGWIJS_KEEP_AUDIT_DAYS"] = "30"
    problems = vd.check_compose(raw, resolved)
    assert "compose gateway: WEGWIJS_STAFF_SECRET is not set, and gateway needs it" in problems
    assert "compose actions: REDIS_URL has a password written in the file" in problems
    assert "compose rasa: publishes ports; only the proxy may" in problems
    assert "compose: WEGWIJS_KEEP_AUDIT_DAYS is 365 for the gateway but 30 for the action server" in problems


def test_compose_refuses_to_start_without_a_secret() -> None:
    env = vd.compose_dummy_env()
    del env["WEGWIJS_STAFF_SECRET"]
    with pytest.raises(ValueError, match="WEGWIJS_STAFF_SECRET is required"):
        vd.load_compose(env)


def test_proxy_and_dockerfile_mistakes_are_named() -> None:
    haproxy = vd.HAPROXY_FILE.read_text(encoding="utf-8").replace("    cookie WEGWIJS_GW", "    # cookie WEGWIJS_GW")
    assert vd.check_haproxy(haproxy) == ["haproxy: no inserted cookie in the backend (socket.io needs sticky sessions)"]
    dockerfile = vd.DOCKERFILE.read_text(encoding="utf-8").replace("USER 10001:10001", "USER root")
    assert vd.check_dockerfile(dockerfile) == ["Dockerfile: the runtime stage does not run as a non-root user"]


def test_health_paths_missing_from_the_gateway_are_named() -> None:
    assert vd.check_health_paths({"/health", "/health/live", "/metrics"}) == [
        "gateway: /health/ready is not a route of api.main (its probes, health checks or scraping use it)"
    ]
    assert vd.check_health_paths({"/health/live", "/health/ready", "/metrics"}) == []


def test_settings_the_process_refuses_are_named(docs: list[dict[str, Any]]) -> None:
    find(docs, "ConfigMap", "wegwijs-gateway")["data"]["WEGWIJS_TRUSTED_PROXIES"] = "the-ingress-controller"
    problems = [p for p in vd.check_k8s(docs) if "refuses its environment" in p]
    assert len(problems) == 1
    assert problems[0].startswith("k8s Deployment/gateway: api.settings.Settings refuses its environment: ")
    assert "WEGWIJS_TRUSTED_PROXIES" in problems[0]


def test_a_partial_whatsapp_configuration_is_refused(docs: list[dict[str, Any]]) -> None:
    gateway = container(docs, "gateway")
    gateway["env"] = [e for e in gateway["env"] if e["name"] != "WEGWIJS_WHATSAPP_TOKEN"]
    problems = [p for p in vd.check_k8s(docs) if "refuses its environment" in p]
    assert len(problems) == 1
    assert "set WEGWIJS_WHATSAPP_TOKEN too, or none of the four" in problems[0]


def test_the_required_table_follows_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(vd.REQUIRED, "rasa", (*vd.REQUIRED["rasa"], "DATABASE_URL"))
    assert vd.check_required_table() == ["rasa: REQUIRED lists DATABASE_URL, which bot/wegwijs never reads"]


# -- the image's health check -------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, process",
    [
        (["/opt/venv/bin/python", "/opt/venv/bin/uvicorn", "api.main:app", "--host", "0.0.0.0"], "gateway"),
        (["/opt/venv/bin/python", "/opt/venv/bin/rasa", "run", "--model", "/app/models/wegwijs.tar.gz"], "rasa"),
        (["/opt/venv/bin/python", "-m", "actions.server", "--port", "5055"], "actions"),
        (["python", "-m", "wegwijs.serve", "actions"], "actions"),
        (["python", "/app/deploy/healthcheck.py"], None),
        (["/sbin/docker-init", "--", "python", "-m", "wegwijs.serve", "rasa"], "rasa"),
    ],
)
def test_the_health_check_finds_the_process(argv: list[str], process: str | None) -> None:
    assert vd.HEALTH.process_of(argv) == process
    assert vd.HEALTH.detect([["python", "/app/deploy/healthcheck.py"], argv]) == process
