"""The one entry point of each process, used alike by `make run` (scripts/stack.py), `make cluster`
and the container image, so that what is tested is what ships.

    python -m wegwijs.serve gateway|rasa|actions [--host H] [--port P]

It builds the process's command line from the environment and replaces itself with it (``exec``),
so that a supervisor's signals reach uvicorn or Rasa directly:

    WEGWIJS_BIND        the address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
    WEGWIJS_PORT        the gateway's port (8000); WEGWIJS_RASA_PORT (5005), WEGWIJS_ACTIONS_PORT (5055)
    WEGWIJS_MODEL       the Rasa model file (default: the one trained from the current inputs)
    WEGWIJS_LOG_FORMAT  text (default) or json: one JSON object per line
    REDIS_URL           Rasa's tracker and lock store (bot/endpoints.yml); unset: in memory
    WEGWIJS_ENDPOINTS   another endpoints file for Rasa (the cluster tests' stock lock store)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlparse

from wegwijs.paths import ROOT

PROCESSES = ("gateway", "rasa", "actions")
DEFAULT_PORTS = {"gateway": 8000, "rasa": 5005, "actions": 5055}
PORT_VARIABLES = {"gateway": "WEGWIJS_PORT", "rasa": "WEGWIJS_RASA_PORT", "actions": "WEGWIJS_ACTIONS_PORT"}
# Exceptions logged without their messages in all three processes (wegwijs/log_hygiene.py), as
# text lines, or with WEGWIJS_LOG_FORMAT=json as one JSON object per line.
LOGGING = str(ROOT / "bot" / "logging.yml")
JSON_LOGGING = str(ROOT / "bot" / "logging-json.yml")


def logging_config(env: Mapping[str, str]) -> str:
    kind = env.get("WEGWIJS_LOG_FORMAT", "text")
    if kind not in ("text", "json"):
        raise SystemExit(f"WEGWIJS_LOG_FORMAT must be text or json, not {kind!r}")
    return JSON_LOGGING if kind == "json" else LOGGING


BIN = Path(sys.executable).parent


def redis_parts(redis_url: str) -> dict[str, str]:
    """REDIS_URL as the separate variables bot/endpoints.yml reads (Rasa's stores take no URL)."""
    parsed = urlparse(redis_url)
    return {
        "REDIS_HOST": parsed.hostname or "127.0.0.1",
        "REDIS_PORT": str(parsed.port or 6379),
        "REDIS_DB": (parsed.path or "/0").lstrip("/") or "0",
        "REDIS_PASSWORD": parsed.password or "",
    }


def port_of(process: str, env: Mapping[str, str]) -> int:
    return int(env.get(PORT_VARIABLES[process]) or DEFAULT_PORTS[process])


def model_file(env: Mapping[str, str]) -> str:
    if env.get("WEGWIJS_MODEL"):
        return env["WEGWIJS_MODEL"]
    from scripts.train import model_path  # only in a checkout; an image sets WEGWIJS_MODEL

    return str(model_path())


def command(process: str, host: str, port: int, env: Mapping[str, str]) -> list[str]:
    """The command line of one process."""
    logging_file = logging_config(env)
    if process == "gateway":
        return [
            str(BIN / "uvicorn"),
            "api.main:app",
            "--host",
            host,
            "--port",
            str(port),
            "--no-access-log",
            # Client addresses are decided in one place, api/client_address.py (trusted proxies only).
            "--no-proxy-headers",
            "--log-config",
            logging_file,
        ]
    if process == "actions":  # rasa-sdk's app plus /metrics (actions/server.py)
        return [sys.executable, "-m", "actions.server", "--port", str(port), "--logging-config-file", logging_file]
    if process == "rasa":
        endpoints = env.get("WEGWIJS_ENDPOINTS") or (
            "bot/endpoints.yml" if env.get("REDIS_URL") else "bot/endpoints.memory.yml"
        )
        return [
            str(BIN / "rasa"),
            "run",
            "--model",
            model_file(env),
            "--endpoints",
            endpoints,
            "--credentials",
            "bot/credentials.yml",
            "--interface",
            host,
            "--port",
            str(port),
            "--logging-config-file",
            logging_file,
        ]
    raise ValueError(f"unknown process {process!r}: one of {', '.join(PROCESSES)}")


def environment(process: str, host: str, env: Mapping[str, str]) -> dict[str, str]:
    """The process's environment: the given one, plus what Rasa's own configuration reads."""
    out = dict(env)
    out.setdefault("PYTHONPATH", str(ROOT))
    out.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", WEGWIJS_LOGGING_FILE=logging_config(env))
    if process == "actions":
        out["SANIC_HOST"] = host  # rasa-sdk's only way to choose its address
    if env.get("REDIS_URL"):
        out.update(redis_parts(env["REDIS_URL"]))
    return out


def main(argv: list[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(prog="python -m wegwijs.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("process", choices=PROCESSES)
    parser.add_argument("--host", default=os.environ.get("WEGWIJS_BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    port = args.port or port_of(args.process, os.environ)
    args_list = command(args.process, args.host, port, os.environ)
    os.chdir(ROOT)
    os.execve(args_list[0], args_list, environment(args.process, args.host, os.environ))


if __name__ == "__main__":
    main()
