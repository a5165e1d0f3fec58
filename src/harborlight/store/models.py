"""The operational store's tables, declared once; migrations/ creates them and tests compare the two."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import DateTime as _DateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class DateTime(TypeDecorator):
    """A moment in UTC, read back with its time zone on every database: SQLite keeps no zone and would
    hand back a naive datetime, which the API would then write without its offset."""

    impl = _DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class Agency(Base):
    """An agency packets are released to (a sheriff's office, a task force) or that reports outcomes."""

    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class User(Base):
    """An account. The handle is a login name chosen by an administrator; the password is an argon2 hash.
    An investigator belongs to one agency and sees only what is released to it."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class WebSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored, so a copy of the store opens no session."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime())


class PacketRelease(Base):
    """A network's packet released to an agency: a snapshot of what the read layer let out, with its digest,
    so the agency keeps exactly what was released even after the warehouse is rebuilt."""

    __tablename__ = "packet_releases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network_id: Mapped[str] = mapped_column(String(80), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    released_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    networks_run: Mapped[str] = mapped_column(String(80))  # the networks stage run the packet was read from
    packet_json: Mapped[str] = mapped_column(Text)
    packet_digest: Mapped[str] = mapped_column(String(64))


class Note(Base):
    """An analyst's note on a business or a network. Free text written by staff, shown to analysts only."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))  # business | network
    subject_id: Mapped[str] = mapped_column(String(80), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    text: Mapped[str] = mapped_column(Text)


class OutcomeEntry(Base):
    """What an operation did, entered in the workspace: a count of people by role and action (counts only;
    nobody is named). The ledger adds these to the outcomes records of the warehouse."""

    __tablename__ = "outcome_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation: Mapped[str] = mapped_column(String(200))
    date: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD
    network_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    person_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer)
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class AuditEntry(Base):
    """One entry of the append-only audit chain; `hash` covers the entry and the hash before it (audit.py)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, as hashed
    actor: Mapped[str] = mapped_column(String(40))  # user:<id>, anonymous, cli
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, never personal data
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last entry, updated with every append, so deleting the newest entries is found too."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


# -- hotline cases (cases/) ---------------------------------------------------------------------------
# Columns ending in `_sealed` hold a survivor field sealed by cases/keys.py, never the field itself.
# Everything else here is a code, a count, a date or an id, which can appear in an audit entry or a
# statistic. `;`-joined lists keep the schema the same on SQLite and PostgreSQL.

class HotlineCase(Base):
    """One survivor's or one situation's case: contacts about the same person or business merge into one.
    `ref` is random, so it can travel with a signal without saying anything about the case."""

    __tablename__ = "hotline_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: imported
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed | merged
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("hotline_cases.id"), nullable=True)


class HotlineContact(Base):
    """One call, text, chat, email or web form. Only `channel` is required (rule 6: a contact may be
    anonymous). Imported tips keep their (source, record_id), so an import runs twice without doubling."""

    __tablename__ = "hotline_contacts"
    __table_args__ = (UniqueConstraint("source", "record_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)  # binds sealed fields to this row
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_cases.id"), index=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    record_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    channel: Mapped[str] = mapped_column(String(20))
    reporter_role: Mapped[str | None] = mapped_column(String(30), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # ISO 639-1 code
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str | None] = mapped_column(String(2), nullable=True)  # coarse place, for statistics
    categories: Mapped[str] = mapped_column(Text, default="")  # conduct codes (tip_categories)
    wants: Mapped[str] = mapped_column(Text, default="")  # service codes the caller asked for
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    caller_name_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    caller_phone_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    callback_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)  # safe ways and times to call
    narrative_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    location_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseMention(Base):
    """A business, phone or address a contact mentions, proposed as a link to a resolved business.
    The words as the caller said them are sealed (they come from the survivor); once an advocate
    confirms the link, the business id alone becomes a signal analysts see."""

    __tablename__ = "case_mentions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("hotline_contacts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # business_name | phone | address
    value_sealed: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed | confirmed | rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)


class ServiceRequest(Base):
    """A service the survivor wants, and when. Never conditional on consent (rule 4)."""

    __tablename__ = "service_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_cases.id"), index=True)
    service: Mapped[str] = mapped_column(String(30))
    wanted_when: Mapped[str] = mapped_column(String(20))  # now | this_week | later
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | met | declined
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class Consent(Base):
    """The survivor's permission to share named fields with one organisation of one class, for a purpose,
    until an expiry. Revocation is a date on the record: it is never deleted (rule 5)."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_cases.id"), index=True)
    recipient_org: Mapped[str] = mapped_column(String(200))
    recipient_class: Mapped[str] = mapped_column(String(30))  # service_provider | law_enforcement | other
    fields: Mapped[str] = mapped_column(Text)  # ;-joined names from cases.consent.PERSONAL_FIELDS
    purpose: Mapped[str] = mapped_column(String(300))
    expires_at: Mapped[datetime] = mapped_column(DateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class AccessException(Base):
    """Disclosure without consent, only for a minor, imminent danger, or a statute or court order (rule 3).
    It opens nothing until a second person approves it, and then only the named fields until `expires_at`."""

    __tablename__ = "access_exceptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_cases.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(30))  # minor | imminent_danger | statute | court_order
    reference: Mapped[str] = mapped_column(String(120), default="")  # e.g. a court order's number
    recipient_org: Mapped[str] = mapped_column(String(200))
    recipient_class: Mapped[str] = mapped_column(String(30))
    fields: Mapped[str] = mapped_column(Text)
    hours: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)


class Referral(Base):
    """A referral to a provider: the services asked for and exactly what was shared, sealed, with the
    names of the fields the consent covered (empty when there was none: the referral still goes)."""

    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_cases.id"), index=True)
    provider_source: Mapped[str] = mapped_column(String(200))
    provider_record_id: Mapped[str] = mapped_column(String(200))
    provider_name: Mapped[str] = mapped_column(String(200))
    services: Mapped[str] = mapped_column(Text)
    fields_shared: Mapped[str] = mapped_column(Text, default="")
    payload_sealed: Mapped[str] = mapped_column(Text)
    made_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
