"""The translators' workflow (scripts/translations.py, `make translations`): the per-language
report, the machine-drafted flag, and a native reviewer's CSV round trip that clears it."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import httpx
import pytest

from scripts.translations import export, import_reviewed, mark_drafted, run_report, whatsapp_problems
from wegwijs.languages import SHIPPED, SOURCE_LANGUAGE
from wegwijs.translation_status import (
    MACHINE_DRAFTED,
    TEMPLATE,
    catalog_path,
    language_status,
    read_catalog,
    unreviewed_languages,
)

TRANSLATED = [code for code in SHIPPED if code != SOURCE_LANGUAGE]


@pytest.fixture
def arabic_copy(tmp_path: Path) -> Path:
    """A copy of the Arabic catalog to change; the committed one is never touched."""
    copy = tmp_path / "messages.po"
    shutil.copy(catalog_path("ar"), copy)
    return copy


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def write_rows(path: Path, table: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)


def test_the_report_counts_every_shipped_language_and_passes_on_the_committed_catalogs(tmp_path: Path) -> None:
    target = tmp_path / "translations.md"
    assert run_report(refresh=False, target=target) == 0
    text = target.read_text(encoding="utf-8")
    for code in SHIPPED:
        assert f"| {code} " in text
    assert "machine-drafted" in text and "WhatsApp too long" in text


def test_no_shipped_language_has_buttons_over_whatsapp_limits() -> None:
    assert {code: whatsapp_problems(code) for code in SHIPPED} == {code: [] for code in SHIPPED}


def test_marking_an_entry_machine_drafted_makes_the_language_unreviewed(arabic_copy: Path) -> None:
    template = read_catalog(TEMPLATE)
    some = next(str(m.id) for m in template if m.id and "{" in str(m.id))
    assert mark_drafted(arabic_copy, [some]) == 0
    status = language_status("ar", template, locales=_locales_of(arabic_copy))
    assert some in status.drafted
    assert not status.reviewed


def test_a_reviewed_csv_corrects_a_translation_and_clears_the_flag(arabic_copy: Path, tmp_path: Path) -> None:
    assert mark_drafted(arabic_copy, []) == 0
    exported = tmp_path / "ar.csv"
    assert export(arabic_copy, exported) == 0
    table = rows(exported)
    assert table and all(row["machine_drafted"] == "yes" for row in table)
    first, second = table[0], table[1]
    corrected = first["msgstr"] + " (مراجَع)"
    first.update(msgstr=corrected, reviewed="yes")
    second.update(reviewed="yes")
    write_rows(exported, table)

    assert import_reviewed(arabic_copy, exported) == 0
    catalog = read_catalog(arabic_copy)
    assert catalog[first["msgid"]].string == corrected
    assert MACHINE_DRAFTED not in catalog[first["msgid"]].flags
    assert MACHINE_DRAFTED not in catalog[second["msgid"]].flags
    assert MACHINE_DRAFTED in catalog[table[2]["msgid"]].flags, "a row not marked reviewed keeps its flag"


def test_a_reviewed_csv_that_breaks_a_placeholder_imports_nothing(
    arabic_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "ar.csv"
    export(arabic_copy, exported)
    table = rows(exported)
    with_placeholder = next(row for row in table if "{" in row["msgid"])
    plain = next(row for row in table if "{" not in row["msgid"])
    with_placeholder.update(msgstr="بدون رقم", reviewed="yes")
    plain.update(msgstr=plain["msgstr"] + " تعديل", reviewed="yes")
    write_rows(exported, table)
    before = arabic_copy.read_bytes()

    assert import_reviewed(arabic_copy, exported) == 1
    assert arabic_copy.read_bytes() == before, "one bad row: nothing is written"
    assert "placeholders" in capsys.readouterr().err


def test_a_reviewed_csv_with_an_unknown_or_empty_row_imports_nothing(arabic_copy: Path, tmp_path: Path) -> None:
    exported = tmp_path / "ar.csv"
    export(arabic_copy, exported)
    table = rows(exported)
    table[0].update(msgstr="")
    unknown = {"msgid": "A message the catalog does not have", "msgstr": "x", "machine_drafted": "no", "reviewed": ""}
    table.append(unknown)
    write_rows(exported, table)
    before = arabic_copy.read_bytes()
    assert import_reviewed(arabic_copy, exported) == 1
    assert arabic_copy.read_bytes() == before


def test_the_committed_review_state_is_what_the_catalogs_say() -> None:
    template = read_catalog(TEMPLATE)
    for code in TRANSLATED:
        status = language_status(code, template)
        assert (code in unreviewed_languages()) == (not status.reviewed), code
    assert SOURCE_LANGUAGE not in unreviewed_languages()


def test_the_web_chat_and_the_console_learn_which_languages_are_not_reviewed(gateway: httpx.Client) -> None:
    languages = gateway.get("/api/v1/ui/en").json()["languages"]
    assert [language["code"] for language in languages] == list(SHIPPED)
    for language in languages:
        unreviewed = language["code"] in unreviewed_languages()
        assert language["reviewed"] is not unreviewed
        assert (language["review_note"] is not None) is unreviewed
    notes = {language["code"]: language["review_note"] for language in languages if language["review_note"]}
    # Each note is in its own language: no two languages show the same words.
    assert len(set(notes.values())) == len(notes)


def _locales_of(catalog_file: Path) -> Path:
    """A locales folder in which ``catalog_file`` is the Arabic catalog."""
    folder = catalog_file.parent / "locales"
    target = catalog_path("ar", folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(catalog_file, target)
    return folder
