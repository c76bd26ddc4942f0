"""Case references as people type them: ``IOM-NL-2026-000042``, ``iom nl 2026 000042``, ``IOMNL2026000042``."""

from __future__ import annotations

import re

from wegwijs.normalize import normalize

_REFERENCE = re.compile(r"\biom[\s\-_./]*nl[\s\-_./]*(\d{4})[\s\-_./]*(\d{6})(?!\d)", re.IGNORECASE)


def canonical(reference: str) -> str | None:
    """``IOM-NL-YYYY-NNNNNN`` when ``reference`` is exactly one reference, else None."""
    found = find_reference(reference)
    return found if found and _REFERENCE.sub("", _prepare(reference)).strip(" -_./") == "" else None


def find_reference(text: str) -> str | None:
    """The first case reference written anywhere in ``text``, in canonical form."""
    match = _REFERENCE.search(_prepare(text))
    return f"IOM-NL-{match.group(1)}-{match.group(2)}" if match else None


def remove_reference(text: str) -> str:
    """``text`` without the case reference in it (so its digits are not read as a date)."""
    return _REFERENCE.sub(" ", _prepare(text))


def _prepare(text: str) -> str:
    return normalize(text)
