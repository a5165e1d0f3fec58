"""A hotline signal: what analysts may know of a case, tied to one business. It carries no survivor field:
a case reference that means nothing outside the case file, the day of contact, how the business was
mentioned, conduct codes (indicators.catalog.tip_categories) and the languages the callers needed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from harborlight.store.models import CaseMention, HotlineCase, HotlineContact


class Signal(NamedTuple):
    case_ref: str  # e.g. case-7f3a9c21e04b; random, so it reveals nothing about the case
    received_on: date
    entity_id: str  # the resolved business the contact mentions
    mention: str  # business_name | phone | address: how the contact pointed to the business
    categories: tuple[str, ...]
    languages: tuple[str, ...]  # ISO 639-1 codes other than English


def confirmed_signals_query(entity_ids: Iterable[str] | None):
    """Confirmed links, with their contact's day, codes and language and the live case's reference."""
    query = (select(CaseMention.entity_id, CaseMention.kind, HotlineContact.received_at, HotlineContact.categories,
                    HotlineContact.language, HotlineContact.case_id)
             .join(HotlineContact, HotlineContact.id == CaseMention.contact_id)
             .where(CaseMention.status == "confirmed", CaseMention.entity_id.is_not(None)))
    if entity_ids is not None:
        query = query.where(CaseMention.entity_id.in_(list(entity_ids)))
    return query


def live_refs(session: Session, refs: Iterable[str]) -> dict[str, str]:
    """Each case reference mapped to the reference of the case it now lives in (itself unless merged), so a
    survivor's several calls count as one case wherever their signals come from."""
    from harborlight.cases.intake import live_case

    wanted = sorted(set(refs))
    cases = session.execute(select(HotlineCase).where(HotlineCase.ref.in_(wanted))).scalars() if wanted else []
    return {case.ref: live_case(session, case).ref for case in cases}


def confirmed_signals(session: Session, entity_ids: Iterable[str] | None = None) -> list[Signal]:
    """The signals advocates confirmed, for these businesses (all when None). Merged cases count under the
    case they were merged into."""
    from harborlight.cases.intake import live_case

    refs: dict[int, str] = {}
    rows = session.execute(confirmed_signals_query(entity_ids)).all()
    for *_, case_id in rows:
        if case_id not in refs:
            refs[case_id] = live_case(session, session.get(HotlineCase, case_id)).ref
    return sorted({Signal(refs[case_id], received.date(), entity_id, kind,
                          tuple(c for c in (categories or "").split(";") if c),
                          (language,) if language and language != "en" else ())
                   for entity_id, kind, received, categories, language, case_id in rows},
                  key=lambda s: (s.received_on, s.case_ref, s.entity_id, s.mention))
