"""Every shipped language's catalog is complete, not fuzzy, keeps placeholders, and is current."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.build_domain import build
from scripts.catalogs import TRANSLATED, extract
from wegwijs.languages import SHIPPED, native_name
from wegwijs.paths import GENERATED_DOMAIN_FILE, LOCALES_DIR
from wegwijs.responses import load_specs, render
from wegwijs.translation_status import problems


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """messages.pot extracted now from bot/responses.yml, with pybabel."""
    path = tmp_path_factory.mktemp("pot") / "messages.pot"
    extract(path)
    return read(path)


def test_committed_template_is_current(fresh_template: Catalog) -> None:
    committed = read(LOCALES_DIR / "messages.pot")
    assert {m.id for m in committed if m.id} == {m.id for m in fresh_template if m.id}, "run `make catalogs-update`"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_is_complete(fresh_template: Catalog, locale: str) -> None:
    catalog = read(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po")
    assert problems(fresh_template, catalog) == []


def test_check_catches_each_kind_of_problem(fresh_template: Catalog) -> None:
    broken = Catalog(locale="nl")
    ids = [m.id for m in fresh_template if m.id and "{" in m.id]
    broken.add(ids[0], "zonder plaatshouder")
    broken.add(ids[1], ids[1].replace("{", "{x"))
    broken.add(ids[2], "vaag " + ids[2], flags=["fuzzy"])
    broken.add(ids[3], "")
    found = problems(fresh_template, broken)
    assert any(p.startswith("placeholders") and ids[0] in p for p in found)
    assert any(p.startswith("placeholders") and ids[1] in p for p in found)
    assert f"fuzzy: {ids[2]!r}" in found
    assert f"untranslated: {ids[3]!r}" in found
    assert sum(p.startswith("missing") for p in found) == len([m for m in fresh_template if m.id]) - 4


def test_every_shipped_language_has_a_catalog_or_is_the_source() -> None:
    assert sorted(TRANSLATED) == sorted(code.replace("-", "_") for code in SHIPPED if code != "en")


def test_generated_domain_is_current() -> None:
    assert GENERATED_DOMAIN_FILE.read_text(encoding="utf-8") == build(), "run `make domain`"


def test_language_names_come_from_cldr_in_their_own_script() -> None:
    assert [native_name(code) for code in SHIPPED] == ["Nederlands", "English", "العربية", "دری"]


# WhatsApp's interactive limits (Cloud API): reply buttons at most 3 with titles of at most 20
# characters; list rows at most 10 with titles of at most 24.
@pytest.mark.parametrize("language", SHIPPED)
def test_buttons_fit_whatsapp_in_every_language(language: str) -> None:
    too_long = []
    for key, spec in load_specs().items():
        buttons = render(spec, language).buttons
        limit = 20 if len(buttons) <= 3 else 24
        assert len(buttons) <= 10, key
        too_long += [(key, b["title"]) for b in buttons if len(b["title"]) > limit]
    assert too_long == []
