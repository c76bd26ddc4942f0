"""What `make run` does after set-up: the stack runner, on a machine without any Redis.

It must fall back to in-process stores, say loudly that nothing survives a restart, answer in
the user's language, and stop every process it started when its process group gets TERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from scripts.stack import Ports
from scripts.train import model_path
from tests.conftest import new_conversation

ROOT = Path(__file__).resolve().parent.parent


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state != "Z"


def test_runs_without_redis_and_term_stops_everything(tmp_path: Path) -> None:
    assert model_path().exists()
    ports = Ports.free()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        PATH="/nonexistent",  # no redis-server to be found
        WEGWIJS_PORT=str(ports.gateway),
        WEGWIJS_RASA_PORT=str(ports.rasa),
        WEGWIJS_ACTIONS_PORT=str(ports.actions),
        WEGWIJS_REDIS_PORT=str(ports.redis),
        WEGWIJS_RUN_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
    )
    output = tmp_path / "stdout.txt"
    with output.open("wb") as out:
        runner = subprocess.Popen(
            [sys.executable, "-m", "scripts.stack"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        while "Wegwijs is running" not in output.read_text():
            assert runner.poll() is None, output.read_text()
            assert time.monotonic() < deadline, "not healthy in time"
            time.sleep(0.5)
        printed = output.read_text()
        assert "NOTHING SURVIVES A RESTART" in printed
        assert f"http://127.0.0.1:{ports.gateway}" in printed
        url = f"http://127.0.0.1:{ports.gateway}"
        health = httpx.get(f"{url}/health").json()
        assert health["checks"]["redis"].startswith("not configured")
        reply = httpx.post(
            f"{url}/api/v1/messages",
            json={"conversation_id": new_conversation(url), "text": "أريد العودة إلى بلدي، كيف تساعدونني؟"},
            timeout=30,
        ).json()
        assert (reply["language"], reply["topic"]) == ("ar", "voluntary_return")
        started = children_of(runner.pid)
        assert len(started) == 3  # action server, Rasa, gateway: no redis-server
    finally:
        os.killpg(runner.pid, signal.SIGTERM)
        runner.wait(timeout=60)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in started)
    assert runner.returncode == 0
