"""Runs the whole assistant: Redis, the action server, Rasa and the gateway.

    python -m scripts.stack            # what `make run` does after set-up and training

Redis: REDIS_URL when set; else a redis-server of its own (data in .run/redis, append-only
file, so conversations survive a restart); on a machine with neither, in-process stores, with a
loud warning that nothing survives a restart. Waits until every process is healthy, prints the
chat URL, and stops everything on Ctrl-C or TERM. Tests use the same class with free ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scripts.train import model_path
from wegwijs.paths import ROOT, run_dir
from wegwijs.secrets_file import load_local_secrets

VENV_BIN = Path(sys.executable).parent
RUN_DIR = run_dir()
DEMO_CASES = ROOT / "data" / "cases" / "demo.csv"


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def current_model() -> Path:
    """The model trained from the current inputs (scripts/train.py names it after them)."""
    model = model_path()
    if not model.exists():
        raise StackError(f"{model.name} is missing: run `make train`")
    return model


@dataclass
class Ports:
    gateway: int = 8000
    rasa: int = 5005
    actions: int = 5055
    redis: int = 6390

    @classmethod
    def from_env(cls) -> Ports:
        return cls(
            gateway=int(os.environ.get("WEGWIJS_PORT", 8000)),
            rasa=int(os.environ.get("WEGWIJS_RASA_PORT", 5005)),
            actions=int(os.environ.get("WEGWIJS_ACTIONS_PORT", 5055)),
            redis=int(os.environ.get("WEGWIJS_REDIS_PORT", 6390)),
        )

    @classmethod
    def free(cls) -> Ports:
        return cls(free_port(), free_port(), free_port(), free_port())


@dataclass
class Stack:
    ports: Ports = field(default_factory=Ports.from_env)
    redis_url: str | None = None  # None: start our own redis-server if there is one
    use_redis: bool = True
    model: Path | None = None
    run_dir: Path = RUN_DIR
    quiet: bool = False
    cases_csv: Path | None = DEMO_CASES
    opening_hours: Path | None = None  # None: WEGWIJS_OPENING_HOURS_FILE or bot/opening_hours.yml
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. the WhatsApp channel's settings
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    # -- configuration -------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(load_local_secrets())
        env.update(
            PYTHONPATH=str(ROOT),
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            WEGWIJS_RUN_DIR=str(self.run_dir),
            WEGWIJS_RASA_URL=f"http://127.0.0.1:{self.ports.rasa}",
            WEGWIJS_ACTIONS_URL=f"http://127.0.0.1:{self.ports.actions}/webhook",
        )
        if self.opening_hours:
            env["WEGWIJS_OPENING_HOURS_FILE"] = str(self.opening_hours)
        env.update(self.extra_env)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        else:
            env.pop("REDIS_URL", None)
        return env

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    # -- processes -----------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
            self.processes[name] = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def start_redis(self) -> None:
        if self.redis_url or not self.use_redis:
            return
        server = shutil.which("redis-server")
        if not server:
            self.use_redis = False
            return
        data = self.run_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "redis",
            [
                server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.ports.redis),
                "--dir",
                str(data),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--protected-mode",
                "yes",
            ],
            dict(os.environ),
        )
        self.redis_url = f"redis://127.0.0.1:{self.ports.redis}/0"
        self._wait("redis", lambda: port_open(self.ports.redis), 20)

    def start(self) -> None:
        started = time.monotonic()
        for name, port in vars(self.ports).items():
            if (name != "redis" or not self.redis_url) and port_open(port):
                variable = "WEGWIJS_PORT" if name == "gateway" else f"WEGWIJS_{name.upper()}_PORT"
                raise StackError(f"port {port} ({name}) is already in use: set {variable}")
        self.start_redis()
        if not self.redis_url:
            self._say(
                "\n" + "!" * 78 + "\n"
                "!! No Redis (REDIS_URL unset and no redis-server installed): conversations\n"
                "!! are kept in memory and NOTHING SURVIVES A RESTART. Install redis-server.\n" + "!" * 78 + "\n"
            )
        env = self.environment()
        self.load_cases(env)
        model = self.model or current_model()
        env["WEGWIJS_MODEL"] = str(model)
        for name in ("actions", "rasa", "gateway"):  # the same entry points as the image and the cluster
            port = str(getattr(self.ports, name))
            self._spawn(name, [sys.executable, "-m", "wegwijs.serve", name, "--host", "127.0.0.1", "--port", port], env)
        self._wait("gateway", self.healthy, 240)
        self.startup_seconds = time.monotonic() - started

    def load_cases(self, env: dict[str, str]) -> None:
        """Import the demo cases (synthetic people) into the local SQLite case store the action server
        reads; never into a configured DATABASE_URL, which holds real cases."""
        if not self.cases_csv or os.environ.get("WEGWIJS_LOAD_DEMO_CASES") == "0":
            return
        if env.get("DATABASE_URL"):
            self._say("DATABASE_URL is set: the demo cases are not imported into it (import real ones yourself)")
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._say(import_cases(self.cases_csv, env))

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.gateway_url}/health", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def _wait(self, what: str, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise StackError(f"{name} exited with {process.returncode}: see {self.run_dir / (name + '.log')}")
            if ready():
                return
            time.sleep(0.5)
        raise StackError(f"{what} not healthy after {timeout:.0f} s: see the logs in {self.run_dir}")

    def stop(self) -> None:
        for name in ("gateway", "rasa", "actions", "redis"):
            process = self.processes.get(name)
            if process and process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def _say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)


def import_cases(cases_csv: Path, env: dict[str, str]) -> str:
    """Imports a CSV of cases into the case store of ``env`` (actions/cases/importer.py); what it
    imported, or StackError with the importer's complaint."""
    result = subprocess.run(
        [sys.executable, "-m", "actions.cases.importer", str(cases_csv), "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StackError(f"importing {cases_csv.name} failed:\n{result.stderr}")
    return f"Cases from {cases_csv.relative_to(ROOT)}: {result.stdout.strip()}"


def run_in_foreground(start: Callable[[], str], ended: Callable[[], str | None], stop: Callable[[], None]) -> int:
    """`make run`'s and `make cluster`'s life: ``start`` (returns what to print once it runs),
    then wait until ``ended`` says what stopped unexpectedly (exit 1) or Ctrl-C or TERM (exit 0);
    ``stop`` runs in every case, with both signals ignored meanwhile."""
    stopping = False

    def on_term(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        print(start(), flush=True)
        while (what := ended()) is None:
            time.sleep(1)
        print(what, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop()


def main() -> int:
    stack = Stack(redis_url=os.environ.get("REDIS_URL") or None)

    def start() -> str:
        print("Starting Redis, the action server, Rasa and the gateway (about a minute)...", flush=True)
        stack.start()
        return (
            f"\nWegwijs is running ({stack.startup_seconds:.0f} s to healthy).\n"
            f'  Web chat:  {stack.gateway_url}/ (embed: <script src="{stack.gateway_url}/chat/widget.js" defer>)\n'
            f"  Chat API:  POST {stack.gateway_url}/api/v1/conversations, then /api/v1/messages\n"
            f"  API docs:  {stack.gateway_url}/docs\n"
            f"  Staff:     {stack.gateway_url}/staff "
            "(accounts: python -m api.staff.accounts create NAME --role agent)\n"
            f"  Health:    {stack.gateway_url}/health\n"
            f"Logs in {stack.run_dir}. Press Ctrl-C to stop."
        )

    def ended() -> str | None:
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        return f"{', '.join(dead)} stopped unexpectedly: see {stack.run_dir}" if dead else None

    return run_in_foreground(start, ended, stack.stop)


if __name__ == "__main__":
    sys.exit(main())
