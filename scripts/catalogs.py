"""Babel catalog chores, all through pybabel.

python -m scripts.catalogs update    # extract messages.pot, merge it into every .po
python -m scripts.catalogs compile   # compile every shipped language's .po to .mo
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wegwijs.languages import SHIPPED, SOURCE_LANGUAGE, babel_name
from wegwijs.paths import LOCALES_DIR, ROOT

PYBABEL = str(Path(sys.executable).parent / "pybabel")
POT = LOCALES_DIR / "messages.pot"
TRANSLATED = [babel_name(code) for code in SHIPPED if code != SOURCE_LANGUAGE]


def pybabel(*args: str) -> None:
    subprocess.run(
        [PYBABEL, *args],
        cwd=ROOT,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
    )


def extract(output: Path = POT) -> None:
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-o",
        str(output),
        "--no-wrap",
        "--no-location",
        "--sort-output",
        "--project",
        "Wegwijs",
        "--copyright-holder",
        "IOM Netherlands",
        "--msgid-bugs-address",
        "wegwijs@localhost",
        ".",
    )


def update() -> None:
    extract()
    for locale in TRANSLATED:
        pybabel("update", "-i", str(POT), "-d", str(LOCALES_DIR), "-l", locale, "--no-wrap")


def compile_all() -> None:
    for locale in TRANSLATED:
        pybabel("compile", "-d", str(LOCALES_DIR), "-l", locale, "--statistics")


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        update()
        compile_all()
    elif command == "compile":
        compile_all()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
