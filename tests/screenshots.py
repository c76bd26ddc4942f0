"""Where the browser tests put their screenshots: beside the run, not over the ones in docs/.

Every test run took new pictures of the console and the web chat and wrote them over the
tracked files in docs/, so each `make test` left the checkout changed. Now they go to a folder
of the run; `WEGWIJS_UPDATE_SCREENSHOTS=1 make test` writes them to docs/ on purpose.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def screenshot_path(name: str) -> str:
    if os.environ.get("WEGWIJS_UPDATE_SCREENSHOTS") == "1":
        return str(DOCS / name)
    folder = Path(tempfile.gettempdir()) / "wegwijs-screenshots"
    folder.mkdir(exist_ok=True)
    return str(folder / name)
