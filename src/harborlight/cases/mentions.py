"""Businesses, phones and addresses a contact's words mention, found so an advocate can confirm them.

Phones are found with `phonenumbers` (US numbers in any written form); street addresses with a pattern
for a house number and a street, checked by `usaddress`; business names by matching the resolved
businesses' normalized names, whole words only, against the normalized text. Found mentions are only
proposals: nothing becomes a signal until an advocate confirms it (intake.decide_link).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

import phonenumbers
import usaddress

from harborlight.resolve.normalize import normalize_business_name, normalize_phone

KINDS = ("business_name", "phone", "address")
MIN_NAME_CHARS = 6  # shorter names ("SPA", "LUCKY") match too many ordinary words
STREET = re.compile(
    r"(?<![\d-])\b[1-9]\d{0,5}\s+(?:[NSEW]\.?\s+)?(?:(?:\d+(?:st|nd|rd|th)|[A-Za-z][A-Za-z'.-]*)\s+){0,4}?"
    r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|pl|place|hwy|highway|pkwy|"
    r"parkway|cir|circle|ter|terrace|trl|trail)\b\.?(?:\s*(?:suite|ste|unit|#)\s*[A-Za-z0-9-]+)?",
    re.IGNORECASE,
)


class Mention(NamedTuple):
    kind: str
    value: str  # as written in the text (sealed when stored)
    key: str  # normalized, for matching


def phones_in(text: str) -> list[Mention]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text or "", "US"):
        digits = normalize_phone(match.raw_string)
        if digits:
            found.append(Mention("phone", match.raw_string, digits))
    return found


def without_phones(text: str) -> str:
    """`text` with every phone number blanked out (same length), so a number's last digits followed by a
    word such as "Main St" or "Court" are never read as a house number."""
    for match in phonenumbers.PhoneNumberMatcher(text, "US"):
        text = text[:match.start] + " " * (match.end - match.start) + text[match.end:]
    return text


def addresses_in(text: str) -> list[Mention]:
    found = []
    for match in STREET.finditer(without_phones(text or "")):
        raw = match.group(0).strip()
        try:
            tags, kind = usaddress.tag(raw)
        except usaddress.RepeatedLabelError:
            continue
        if kind == "Street Address" and "AddressNumber" in tags and "StreetName" in tags:
            found.append(Mention("address", raw, " ".join(raw.upper().split())))
    return found


class NameIndex:
    """Resolved businesses' normalized names, to find in free text. Built once per warehouse."""

    def __init__(self, names: Iterable[tuple[str, str]]):
        self.by_name: dict[str, set[str]] = {}
        for entity_id, name in names:
            key = normalize_business_name(name) or ""
            if len(key) >= MIN_NAME_CHARS:
                self.by_name.setdefault(key, set()).add(entity_id)
        # Longest names first, so "GOLDEN LOTUS SPA" wins over "GOLDEN LOTUS" inside it.
        self.pattern = re.compile(
            r"\b(" + "|".join(re.escape(k) for k in sorted(self.by_name, key=len, reverse=True)) + r")\b"
        ) if self.by_name else None

    def names_in(self, text: str) -> list[Mention]:
        normalized = normalize_business_name(text or "") or ""
        if self.pattern is None or not normalized:
            return []
        return [Mention("business_name", m.group(1), m.group(1)) for m in self.pattern.finditer(normalized)]

    def entities(self, key: str) -> set[str]:
        return self.by_name.get(key, set())


def find_mentions(text: str, names: NameIndex | None = None) -> list[Mention]:
    """Every phone, street address and known business name in `text`, each once."""
    found = phones_in(text) + addresses_in(text) + (names.names_in(text) if names else [])
    return list({(m.kind, m.key): m for m in found}.values())
