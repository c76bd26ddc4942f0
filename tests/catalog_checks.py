"""Checks a translated catalog against the English source messages."""

from __future__ import annotations

from babel.messages.catalog import Catalog

from wegwijs.responses import placeholders_in


def problems(source: Catalog, translated: Catalog) -> list[str]:
    """Every missing, empty, fuzzy or placeholder-breaking message, one line each."""
    found = []
    for message in source:
        if not message.id:
            continue
        entry = translated.get(message.id)
        if entry is None:
            found.append(f"missing: {message.id!r}")
        elif not entry.string:
            found.append(f"untranslated: {message.id!r}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        elif placeholders_in(message.id) != placeholders_in(entry.string):
            found.append(
                f"placeholders {sorted(placeholders_in(entry.string))} instead of "
                f"{sorted(placeholders_in(message.id))}: {message.id!r}"
            )
    return found
