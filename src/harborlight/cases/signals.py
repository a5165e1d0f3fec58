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
    case_ref: str  # e.g. case-7f3a9c21; random, so it reveals nothing about the case
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


def confirmed_signals(session: Session, entity_ids: Iterable[str] | None = None) -> list[Signal]:
    """The signals advocates confirmed, for these businesses (all when None). Merged cases count under the
    case they were merged into, so one survivor's several calls are one case."""
    refs: dict[int, str] = {}

    def ref(case_id: int) -> str:
        if case_id not in refs:
            case = session.get(HotlineCase, case_id)
            while case.merged_into is not None:
                case = session.get(HotlineCase, case.merged_into)
            refs[case_id] = case.ref
        return refs[case_id]

    rows = session.execute(confirmed_signals_query(entity_ids)).all()
    return sorted({Signal(ref(case_id), received.date(), entity_id, kind,
                          tuple(c for c in (categories or "").split(";") if c),
                          (language,) if language and language != "en" else ())
                   for entity_id, kind, received, categories, language, case_id in rows},
                  key=lambda s: (s.received_on, s.case_ref, s.entity_id, s.mention))
