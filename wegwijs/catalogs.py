"""Compiled gettext catalogs (locales/<lang>/LC_MESSAGES/messages.mo), one per shipped language."""

from __future__ import annotations

from functools import cache

from babel.support import NullTranslations, Translations

from wegwijs.languages import SOURCE_LANGUAGE, babel_name
from wegwijs.paths import LOCALES_DIR

DOMAIN = "messages"


class CatalogMissing(RuntimeError):
    """A shipped language has no compiled catalog: run `make catalogs`."""


@cache
def translator(language: str) -> NullTranslations:
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    translations = Translations.load(str(LOCALES_DIR), [babel_name(language)], domain=DOMAIN)
    if not isinstance(translations, Translations):
        raise CatalogMissing(f"no compiled catalog for {language} under {LOCALES_DIR}")
    return translations
