"""IOM Netherlands' phone lines, formatted with ``phonenumbers`` (never by slicing strings)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import yaml

from wegwijs.paths import PHONE_LINES_FILE


@dataclass(frozen=True)
class Contacts:
    lines: dict[str, str]  # line name -> E.164
    website: str
    emergency: str

    def national(self, line: str) -> str:
        number = phonenumbers.parse(self.lines[line])
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)

    def international(self, line: str) -> str:
        number = phonenumbers.parse(self.lines[line])
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def placeholders(self) -> dict[str, str]:
        """The values for the ``{phone_*}``, ``{website}`` and ``{emergency}`` placeholders."""
        values = {"website": self.website, "emergency": self.emergency}
        for line in self.lines:
            values[f"phone_{line}"] = self.national(line)
            values[f"phone_{line}_intl"] = self.international(line)
        return values


@lru_cache(maxsize=1)
def contacts() -> Contacts:
    raw = yaml.safe_load(PHONE_LINES_FILE.read_text(encoding="utf-8"))
    for number in raw["lines"].values():
        if not phonenumbers.is_valid_number(phonenumbers.parse(number)):
            raise ValueError(f"{PHONE_LINES_FILE}: {number!r} is not a valid phone number")
    return Contacts(lines=dict(raw["lines"]), website=raw["website"], emergency=str(raw["emergency"]))
