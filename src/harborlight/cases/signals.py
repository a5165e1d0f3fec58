"""A hotline signal: what analysts may know of a case, tied to one business. It carries no survivor field:
a case reference that means nothing outside the case file, the day of contact, how the business was
mentioned, conduct codes (indicators.catalog.tip_categories) and the languages the callers needed."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class Signal(NamedTuple):
    case_ref: str  # e.g. case-7f3a9c21; random, so it reveals nothing about the case
    received_on: date
    entity_id: str  # the resolved business the contact mentions
    mention: str  # business_name | phone | address: how the contact pointed to the business
    categories: tuple[str, ...]
    languages: tuple[str, ...]  # ISO 639-1 codes other than English
