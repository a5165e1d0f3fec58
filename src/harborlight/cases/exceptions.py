"""Disclosure without consent, in the three cases the rules allow: a minor, imminent danger to life, a
statute or court order (victim-centered §5 rule 3). A request names the reason, the recipient and the
fields; it opens nothing until a second person, not the requester, approves it; and then only for a
limited number of hours. Both steps are written to the audit chain. `consent.disclose` honours it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from harborlight.cases.consent import Recipient, check_fields
from harborlight.errors import BadRequest, Forbidden, NotFound
from harborlight.store import audit
from harborlight.store.accounts import actor, utcnow
from harborlight.store.models import AccessException, HotlineCase, User

REASONS = {
    "minor": "the survivor is a minor",
    "imminent_danger": "imminent danger to someone's life",
    "statute": "a statute requires it",
    "court_order": "a court order requires it",
}
MAX_HOURS = 72
APPROVERS = frozenset({"advocate", "admin"})


def request_exception(session: Session, case: HotlineCase, *, reason_code: str, recipient: Recipient, fields,
                      hours: int, by: User, reference: str = "") -> AccessException:
    if reason_code not in REASONS:
        raise BadRequest(f"an exception needs a reason code: one of {', '.join(REASONS)}")
    names = check_fields(fields)
    if not names:
        raise BadRequest("an exception names the fields it opens")
    if not 1 <= hours <= MAX_HOURS:
        raise BadRequest(f"an exception lasts between 1 and {MAX_HOURS} hours")
    if len(reference) > 120:
        raise BadRequest("the reference is at most 120 characters")
    grant = AccessException(case_id=case.id, reason_code=reason_code, reference=reference.strip(),
                            recipient_org=recipient.org, recipient_class=recipient.klass, fields=";".join(names),
                            hours=hours, requested_by=by.id)
    session.add(grant)
    session.flush()
    audit.append(session, "exception_request", actor(by), f"case:{case.ref}",
                 {"exception": grant.id, "reason": reason_code, "class": recipient.klass, "fields": list(names)})
    return grant


def approve_exception(session: Session, exception_id: int, by: User) -> AccessException:
    """The second person's sign-off. The requester cannot approve their own request."""
    grant = session.get(AccessException, exception_id)
    if grant is None:
        raise NotFound(f"no exception {exception_id}")
    if by.role not in APPROVERS:
        raise Forbidden("an exception is approved by an advocate or an administrator")
    if grant.requested_by == by.id:
        raise Forbidden("an exception needs a second person's sign-off: someone other than who asked for it")
    if grant.approved_by is not None:
        raise BadRequest("this exception is already approved")
    if grant.expires_at is not None:  # ended unapproved, by a merge (merge.py)
        raise BadRequest("this request ended when its case was merged; ask again on the merged case")
    case = session.get(HotlineCase, grant.case_id)
    if case.status == "merged":
        raise BadRequest("this case was merged into another; ask again on that case")
    now = utcnow()
    grant.approved_by, grant.approved_at, grant.expires_at = by.id, now, now + timedelta(hours=grant.hours)
    audit.append(session, "exception_approve", actor(by), f"case:{case.ref}",
                 {"exception": grant.id, "reason": grant.reason_code, "hours": grant.hours})
    return grant
