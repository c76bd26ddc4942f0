"""The packages import in one direction: the gateway (api/) and Rasa's components (bot/) share
code with the actions through wegwijs/ only, so the gateway loads neither the actions nor the
action server's SDK (SQLAlchemy Core, yes: it writes the analytics events, api/insight/store.py);
importing ``actions`` imports nothing by itself."""

from __future__ import annotations

import subprocess
import sys

from wegwijs.paths import ROOT

CHECK = """
import sys
import {module}
print(sorted({{name.split('.')[0] for name in sys.modules}} & {{'actions', 'rasa_sdk', 'sqlalchemy', 'scripts'}}))
"""


def loaded_by(module: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(module=module)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_the_gateway_imports_nothing_of_the_actions_or_the_scripts() -> None:
    assert loaded_by("api.main") == "['sqlalchemy']"


def test_importing_the_actions_package_imports_nothing_else() -> None:
    assert loaded_by("actions") == "['actions']"
