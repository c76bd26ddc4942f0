"""Where the project's files are, relative to the repository root."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
RESPONSES_FILE = ROOT / "bot" / "responses.yml"
PHONE_LINES_FILE = ROOT / "bot" / "phone_lines.yml"
NLU_DIR = ROOT / "data" / "nlu"
GENERATED_DOMAIN_FILE = ROOT / "bot" / "domain" / "responses.yml"
