"""Merging cases: several contacts about the same person or the same business become one case.

Contacts, service requests and referrals move to the case kept; the others are marked merged and point to it, so
old references still lead somewhere. Consents and exceptions do NOT move: each was given for the people
of its own case, and a merge may bring in contacts from someone else. So every consent and exception of
every case in the merge ends with it, the case kept included (else its consents would open the newcomers'
details, which they never agreed to share): revoked, reason `merged`, each logged. The advocate records
consent again on the merged case. Sharing fails closed.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from harborlight.cases.consent import revoke
from harborlight.errors import BadRequest
from harborlight.store import audit
from harborlight.store.accounts import actor, aware, utcnow
from harborlight.store.models import (
    AccessException, Consent, HotlineCase, HotlineContact, Referral, ServiceRequest, User,
)


def merge_cases(session: Session, keep: HotlineCase, others: list[HotlineCase], by: User) -> HotlineCase:
    others = [c for c in others if c.id != keep.id]
    if not others:
        raise BadRequest("choose at least one other case to merge into this one")
    if keep.status == "merged" or any(c.status == "merged" for c in others):
        raise BadRequest("a case already merged cannot be merged again; open the case it was merged into")
    for case in [keep, *others]:
        for consent in session.execute(select(Consent).where(Consent.case_id == case.id)).scalars():
            revoke(session, consent, by, reason="merged")
        now = utcnow()
        for grant in session.execute(select(AccessException).where(AccessException.case_id == case.id)).scalars():
            if grant.expires_at is None or aware(grant.expires_at) > now:
                grant.expires_at = now  # approved: it ends; still asked: it can no longer be approved
    for case in others:
        session.execute(update(HotlineContact).where(HotlineContact.case_id == case.id).values(case_id=keep.id))
        session.execute(update(ServiceRequest).where(ServiceRequest.case_id == case.id).values(case_id=keep.id))
        # What was sent to providers stays in view on the kept case, as its history.
        session.execute(update(Referral).where(Referral.case_id == case.id).values(case_id=keep.id))
        case.status, case.merged_into = "merged", keep.id
    session.flush()
    audit.append(session, "case_merge", actor(by), f"case:{keep.ref}", {"merged": [c.ref for c in others]})
    return keep
