"""What analysts and investigators see of hotline cases: counts, never a survivor.

`hotline_signals_for` reads the signals about some businesses: the warehouse's, which the read layer
merges with the advocate-confirmed links of the case store (cases.signals); `summarize` folds them into `HotlineSignals`: how many cases mention them, how (by name, phone
or address), when, the conduct codes in words and the languages needed. A Signal carries no survivor
field and no word of the caller, and neither does this summary; case references stay out of it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel

from harborlight.cases.signals import Signal, confirmed_signals, live_refs
from harborlight.indicators.catalog import INDICATORS
from harborlight.read.hotline import LANGUAGE_NAMES, hotline_signals
from harborlight.web.context import Context

MENTION_KINDS = ("business_name", "phone", "address")
MENTION_WORDS = {"business_name": "by name", "phone": "by phone number", "address": "by address"}
# Conduct codes in words: the indicator catalog's labels, and the one code that is no indicator.
CATEGORY_WORDS = {i.id: i.label for i in INDICATORS} | {
    "control_reported": "Control or coercion reported", "sexual_service_language": "Sexual services described"}


class HotlineSignals(BaseModel):
    contacts: int  # distinct cases (a merged case counts once)
    by_mention: dict[str, int]  # business_name | phone | address -> cases that mention it that way
    first_date: date | None
    last_date: date | None
    categories: list[str]  # conduct reported, in words
    languages: list[str]  # languages the callers needed, in words (English aside)


def confirmed_in_store(context: Context, entity_ids: Iterable[str] | None = None) -> list[Signal]:
    """The links advocates confirmed in the case store, for these businesses (all when None)."""
    with context.store.session() as session:
        return confirmed_signals(session, None if entity_ids is None else sorted(set(entity_ids)))


def hotline_signals_for(context: Context, entity_ids: Iterable[str]) -> list[Signal]:
    """Every signal about these businesses: the warehouse's (tips imported, tied by scoring) merged by the
    read layer with those advocates confirmed in the store, each under the case it now lives in (an
    imported tip's case may have been merged since the warehouse recorded its reference)."""
    ids = sorted(set(entity_ids))
    if not ids:
        return []
    found = hotline_signals(context.warehouse(), ids, extra_signals=confirmed_in_store(context, ids))
    with context.store.session() as session:
        live = live_refs(session, (s.case_ref for s in found))
    return list(dict.fromkeys(s._replace(case_ref=live.get(s.case_ref, s.case_ref)) for s in found))


def category_words(code: str) -> str:
    return CATEGORY_WORDS.get(code, code.replace("_", " "))


def summarize(signals: Iterable[Signal]) -> HotlineSignals:
    signals = list(signals)
    cases = {s.case_ref for s in signals}
    by_mention = {kind: len({s.case_ref for s in signals if s.mention == kind}) for kind in MENTION_KINDS}
    days = sorted(s.received_on for s in signals)
    codes = sorted({c for s in signals for c in s.categories}, key=category_words)
    languages = sorted({LANGUAGE_NAMES.get(code, code) for s in signals for code in s.languages})
    return HotlineSignals(contacts=len(cases), by_mention=by_mention, first_date=days[0] if days else None,
                          last_date=days[-1] if days else None, categories=[category_words(c) for c in codes],
                          languages=languages)


def hotline_summary(context: Context, entity_ids: Iterable[str]) -> HotlineSignals:
    return summarize(hotline_signals_for(context, entity_ids))
