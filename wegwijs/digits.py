"""Writing a locale's own digits (reading any digits as ASCII is wegwijs.normalize's job)."""

from __future__ import annotations

from babel import Locale

# Unicode digit sets of the CLDR numbering systems our locales use.
DIGITS = {
    "latn": "0123456789",
    "arab": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "arabext": "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",
}


def to_locale_digits(text: str, babel_locale: str) -> str:
    """0-9 written in the locale's default CLDR numbering system (Dari: ۱۴)."""
    system = Locale.parse(babel_locale).default_numbering_system
    digits = DIGITS.get(system, DIGITS["latn"])
    return text.translate(str.maketrans("0123456789", digits))
