"""Hand-over by language skill (issue 15), against real processes: the account command sets,
shows and refuses languages (a real redis-server); two agents see one queue in their own orders
through the gateway's API; a user whose language nobody present speaks is told so in it, with
the call-back offer, and can leave the queue for the call-back questions, while a user whose
language is spoken is not told anything more; canned replies carry their English source; and
the console shows the agent's languages, each ticket's language and a canned reply beside its
English source (Chromium)."""

from __future__ import annotations

import os
import subprocess
import sys

import redis

from tests.test_staff_api import PASSWORD
from wegwijs.languages import SHIPPED

SAFETY = "my husband hits me and says he will kill me"
STRANDED_MINUTES = "15"  # the session stack's WEGWIJS_HANDOVER_STRANDED_MINUTES (the default)


def accounts_command(env: dict[str, str], *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.staff.accounts", *args],
        input=password,
        capture_output=True,
        text=True,
        env=env,
    )


def test_the_account_command_sets_shows_and_refuses_languages(redis_server) -> None:
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0", WEGWIJS_STAFF_SECRET="x" * 32)
    made = accounts_command(env, "create", "anna", "--role", "agent", "--password-stdin", password=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert accounts_command(env, "list").stdout.strip() == "anna\tagent", "no list yet: nothing shown"

    # In any order, repeated: kept once each, in the shipped order.
    done = accounts_command(env, "set-languages", "anna", "ar", "nl", "en", "nl")
    assert done.returncode == 0 and done.stdout.strip() == "anna speaks nl en ar"
    assert accounts_command(env, "list").stdout.strip() == "anna\tagent\tspeaks nl en ar"
    stored = redis.Redis(port=redis_server.port).hget("wegwijs:staff:account:anna", "languages")
    assert stored == b"nl en ar"

    refused = accounts_command(env, "set-languages", "anna", "nl", "ps", "fa")
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"error: unknown language 'ps', 'fa': use one or more of {', '.join(SHIPPED)}"
    assert accounts_command(env, "list").stdout.strip() == "anna\tagent\tspeaks nl en ar", "nothing changed"

    nobody = accounts_command(env, "set-languages", "ghost", "nl")
    assert nobody.returncode == 2 and nobody.stderr.strip() == "error: no account named 'ghost'"
    assert not redis.Redis(port=redis_server.port).exists("wegwijs:staff:account:ghost"), "no stub account made"

    cleared = accounts_command(env, "set-languages", "anna", "fa-AF")
    assert cleared.stdout.strip() == "anna speaks fa-AF"
    cleared = accounts_command(env, "set-languages", "anna")
    assert cleared.returncode == 0 and "no preference" in cleared.stdout
    assert accounts_command(env, "list").stdout.strip() == "anna\tagent"
