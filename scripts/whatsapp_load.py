"""The webhook's acknowledgement latency under a burst, for `make bench` (scripts/bench.py).

A gateway of its own, its WhatsApp channel sending to the Graph API stand-in, Rasa behind a proxy
that slows it down; the stand-ins run in a process of their own (``python -m
scripts.whatsapp_load RASA_URL DELAY``). The stand-ins and the burst are the tests' own
(tests/fake_graph_api.py, tests/whatsapp_load.py).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time

from tests.whatsapp_load import SlowProxy, burst, burst_users


def serve_stand_ins(rasa_url: str, rasa_delay: float) -> None:
    """Run the Graph API stand-in and the slow Rasa proxy until stdin closes; their addresses
    first, as one JSON line. A process of their own, so that their threads do not share the
    measuring client's interpreter (and its lock) and inflate what it measures."""
    import sys

    from tests.fake_graph_api import FakeGraphAPI

    graph, proxy = FakeGraphAPI(), SlowProxy(rasa_url, rasa_delay)
    try:
        print(
            json.dumps(
                {
                    "graph": graph.start(),
                    "rasa": proxy.start(),
                    "token": graph.token,
                    "phone_number_id": graph.phone_number_id,
                    "version": graph.version,
                }
            ),
            flush=True,
        )
        sys.stdin.read()
    finally:
        proxy.stop()
        graph.stop()


def measure_acks(
    environment: dict[str, str], rasa_url: str, redis_url: str, rasa_delay: float, users: int = 20, per_user: int = 10
) -> list[float]:
    """Acknowledgement milliseconds of a burst against a gateway of its own (its WhatsApp channel
    sending to the Graph API stand-in), with Rasa behind a proxy that adds ``rasa_delay``."""
    import subprocess
    import sys
    from pathlib import Path

    from scripts.stack import free_port, port_open
    from wegwijs.paths import ROOT

    secret = secrets.token_urlsafe(24)
    stand_ins = subprocess.Popen(
        [sys.executable, "-m", "scripts.whatsapp_load", rasa_url, str(rasa_delay)],
        cwd=ROOT,
        env={**environment, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    process = None
    try:
        where = json.loads(stand_ins.stdout.readline())
        env = {
            **environment,
            "REDIS_URL": redis_url,
            "WEGWIJS_RASA_URL": where["rasa"],
            "WEGWIJS_WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(12),
            "WEGWIJS_WHATSAPP_APP_SECRET": secret,
            "WEGWIJS_WHATSAPP_TOKEN": where["token"],
            "WEGWIJS_WHATSAPP_PHONE_NUMBER_ID": where["phone_number_id"],
            "WEGWIJS_WHATSAPP_API_BASE": where["graph"],
            "WEGWIJS_WHATSAPP_API_VERSION": where["version"],
        }
        port = free_port()
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "uvicorn"),
                "api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not port_open(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the measuring gateway did not start")
            time.sleep(0.1)
        results = asyncio.run(burst(f"http://127.0.0.1:{port}", secret.encode(), burst_users(users), per_user))
        if any(status != 200 for status, _ in results):
            raise RuntimeError("a delivery was not acknowledged with 200")
        return [ms for _, ms in results]
    finally:
        for child in filter(None, (process, stand_ins)):
            if child is stand_ins:
                stand_ins.stdin.close()  # type: ignore[union-attr]
            else:
                child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


if __name__ == "__main__":
    import sys

    serve_stand_ins(sys.argv[1], float(sys.argv[2]))
