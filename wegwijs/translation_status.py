"""How complete and how reviewed each shipped language's catalog is.

An entry of a ``.po`` file can be:
- translated: it has a ``msgstr``, is not fuzzy and keeps the source's placeholders;
- missing or empty: the English source would be shown instead;
- fuzzy: pybabel guessed it from an older text when the source changed;
- placeholder-breaking: a ``{name}`` of the source is lost, renamed or added;
- machine-drafted (the ``#, machine-drafted`` flag): translated by a machine or by someone who
  does not write the language natively, and waiting for a native reviewer. It is shipped (it is
  better than the English source for the reader), but the language counts as not reviewed until
  no entry carries the flag. ``scripts/translations.py`` exports a language's entries for review
  and imports the reviewed file, which clears the flag.

The first four are errors: a shipped language must have none (``make translations`` and
tests/test_catalogs.py fail). The fifth is reported, and shown in the web chat's language picker
and the staff console.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from wegwijs.languages import SHIPPED, SOURCE_LANGUAGE, babel_name
from wegwijs.paths import LOCALES_DIR
from wegwijs.responses import placeholders_in

MACHINE_DRAFTED = "machine-drafted"
TEMPLATE = LOCALES_DIR / "messages.pot"


def catalog_path(language: str, locales: Path = LOCALES_DIR) -> Path:
    return locales / babel_name(language) / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


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
        elif placeholders_in(str(message.id)) != placeholders_in(str(entry.string)):
            found.append(
                f"placeholders {sorted(placeholders_in(str(entry.string)))} instead of "
                f"{sorted(placeholders_in(str(message.id)))}: {message.id!r}"
            )
    return found


def machine_drafted(source: Catalog, translated: Catalog) -> list[str]:
    """The source messages whose translation carries the machine-drafted flag."""
    return [
        str(message.id)
        for message in source
        if message.id
        and (entry := translated.get(message.id)) is not None
        and entry.string
        and MACHINE_DRAFTED in entry.flags
    ]


@dataclass(frozen=True)
class LanguageStatus:
    language: str
    messages: int
    problems: list[str] = field(default_factory=list)
    drafted: list[str] = field(default_factory=list)

    @property
    def translated(self) -> int:
        return self.messages - len(self.problems)

    @property
    def reviewed(self) -> bool:
        """Complete, and no entry waits for a native reviewer."""
        return not self.problems and not self.drafted

    def count(self, kind: str) -> int:
        return sum(problem.startswith(kind) for problem in self.problems)


def language_status(language: str, source: Catalog, locales: Path = LOCALES_DIR) -> LanguageStatus:
    ids = [message for message in source if message.id]
    if language == SOURCE_LANGUAGE:
        return LanguageStatus(language, len(ids))
    path = catalog_path(language, locales)
    if not path.exists():
        return LanguageStatus(language, len(ids), [f"missing: {m.id!r}" for m in ids])
    translated = read_catalog(path)
    return LanguageStatus(language, len(ids), problems(source, translated), machine_drafted(source, translated))


def statuses(languages: Iterable[str] = SHIPPED, template: Path = TEMPLATE) -> list[LanguageStatus]:
    source = read_catalog(template)
    return [language_status(language, source) for language in languages]


@cache
def unreviewed_languages() -> frozenset[str]:
    """The shipped languages whose catalog still holds machine-drafted or missing entries, read
    once per process from the committed catalogs (the gateway shows them)."""
    return frozenset(status.language for status in statuses() if not status.reviewed)
