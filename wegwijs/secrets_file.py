"""Local secrets: from the environment, else from the untracked file .env.local (created once).

The shared token between the gateway and Rasa, the key that hashes case references in the
lookup throttle (actions/cases/throttle.py) and the key that hashes staff login names in the
login throttle (api/staff/accounts.py) and the key that signs web conversation ids
(api/conversation_ids.py) live here. Nothing secret is ever
committed: .env.local is in .gitignore.
"""

from __future__ import annotations

import os
import secrets

from wegwijs.paths import ROOT

LOCAL_FILE = ROOT / ".env.local"
GENERATED = ("WEGWIJS_RASA_TOKEN", "WEGWIJS_LOOKUP_SECRET", "WEGWIJS_STAFF_SECRET", "WEGWIJS_CONVERSATION_SECRET")


def load_local_secrets() -> dict[str, str]:
    values: dict[str, str] = {}
    if LOCAL_FILE.exists():
        for line in LOCAL_FILE.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                name, value = line.split("=", 1)
                values[name.strip()] = value.strip()
    missing = [name for name in GENERATED if not os.environ.get(name) and not values.get(name)]
    if missing:
        for name in missing:
            values[name] = secrets.token_urlsafe(32)
        LOCAL_FILE.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
        LOCAL_FILE.chmod(0o600)
    return {name: os.environ.get(name) or values[name] for name in values}
