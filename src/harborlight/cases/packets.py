"""What a packet may say of hotline cases. Always counts and languages (the read layer's hotline summary);
a case's details only when the survivor consented to share them with that very agency, as law
enforcement (rules 1 and 2). Asked when the packet is read, never stored with it, so a revoked or
expired consent stops the next read at once (rule 5).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from harborlight.cases.consent import Disclosure, Recipient, disclose
from harborlight.cases.intake import live_case
from harborlight.cases.keys import Keyring
from harborlight.store.models import HotlineCase, User


def case_details_for_agency(session: Session, keyring: Keyring, case_refs: Iterable[str], agency_name: str,
                            by: User | None) -> list[Disclosure]:
    """The disclosures with at least one field, for the cases `case_refs`, to `agency_name` as police."""
    refs = sorted(set(case_refs))
    if not refs:
        return []
    recipient = Recipient(agency_name, "law_enforcement")
    found_cases = session.execute(select(HotlineCase).where(HotlineCase.ref.in_(refs))).scalars()
    cases = {c.id: c for c in (live_case(session, case) for case in found_cases)}  # a merged case's survivor
    found = [disclose(session, keyring, case, recipient, purpose="investigation packet", by=by)
             for case in cases.values()]
    return [d for d in found if d.fields]
