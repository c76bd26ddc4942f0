"""The image's health check: asks the health path of the process running in this container.

    python /app/deploy/healthcheck.py [gateway|rasa|actions]

Without an argument (the Dockerfile's HEALTHCHECK, one image for three processes) it finds the
process from the command lines in /proc: uvicorn serving ``api.main:app`` is the gateway,
``python -m actions.server`` the action server, ``rasa run`` Rasa (wegwijs/serve.py). Exit 0 when the path answers 200
within the timeout, else 1 (Docker's "unhealthy"). Standard library and wegwijs.serve only.

The paths are the ones the Kubernetes probes use too (scripts/validate_deploy.py checks both):
readiness is what "healthy" means to Docker and to the proxy in front of the gateways.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

from wegwijs.serve import PROCESSES, port_of

# GET paths that answer 200 while the process is alive, and when it can serve.
LIVENESS = {"gateway": "/health/live", "rasa": "/", "actions": "/health"}
READINESS = {"gateway": "/health/ready", "rasa": "/", "actions": "/health"}
TIMEOUT_SECONDS = 4.0


def process_of(argv: Sequence[str]) -> str | None:
    """Which of the three processes one command line is (None: none of them)."""
    if "wegwijs.serve" in argv:  # before (or without) the exec
        after = list(argv[argv.index("wegwijs.serve") + 1 :])
        return next((word for word in after if word in PROCESSES), None)
    if "api.main:app" in argv:
        return "gateway"
    if "actions.server" in argv:
        return "actions"
    names = [Path(word).name for word in argv]
    if "rasa" in names and "run" in argv and "actions" not in argv:
        return "rasa"
    return None


def command_lines(proc: Path = Path("/proc")) -> Iterable[list[str]]:
    for entry in proc.glob("[0-9]*/cmdline"):
        try:
            words = entry.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        yield [word.decode("utf-8", "replace") for word in words if word]


def detect(lines: Iterable[Sequence[str]]) -> str | None:
    for argv in lines:
        found = process_of(argv)
        if found:
            return found
    return None


def healthy(process: str, env: dict[str, str]) -> bool:
    url = f"http://127.0.0.1:{port_of(process, env)}{READINESS[process]}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str]) -> int:
    process = argv[0] if argv else detect(command_lines())
    if process not in PROCESSES:
        print(f"healthcheck: no gateway, rasa or actions process found ({process!r})", file=sys.stderr)
        return 1
    return 0 if healthy(process, dict(os.environ)) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
