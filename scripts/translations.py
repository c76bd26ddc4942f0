"""The translators' workflow (`make translations`).

python -m scripts.translations                      # update the catalogs, then report per language
python -m scripts.translations --check              # report only (no update); exit 1 on an error
python -m scripts.translations export LANG FILE.csv # one language's entries, for a reviewer
python -m scripts.translations import LANG FILE.csv # the reviewed file back; clears machine-drafted
python -m scripts.translations mark-drafted LANG [MSGID ...]  # flag entries (all if none named)

The report counts, per shipped language: translated, missing or empty, fuzzy, placeholder-breaking,
machine-drafted (waiting for a native reviewer) and button titles over WhatsApp's limits. It is
printed and written to results/translations.md. The command fails on any error in a shipped
language; machine-drafted entries are reported, not errors (wegwijs/translation_status.py).

The CSV (UTF-8, one row per message) has the columns ``msgid`` (the English source, not to be
edited), ``msgstr`` (the translation), ``machine_drafted`` (yes/no, as exported) and ``reviewed``:
a native reviewer corrects ``msgstr`` where needed and writes ``yes`` in ``reviewed``. Importing
writes the changed translations and clears the machine-drafted flag of the rows marked reviewed.
Nothing is written when a row is unknown, empty or breaks a placeholder: the errors are listed.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from api.whatsapp.shaping import BUTTON_TITLE_MAX, LIST_ROWS_MAX, REPLY_BUTTONS_MAX, ROW_TITLE_MAX
from scripts.catalogs import compile_all, update
from wegwijs.languages import SHIPPED, SOURCE_LANGUAGE, native_name
from wegwijs.paths import ROOT
from wegwijs.responses import load_specs, placeholders_in, render
from wegwijs.translation_status import (
    MACHINE_DRAFTED,
    TEMPLATE,
    LanguageStatus,
    catalog_path,
    read_catalog,
    statuses,
)

REPORT = ROOT / "results" / "translations.md"
COLUMNS = ("msgid", "msgstr", "machine_drafted", "reviewed")
YES = {"yes", "y", "ja", "true", "1", "x"}


def whatsapp_problems(language: str) -> list[str]:
    """Button sets over WhatsApp's limits in ``language``: up to 3 reply buttons of at most 20
    characters, otherwise a list of at most 10 rows of at most 24."""
    found = []
    for key, spec in load_specs().items():
        buttons = render(spec, language).buttons
        limit = BUTTON_TITLE_MAX if len(buttons) <= REPLY_BUTTONS_MAX else ROW_TITLE_MAX
        if len(buttons) > LIST_ROWS_MAX:
            found.append(f"{key}: {len(buttons)} buttons, more than a list's {LIST_ROWS_MAX} rows")
        found += [
            f"{key}: button {b['title']!r} has {len(b['title'])} characters (at most {limit})"
            for b in buttons
            if len(b["title"]) > limit
        ]
    return found


@dataclass(frozen=True)
class Row:
    status: LanguageStatus
    whatsapp: list[str]

    @property
    def errors(self) -> list[str]:
        return self.status.problems + self.whatsapp


def report(rows: list[Row]) -> str:
    lines = [
        "# Translations",
        "",
        "| language | messages | translated | missing or empty | fuzzy | placeholders | machine-drafted "
        "| WhatsApp too long | reviewed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        s = row.status
        source = " (source)" if s.language == SOURCE_LANGUAGE else ""
        lines.append(
            f"| {s.language} {native_name(s.language)}{source} | {s.messages} | {s.translated} "
            f"| {s.count('missing') + s.count('untranslated')} | {s.count('fuzzy')} | {s.count('placeholders')} "
            f"| {len(s.drafted)} | {len(row.whatsapp)} | {'yes' if s.reviewed and not row.whatsapp else 'no'} |"
        )
    for row in rows:
        if row.errors:
            lines += ["", f"## Errors in {row.status.language}", "", *(f"- {error}" for error in row.errors)]
    lines += [
        "",
        "Machine-drafted entries are shipped and wait for a native reviewer: "
        "`python -m scripts.translations export LANG FILE.csv`, then `import LANG FILE.csv`.",
    ]
    return "\n".join(lines) + "\n"


def run_report(refresh: bool, target: Path = REPORT) -> int:
    if refresh:
        update()
        compile_all()
    rows = [Row(status, whatsapp_problems(status.language)) for status in statuses(SHIPPED)]
    text = report(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(text, end="")
    failed = [row.status.language for row in rows if row.errors]
    if failed:
        print(f"Errors in {', '.join(failed)}: a shipped language must be complete.", file=sys.stderr)
        return 1
    return 0


def write_catalog(catalog: Catalog, path: Path) -> None:
    with path.open("wb") as file:
        write_po(file, catalog, width=0, omit_header=False)


def export(catalog_file: Path, target: Path, template: Path = TEMPLATE) -> int:
    catalog = read_catalog(catalog_file)
    source = read_catalog(template)
    with target.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for message in source:
            if not message.id:
                continue
            entry = catalog.get(message.id)
            string = str(entry.string) if entry is not None and entry.string else ""
            drafted = entry is not None and MACHINE_DRAFTED in entry.flags
            writer.writerow([message.id, string, "yes" if drafted else "no", ""])
    print(f"{target}: {sum(1 for m in source if m.id)} messages of {catalog.locale_identifier}")
    return 0


def import_reviewed(path: Path, reviewed_file: Path) -> int:
    catalog = read_catalog(path)
    with reviewed_file.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    errors = []
    if rows and set(COLUMNS) - set(rows[0]):
        errors.append(f"the file needs the columns {', '.join(COLUMNS)}")
    changes: list[tuple[str, str, bool]] = []
    for number, row in enumerate(rows, start=2):
        msgid, msgstr = row.get("msgid") or "", (row.get("msgstr") or "").strip()
        entry = catalog.get(msgid)
        if entry is None:
            errors.append(f"row {number}: not a message of the catalog: {msgid[:60]!r}")
        elif not msgstr:
            errors.append(f"row {number}: empty translation of {msgid[:60]!r}")
        elif placeholders_in(msgstr) != placeholders_in(msgid):
            errors.append(
                f"row {number}: placeholders {sorted(placeholders_in(msgstr))} instead of "
                f"{sorted(placeholders_in(msgid))} in {msgid[:60]!r}"
            )
        else:
            changes.append((msgid, msgstr, (row.get("reviewed") or "").strip().lower() in YES))
    if errors:
        print("Nothing imported:", *errors, sep="\n  ", file=sys.stderr)
        return 1
    edited = cleared = 0
    for msgid, msgstr, reviewed in changes:
        entry = catalog[msgid]
        if entry.string != msgstr:
            entry.string, edited = msgstr, edited + 1
            entry.flags.discard("fuzzy")
        if reviewed and MACHINE_DRAFTED in entry.flags:
            entry.flags.discard(MACHINE_DRAFTED)
            cleared += 1
    write_catalog(catalog, path)
    print(f"{catalog.locale_identifier}: {edited} translations changed, {cleared} marked reviewed")
    return 0


def mark_drafted(path: Path, msgids: list[str]) -> int:
    catalog = read_catalog(path)
    unknown = [msgid for msgid in msgids if catalog.get(msgid) is None]
    if unknown:
        print("Not in the catalog:", *unknown, sep="\n  ", file=sys.stderr)
        return 1
    chosen = [catalog[msgid] for msgid in msgids] if msgids else [m for m in catalog if m.id and m.string]
    for entry in chosen:
        entry.flags.add(MACHINE_DRAFTED)
    write_catalog(catalog, path)
    print(f"{catalog.locale_identifier}: {len(chosen)} entries marked machine-drafted")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.translations", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report on the catalogs as they are, no update")
    parser.add_argument("--report", type=Path, default=REPORT, help="where the report is written")
    commands = parser.add_subparsers(dest="command")
    for name in ("export", "import"):
        command = commands.add_parser(name)
        command.add_argument("language", choices=[code for code in SHIPPED if code != SOURCE_LANGUAGE])
        command.add_argument("file", type=Path)
    drafted = commands.add_parser("mark-drafted")
    drafted.add_argument("language", choices=[code for code in SHIPPED if code != SOURCE_LANGUAGE])
    drafted.add_argument("msgids", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "export":
        return export(catalog_path(args.language), args.file)
    if args.command == "import":
        status = import_reviewed(catalog_path(args.language), args.file)
    elif args.command == "mark-drafted":
        status = mark_drafted(catalog_path(args.language), args.msgids)
    else:
        return run_report(refresh=not args.check, target=args.report)
    if status == 0:
        compile_all()
    return status


if __name__ == "__main__":
    sys.exit(main())
