"""The one gate: every survivor field that leaves the case file passes `disclose` (victim-centered §5).

No consent by default. A field goes to a recipient only while a consent record names that recipient
organisation, its class, the field, a purpose, and has neither expired nor been revoked (rules 1, 5); or
while an approved exception names them (rule 3, exceptions.py). Law enforcement is its own class:
a consent to a shelter never lets a field reach the police (rule 2). Referrals, packets, exports and API
answers ask this module; nothing else unseals a survivor field for anyone but the case's advocates
(`read_case`), and every unsealing is written to the audit chain with field names only, never values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from harborlight.cases.keys import Keyring
from harborlight.errors import BadRequest, Forbidden
from harborlight.store import audit
from harborlight.store.accounts import actor, aware, org_key, utcnow
from harborlight.store.models import AccessException, Consent, HotlineCase, HotlineContact, User

# The survivor fields a contact can hold, sealed in `<name>_sealed` columns. Nothing else about a case
# identifies a person; these are what a consent can cover.
PERSONAL_FIELDS = ("caller_name", "caller_phone", "callback", "narrative", "location")
FIELD_LABELS = {
    "caller_name": "name", "caller_phone": "phone", "callback": "safe ways and times to call back",
    "narrative": "what the caller said", "location": "where the caller is",
}
RECIPIENT_CLASSES = ("service_provider", "law_enforcement", "other")
MAX_CONSENT_DAYS = 366


@dataclass(frozen=True)
class Recipient:
    org: str
    klass: str  # one of RECIPIENT_CLASSES

    def same(self, org: str, klass: str) -> bool:
        return klass == self.klass and org_key(org) == org_key(self.org)


@dataclass(frozen=True)
class Disclosure:
    """What one recipient may receive of one case. `fields` maps a permitted field to its values across the
    case's contacts (non-empty ones only); `withheld` names the fields kept back."""

    case_ref: str
    recipient: Recipient
    fields: dict[str, list[str]] = field(default_factory=dict)
    withheld: tuple[str, ...] = PERSONAL_FIELDS
    basis: tuple[str, ...] = ()  # consent:<id> / exception:<id> that allowed it


def sealed_context(contact: HotlineContact, name: str) -> str:
    """The associated data a contact's field is sealed with: its row and its name."""
    return field_context(contact.uid, name)


def field_context(uid: str, name: str) -> str:
    """`sealed_context` for a contact known by its uid, before its row exists."""
    return f"contact:{uid}:{name}"


def mention_context(contact: HotlineContact, kind: str) -> str:
    return mention_field_context(contact.uid, kind)


def mention_field_context(uid: str, kind: str) -> str:
    """`mention_context` for a contact known by its uid, before its row exists."""
    return f"mention:{uid}:{kind}"


def referral_context(referral_id: int) -> str:
    return f"referral:{referral_id}"


def check_fields(names) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n for n in names if n))
    unknown = [n for n in names if n not in PERSONAL_FIELDS]
    if unknown:
        raise BadRequest(f"unknown survivor field {unknown[0]!r}; the fields are {', '.join(PERSONAL_FIELDS)}")
    return names


def check_recipient(org: str, klass: str) -> Recipient:
    if klass not in RECIPIENT_CLASSES:
        raise BadRequest(f"recipient class must be one of {', '.join(RECIPIENT_CLASSES)}")
    if not org or not org.strip() or len(org) > 200:
        raise BadRequest("name the recipient organisation (at most 200 characters)")
    return Recipient(org.strip(), klass)


# -- the survivor's decisions -----------------------------------------------------------------------
def record_consent(session: Session, case: HotlineCase, *, recipient: Recipient, fields, purpose: str,
                   expires_at: datetime, by: User) -> Consent:
    """A consent as the survivor gave it. It must expire, within a year; it covers only the named fields."""
    names = check_fields(fields)
    if not names:
        raise BadRequest("a consent names at least one field it covers")
    if not purpose or not purpose.strip() or len(purpose) > 300:
        raise BadRequest("state the purpose of the consent (at most 300 characters)")
    now, expires = utcnow(), aware(expires_at)
    if expires <= now or expires > now + timedelta(days=MAX_CONSENT_DAYS):
        raise BadRequest("a consent's expiry must be in the future and within a year")
    consent = Consent(case_id=case.id, recipient_org=recipient.org, recipient_class=recipient.klass,
                      fields=";".join(names), purpose=purpose.strip(), expires_at=expires, recorded_by=by.id)
    session.add(consent)
    session.flush()
    audit.append(session, "consent_record", actor(by), f"case:{case.ref}",
                 {"consent": consent.id, "class": recipient.klass, "fields": list(names)})
    return consent


def revoke(session: Session, consent: Consent, by: User, reason: str = "survivor") -> None:
    """Stop all future sharing under this consent at once (rule 5). Already revoked: nothing changes."""
    if consent.revoked_at is not None:
        return
    consent.revoked_at, consent.revoked_by = utcnow(), by.id
    case = session.get(HotlineCase, consent.case_id)
    audit.append(session, "consent_revoke", actor(by), f"case:{case.ref}",
                 {"consent": consent.id, "reason": reason})


def is_active(consent: Consent, now: datetime) -> bool:
    """Neither revoked nor expired: an expired consent is no consent (rule 1)."""
    return consent.revoked_at is None and aware(consent.expires_at) > now


def exception_is_active(grant: AccessException, now: datetime) -> bool:
    return (grant.approved_by is not None and grant.approved_at is not None and grant.expires_at is not None
            and aware(grant.approved_at) <= now < aware(grant.expires_at))


@dataclass(frozen=True)
class Grant:
    """One active consent or exception for a recipient: its fields, and the moment it was given. It covers
    the contacts recorded by then, never one added to the case afterwards (which may be someone else's:
    a relative calling, say), as a merge ends every consent for the same reason."""

    fields: frozenset[str]
    given_at: datetime
    basis: str  # consent:<id> | exception:<id>

    def covers(self, contact: HotlineContact) -> bool:
        return aware(contact.recorded_at) <= self.given_at


def grants(session: Session, case: HotlineCase, recipient: Recipient, now: datetime | None = None) -> list[Grant]:
    """The consents and exceptions that let `recipient` receive something of `case` now."""
    now = now or utcnow()
    found = [Grant(frozenset(c.fields.split(";")) & set(PERSONAL_FIELDS), aware(c.recorded_at), f"consent:{c.id}")
             for c in session.execute(select(Consent).where(Consent.case_id == case.id)).scalars()
             if is_active(c, now) and recipient.same(c.recipient_org, c.recipient_class)]
    found += [Grant(frozenset(g.fields.split(";")) & set(PERSONAL_FIELDS), aware(g.requested_at), f"exception:{g.id}")
              for g in session.execute(select(AccessException).where(AccessException.case_id == case.id)).scalars()
              if exception_is_active(g, now) and recipient.same(g.recipient_org, g.recipient_class)]
    return found


def permitted_fields(session: Session, case: HotlineCase, recipient: Recipient,
                     now: datetime | None = None) -> tuple[frozenset[str], tuple[str, ...]]:
    """(the fields `recipient` may receive of `case` now, the consents and exceptions that allow them)."""
    found = grants(session, case, recipient, now)
    return frozenset().union(*(g.fields for g in found)), tuple(g.basis for g in found)


def contacts_of(session: Session, case: HotlineCase) -> list[HotlineContact]:
    return list(session.execute(select(HotlineContact).where(HotlineContact.case_id == case.id)
                                .order_by(HotlineContact.received_at, HotlineContact.id)).scalars())


def unseal_granted(keyring: Keyring, contacts: list[HotlineContact], found: list[Grant]) -> dict[str, list[str]]:
    """Each contact's fields that a grant given after it was recorded covers, unsealed, by field."""
    values: dict[str, list[str]] = {}
    for name in PERSONAL_FIELDS:
        opened = [keyring.unseal(getattr(c, f"{name}_sealed"), sealed_context(c, name)) for c in contacts
                  if any(name in g.fields and g.covers(c) for g in found)]
        if any(opened):
            values[name] = [v for v in opened if v]
    return values


def disclose(session: Session, keyring: Keyring, case: HotlineCase, recipient: Recipient, *, purpose: str,
             by: User | None, now: datetime | None = None) -> Disclosure:
    """What `recipient` may receive of `case`, unsealed: only the fields an active consent or exception
    covers for that very recipient, of the contacts recorded before it was given. With none, the
    disclosure carries no field at all. An unsealing is audited (`case_disclose`, field names and basis,
    never values)."""
    found = grants(session, case, recipient, now)
    values = unseal_granted(keyring, contacts_of(session, case), found) if found else {}
    basis = tuple(g.basis for g in found)
    if values:
        audit.append(session, "case_disclose", actor(by) if by else "cli", f"case:{case.ref}",
                     {"class": recipient.klass, "fields": sorted(values), "basis": list(basis),
                      "purpose": purpose[:80]})
    return Disclosure(case.ref, recipient, values, tuple(n for n in PERSONAL_FIELDS if n not in values), basis)


def read_case(session: Session, keyring: Keyring, case: HotlineCase, user: User) -> dict[int, dict[str, str]]:
    """Every survivor field of every contact of `case`, for the hotline's own advocates (their case file).
    Anyone else goes through `disclose`. The read is audited."""
    if user.role != "advocate":
        raise Forbidden("survivor details are for the hotline's advocates")
    contacts = contacts_of(session, case)
    opened = {c.id: {n: keyring.unseal(getattr(c, f"{n}_sealed"), sealed_context(c, n)) for n in PERSONAL_FIELDS}
              for c in contacts}
    audit.append(session, "case_read", actor(user), f"case:{case.ref}", {"contacts": len(contacts)})
    return opened
