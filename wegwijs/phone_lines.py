"""IOM Netherlands' phone lines, formatted with ``phonenumbers`` (never by slicing strings)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import yaml

from wegwijs.paths import PHONE_LINES_FILE

GENERAL = "general"


@dataclass(frozen=True)
class Contacts:
    lines: dict[str, str]  # line name -> E.164
    topics: dict[str, str]  # topic -> line name
    website: str
    emergency: str

    def line_for_topic(self, topic: str) -> str:
        return self.topics.get(topic, GENERAL)

    def tel_uri(self, line: str) -> str:
        """The RFC 3966 ``tel:`` link of a line (tel:+31-88-746-4466)."""
        return phonenumbers.format_number(phonenumbers.parse(self.lines[line]), phonenumbers.PhoneNumberFormat.RFC3966)

    def national(self, line: str) -> str:
        number = phonenumbers.parse(self.lines[line])
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)

    def international(self, line: str) -> str:
        number = phonenumbers.parse(self.lines[line])
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def placeholders(self) -> dict[str, str]:
        """The values for the ``{phone_*}``, ``{country_code}``, ``{website}`` and ``{emergency}``
        placeholders."""
        country = phonenumbers.parse(self.lines[GENERAL]).country_code
        values = {"website": self.website, "emergency": self.emergency, "country_code": f"+{country}"}
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
    topics = dict(raw.get("topics") or {})
    unknown = set(topics.values()) - set(raw["lines"])
    if unknown or GENERAL not in raw["lines"]:
        raise ValueError(f"{PHONE_LINES_FILE}: topics name unknown lines {sorted(unknown)} or `general` is missing")
    return Contacts(lines=dict(raw["lines"]), topics=topics, website=raw["website"], emergency=str(raw["emergency"]))
