"""Casework in the operational store: packet releases, outcomes entered in the workspace, and the lists
the administration pages show (users, agencies, the audit log).

Each function works in the caller's session; those that change something write their audit entry in
the same transaction (`store.writing()`), so an action and its trace commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from harborlight.errors import BadRequest, NotFound
from harborlight.respond.outcomes import EnteredCount
from harborlight.store import audit
from harborlight.store.accounts import actor, agency_named, org_key
from harborlight.store.models import Agency, AuditEntry, OutcomeEntry, PacketRelease, User

AUDIT_PAGE_MAX = 200


# -- packets -------------------------------------------------------------------------------------
def release_packet(session: Session, *, network_id: str, agency_id: int, note: str, packet_json: str,
                   packet_digest: str, networks_run: str, by: User) -> PacketRelease:
    """Store a released packet's snapshot and write `packet_release` to the audit chain."""
    agency(session, agency_id)  # NotFound for an agency that does not exist
    release = PacketRelease(network_id=network_id, agency_id=agency_id, released_by=by.id, note=note,
                            networks_run=networks_run, packet_json=packet_json, packet_digest=packet_digest)
    session.add(release)
    session.flush()
    audit.append(session, "packet_release", actor(by), f"release:{release.id}",
                 {"network": network_id, "agency": agency_id})
    return release


def releases_for(session: Session, user: User) -> list[PacketRelease]:
    """Releases newest first: every one for an analyst, only those to their own agency for an investigator
    (any other role sees none: the route's rule does not admit them anyway)."""
    query = select(PacketRelease).order_by(PacketRelease.id.desc())
    if user.role == "investigator":
        query = query.where(PacketRelease.agency_id == user.agency_id)
    elif user.role != "analyst":
        return []
    return list(session.execute(query).scalars())


def release(session: Session, release_id: int) -> PacketRelease:
    found = session.get(PacketRelease, release_id)
    if found is None:
        raise NotFound(f"no packet release {release_id}")
    return found


# -- agencies and users --------------------------------------------------------------------------
def agency(session: Session, agency_id: int) -> Agency:
    found = session.get(Agency, agency_id)
    if found is None:
        raise NotFound(f"no agency {agency_id}")
    return found


def agencies(session: Session) -> list[Agency]:
    return list(session.execute(select(Agency).order_by(Agency.name)).scalars())


def agency_names(session: Session) -> dict[int, str]:
    return {a.id: a.name for a in agencies(session)}


def add_agency(session: Session, name: str, by: User) -> Agency:
    """A new agency (BadRequest if the name is not 2-200 characters), audited `agency_add`. An existing
    name is refused rather than silently reused, so the administrator knows nothing was added."""
    cleaned = " ".join(name.split())
    if any(org_key(a.name) == org_key(cleaned) for a in agencies(session)):
        raise BadRequest("an agency of that name exists")  # as consent compares names: case aside
    made = agency_named(session, cleaned, create=True)
    audit.append(session, "agency_add", actor(by), f"agency:{made.id}", {})
    return made


def users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.handle)).scalars())


def user(session: Session, user_id: int) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise NotFound(f"no user {user_id}")
    return found


# -- outcomes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Count:
    person_role: str
    action: str
    count: int


def record_outcome(session: Session, *, operation: str, date: str, network_id: str | None, agency_id: int | None,
                   counts: list[Count], by: User) -> list[OutcomeEntry]:
    """One OutcomeEntry for each nonzero count, and one `outcome_entry` audit entry naming the counts."""
    entries = [OutcomeEntry(operation=operation, date=date, network_id=network_id, agency_id=agency_id,
                            person_role=c.person_role, action=c.action, count=c.count, entered_by=by.id)
               for c in counts if c.count]
    session.add_all(entries)
    session.flush()
    audit.append(session, "outcome_entry", actor(by), f"network:{network_id}" if network_id else "",
                 {"agency": agency_id, "counts": {f"{c.action}:{c.person_role}": c.count for c in counts if c.count}})
    return entries


def entered_counts(session: Session) -> list[EnteredCount]:
    """Every count entered in the workspace, as the ledger adds them (respond/outcomes.with_entered)."""
    names = agency_names(session)
    rows = session.execute(select(OutcomeEntry).order_by(OutcomeEntry.id)).scalars()
    return [EnteredCount(operation=e.operation, date=e.date, person_role=e.person_role, action=e.action, count=e.count,
                         agency=names.get(e.agency_id) if e.agency_id else None, network_id=e.network_id)
            for e in rows]


# -- the audit log -------------------------------------------------------------------------------
def audit_page(session: Session, before: int | None = None, limit: int = 50) -> list[AuditEntry]:
    """Audit entries newest first, at most `limit` (capped at AUDIT_PAGE_MAX), older than `before` if given."""
    limit = max(1, min(limit, AUDIT_PAGE_MAX))
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    return list(session.execute(query).scalars())
