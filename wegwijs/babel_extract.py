"""A Babel extraction method for bot/responses.yml (see babel.cfg).

Yields every reply text and button title, with the response key as an extracted comment so
translators see where a text is used.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import IO, Any

import yaml


def extract_responses(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    raw = yaml.safe_load(fileobj.read().decode("utf-8"))
    lines = _line_numbers(raw)
    for set_name, buttons in raw.get("button_sets", {}).items():
        for button in buttons:
            yield lines.get(button["title"], 0), "", button["title"], [f"button in set {set_name}"]
    for key, item in raw.get("responses", {}).items():
        comment = f"{key} (topic {item['topic']})"
        yield lines.get(item["text"], 0), "", item["text"], [comment]


def _line_numbers(raw: dict[str, Any]) -> dict[str, int]:
    # YAML loses line numbers; the catalogs only use them as a hint, so order is enough.
    texts = [b["title"] for bs in raw.get("button_sets", {}).values() for b in bs]
    texts += [r["text"] for r in raw.get("responses", {}).values()]
    return {text: number for number, text in enumerate(texts, start=1)}
