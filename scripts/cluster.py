"""Several replicas of each process on one machine, behind HAProxy, kept by supervisord.

    python -m scripts.cluster          # what `make cluster` does after set-up and training

N gateways, N Rasa servers and N action servers (CLUSTER_GATEWAYS, CLUSTER_RASA, CLUSTER_ACTIONS;
2 each by default), each started with the one entry point ``python -m wegwijs.serve ...`` on a port
of its own, and one Redis (append-only file, in .run/cluster/redis). supervisord
(deploy/cluster/supervisord.conf.in) starts them, restarts any that dies and keeps their logs in
.run/cluster/. HAProxy (deploy/cluster/haproxy.cfg.in) has three frontends: the public one
(CLUSTER_PORT, 8080), sticky by cookie for socket.io, checking each gateway's health; one
balancing the Rasa servers (the gateways' WEGWIJS_RASA_URL) and one the action servers (Rasa's
WEGWIJS_ACTIONS_URL). The case store is DATABASE_URL, else a local PostgreSQL's database
``wegwijs_cluster`` (created if missing), else a SQLite file in .run/cluster, which it says.
Waits until every replica is healthy and HAProxy sees it up, prints the public URL, and stops
everything on Ctrl-C or TERM. The tests start the same class on free ports (tests/cluster/).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import httpx

from scripts.stack import DEMO_CASES, StackError, current_model, free_port, import_cases, port_open, run_in_foreground
from wegwijs.paths import ROOT, run_dir
from wegwijs.secrets_file import load_local_secrets

VENV_BIN = Path(sys.executable).parent
TEMPLATES = ROOT / "deploy" / "cluster"
RUN_DIR = run_dir() / "cluster"
KINDS = ("gateway", "rasa", "actions")
# Each replica's own health, asked directly (HAProxy asks the same, except the gateway's, which is
# gateway_health_path()).
HEALTH = {"gateway": "/health", "rasa": "/", "actions": "/health"}
# HAProxy's backend of each kind (the gateways are in two: the messages route has its own).
BACKENDS = {
    "gateway": ("gateways", "gateway_messages", "gateways_live", "gateway_messages_live"),
    "rasa": ("rasa",),
    "actions": ("actions",),
}
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/"
CLUSTER_DATABASE = "wegwijs_cluster"


class ClusterError(StackError):
    pass


def distinct_free_ports(count: int, taken: set[int] | None = None) -> list[int]:
    """``count`` free ports on 127.0.0.1, none twice and none of ``taken``."""
    seen = set(taken or ())
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in seen:
            seen.add(port)
            ports.append(port)
    return ports


@dataclass
class ClusterPorts:
    public: int  # HAProxy's frontend for people
    rasa: int  # HAProxy's frontend for the Rasa servers
    actions: int  # HAProxy's frontend for the action servers
    redis: int
    replicas: dict[str, list[int]]  # each kind's replicas' own ports

    @classmethod
    def free(cls, gateways: int, rasa: int, actions: int, public: int | None = None) -> ClusterPorts:
        ports = distinct_free_ports(3 + gateways + rasa + actions + (public is None), {public} if public else None)
        chosen = iter(ports)
        return cls(
            public=public if public is not None else next(chosen),
            rasa=next(chosen),
            actions=next(chosen),
            redis=next(chosen),
            replicas={
                "gateway": [next(chosen) for _ in range(gateways)],
                "rasa": [next(chosen) for _ in range(rasa)],
                "actions": [next(chosen) for _ in range(actions)],
            },
        )


@dataclass(frozen=True)
class Program:
    """One program of supervisord's: a replica (in its kind's group), Redis or HAProxy."""

    name: str  # "rasa-0", "redis", "haproxy"
    command: list[str]
    priority: int
    kind: str | None = None  # "gateway", "rasa", "actions" for a replica
    port: int | None = None

    @property
    def full_name(self) -> str:
        """The name supervisord knows it by: ``group:name`` for a replica."""
        return f"{self.kind}:{self.name}" if self.kind else self.name


def gateway_health_paths() -> tuple[str, str]:
    """The gateway's readiness and liveness paths: ``/health/ready`` and ``/health/live`` where
    it has them, else ``/health`` for both (then any answer, 200 or 503, means alive)."""
    try:
        from api.routes.health import router
    except Exception:  # noqa: BLE001 - the gateway's own start-up reports what is wrong with it
        return "/health", "/health"
    paths = {getattr(route, "path", None) for route in router.routes}
    ready = "/health/ready" if "/health/ready" in paths else "/health"
    return ready, "/health/live" if "/health/live" in paths else "/health"


def apology_map() -> str:
    """HAProxy's map of language -> the body of the gateway's apology (api/turns.py's
    ``UNAVAILABLE`` reply, MessageOut without its conversation id), one line per shipped
    language, in ASCII JSON."""
    from api.turns import UNAVAILABLE
    from wegwijs.languages import SHIPPED
    from wegwijs.responses import load_specs, render
    from wegwijs.wire import reply_message

    spec = load_specs()[UNAVAILABLE]
    lines = []
    for language in SHIPPED:
        rendered = render(spec, language)
        body = {
            "language": language,
            "topic": spec.topic,
            "phone_line": spec.phone_line,
            "messages": [reply_message(rendered.text, rendered.buttons)],
            "handover": None,
            "erased": False,
            "notice": None,
        }
        lines.append(f"{language} {json.dumps(body, ensure_ascii=True, separators=(',', ':'))[1:-1]}\n")
    return "".join(lines)


def local_postgres_database(name: str = CLUSTER_DATABASE) -> str | None:
    """The URL of database ``name`` on a PostgreSQL at 127.0.0.1:5432 that lets ``postgres`` in
    without a password (created if missing); None when there is none."""
    try:
        import psycopg2  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        connection = psycopg2.connect(LOCAL_POSTGRES + "postgres", connect_timeout=2)
    except psycopg2.Error:
        return None
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    except psycopg2.Error:
        return None
    finally:
        connection.close()
    return LOCAL_POSTGRES + name


def supervisor_value(text: str) -> str:
    """A value as supervisord's configuration reads it: '%' starts its expansions."""
    return text.replace("%", "%%")


@dataclass
class Cluster:
    gateways: int = 2
    rasa: int = 2
    actions: int = 2
    ports: ClusterPorts | None = None  # None: CLUSTER_PORT (8080) for people, free ports inside
    run_dir: Path = RUN_DIR
    model: Path | None = None
    database_url: str | None = None  # the action servers' case store; None: SQLite in run_dir
    # The demo cases (synthetic people) go into the case store only when it is the cluster's own
    # (its SQLite file, its PostgreSQL database), never into a DATABASE_URL that was configured.
    own_database: bool = True
    endpoints: Path | None = None  # Rasa's endpoints file; None: bot/endpoints.yml (wegwijs.serve's)
    cases_csv: Path | None = DEMO_CASES
    extra_env: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    supervisord: subprocess.Popen[bytes] | None = None
    startup_seconds: float = 0.0

    def __post_init__(self) -> None:
        if min(self.gateways, self.rasa, self.actions) < 1:
            raise ClusterError("every kind needs at least one replica")
        if self.ports is None:
            public = int(os.environ.get("CLUSTER_PORT", 8080))
            self.ports = ClusterPorts.free(self.gateways, self.rasa, self.actions, public=public)
        self.run_dir = self.run_dir.resolve()
        self.gateway_health, self.gateway_live = gateway_health_paths()

    # -- configuration -------------------------------------------------------------------
    @property
    def port_map(self) -> ClusterPorts:
        assert self.ports is not None
        return self.ports

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.port_map.public}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.port_map.redis}/0"

    @property
    def config_file(self) -> Path:
        return self.run_dir / "supervisord.conf"

    def environment(self) -> dict[str, str]:
        """supervisord's environment, which every program inherits."""
        ports = self.port_map
        env = dict(os.environ)
        env.update(load_local_secrets())
        env.update(
            PYTHONPATH=str(ROOT),
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            WEGWIJS_RUN_DIR=str(self.run_dir),
            WEGWIJS_RASA_URL=f"http://127.0.0.1:{ports.rasa}",
            WEGWIJS_ACTIONS_URL=f"http://127.0.0.1:{ports.actions}/webhook",
            REDIS_URL=self.redis_url,
            # The gateways see every request come from HAProxy, which names the client.
            WEGWIJS_CLIENT_ADDRESS_HEADER="X-Forwarded-For",
            WEGWIJS_TRUSTED_PROXIES="127.0.0.1/32",
        )
        env["WEGWIJS_MODEL"] = str(self.model or current_model())
        if self.endpoints is not None:  # Rasa's, e.g. the tests' stock lock store (wegwijs/serve.py)
            env["WEGWIJS_ENDPOINTS"] = str(self.endpoints)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env.pop("DATABASE_URL", None)
        env.update(self.extra_env)
        return env

    def programs(self) -> list[Program]:
        ports = self.port_map
        redis_server = shutil.which("redis-server")
        haproxy = shutil.which("haproxy")
        if not redis_server:
            raise ClusterError("redis-server is not installed (apt-get install redis-server)")
        if not haproxy:
            raise ClusterError("haproxy is not installed (apt-get install haproxy)")
        programs = [
            Program(
                "redis",
                [
                    redis_server,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(ports.redis),
                    "--dir",
                    str(self.run_dir / "redis"),
                    "--appendonly",
                    "yes",
                    "--save",
                    "",
                    "--protected-mode",
                    "yes",
                ],
                priority=10,
            )
        ]
        priorities = {"actions": 20, "rasa": 30, "gateway": 40}
        for kind in ("actions", "rasa", "gateway"):
            for index, port in enumerate(ports.replicas[kind]):
                programs.append(
                    Program(f"{kind}-{index}", self.replica_command(kind, port), priorities[kind], kind, port)
                )
        programs.append(Program("haproxy", [haproxy, "-db", "-f", str(self.run_dir / "haproxy.cfg")], priority=50))
        return programs

    def replica_command(self, kind: str, port: int) -> list[str]:
        """The one entry point (wegwijs/serve.py); another endpoints file, when the cluster has one,
        through WEGWIJS_ENDPOINTS in the environment (``environment``)."""
        return [sys.executable, "-m", "wegwijs.serve", kind, "--host", "127.0.0.1", "--port", str(port)]

    def replicas(self, kind: str | None = None) -> list[Program]:
        return [p for p in self.programs() if p.kind and (kind is None or p.kind == kind)]

    def haproxy_config(self) -> str:
        ports = self.port_map

        def servers(kind: str, prefix: str, extra: Callable[[int], str] = lambda _: " check") -> str:
            return "\n".join(
                f"    server {prefix}-{i} 127.0.0.1:{port}{extra(i)}" for i, port in enumerate(ports.replicas[kind])
            )

        return Template((TEMPLATES / "haproxy.cfg.in").read_text(encoding="utf-8")).substitute(
            run_dir=self.run_dir,
            public_port=ports.public,
            rasa_port=ports.rasa,
            actions_port=ports.actions,
            gateway_health=self.gateway_health,
            gateway_live=self.gateway_live,
            gateway_live_status="^200$" if self.gateway_live != "/health" else "^(200|503)$",
            gateway_servers=servers("gateway", "gateway", lambda i: f" check cookie g{i}"),
            gateway_live_servers=servers("gateway", "gateway", lambda i: f" check cookie g{i}"),
            gateway_message_servers=servers("gateway", "gateway", lambda i: f" cookie g{i} track gateways/gateway-{i}"),
            gateway_message_live_servers=servers(
                "gateway", "gateway", lambda i: f" cookie g{i} track gateways_live/gateway-{i}"
            ),
            rasa_servers=servers("rasa", "rasa"),
            actions_servers=servers("actions", "actions"),
        )

    def supervisord_config(self) -> str:
        sections = []
        for program in self.programs():
            log = self.run_dir / f"{program.name}.log"
            sections.append(
                f"[program:{program.name}]\n"
                f"command={supervisor_value(shlex.join(program.command))}\n"
                f"directory={supervisor_value(str(ROOT))}\n"
                f"priority={program.priority}\n"
                "autostart=true\n"
                "autorestart=true\n"
                "startsecs=2\n"
                "startretries=20\n"
                "stopsignal=TERM\n"
                "stopwaitsecs=20\n"
                "stopasgroup=true\n"
                "killasgroup=true\n"
                "redirect_stderr=true\n"
                f"stdout_logfile={supervisor_value(str(log))}\n"
                "stdout_logfile_maxbytes=20MB\n"
                "stdout_logfile_backups=2\n"
            )
        for kind in KINDS:
            names = ",".join(p.name for p in self.replicas(kind))
            sections.append(f"[group:{kind}]\nprograms={names}\n")
        return Template((TEMPLATES / "supervisord.conf.in").read_text(encoding="utf-8")).substitute(
            run_dir=supervisor_value(str(self.run_dir)),
            root=supervisor_value(str(ROOT)),
            programs="\n".join(sections),
        )

    def write_config(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "redis").mkdir(exist_ok=True)
        (self.run_dir / "apology.map").write_text(apology_map(), encoding="utf-8")
        (self.run_dir / "apology.http").write_text(
            (TEMPLATES / "apology.http.in").read_text(encoding="utf-8"), encoding="utf-8"
        )
        (self.run_dir / "haproxy.cfg").write_text(self.haproxy_config(), encoding="utf-8")
        self.config_file.write_text(self.supervisord_config(), encoding="utf-8")
        checked = subprocess.run(
            [shutil.which("haproxy") or "haproxy", "-c", "-q", "-f", str(self.run_dir / "haproxy.cfg")],
            capture_output=True,
            text=True,
        )
        if checked.returncode != 0:
            raise ClusterError(f"HAProxy refuses {self.run_dir / 'haproxy.cfg'}:\n{checked.stdout}{checked.stderr}")

    # -- processes -----------------------------------------------------------------------
    def start(self, timeout: float = 300) -> None:
        started = time.monotonic()
        if (self.run_dir / "supervisor.sock").exists() and self._supervisor_answers():
            raise ClusterError(f"a cluster is already running from {self.run_dir}: stop it first")
        ports = self.port_map
        inside = [port for kind in KINDS for port in ports.replicas[kind]]
        for port in [ports.public, ports.rasa, ports.actions, ports.redis, *inside]:
            if port_open(port):
                raise ClusterError(f"port {port} is already in use" + (": set CLUSTER_PORT" * (port == ports.public)))
        self.write_config()
        env = self.environment()
        self.load_cases(env)
        with open(self.run_dir / "supervisord.out", "ab") as out:  # the child keeps its own descriptor
            self.supervisord = subprocess.Popen(
                [str(VENV_BIN / "supervisord"), "-c", str(self.config_file)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C reaches scripts/cluster.py, which stops it in order
            )
        try:
            self.wait("every replica healthy and up behind HAProxy", self.ready, timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    def load_cases(self, env: dict[str, str]) -> None:
        """The demo cases (synthetic people) into the case store that every action server reads,
        when that store is the cluster's own."""
        if not self.cases_csv or os.environ.get("WEGWIJS_LOAD_DEMO_CASES") == "0":
            return
        if not self.own_database:
            self._say("DATABASE_URL is set: the demo cases are not imported into it (import real ones yourself)")
            return
        self._say(import_cases(self.cases_csv, env))

    def stop(self, timeout: float = 90) -> None:
        """supervisord stops the programs (TERM, highest priority first) and then itself; what is
        left after ``timeout`` is killed."""
        process, self.supervisord = self.supervisord, None
        if process is None:
            return
        pids = []
        with contextlib.suppress(OSError, xmlrpc.client.Error):
            pids = [info["pid"] for info in self.supervisor().getAllProcessInfo() if info["pid"]]
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid in pids:  # each program leads its own process group (stopasgroup)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    # -- what is running -------------------------------------------------------------------
    def supervisor(self) -> Any:
        """supervisord's XML-RPC interface (as supervisorctl uses it) on its Unix socket."""
        from supervisor.xmlrpc import SupervisorTransport  # type: ignore[import-untyped]

        transport = SupervisorTransport(None, None, f"unix://{self.run_dir / 'supervisor.sock'}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def _supervisor_answers(self) -> bool:
        try:
            self.supervisor().getState()
            return True
        except (OSError, xmlrpc.client.Error):
            return False

    def process_info(self, program: Program | str) -> dict[str, Any]:
        name = program.full_name if isinstance(program, Program) else program
        info: dict[str, Any] = self.supervisor().getProcessInfo(name)
        return info

    def pid(self, program: Program) -> int:
        return int(self.process_info(program)["pid"])

    def kill(self, program: Program, signum: int = signal.SIGKILL) -> int:
        """Sends ``signum`` to the program's process (its pid, as ``kill -9 <pid>``); returns the pid."""
        pid = self.pid(program)
        os.kill(pid, signum)
        return pid

    def proxy_status(self) -> dict[tuple[str, str], str]:
        """HAProxy's ``show stat``: (backend, server) -> UP, DOWN, ..."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(3)
            client.connect(str(self.run_dir / "haproxy.sock"))
            client.sendall(b"show stat\n")
            chunks = []
            while chunk := client.recv(65536):
                chunks.append(chunk)
        text = b"".join(chunks).decode("utf-8", errors="replace").lstrip("# ")
        return {(row["pxname"], row["svname"]): row["status"] for row in csv.DictReader(io.StringIO(text))}

    def serving(self, program: Program) -> bool:
        """The replica answers its health check directly, and HAProxy has it up in every backend."""
        if not self.answers(program):
            return False
        try:
            status = self.proxy_status()
        except OSError:
            return False
        assert program.kind is not None
        return all(status.get((backend, program.name), "").startswith("UP") for backend in BACKENDS[program.kind])

    def answers(self, program: Program) -> bool:
        assert program.kind is not None and program.port is not None
        path = self.gateway_health if program.kind == "gateway" else HEALTH[program.kind]
        try:
            return httpx.get(f"http://127.0.0.1:{program.port}{path}", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def ready(self) -> bool:
        if self.supervisord is not None and self.supervisord.poll() is not None:
            raise ClusterError(f"supervisord exited with {self.supervisord.returncode}: see {self.run_dir}")
        try:
            infos = self.supervisor().getAllProcessInfo()
        except (OSError, xmlrpc.client.Error):
            return False
        fatal = [info["name"] for info in infos if info["statename"] == "FATAL"]
        if fatal:
            raise ClusterError(f"{', '.join(fatal)} could not start: see the logs in {self.run_dir}")
        if not all(info["statename"] == "RUNNING" for info in infos):
            return False
        if not all(self.serving(program) for program in self.replicas()):
            return False
        try:
            return httpx.get(f"{self.public_url}{self.gateway_health}", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def wait(self, what: str, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise ClusterError(f"{what}: not within {timeout:.0f} s; see the logs in {self.run_dir}")
            time.sleep(0.25)

    def _say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)


def count_from_env(variable: str) -> int:
    return int(os.environ.get(variable) or 2)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    running: list[Cluster] = []  # made inside start(), so that a configuration error is reported like others

    def start() -> str:
        configured = os.environ.get("DATABASE_URL") or None
        database = configured or local_postgres_database()
        cluster = Cluster(
            gateways=count_from_env("CLUSTER_GATEWAYS"),
            rasa=count_from_env("CLUSTER_RASA"),
            actions=count_from_env("CLUSTER_ACTIONS"),
            database_url=database,
            own_database=configured is None,
        )
        running.append(cluster)
        if database:
            where = "DATABASE_URL" if configured else f"the cluster's own database {CLUSTER_DATABASE}"
            print(f"Case store: {where} ({database.rsplit('@', 1)[-1]})", flush=True)
        else:
            print(
                "Case store: no DATABASE_URL and no PostgreSQL on 127.0.0.1:5432 that lets `postgres` in:\n"
                f"  the action servers share a SQLite file ({cluster.run_dir / 'cases.sqlite3'}).",
                flush=True,
            )
        print(
            f"Starting Redis, {cluster.actions} action server(s), {cluster.rasa} Rasa server(s), "
            f"{cluster.gateways} gateway(s) and HAProxy under supervisord (a minute or two)...",
            flush=True,
        )
        cluster.start()
        ports = cluster.port_map
        replicas = "\n".join(
            f"    {p.full_name:<18} 127.0.0.1:{p.port}  log: {cluster.run_dir / (p.name + '.log')}"
            for p in cluster.replicas()
        )
        return (
            f"\nWegwijs cluster is running ({cluster.startup_seconds:.0f} s to healthy).\n"
            f"  Web chat:  {cluster.public_url}/  (HAProxy; sticky per browser by the WEGWIJS_GATEWAY cookie)\n"
            f"  Chat API:  POST {cluster.public_url}/api/v1/conversations, then /api/v1/messages\n"
            f"  Health:    {cluster.public_url}{cluster.gateway_health}\n"
            f"  Inside:    Rasa behind 127.0.0.1:{ports.rasa}, action servers behind 127.0.0.1:{ports.actions}, "
            f"Redis on 127.0.0.1:{ports.redis}\n"
            f"  Replicas (restarted by supervisord when they die):\n{replicas}\n"
            f"  Status:    {VENV_BIN / 'supervisorctl'} -c {cluster.config_file} status\n"
            f"Configuration and logs in {cluster.run_dir}. Press Ctrl-C to stop."
        )

    def ended() -> str | None:
        cluster = running[0]
        if cluster.supervisord is not None and cluster.supervisord.poll() is None:
            return None
        return f"supervisord stopped unexpectedly: see {cluster.run_dir}"

    def stop() -> None:
        for cluster in running:
            cluster.stop()

    return run_in_foreground(start, ended, stop)


if __name__ == "__main__":
    sys.exit(main())
