"""Text normalisation applied before NLU, language detection and any regular expression.

Arabic and Dari are typed with many interchangeable forms: Arabic and Persian yeh and kaf,
alef with or without hamza, teh marbuta for heh, tatweel, diacritics, zero-width non-joiners,
and Arabic-Indic or Persian digits. Folding them to one form lets the model and the detectors
see one word where people type five.
"""

from __future__ import annotations

import re
import unicodedata

_DIGITS = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹",
    "01234567890123456789",
)
_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh -> Persian yeh
        "ى": "ی",  # alef maksura -> yeh
        "ئ": "ی",
        "ك": "ک",  # Arabic kaf -> keheh
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ة": "ه",
        "ۀ": "ه",
        "ـ": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,
        "\u200f": None,
        "\u200e": None,
    }
)
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")


def to_ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits to 0-9, leaving everything else alone."""
    return text.translate(_DIGITS)


def normalize(text: str) -> str:
    """Fold Arabic-script variants, digits and Unicode compatibility forms to one spelling."""
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_MARKS.sub("", text)
    return text.translate(_LETTERS).translate(_DIGITS)
