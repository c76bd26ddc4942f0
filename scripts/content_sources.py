"""The brochure checks of bot/responses.yml's sources: each quoted passage must be in the brochure.

tests/test_content_sources.py uses them.
"""

from __future__ import annotations

from wegwijs.paths import BROCHURE_FILE
from wegwijs.responses import ResponseSpec


def collapse(text: str) -> str:
    """Runs of whitespace (line ends included) as one space, ends trimmed."""
    return " ".join(text.split())


def brochure() -> str:
    """The brochure's text, whitespace collapsed."""
    return collapse(BROCHURE_FILE.read_text(encoding="utf-8"))


def misquoted(specs: dict[str, ResponseSpec], brochure_text: str) -> list[tuple[str, str]]:
    """(key, passage) for every quoted passage that is not in the brochure word for word."""
    return [
        (key, passage)
        for key, spec in specs.items()
        for passage in spec.source.passages
        if collapse(passage) not in brochure_text
    ]


def service_keys(specs: dict[str, ResponseSpec]) -> list[str]:
    return [key for key, spec in specs.items() if spec.source.kind == "service"]
