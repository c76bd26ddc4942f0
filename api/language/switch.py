"""Recognises a request to continue in another shipped language ("can we continue in Arabic?").

A message is such a request when it names exactly one shipped language (by its CLDR name in any
shipped language, or an alias from aliases.yml) and everything else in it is a cue word
("please", "continue", "speak", "باللغة", "لطفا" ...). A longer message that only mentions a
language ("I speak Dari and want to go home") is a question, not a request, and is left alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale

from wegwijs.languages import SHIPPED, babel_name
from wegwijs.normalize import normalize

ALIASES_FILE = Path(__file__).with_name("aliases.yml")
MAX_OTHER_WORDS = 0
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")


def fold(text: str) -> list[str]:
    return _WORD.findall(normalize(text).lower())


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], frozenset[str]]:
    raw = yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for target in SHIPPED:
        spoken = [Locale.parse(babel_name(lang)).languages.get(babel_name(target)) for lang in SHIPPED]
        spoken += [Locale.parse(babel_name(lang)).languages.get(target.split("-")[0]) for lang in SHIPPED]
        for name in [*spoken, *raw["aliases"].get(target, [])]:
            if name:
                names[" ".join(fold(name))] = target
    cues = frozenset(word for group in raw["cues"] for cue in group for word in fold(str(cue)))
    return names, cues


def requested_language(text: str) -> str | None:
    """The shipped language the message asks for, or None."""
    names, cues = _tables()
    words = fold(text)
    if not words or len(words) > 10:
        return None
    targets, others = set(), 0
    i = 0
    while i < len(words):
        two = " ".join(words[i : i + 2])
        if two in names:
            targets.add(names[two])
            i += 2
            continue
        if words[i] in names:
            targets.add(names[words[i]])
        elif words[i] not in cues:
            others += 1
        i += 1
    if len(targets) == 1 and others <= MAX_OTHER_WORDS:
        return targets.pop()
    return None
