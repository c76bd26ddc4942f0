"""No personal data in logs on the unexpected path: an exception whose message carries a marker
text, logged the ways the gateway (uvicorn, FastAPI), Rasa (Sanic) and the action server log
them, leaves its type and stack in the log and never the marker, also through chained causes and
"Exception in ...: <message>" lines. The processes log through the same bot/logging.yml
(scripts/stack.py), which this test loads in a process of its own, as they do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts.stack import ROOT
from wegwijs.serve import LOGGING

MARKER = "MARKER-7f3a-personal-text-0612345678"
PROGRAM = f"""
import logging, logging.config, yaml
logging.config.dictConfig(yaml.safe_load(open({LOGGING!r})))

def handle(text):
    raise KeyError("case " + text)

for name in ("uvicorn.error", "rasa.core.processor", "rasa_sdk.executor", "sanic.error", "wegwijs.gateway"):
    log = logging.getLogger(name)
    try:
        try:
            handle({MARKER!r})
        except KeyError as cause:
            raise RuntimeError("while answering " + {MARKER!r}) from cause
    except RuntimeError as error:
        log.exception("unexpected error")
        log.error("Exception in ASGI application: %s", error, exc_info=True)
        log.error("Encountered an exception while running action: %s", error, exc_info=error)
        log.warning("failed", exc_info=True, stack_info=True)
"""


def test_exceptions_are_logged_with_type_and_stack_but_never_their_message(tmp_path: Path) -> None:
    log_file = tmp_path / "process.log"
    with log_file.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            timeout=60,
        )
    written = log_file.read_text(encoding="utf-8")
    assert done.returncode == 0, written
    assert MARKER not in written and "0612345678" not in written
    assert written.count("builtins.RuntimeError") >= 20, "each logged exception keeps its type"
    assert "in handle" in written, "and its stack, so an incident can still be read"
    assert "[withheld]" in written
