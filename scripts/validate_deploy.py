"""Offline checks of the deployment files: what `make validate-deploy` runs, in seconds.

    python -m scripts.validate_deploy

Nothing is built, pulled or started. It checks:
- the Kubernetes manifests (deploy/k8s) against the Kubernetes 1.28 schemas, strictly (no
  unknown field, no unknown kind), as plain files and as rendered: by `kubectl kustomize` when
  kubectl is installed, else by applying the kustomization's resource list here;
- docker-compose.yml with `docker-compose config -q` (or `docker compose`), and
  deploy/haproxy/haproxy.cfg with `haproxy -c` on a throw-away certificate, when installed;
- the facts the code needs, in the manifests, the Compose file and the Dockerfile alike: every
  container runs `python -m wegwijs.serve <process>`, gets the variables that process cannot
  run without (and none the code never reads), its secrets from a Secret or from the
  environment (never written in a file), URLs that point at the right Service and port, probes on
  the real health paths (the gateway's routes, Rasa's and rasa-sdk's), the same retention
  settings for the gateway and the action server, sticky sessions for socket.io, and the
  NetworkPolicies' graph of allowed connections.

Each check prints `ok` or `FAIL` with the mismatch; the exit status is 1 when any failed.
tests/test_deploy_files.py runs the same checks, and shows that each kind can fail.
"""

from __future__ import annotations

import base64
import functools
import importlib
import importlib.util
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import yaml

from wegwijs.paths import ROOT
from wegwijs.serve import DEFAULT_PORTS, PORT_VARIABLES, PROCESSES

K8S_DIR = ROOT / "deploy" / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
HAPROXY_FILE = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
HEALTHCHECK_FILE = ROOT / "deploy" / "healthcheck.py"
K8S_VERSION = "1.28.0"

# What each process cannot run without. Each name must also be read by that process's own code
# (CODE_OF below), so this table cannot outlive the code silently.
REQUIRED: dict[str, tuple[str, ...]] = {
    "gateway": (
        "WEGWIJS_BIND",
        "WEGWIJS_RASA_URL",
        "WEGWIJS_ACTIONS_URL",
        "REDIS_URL",
        "WEGWIJS_RASA_TOKEN",
        "WEGWIJS_CONVERSATION_SECRET",
        "WEGWIJS_STAFF_SECRET",
        # Behind the proxy or the ingress controller every peer is the proxy.
        "WEGWIJS_CLIENT_ADDRESS_HEADER",
        "WEGWIJS_TRUSTED_PROXIES",
    ),
    "rasa": ("WEGWIJS_BIND", "WEGWIJS_RASA_TOKEN", "WEGWIJS_ACTIONS_URL", "REDIS_URL"),
    "actions": ("WEGWIJS_BIND", "DATABASE_URL", "REDIS_URL", "WEGWIJS_LOOKUP_SECRET"),
}
CODE_OF = {"gateway": ("api", "wegwijs"), "rasa": ("bot", "wegwijs"), "actions": ("actions", "wegwijs")}
# Variables a container may get without the code reading them: only to build another one
# (DATABASE_URL takes the password from $(POSTGRES_PASSWORD) in Kubernetes).
EXPANSION_ONLY = frozenset({"POSTGRES_PASSWORD"})
# Read by both the gateway and the action server (wegwijs/retention.py): they must agree.
RETENTION = (
    "WEGWIJS_KEEP_CONVERSATION_DAYS",
    "WEGWIJS_KEEP_CALLBACK_DAYS",
    "WEGWIJS_KEEP_AUDIT_DAYS",
    "WEGWIJS_KEEP_WHATSAPP_FAILED_DAYS",
    "WEGWIJS_KEEP_WHATSAPP_STATUS_DAYS",
    "WEGWIJS_HANDOVER_STRANDED_MINUTES",
)
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD)$")
VARIABLE = re.compile(r"\b(WEGWIJS_[A-Z0-9_]+|REDIS_[A-Z]+|DATABASE_URL)\b")
# Where each URL must point: (scheme, service, port, path).
URL_TARGETS = {
    "WEGWIJS_RASA_URL": ("http", "rasa", DEFAULT_PORTS["rasa"], ""),
    "WEGWIJS_ACTIONS_URL": ("http", "actions", DEFAULT_PORTS["actions"], "/webhook"),
    "REDIS_URL": ("redis", "redis", 6379, "/0"),
    "DATABASE_URL": ("postgresql", "postgres", 5432, "/wegwijs"),
}
# The connections the NetworkPolicies must allow, and no others: (from, to, port). Names that are
# not components are namespaces (the ingress controller's, Prometheus's) or the internet.
ALLOWED_CONNECTIONS = frozenset(
    {
        ("ingress-nginx", "gateway", 8000),
        ("gateway", "rasa", 5005),
        ("gateway", "actions", 5055),
        ("gateway", "redis", 6379),
        ("gateway", "internet", 443),
        ("gateway", "postgres", 5432),  # the analytics events (api/insight/)
        ("rasa", "actions", 5055),
        ("rasa", "redis", 6379),
        ("actions", "postgres", 5432),
        ("actions", "redis", 6379),
        ("monitoring", "gateway", 8000),
        ("monitoring", "rasa", 5005),
        ("monitoring", "actions", 5055),
    }
)
COMPONENT = "app.kubernetes.io/component"
Problems = list[str]


def healthcheck_module() -> ModuleType:
    """deploy/healthcheck.py: the image's health check and the table of health paths."""
    spec = importlib.util.spec_from_file_location("deploy_healthcheck", HEALTHCHECK_FILE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HEALTH = healthcheck_module()
LIVENESS: dict[str, str] = HEALTH.LIVENESS
READINESS: dict[str, str] = HEALTH.READINESS
# Where Prometheus scrapes each process: Rasa's are served by the gateway channel, under
# Rasa's prefix for channels (/webhooks/<channel name>).
METRICS = {"gateway": "/metrics", "rasa": "/webhooks/gateway/metrics", "actions": "/metrics"}
# Each process's own settings class, which checks its environment at start-up (Rasa has none:
# it reads bot/endpoints.yml).
SETTINGS = {"gateway": ("api.settings", "Settings"), "actions": ("actions.settings", "ActionSettings")}


# -- what the code reads --------------------------------------------------------------------------
@functools.cache
def variables_read(folders: tuple[str, ...]) -> frozenset[str]:
    """Every environment variable name that the code and configuration in these folders mention."""
    names: set[str] = set()
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".yml") and "__pycache__" not in path.parts:
                names.update(VARIABLE.findall(path.read_text(encoding="utf-8")))
    return frozenset(names)


def known(name: str, read: frozenset[str]) -> bool:
    """Read by the code, as a whole name or under a prefix it builds names from (WEGWIJS_LIMIT_)."""
    return name in read or name in EXPANSION_ONLY or any(p.endswith("_") and name.startswith(p) for p in read)


def check_required_table() -> Problems:
    problems = []
    for process, names in REQUIRED.items():
        read = variables_read(CODE_OF[process])
        problems += [
            f"{process}: REQUIRED lists {n}, which {'/'.join(CODE_OF[process])} never reads"
            for n in names
            if n not in read
        ]
    return problems


def gateway_routes() -> set[str]:
    from api.main import fastapi_app

    return {getattr(route, "path", "") for route in fastapi_app.routes}


def check_health_paths(routes: set[str] | None = None) -> Problems:
    """The probes' and Prometheus' paths exist: the gateway's among its app's routes, Rasa's and the
    action server's in the source that serves them."""
    routes = gateway_routes() if routes is None else routes
    problems = [
        f"gateway: {path} is not a route of api.main (its probes, health checks or scraping use it)"
        for path in sorted({LIVENESS["gateway"], READINESS["gateway"], METRICS["gateway"]})
        if path not in routes
    ]
    served = [
        ("rasa", LIVENESS["rasa"], "rasa.server", '@app.get("/")'),
        ("actions", LIVENESS["actions"], "rasa_sdk.endpoint", '@app.get("/health")'),
        ("rasa", METRICS["rasa"], "bot.channels.gateway_channel", '@webhook.route("/metrics"'),
        ("actions", METRICS["actions"], "actions.server", '@app.get("/metrics")'),
    ]
    for process, path, module, decorator in served:
        spec = importlib.util.find_spec(module)
        source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
        if decorator not in source:
            problems.append(f"{process}: {module} serves no GET {path}")
    if LIVENESS["rasa"] != READINESS["rasa"] or LIVENESS["actions"] != READINESS["actions"]:
        problems.append("rasa and actions have one health path each: LIVENESS and READINESS must agree")
    return problems


# -- one container's environment ------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    value: str  # the literal value, or "<secret KEY>" for a reference
    secret: bool  # from a Secret (Kubernetes) or from the environment (Compose), not written in a file


@dataclass(frozen=True)
class Container:
    where: str  # for messages: "k8s Deployment/gateway", "compose gateway"
    process: str  # the process the labels or service name say it is
    command: list[str]
    env: dict[str, Setting]
    listens: int | None  # the container port Kubernetes or Compose points at (None: not stated)


def expand(value: str, env: Mapping[str, Setting]) -> str:
    """Kubernetes' $(NAME) references, as the kubelet expands them."""
    return re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)].value if m.group(1) in env else m.group(0), value)


def check_container(c: Container, services: Mapping[str, set[int]]) -> Problems:
    """The facts every Wegwijs container must have, wherever it runs."""
    problems: Problems = []
    want = ["python", "-m", "wegwijs.serve", c.process]
    if c.process not in PROCESSES:
        return [f"{c.where}: {c.process!r} is not a Wegwijs process"]
    if c.command != want:
        problems.append(f"{c.where}: runs {' '.join(c.command) or '(the image default)'}, not {' '.join(want)}")
    for name in REQUIRED[c.process]:
        if name not in c.env or not c.env[name].value:
            problems.append(f"{c.where}: {name} is not set, and {c.process} needs it")
    read = variables_read(CODE_OF[c.process])
    for name, setting in sorted(c.env.items()):
        if not known(name, read):
            problems.append(f"{c.where}: {name} is given, but {'/'.join(CODE_OF[c.process])} never reads it")
        if SECRET_NAME.search(name) and setting.value and not setting.secret:
            problems.append(f"{c.where}: {name} is written in the file; it must come from a Secret or the environment")
    if c.env.get("WEGWIJS_BIND", Setting("", False)).value != "0.0.0.0":
        problems.append(f"{c.where}: WEGWIJS_BIND must be 0.0.0.0 in a container")
    port = (
        int(c.env[PORT_VARIABLES[c.process]].value) if PORT_VARIABLES[c.process] in c.env else DEFAULT_PORTS[c.process]
    )
    if c.listens is not None and c.listens != port:
        problems.append(f"{c.where}: {c.process} listens on {port}, but the container port is {c.listens}")
    for name, (scheme, service, service_port, path) in URL_TARGETS.items():
        if name not in c.env or not c.env[name].value:
            continue
        url = urlparse(c.env[name].value)
        if (url.scheme, url.hostname, url.port, url.path) != (scheme, service, service_port, path):
            problems.append(
                f"{c.where}: {name}={c.env[name].value} should be {scheme}://{service}:{service_port}{path}"
            )
        elif service_port not in services.get(service, set()):
            problems.append(f"{c.where}: {name} points at {service}:{service_port}, which no service offers")
        if url.password and not c.env[name].secret:
            problems.append(f"{c.where}: {name} has a password written in the file")
    return problems


def dummy(key: str) -> str:
    """A stand-in for a secret's value that the settings accept (a phone number id is digits)."""
    return "31612345678" if key.endswith("PHONE_NUMBER_ID") else f"{key.lower().replace('_', '-')}-dummy-value"


def check_settings(c: Container) -> Problems:
    """The process's own settings class (api/settings.py, actions/settings.py) accepts the
    environment the container gets, secrets replaced by dummies: what it checks at start-up."""
    if c.process not in SETTINGS:
        return []
    module_name, class_name = SETTINGS[c.process]
    from wegwijs.settings import ConfigurationError, load

    settings_class = getattr(importlib.import_module(module_name), class_name)
    env = {name: re.sub(r"<secret (\w+)>", lambda m: dummy(m.group(1)), s.value) for name, s in c.env.items()}
    try:
        with mock.patch.dict(os.environ, env, clear=True):
            load(settings_class)
    except ConfigurationError as error:
        return [f"{c.where}: {module_name}.{class_name} refuses its environment: {error}"]
    return []


def check_retention(containers: Iterable[Container], where: str) -> Problems:
    by_process = {c.process: c for c in containers}
    gateway, actions = by_process.get("gateway"), by_process.get("actions")
    if not gateway or not actions:
        return []
    problems = []
    for name in RETENTION:
        a = gateway.env.get(name, Setting("(default)", False)).value
        b = actions.env.get(name, Setting("(default)", False)).value
        if a != b:
            problems.append(f"{where}: {name} is {a} for the gateway but {b} for the action server")
    return problems


# -- Kubernetes -----------------------------------------------------------------------------------
def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def kustomization() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    return data


def example_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def secret_files() -> list[tuple[str, Path]]:
    """The kustomization's generated Secrets: (name, the untracked env file it is made from)."""
    return [(g["name"], K8S_DIR / env) for g in kustomization().get("secretGenerator", []) for env in g.get("envs", [])]


def render_kustomization() -> list[dict[str, Any]]:
    """What `kubectl kustomize` makes of deploy/k8s, for the checks here: the resources in order,
    the namespace and images applied, each generated Secret from its .example with dummy values
    (the names kustomize gives them, plus a hash, are left plain)."""
    k = kustomization()
    images = {i["name"]: f"{i.get('newName', i['name'])}:{i['newTag']}" for i in k.get("images", [])}
    docs: list[dict[str, Any]] = []
    for resource in k["resources"]:
        docs += load_yaml_documents(K8S_DIR / resource)
    for name, env_file in secret_files():
        keys = example_env(env_file.with_name(env_file.name + ".example"))
        data = {key: base64.b64encode(f"dummy-{key.lower()}".encode()).decode() for key in keys}
        docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque", "data": data})
    for doc in docs:
        if doc["kind"] != "Namespace" and k.get("namespace"):
            doc["metadata"]["namespace"] = k["namespace"]
        for container in pod_spec(doc).get("containers", []):
            container["image"] = images.get(container["image"], container["image"])
    return docs


def kubectl_render() -> tuple[list[dict[str, Any]] | None, str]:
    """`kubectl kustomize` on a copy of deploy/k8s with dummy secrets (None when kubectl is missing)."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return None, "kubectl not installed"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "k8s"
        shutil.copytree(K8S_DIR, copy, ignore=shutil.ignore_patterns("secrets.env"))
        for _, env_file in secret_files():
            keys = example_env(env_file.with_name(env_file.name + ".example"))
            (copy / env_file.name).write_text("".join(f"{key}=dummy\n" for key in keys), encoding="utf-8")
        result = subprocess.run([kubectl, "kustomize", str(copy)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return [], f"kubectl kustomize failed: {result.stderr.strip()}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc], "kubectl kustomize"


def pod_spec(doc: Mapping[str, Any]) -> dict[str, Any]:
    if doc.get("kind") in ("Deployment", "StatefulSet"):
        spec: dict[str, Any] = doc["spec"]["template"]["spec"]
        return spec
    return {}


def pod_labels(doc: Mapping[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = doc["spec"]["template"]["metadata"].get("labels", {})
    return labels


def name_of(doc: Mapping[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


@functools.cache
def schema_validator(kind: str, api_version: str) -> Any:
    """kubernetes-validate's strict schema for one kind (None: it has none), checked with the same
    jsonschema resolver as its ``validate()``; its 1 MB of shared definitions is parsed once
    instead of once per object, which turns 25 s into well under one."""
    import jsonschema

    package = importlib.util.find_spec("kubernetes_validate")
    assert package and package.origin
    folder = Path(package.origin).parent / "kubernetes-json-schema" / f"v{K8S_VERSION}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = folder / f"{kind.lower()}-{group_version}.json"
    if not path.exists():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    resolver = jsonschema.RefResolver(base_uri=f"file://{path.parent}/", referrer=schema)
    resolver.store.update(_definitions(path.parent))
    with warnings.catch_warnings():  # the schemas name a draft jsonschema 4.17 does not know
        warnings.simplefilter("ignore", DeprecationWarning)
        return jsonschema.validators.validator_for(schema)(schema, resolver=resolver)


@functools.cache
def _definitions(folder: Path) -> dict[str, Any]:
    return {
        f"file://{folder}/_definitions.json": json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))
    }


def check_schemas(docs: Iterable[dict[str, Any]], source: str) -> Problems:
    """Each object against the Kubernetes schema of its kind, strictly: an unknown field, or a kind
    the schemas do not know, is a problem (kubernetes-validate itself only warns on the latter)."""
    problems = []
    for doc in docs:
        validator = schema_validator(doc["kind"], doc["apiVersion"])
        if validator is None:
            problems.append(
                f"{source} {name_of(doc)}: Kubernetes {K8S_VERSION} has no {doc['apiVersion']} {doc['kind']}"
            )
            continue
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path))):
            at = ".".join(str(part) for part in error.path)
            problems.append(f"{source} {name_of(doc)}: {at}: {error.message}")
    return problems


def check_k8s_files() -> Problems:
    """The kustomization lists every manifest; no Secret is committed; secrets.env is ignored."""
    problems = []
    listed = set(kustomization()["resources"])
    present = {p.name for p in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    problems += [f"deploy/k8s/{name} is not in kustomization.yaml's resources" for name in sorted(present - listed)]
    problems += [f"kustomization.yaml lists {name}, which does not exist" for name in sorted(listed - present)]
    for path in sorted(present):
        problems += [
            f"deploy/k8s/{path}: a Secret is committed"
            for d in load_yaml_documents(K8S_DIR / path)
            if d["kind"] == "Secret"
        ]
    for _, env_file in secret_files():
        example = env_file.with_name(env_file.name + ".example")
        if not example.exists():
            problems.append(f"{example.relative_to(ROOT)} is missing: it lists the Secret's names")
            continue
        problems += [f"{example.relative_to(ROOT)}: {k} has a value" for k, v in example_env(example).items() if v]
        problems += ignored(env_file)
    return problems


def ignored(path: Path) -> Problems:
    result = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, capture_output=True)
    return (
        [] if result.returncode == 0 else [f"{path.relative_to(ROOT)} is not in .gitignore: secrets could be committed"]
    )


def k8s_containers(docs: list[dict[str, Any]]) -> list[Container]:
    config = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    secrets = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "Secret"}
    containers = []
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        for spec in pod_spec(doc)["containers"]:
            env: dict[str, Setting] = {}
            for source in spec.get("envFrom", []):
                if "configMapRef" in source:
                    for key, value in config.get(source["configMapRef"]["name"], {}).items():
                        env[key] = Setting(str(value), False)
                if "secretRef" in source:
                    for key in secrets.get(source["secretRef"]["name"], {}):
                        env[key] = Setting(f"<secret {key}>", True)
            for item in spec.get("env", []):
                if "value" in item:
                    value = expand(str(item["value"]), env)
                    env[item["name"]] = Setting(value, "$(" in str(item["value"]) and "<secret" in value)
                elif "secretKeyRef" in item.get("valueFrom", {}):
                    env[item["name"]] = Setting(f"<secret {item['valueFrom']['secretKeyRef']['key']}>", True)
                elif "configMapKeyRef" in item.get("valueFrom", {}):
                    ref = item["valueFrom"]["configMapKeyRef"]
                    env[item["name"]] = Setting(str(config.get(ref["name"], {}).get(ref["key"], "")), False)
            ports = [p["containerPort"] for p in spec.get("ports", [])]
            containers.append(
                Container(
                    where=f"k8s {name_of(doc)}",
                    process=pod_labels(doc).get(COMPONENT, "?"),
                    command=list(spec.get("command", [])) + list(spec.get("args", [])),
                    env=env,
                    listens=ports[0] if len(ports) == 1 else None,
                )
            )
    return containers


def k8s_services(docs: list[dict[str, Any]]) -> dict[str, set[int]]:
    """Each Service's ports, when its selector picks a workload that has the target port."""
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    services: dict[str, set[int]] = {}
    for svc in (d for d in docs if d["kind"] == "Service"):
        selector = svc["spec"].get("selector", {})
        picked = [w for w in workloads if selector and selector.items() <= pod_labels(w).items()]
        offered = set()
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for workload in picked:
                names = {
                    (p.get("name"), p["containerPort"])
                    for c in pod_spec(workload)["containers"]
                    for p in c.get("ports", [])
                }
                if any(target in (name, number) for name, number in names):
                    offered.add(port["port"])
        services[svc["metadata"]["name"]] = offered
    return services


def probe_path(container: Mapping[str, Any], kind: str) -> str | None:
    probe = container.get(kind)
    return probe["httpGet"]["path"] if probe and "httpGet" in probe else None


def check_k8s_workloads(docs: list[dict[str, Any]]) -> Problems:
    problems: Problems = []
    by_name = {name_of(d): d for d in docs}
    for doc in (d for d in docs if d["kind"] == "Deployment"):
        process = pod_labels(doc).get(COMPONENT, "?")
        annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
        for c in pod_spec(doc)["containers"]:
            where = f"k8s {name_of(doc)}"
            if process in PROCESSES:
                wanted = {
                    "livenessProbe": LIVENESS[process],
                    "readinessProbe": READINESS[process],
                    "startupProbe": LIVENESS[process],
                }
                for kind, path in wanted.items():
                    if probe_path(c, kind) != path:
                        problems.append(f"{where}: {kind} asks {probe_path(c, kind)}, not {path}")
                port = str(DEFAULT_PORTS[process])
                want_annotations = {
                    "prometheus.io/scrape": "true",
                    "prometheus.io/port": port,
                    "prometheus.io/path": METRICS[process],
                }
                problems += [
                    f"{where}: annotation {k} should be {v!r}"
                    for k, v in want_annotations.items()
                    if annotations.get(k) != v
                ]
            startup = c.get("startupProbe", {})
            if process == "rasa" and startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) < 180:
                problems.append(f"{where}: the startup probe gives less than 180 s to load the model")
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in c.get("resources", {}).get(part, {}):
                        problems.append(f"{where}: no {resource} {part[:-1]}")
            if not c.get("securityContext", {}).get("readOnlyRootFilesystem"):
                problems.append(f"{where}: the root file system should be read-only")
        if not pod_spec(doc).get("securityContext", {}).get("runAsNonRoot"):
            problems.append(f"k8s {name_of(doc)}: runAsNonRoot is not set")
    for process in ("gateway", "rasa"):
        hpa = by_name.get(f"HorizontalPodAutoscaler/{process}")
        target = hpa["spec"]["scaleTargetRef"] if hpa else {}
        if not hpa or target.get("kind") != "Deployment" or f"Deployment/{target.get('name')}" not in by_name:
            problems.append(f"k8s: no HorizontalPodAutoscaler scales Deployment/{process}")
    for process in PROCESSES:
        pdb = by_name.get(f"PodDisruptionBudget/{process}")
        deployment = by_name.get(f"Deployment/{process}")
        if (
            not pdb
            or not deployment
            or not pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels(deployment).items()
        ):
            problems.append(f"k8s: no PodDisruptionBudget selects Deployment/{process}'s pods")
    for store, mount in (("redis", "/data"), ("postgres", "/var/lib/postgresql/data")):
        sts = by_name.get(f"StatefulSet/{store}")
        if not sts or not sts["spec"].get("volumeClaimTemplates"):
            problems.append(f"k8s: {store} is not a StatefulSet with a PersistentVolumeClaim")
            continue
        claim = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
        mounts = {(m["name"], m["mountPath"]) for c in pod_spec(sts)["containers"] for m in c.get("volumeMounts", [])}
        if (claim, mount) not in mounts:
            problems.append(f"k8s: {store}'s claim {claim} is not mounted at {mount}")
    redis = by_name.get("StatefulSet/redis")
    if redis and "--appendonly yes" not in " ".join(
        str(a) for c in pod_spec(redis)["containers"] for a in c.get("args", [])
    ):
        problems.append("k8s: Redis runs without --appendonly yes")
    return problems


def check_k8s_stickiness(docs: list[dict[str, Any]]) -> Problems:
    problems = []
    by_name = {name_of(d): d for d in docs}
    service = by_name.get("Service/gateway", {"spec": {}})
    if service["spec"].get("sessionAffinity") != "ClientIP":
        problems.append("k8s Service/gateway: sessionAffinity is not ClientIP (socket.io needs sticky sessions)")
    ingresses = [d for d in docs if d["kind"] == "Ingress"]
    if len(ingresses) != 1:
        return problems + [f"k8s: {len(ingresses)} Ingresses, expected one, to the gateway"]
    ingress = ingresses[0]
    if ingress["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/affinity") != "cookie":
        problems.append("k8s Ingress: no cookie affinity (socket.io needs sticky sessions)")
    if not ingress["spec"].get("tls"):
        problems.append("k8s Ingress: no TLS (the staff console's cookie is Secure)")
    backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    if backends != {"gateway"}:
        problems.append(f"k8s Ingress: routes to {sorted(backends)}, expected only the gateway")
    return problems


def _peers(rule_peers: list[dict[str, Any]], components: list[str]) -> set[str]:
    """The components (same namespace), namespaces or 'internet' that a rule's peers cover."""
    found: set[str] = set()
    for peer in rule_peers:
        if "ipBlock" in peer:
            found.add("internet")
        elif "namespaceSelector" in peer:
            found.add(
                peer["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name", "any namespace")
            )
        elif "podSelector" in peer:
            found.update(c for c in components if _selects(peer["podSelector"], c))
    return found


def _selects(selector: Mapping[str, Any], component: str) -> bool:
    labels = {COMPONENT: component, "app.kubernetes.io/name": "wegwijs"}
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        if expression["operator"] == "In" and value not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and value in expression["values"]:
            return False
    return True


def network_graph(docs: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    """Connections the NetworkPolicies allow, to ports that a pod listens on: inside the namespace
    one needs both the sender's egress and the receiver's ingress; from outside, the receiver's
    ingress; to outside, the sender's egress (DNS left out: every pod may ask it)."""
    listening: dict[str, set[int]] = {}
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            ports = {p["containerPort"] for c in pod_spec(doc)["containers"] for p in c.get("ports", [])}
            listening[pod_labels(doc)[COMPONENT]] = ports
    components = sorted(listening)
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    ingress: set[tuple[str, str, int]] = set()
    egress: set[tuple[str, str, int]] = set()
    for policy in policies:
        selected = [c for c in components if _selects(policy["spec"]["podSelector"], c)]
        # A rule without ports allows every port (0 here); one without peers, every peer.
        for rule in policy["spec"].get("ingress", []):
            rule_ports = [p["port"] for p in rule.get("ports", [])] or [0]
            for source in _peers(rule.get("from", [{"namespaceSelector": {}}]), components):
                ingress |= {(source, c, port) for c in selected for port in rule_ports}
        for rule in policy["spec"].get("egress", []):
            rule_ports = [p["port"] for p in rule.get("ports", [])] or [0]
            for target in _peers(rule.get("to", [{"namespaceSelector": {}}]), components):
                if target != "kube-system":
                    egress |= {(c, target, port) for c in selected for port in rule_ports}
    inside = {(a, b, p) for (a, b, p) in ingress & egress if a in listening and b in listening}
    from_outside = {(a, b, p) for (a, b, p) in ingress if a not in listening}
    to_outside = {(a, b, p) for (a, b, p) in egress if b not in listening}
    return {
        (a, b, p) for (a, b, p) in inside | from_outside | to_outside if b not in listening or p in {0} | listening[b]
    }


def check_network_policies(docs: list[dict[str, Any]]) -> Problems:
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    problems = []
    if not any(
        p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
        for p in policies
    ):
        problems.append("k8s: no default-deny NetworkPolicy (all pods, Ingress and Egress, no rule)")
    graph = network_graph(docs)
    problems += [
        f"k8s NetworkPolicies allow {a} -> {b}:{p}, which nothing needs"
        for a, b, p in sorted(graph - ALLOWED_CONNECTIONS)
    ]
    problems += [
        f"k8s NetworkPolicies block {a} -> {b}:{p}, which is needed" for a, b, p in sorted(ALLOWED_CONNECTIONS - graph)
    ]
    return problems


def check_k8s(docs: list[dict[str, Any]]) -> Problems:
    """Every check on one rendering of the manifests except the schemas."""
    containers = k8s_containers(docs)
    services = k8s_services(docs)
    problems: Problems = []
    for process in PROCESSES:
        if not any(c.process == process for c in containers):
            problems.append(f"k8s: no Deployment runs {process}")
    for container in containers:
        problems += check_container(container, services) + check_settings(container)
    problems += check_retention(containers, "k8s")
    problems += check_k8s_workloads(docs)
    problems += check_k8s_stickiness(docs)
    problems += check_network_policies(docs)
    return problems


# -- Compose --------------------------------------------------------------------------------------
def compose_dummy_env() -> dict[str, str]:
    """A value for every variable the Compose file requires (${NAME:?...}), for offline checks."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    return {name: f"dummy-{name.lower().replace('_', '-')}" for name in sorted(set(re.findall(r"\$\{(\w+):\?", text)))}


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, and $$ for a dollar."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3) or ""
        if env.get(name):
            return env[name]
        if op == ":?":
            raise ValueError(f"{name} is required")
        return default

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value).replace("$$", "$")


def load_compose(env: Mapping[str, str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """docker-compose.yml as written (anchors merged) and as interpolated with ``env``."""
    raw: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return raw, interpolate(raw, compose_dummy_env() if env is None else env)


def compose_env(raw: Mapping[str, Any], resolved: Mapping[str, Any]) -> dict[str, Setting]:
    env = {}
    for name, value in (resolved.get("environment") or {}).items():
        written = str((raw.get("environment") or {}).get(name, ""))
        env[name] = Setting(
            "" if value is None else str(value), written.startswith("${") or "${" in written.split("@")[0]
        )
    return env


def check_compose(raw: dict[str, Any], resolved: dict[str, Any]) -> Problems:
    problems: Problems = []
    services = resolved["services"]
    # What each service listens on: the processes' ports (wegwijs/serve.py) and the images' own.
    listening = {**{p: {DEFAULT_PORTS[p]} for p in PROCESSES}, "redis": {6379}, "postgres": {5432}}
    offered = {name: ports for name, ports in listening.items() if name in services}
    containers = []
    for process in PROCESSES:
        if process not in services:
            problems.append(f"compose: no service {process}")
            continue
        svc, raw_svc = services[process], raw["services"][process]
        container = Container(
            f"compose {process}", process, list(svc.get("command") or []), compose_env(raw_svc, svc), None
        )
        containers.append(container)
        problems += check_container(container, offered) + check_settings(container)
        want_check = ["CMD", "python", "/app/deploy/healthcheck.py", process]
        if (svc.get("healthcheck") or {}).get("test") != want_check:
            problems.append(f"compose {process}: the health check is not {' '.join(want_check)}")
        if not (svc.get("deploy") or {}).get("replicas"):
            problems.append(f"compose {process}: no deploy.replicas")
    problems += check_retention(containers, "compose")
    problems += [
        f"compose {name}: publishes ports; only the proxy may"
        for name, svc in sorted(services.items())
        if svc.get("ports") and name != "proxy"
    ]
    if "proxy" not in services or not services["proxy"].get("ports"):
        problems.append("compose: no proxy publishes the gateway")
    redis = services.get("redis", {})
    if "--appendonly yes" not in " ".join(redis.get("command") or []):
        problems.append("compose redis: runs without --appendonly yes")
    for store, mount in (("redis", "/data"), ("postgres", "/var/lib/postgresql/data")):
        if not any(str(v).endswith(f":{mount}") for v in services.get(store, {}).get("volumes", [])):
            problems.append(f"compose {store}: no volume at {mount}")
    for name, svc in sorted(raw["services"].items()):
        for key, value in (svc.get("environment") or {}).items():
            if SECRET_NAME.search(key) and value and not str(value).startswith("${"):
                problems.append(f"compose {name}: {key} is written in the file; it must come from the environment")
    proxy_address = ((services.get("proxy", {}).get("networks") or {}).get("edge") or {}).get("ipv4_address")
    trusted = str((services.get("gateway", {}).get("environment") or {}).get("WEGWIJS_TRUSTED_PROXIES", ""))
    networks = [ipaddress.ip_network(n.strip(), strict=False) for n in trusted.split(",") if n.strip()]
    if not proxy_address or not any(ipaddress.ip_address(proxy_address) in n for n in networks):
        problems.append(
            f"compose gateway: WEGWIJS_TRUSTED_PROXIES={trusted} does not hold the proxy's address {proxy_address}"
        )
    return problems


def check_haproxy(text: str | None = None) -> Problems:
    """The proxy's configuration: sticky, health-checked on the gateway's readiness path, every
    replica of the gateway service, TLS from the folder Compose mounts."""
    text = HAPROXY_FILE.read_text(encoding="utf-8") if text is None else text
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    problems = []
    if not any(line.startswith("cookie ") and " insert " in line for line in lines):
        problems.append("haproxy: no inserted cookie in the backend (socket.io needs sticky sessions)")
    if f"option httpchk GET {READINESS['gateway']}" not in lines:
        problems.append(f"haproxy: the gateways are not checked on GET {READINESS['gateway']}")
    if not any(re.match(rf"server-template \S+ \S+ gateway:{DEFAULT_PORTS['gateway']}\b", line) for line in lines):
        problems.append(f"haproxy: no server-template for gateway:{DEFAULT_PORTS['gateway']} (every replica)")
    if not any(line.startswith("bind ") and " ssl crt /usr/local/etc/haproxy/certs/" in line for line in lines):
        problems.append("haproxy: no TLS bind with a certificate from /usr/local/etc/haproxy/certs/")
    return problems


def haproxy_check() -> tuple[Problems, str]:
    """`haproxy -c` on the configuration, with a throw-away self-signed certificate."""
    haproxy = shutil.which("haproxy")
    if not haproxy:
        return [], "haproxy not installed"
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "wegwijs.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "wegwijs.pem.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        config = folder / "haproxy.cfg"
        config.write_text(
            HAPROXY_FILE.read_text(encoding="utf-8").replace("/usr/local/etc/haproxy/certs/", f"{folder}/")
        )
        result = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or "[WARNING]" in output:
        return [f"haproxy -c: {output}"], "haproxy -c"
    return [], "haproxy -c"


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    return None


def compose_config_check() -> tuple[Problems, str]:
    """`docker-compose -f docker-compose.yml config -q`, the required variables set to dummies in
    its environment only."""
    command = compose_command()
    if not command:
        return [], "docker-compose not installed (nor the docker compose plugin)"
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", **compose_dummy_env()}
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [f"{' '.join(command)} config: {(result.stdout + result.stderr).strip()}"] if result.returncode else []
    return problems, f"{' '.join(command[-2:]) if len(command) > 1 else command[0]} config -q"


# -- Dockerfile -----------------------------------------------------------------------------------
def check_dockerfile(text: str | None = None) -> Problems:
    text = DOCKERFILE.read_text(encoding="utf-8") if text is None else text
    joined = re.sub(r"\\\n", " ", text)
    instructions = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    stages = [i for i, line in enumerate(instructions) if line.upper().startswith("FROM ")]
    problems = []
    if len(stages) < 2:
        problems.append("Dockerfile: not multi-stage")
    if not re.search(r"PYTHON_IMAGE=python:3\.10-", text):
        problems.append("Dockerfile: the base is not Python 3.10 (Rasa 3.6 runs on 3.8-3.10)")
    if "--require-hashes -r /tmp/locks/requirements.lock" not in joined:
        problems.append("Dockerfile: requirements.lock is not installed with --require-hashes")
    final = instructions[stages[-1] :] if stages else []
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("Dockerfile: the runtime stage does not run as a non-root user")
    if not any(line.upper().startswith("HEALTHCHECK ") and "/app/deploy/healthcheck.py" in line for line in final):
        problems.append("Dockerfile: the runtime stage has no HEALTHCHECK running deploy/healthcheck.py")
    env = " ".join(line for line in final if line.upper().startswith("ENV "))
    if "WEGWIJS_BIND=0.0.0.0" not in env:
        problems.append("Dockerfile: WEGWIJS_BIND=0.0.0.0 is not set in the runtime stage")
    model = re.search(r"WEGWIJS_MODEL=(\S+)", env)
    if not model or not any(line.startswith("COPY ") and line.endswith(f" {model.group(1)}") for line in final):
        problems.append("Dockerfile: WEGWIJS_MODEL is not the model file the runtime stage copies in")
    cmd = [line for line in final if line.upper().startswith("CMD ")]
    if not cmd or not re.fullmatch(r'CMD \["python", "-m", "wegwijs\.serve", "(gateway|rasa|actions)"\]', cmd[-1]):
        problems.append('Dockerfile: CMD is not ["python", "-m", "wegwijs.serve", PROCESS]')
    ignored_names = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()}
    for must in (".venv", ".run", "models", ".env", ".env.*", "drafts"):
        if must not in ignored_names:
            problems.append(f".dockerignore: {must} is not left out of the build context")
    return problems


# -- running them ---------------------------------------------------------------------------------
Check = Callable[[], Problems]


def python_checks() -> list[tuple[str, Check]]:
    """The checks that need nothing but this checkout and its venv (tests/test_deploy_files.py)."""
    rendered = render_kustomization()
    files = sorted(p for p in K8S_DIR.glob("*.yaml") if p.name != "kustomization.yaml")
    raw, resolved = load_compose()
    return [
        ("REQUIRED names are read by each process's code", check_required_table),
        ("health and metrics paths exist (gateway routes, Rasa, the action server)", check_health_paths),
        (
            f"{len(files)} manifest files, strict Kubernetes {K8S_VERSION} schemas",
            lambda: [p for f in files for p in check_schemas(load_yaml_documents(f), f"deploy/k8s/{f.name}")],
        ),
        (
            f"kustomization rendered here ({len(rendered)} objects), strict schemas",
            lambda: check_schemas(rendered, "render"),
        ),
        ("kustomization lists every manifest; no Secret committed; secrets.env ignored", check_k8s_files),
        (
            "k8s: commands, variables, settings, secrets, URLs, probes, resources, HPA, PDB, storage, network",
            lambda: check_k8s(rendered),
        ),
        (
            "compose: commands, variables, settings, secrets, URLs, health checks, replicas, ports, storage",
            lambda: check_compose(raw, resolved),
        ),
        ("haproxy.cfg: sticky cookie, readiness check, every gateway replica, TLS", check_haproxy),
        ("Dockerfile and .dockerignore", check_dockerfile),
    ]


def tool_checks() -> list[tuple[str, Callable[[], tuple[Problems, str]]]]:
    """The checks that run installed tools; each says so when its tool is missing."""

    def kubectl() -> tuple[Problems, str]:
        docs, how = kubectl_render()
        if docs is None:
            return [], how
        if not docs:
            return [how], how
        mine = {(d["kind"], d["metadata"]["name"]) for d in render_kustomization()}
        theirs = {
            (
                d["kind"],
                re.sub(r"-[a-z0-9]{10}$", "", d["metadata"]["name"])
                if d["kind"] == "Secret"
                else d["metadata"]["name"],
            )
            for d in docs
        }
        problems = check_schemas(docs, "kubectl kustomize") + check_k8s(docs)
        problems += [f"kubectl kustomize makes {k}/{n}, the render here does not" for k, n in sorted(theirs - mine)]
        problems += [f"the render here makes {k}/{n}, kubectl kustomize does not" for k, n in sorted(mine - theirs)]
        return problems, f"kubectl kustomize ({len(docs)} objects): strict schemas and every k8s check"

    return [("kubectl kustomize", kubectl), ("compose config", compose_config_check), ("haproxy -c", haproxy_check)]


def main() -> int:
    results: list[tuple[str, Problems]] = []
    for title, check in python_checks():
        results.append((title, check()))
    for title, tool_check in tool_checks():
        problems, how = tool_check()
        results.append((how if not problems else title, problems))
    failed = skipped = 0
    for title, problems in results:
        skip = "not installed" in title and not problems
        failed += bool(problems)
        skipped += skip
        print(f"{'FAIL' if problems else 'skip' if skip else 'ok  '} {title}")
        for problem in problems:
            print(f"       {problem}")
    passed = len(results) - failed - skipped
    summary = f"validate-deploy: {passed} of {len(results)} checks passed"
    print(
        summary
        + (f", {skipped} skipped (tool not installed)" if skipped else "")
        + (f", {failed} FAILED" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
