"""A second gateway process beside the session's stack (same Redis, Rasa and action server),
started with settings of a test's own: small rate limits, a trusted proxy header."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from scripts.stack import ROOT, Stack, free_port


@contextmanager
def gateway_with(stack: Stack, settings: dict[str, str]) -> Iterator[str]:
    """The base URL of a gateway started with ``settings`` on top of the stack's environment."""
    port = free_port()
    with open(stack.run_dir / f"gateway-{port}.log", "ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "wegwijs.serve", "gateway", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env={**stack.environment(), **settings},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the gateway exited: see {log.name}"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the gateway did not become healthy"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
