"""Hotline contacts as analysts may know them: de-identified signals, and a summary in counts.

A signal (cases/signals.py) ties a case to a business: a case reference, a day, how the business was
mentioned, conduct codes and the languages needed. The warehouse's signals are those scoring tied to a
business (`hotline_signals` joined to the `hotline_tip` evidence); an advocate's confirmed links in the
operational store are passed in by the caller as `extra_signals`. Both are merged here, and a case counts
once however many signals it has. No survivor field and no contact text is ever read here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from harborlight.cases.signals import Signal
from harborlight.warehouse import Warehouse

# ISO 639-1 codes as a packet names them for interpreters and providers.
LANGUAGE_NAMES = {"zh": "Mandarin or Cantonese", "ko": "Korean", "th": "Thai", "vi": "Vietnamese",
                  "es": "Spanish", "tl": "Tagalog", "en": "English", "ru": "Russian", "uk": "Ukrainian",
                  "pt": "Portuguese", "fr": "French", "ht": "Haitian Creole", "ja": "Japanese", "hi": "Hindi"}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


class HotlineSummary(NamedTuple):
    """How many cases mention some businesses, the languages they needed, and how many cases report each
    conduct code. Counts only: nothing in it points to a survivor."""

    contacts: int = 0
    languages: tuple[str, ...] = ()  # ISO 639-1 codes, English aside
    categories: tuple[tuple[str, int], ...] = ()  # (conduct code, cases reporting it), most first

    def phrase(self, subject: str = "this network") -> str:
        """ "3 hotline contacts mention this network; languages needed: Mandarin or Cantonese, Korean"."""
        if not self.contacts:
            return f"No hotline contact mentions {subject}"
        verb = "mentions" if self.contacts == 1 else "mention"
        said = f"{self.contacts} hotline contact{'s' if self.contacts != 1 else ''} {verb} {subject}"
        if self.languages:
            said += "; languages needed: " + ", ".join(language_name(c) for c in self.languages)
        return said


def signals_sql(n: int) -> str:
    """The signals scoring tied to one of `n` businesses, one per business and tip."""
    return f"""
    SELECT DISTINCT s.case_ref, s.received_on, ev.entity_id,
           CASE WHEN s.business_name IS NOT NULL THEN 'business_name' ELSE 'phone' END,
           s.categories, s.languages
    FROM indicator_evidence ev
    JOIN hotline_signals s ON ev.record_type = 'hotline_signals' AND s.source = ev.source AND s.record_id = ev.record_id
    WHERE ev.entity_id IN ({','.join('?' * n)})
    ORDER BY 3, 2, 1"""


def hotline_signals(warehouse: Warehouse, business_ids: Sequence[str],
                    extra_signals: Sequence[Signal] = ()) -> list[Signal]:
    """The signals tied to these businesses: the warehouse's (none before scoring) and those of
    `extra_signals` about them, each distinct signal once."""
    wanted = set(business_ids)
    found: list[Signal] = []
    if business_ids and warehouse.table_exists("indicator_evidence") and warehouse.table_exists("hotline_signals"):
        found = [Signal(case_ref, received, entity_id, mention, tuple(categories or ()), tuple(languages or ()))
                 for case_ref, received, entity_id, mention, categories, languages
                 in warehouse.rows(signals_sql(len(business_ids)), list(business_ids))]
    found += [s for s in extra_signals if s.entity_id in wanted]
    return list(dict.fromkeys(found))


def summarize(signals: Sequence[Signal]) -> HotlineSummary:
    """Signals as counts: each case once, its languages and conduct codes gathered over its signals."""
    languages: dict[str, set[str]] = {}
    categories: dict[str, set[str]] = {}
    for s in signals:
        languages.setdefault(s.case_ref, set()).update(c for c in s.languages if c and c != "en")
        categories.setdefault(s.case_ref, set()).update(s.categories)
    per_code = Counter(code for codes in categories.values() for code in codes)
    return HotlineSummary(
        len(languages),
        tuple(sorted({c for codes in languages.values() for c in codes})),
        tuple(sorted(per_code.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def hotline_summary(warehouse: Warehouse, business_ids: Sequence[str],
                    extra_signals: Sequence[Signal] = ()) -> HotlineSummary:
    """The hotline contacts about these businesses, as counts (see `hotline_signals`)."""
    return summarize(hotline_signals(warehouse, business_ids, extra_signals))
