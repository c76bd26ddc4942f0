"""The languages the assistant ships, and what CLDR knows about them.

This module is the one list that drives catalogs, the domain's language slot, detection and the
language picker. Codes are BCP 47 tags as the chat API shows them (``fa-AF``); Babel wants the
underscore form (``fa_AF``).
"""

from __future__ import annotations

from functools import cache
from typing import Literal, TypeGuard, get_args

from babel import Locale

# The shipped languages as a type: the OpenAPI document shows them as an enum.
Language = Literal["nl", "en", "ar", "fa-AF"]
SHIPPED: tuple[str, ...] = get_args(Language)
SOURCE_LANGUAGE = "en"
DEFAULT_LANGUAGE = "nl"
RIGHT_TO_LEFT = frozenset({"ar", "fa-AF", "ps"})
# Arabic and Dari as many people type them on WhatsApp: in Latin letters (Arabizi such as
# "baddi erja3 3ala baladi"; "mikham ba karmand gap bezanam"). Each is a variant of its language
# for detection and understanding (data/nlu/<variant>.yml), never a reply language of its own:
# replies stay in the language's script, with a button for English (api/turns.py).
ROMANIZED: dict[str, str] = {"ar": "ar-Latn", "fa-AF": "fa-AF-Latn"}
ROMANIZED_OF = {variant: code for code, variant in ROMANIZED.items()}
# What the NLU data and its reports are kept per: every shipped language, then the variants.
UNDERSTOOD: tuple[str, ...] = SHIPPED + tuple(ROMANIZED.values())


def base_language(code: str) -> str:
    """``ar-Latn`` -> ``ar``: the shipped language a variant is answered in."""
    return ROMANIZED_OF.get(code, code)


def babel_name(code: str) -> str:
    """``fa-AF`` -> ``fa_AF``: the locale identifier Babel and gettext folders use."""
    return code.replace("-", "_")


def writing_direction(code: object) -> str:
    """``rtl`` for Arabic, Dari and Pashto, else ``ltr``: the HTML ``dir`` value."""
    return "rtl" if code in RIGHT_TO_LEFT else "ltr"


def is_shipped(code: object) -> TypeGuard[str]:
    return isinstance(code, str) and code in SHIPPED


@cache
def native_name(code: str) -> str:
    """The language's name in its own script, from CLDR: Nederlands, English, العربية, دری."""
    locale = Locale.parse(babel_name(code))
    name = locale.languages.get(babel_name(code)) or locale.get_language_name() or code
    return name[:1].upper() + name[1:] if locale.character_order == "left-to-right" else name


@cache
def script_of(code: str) -> str:
    """``arabic`` for languages written in Arabic script, else ``latin``."""
    return "arabic" if code in RIGHT_TO_LEFT else "latin"


def script_counts(text: str) -> tuple[int, int]:
    """(Latin letters, Arabic-script letters) of a text."""
    latin = arabic = 0
    for char in text:
        if "\u0600" <= char <= "\u06ff" or "\ufb50" <= char <= "\ufeff":
            arabic += char.isalpha()
        elif (char.isalpha() and char.isascii()) or "\u00c0" <= char <= "\u024f":
            latin += 1
    return latin, arabic
