"""Where the project's files are, relative to the repository root."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
RESPONSES_FILE = ROOT / "bot" / "responses.yml"
PHONE_LINES_FILE = ROOT / "bot" / "phone_lines.yml"
NLU_DIR = ROOT / "data" / "nlu"
GENERATED_DOMAIN_FILE = ROOT / "bot" / "domain" / "responses.yml"
# IOM Netherlands' brochure, the only source of facts about IOM (content/README.md).
BROCHURE_FILE = ROOT / "content" / "iom-nl-brochure.txt"


def run_dir() -> Path:
    """Where running services keep logs and local data: WEGWIJS_RUN_DIR, else .run."""
    return Path(os.environ.get("WEGWIJS_RUN_DIR") or ROOT / ".run")
