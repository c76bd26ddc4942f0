"""Timing the three ways a case lookup fails, straight at the action server: an unknown
reference, a wrong date of birth, a locked reference. Used by tests/test_case_lookup_security.py
(the same reply, and a coarse bound on the time) and by `make bench` (the milliseconds).

The pool's cases are synthetic and imported for this only, so the demo cases stay free."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from wegwijs.paths import ROOT

POOL = [f"IOM-NL-2099-{n:06d}" for n in range(1, 81)]
BIRTH = "1970-01-01"
WARM_UP = 10  # the first rounds warm up connections and caches


def import_pool(environment: dict[str, str], folder: Path) -> list[str]:
    export = folder / "pool.csv"
    export.write_text(
        "case_reference,programme,stage,next_step_date,next_step_place,date_of_birth,phone,last_updated\n"
        + "".join(f"{ref},voluntary_return,intake,,,{BIRTH},,2026-11-01T00:00:00\n" for ref in POOL),
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "actions.cases.importer", str(export), "--quiet"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    return list(POOL)


def sender() -> str:
    """A sender id for requests straight to the action server."""
    return "sec-" + os.urandom(6).hex()


def action_request(sender: str, reference: str, birth: str) -> dict:
    return {
        "next_action": "action_case_status",
        "sender_id": sender,
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {"case_reference": reference, "date_of_birth": birth, "language": "en"},
            "latest_message": {"text": "", "intent": {}, "entities": [], "metadata": {"channel": "api"}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "case_status_form",
        },
    }


def failure_timings(url: str, pool: list[str], tries: int) -> tuple[dict[str, list[float]], dict[str, set[str]]]:
    """Milliseconds per attempt of each kind, alternating their order, and the replies seen."""
    locked = pool[5]
    wrong_pool = pool[10:]  # 70 references x at most 3 wrong dates each: none of them locks
    timings: dict[str, list[float]] = {"unknown": [], "wrong": [], "locked": []}
    bodies: dict[str, set[str]] = {kind: set() for kind in timings}
    with httpx.Client(timeout=30) as client:
        for _ in range(5):
            client.post(url, json=action_request(sender(), locked, "1970-01-02"))
        for n in range(tries + WARM_UP):
            attempts = {
                "unknown": (f"IOM-NL-2096-{n:06d}", BIRTH),
                "wrong": (wrong_pool[n % len(wrong_pool)], "1970-01-02"),
                "locked": (locked, BIRTH),
            }
            kinds = list(attempts) if n % 2 else list(reversed(attempts))  # alternate the order
            for kind in kinds:
                request = action_request(sender(), *attempts[kind])
                started = time.perf_counter()
                answer = client.post(url, json=request)
                elapsed = (time.perf_counter() - started) * 1000
                assert answer.status_code == 200, answer.status_code
                if n >= WARM_UP:
                    timings[kind].append(elapsed)
                    bodies[kind].add(str(answer.json()["responses"]))
    return timings, bodies
