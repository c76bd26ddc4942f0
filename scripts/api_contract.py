"""The gateway against its own OpenAPI document: Schemathesis with every check, on the real stack.

    python -m scripts.api_contract            # what `make contract` runs; exit 1 on any failure
    python -m scripts.api_contract --max-examples 50 --seed 7

Starts a stack of its own (Redis, action server, Rasa, gateway) on free ports, with the WhatsApp
channel configured (its Graph API address is a closed local port: nothing is ever sent), a staff
supervisor logged in with a code computed from the account's printed secret, and rate limits far
above what the run sends (429 is still documented and checked where it is returned). Then
Schemathesis runs ``--checks all`` over every operation of ``/openapi.json`` with a fixed seed
and a bounded number of examples, with the session's cookie and CSRF token on every request.
The event stream (``GET /api/v1/conversations/{conversation_id}/events``) is excluded: it never
ends, so no check could finish on it; its 404 for an id the gateway did not mint is tested in
tests/test_web_conversations.py. ``POST /staff/api/logout`` runs last, on its own: it ends the
session every other staff operation is tested with.

Schemathesis runs from its own executable beside the venv's Python (``SCHEMATHESIS`` overrides it).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyotp

from api.rate_limits import generous_env
from api.staff.sessions import COOKIE
from scripts.stack import ROOT, VENV_BIN, Ports, Stack, StackError, free_port
from scripts.train import model_path

SEED = 20261202
MAX_EXAMPLES = 30
# The event stream never ends: no check can finish on it.
EXCLUDED_PATHS = ("/api/v1/conversations/{conversation_id}/events",)
# Ends the session the staff operations are tested with: tested on its own, after them.
LAST_PATHS = ("/staff/api/logout",)
PASSWORD = "contract-test-password-" + secrets.token_hex(8)


def whatsapp_env() -> dict[str, str]:
    """A configured WhatsApp channel whose Graph API is a closed port on 127.0.0.1."""
    return {
        "WEGWIJS_WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(16),
        "WEGWIJS_WHATSAPP_APP_SECRET": secrets.token_urlsafe(16),
        "WEGWIJS_WHATSAPP_TOKEN": secrets.token_urlsafe(16),
        "WEGWIJS_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "WEGWIJS_WHATSAPP_API_BASE": f"http://127.0.0.1:{free_port()}",
    }


def staff_login(stack: Stack) -> tuple[str, str]:
    """(session cookie, CSRF token) of a supervisor made for this run."""
    username = f"contract-{secrets.token_hex(3)}"
    made = subprocess.run(
        [sys.executable, "-m", "api.staff.accounts", "create", username, "--role", "supervisor", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=stack.environment(),
        cwd=ROOT,
    )
    if made.returncode != 0:
        raise StackError(f"creating the staff account failed:\n{made.stderr}")
    found = re.search(r"^secret \(to type in instead\): ([A-Z2-7 ]+)$", made.stdout, re.M)
    if not found:
        raise StackError("the account command printed no secret")
    code = pyotp.TOTP(found.group(1).replace(" ", "")).now()
    answer = httpx.post(
        f"{stack.gateway_url}/staff/api/login",
        timeout=30,
        json={"username": username, "password": PASSWORD, "code": code},
    )
    if answer.status_code != 200:
        raise StackError(f"staff login failed with {answer.status_code}")
    cookie = answer.cookies.get(COOKIE) or answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    return cookie, answer.json()["csrf"]


# The document's security schemes (api/openapi.py), filled from the environment, so Schemathesis
# sends them where the document asks for them and leaves them out where it tests that they are
# needed (--checks all includes ignored_auth).
AUTH_CONFIG = """\
[auth.openapi.staffSession]
api_key = "${WEGWIJS_CONTRACT_SESSION}"

[auth.openapi.csrfToken]
api_key = "${WEGWIJS_CONTRACT_CSRF}"
"""


def schemathesis_command(
    base_url: str, config: Path, max_examples: int, seed: int, report_dir: Path, last: bool = False
) -> list[str]:
    """``last``: only the operations of LAST_PATHS; else every other one."""
    executable = os.environ.get("SCHEMATHESIS") or str(VENV_BIN / "schemathesis")
    command = [
        executable,
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        "--warnings",
        "off",
    ]
    if last:
        return command + [option for path in LAST_PATHS for option in ("--include-path", path)]
    return command + [option for path in EXCLUDED_PATHS + LAST_PATHS for option in ("--exclude-path", path)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=MAX_EXAMPLES)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs, JUnit report)")
    args = parser.parse_args(argv)
    executable = os.environ.get("SCHEMATHESIS") or str(VENV_BIN / "schemathesis")
    if not shutil.which(executable):
        print(
            f"error: {executable} not found: Schemathesis (4.30.1) comes with the development requirements",
            file=sys.stderr,
        )
        return 1
    model = model_path()
    if not model.exists():
        print(f"error: {model.name} is missing: run `make train`", file=sys.stderr)
        return 1
    run_dir = Path(tempfile.mkdtemp(prefix="wegwijs-contract-"))
    stack = Stack(
        ports=Ports.free(),
        model=model,
        run_dir=run_dir,
        quiet=True,
        extra_env={**whatsapp_env(), **generous_env(), "WEGWIJS_HANDOVER_SWEEP_SECONDS": "3600"},
    )
    started = time.monotonic()
    try:
        stack.start()
        cookie, csrf = staff_login(stack)
        config = run_dir / "schemathesis.toml"
        config.write_text(AUTH_CONFIG, encoding="utf-8")
        env = {**os.environ, "WEGWIJS_CONTRACT_SESSION": cookie, "WEGWIJS_CONTRACT_CSRF": csrf}
        failed = False
        for last in (False, True):
            command = schemathesis_command(
                stack.gateway_url, config, args.max_examples, args.seed, run_dir / "report", last=last
            )
            print("$ " + " ".join(command), flush=True)
            # In the run folder: Schemathesis keeps a cache of earlier failures (.schemathesis/) in
            # its working directory, which would change the next run and leave files in the tree.
            failed |= subprocess.run(command, cwd=run_dir, env=env).returncode != 0
        print(
            f"API contract: {'FAILED' if failed else 'passed'} in {time.monotonic() - started:.0f} s "
            f"(logs in {run_dir})",
            flush=True,
        )
        return 1 if failed else 0
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        if not args.keep and os.environ.get("CI") is None:
            shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
