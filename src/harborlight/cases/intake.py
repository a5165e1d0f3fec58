"""Recording what reaches the hotline: contacts, the links they propose, services wanted, tips imported.

A contact needs nothing but its channel (rule 6): a caller may stay anonymous and give no name, phone or
place. Whatever personal detail is given is sealed field by field before it is stored. The contact's
words are read twice and never kept in the clear: once for conduct codes (`tip_categories`), once for the
businesses, phones and addresses it mentions (mentions.py), which become proposed links.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from harborlight.cases.consent import PERSONAL_FIELDS, field_context, mention_context, mention_field_context
from harborlight.cases.keys import Keyring
from harborlight.cases.mentions import Mention, NameIndex, find_mentions
from harborlight.contract.schema import CHANNELS, REPORTER_ROLES, SERVICES
from harborlight.errors import BadRequest, NotFound
from harborlight.indicators.catalog import tip_categories
from harborlight.resolve.normalize import normalize_business_name, normalize_phone
from harborlight.store import audit
from harborlight.store.accounts import actor, aware, utcnow
from harborlight.store.models import CaseMention, HotlineCase, HotlineContact, ServiceRequest, User

SERVICE_CODES = tuple(SERVICES.split())
WHEN = ("now", "this_week", "later")
MAX_FIELD_CHARS = 4000  # what an advocate types in one field
MAX_IMPORTED_CHARS = 100_000  # a tip from a hotline's export: a call's whole transcript fits

# Finds the businesses a mention may point to: (kind, normalized key) -> entity ids. The web layer
# answers it from the warehouse (phones and addresses through the read layer's search).
Lookup = Callable[[str, str], set[str]]


def new_ref() -> str:
    return f"case-{secrets.token_hex(6)}"  # 48 random bits


def open_case(session: Session, by: User | None) -> HotlineCase:
    case = HotlineCase(ref=new_ref(), opened_by=by.id if by else None, status="open")
    session.add(case)
    session.flush()
    return case


def case_by_ref(session: Session, ref: str) -> HotlineCase:
    case = session.execute(select(HotlineCase).where(HotlineCase.ref == ref)).scalar_one_or_none()
    if case is None:
        raise NotFound(f"no case {ref}")
    return case


def live_case(session: Session, case: HotlineCase) -> HotlineCase:
    """A merged case's survivor: where its contacts, services and decisions now live."""
    while case.merged_into is not None:
        case = session.get(HotlineCase, case.merged_into)
    return case


@dataclass
class ContactForm:
    """A contact as an advocate records it. Only `channel` is required."""

    channel: str
    received_at: datetime | None = None
    language: str | None = None
    reporter_role: str | None = None
    anonymous: bool = True
    state: str | None = None
    wants: tuple[str, ...] = ()
    caller_name: str | None = None
    caller_phone: str | None = None
    callback: str | None = None
    narrative: str | None = None
    location: str | None = None
    businesses: tuple[str, ...] = ()  # named by the caller, outside the narrative
    phones: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    max_chars: int = MAX_FIELD_CHARS  # the longest a survivor field may be

    def check(self) -> None:
        if self.channel not in CHANNELS.split():
            raise BadRequest(f"channel must be one of {CHANNELS.replace(' ', ', ')}")
        if self.reporter_role and self.reporter_role not in REPORTER_ROLES.split():
            raise BadRequest(f"reporter role must be one of {REPORTER_ROLES.replace(' ', ', ')}")
        if self.language and not (len(self.language) == 2 and self.language.isalpha()):
            raise BadRequest("language is a two-letter ISO 639-1 code, such as zh or ko")
        if self.state and not (len(self.state) == 2 and self.state.isalpha()):
            raise BadRequest("state is a two-letter code, such as FL")
        unknown = [w for w in self.wants if w not in SERVICE_CODES]
        if unknown:
            raise BadRequest(f"unknown service {unknown[0]!r}; the services are {', '.join(SERVICE_CODES)}")
        for name in PERSONAL_FIELDS:
            value = getattr(self, name)
            if value is not None and len(value) > self.max_chars:
                raise BadRequest(f"{name} is longer than {self.max_chars:,} characters")
        if self.anonymous and (self.caller_name or self.caller_phone):
            raise BadRequest("an anonymous contact has no name or phone; untick anonymous to record them")


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def stated_mentions(form: ContactForm) -> list[Mention]:
    """The businesses, phones and addresses the advocate typed in their own fields."""
    stated = [Mention("business_name", b, normalize_business_name(b) or "") for b in form.businesses if b.strip()]
    stated += [Mention("phone", p, normalize_phone(p) or "") for p in form.phones if p.strip()]
    stated += [Mention("address", a, " ".join(a.upper().split())) for a in form.addresses if a.strip()]
    return [m for m in stated if m.key]


def contact_values(keyring: Keyring, form: ContactForm, case_id: int, *, by: User | None,
                   source: str | None = None, record_id: str | None = None) -> dict[str, object]:
    """The columns of a contact of case `case_id` as `form` gives it, its personal fields sealed."""
    uid = secrets.token_hex(16)
    values: dict[str, object] = dict(
        uid=uid, case_id=case_id, source=source, record_id=record_id,
        received_at=aware(form.received_at) or utcnow(), channel=form.channel, reporter_role=form.reporter_role,
        language=(form.language or "").lower() or None, anonymous=form.anonymous,
        state=(form.state or "").upper() or None, categories=";".join(tip_categories(form.narrative)),
        wants=";".join(dict.fromkeys(form.wants)), recorded_by=by.id if by else None)
    for name in PERSONAL_FIELDS:
        values[f"{name}_sealed"] = keyring.seal(_blank(getattr(form, name)), field_context(uid, name))
    return values


def new_contact(keyring: Keyring, form: ContactForm, case: HotlineCase, *, by: User | None,
                source: str | None = None, record_id: str | None = None) -> HotlineContact:
    """A contact of `case` as `form` gives it, its personal fields sealed, not yet added to a session."""
    return HotlineContact(**contact_values(keyring, form, case.id, by=by, source=source, record_id=record_id))


def contact_mentions(form: ContactForm, names: NameIndex | None = None) -> list[Mention]:
    """What the contact names: the advocate's own fields first, then what its words mention."""
    return stated_mentions(form) + find_mentions(form.narrative or "", names)


def link_values(keyring: Keyring, contact_id: int, uid: str, found: list[Mention], *,
                names: NameIndex | None = None, lookup: Lookup | None = None) -> list[dict[str, object]]:
    """The columns of the links a stored contact's mentions propose: one per possible business, and a
    mention that no business matches kept once, for the advocate. The mention's words are sealed to the
    contact (by its uid)."""
    links = []
    for mention in {(m.kind, m.key): m for m in found}.values():
        entities = set(lookup(mention.kind, mention.key)) if lookup else set()  # a copy: never the caller's
        entities |= names.entities(mention.key) if names and mention.kind == "business_name" else set()
        for entity_id in sorted(entities) or [None]:
            links.append(dict(contact_id=contact_id, kind=mention.kind, entity_id=entity_id,
                              value_sealed=keyring.seal(mention.value, mention_field_context(uid, mention.kind)),
                              status="proposed"))
    return links


def proposed_links(keyring: Keyring, contact: HotlineContact, found: list[Mention], *,
                   names: NameIndex | None = None, lookup: Lookup | None = None) -> list[CaseMention]:
    """`link_values` as rows to add to a session."""
    return [CaseMention(**values) for values in
            link_values(keyring, contact.id, contact.uid, found, names=names, lookup=lookup)]


def record_contact(session: Session, keyring: Keyring, form: ContactForm, *, by: User | None,
                   case: HotlineCase | None = None, names: NameIndex | None = None,
                   lookup: Lookup | None = None) -> HotlineContact:
    """Store a contact in `case` (a new case when None), its fields sealed, its mentions proposed."""
    form.check()
    case = live_case(session, case) if case is not None else open_case(session, by)
    contact = new_contact(keyring, form, case, by=by)
    session.add(contact)
    session.flush()
    found = contact_mentions(form, names)
    session.add_all(proposed_links(keyring, contact, found, names=names, lookup=lookup))
    for service in dict.fromkeys(form.wants):
        if by is not None:
            session.add(ServiceRequest(case_id=case.id, service=service, wanted_when="now", recorded_by=by.id))
    session.flush()
    audit.append(session, "case_contact", actor(by), f"case:{case.ref}",
                 {"channel": form.channel, "anonymous": form.anonymous, "mentions": len(found)})
    return contact


def mention_value(keyring: Keyring, mention: CaseMention, contact: HotlineContact) -> str:
    return keyring.unseal(mention.value_sealed, mention_context(contact, mention.kind))


def decide_link(session: Session, mention_id: int, *, confirm: bool, by: User,
                entity_id: str | None = None) -> CaseMention:
    """An advocate confirms a proposed link (optionally to another business than proposed) or rejects it.
    A confirmed link to a business is what analysts will see, as a signal without the caller's words."""
    mention = session.get(CaseMention, mention_id)
    if mention is None:
        raise NotFound(f"no mention {mention_id}")
    if confirm:
        chosen = entity_id or mention.entity_id
        if not chosen:
            raise BadRequest("a link is confirmed to a business: choose one")
        mention.entity_id, mention.status = chosen, "confirmed"
    else:
        mention.status = "rejected"
    mention.decided_by, mention.decided_at = by.id, utcnow()
    contact = session.get(HotlineContact, mention.contact_id)
    case = session.get(HotlineCase, contact.case_id)
    audit.append(session, "link_decide", actor(by), f"case:{case.ref}",
                 {"mention": mention.id, "status": mention.status, "entity": mention.entity_id})
    return mention


def want_service(session: Session, case: HotlineCase, service: str, when: str, by: User) -> ServiceRequest:
    """A service the survivor wants, and when. Asks nothing about consent (rule 4). A merged case's request
    goes to the case it was merged into, where its contacts are."""
    case = live_case(session, case)
    if service not in SERVICE_CODES:
        raise BadRequest(f"unknown service {service!r}; the services are {', '.join(SERVICE_CODES)}")
    if when not in WHEN:
        raise BadRequest(f"when must be one of {', '.join(WHEN)}")
    request = ServiceRequest(case_id=case.id, service=service, wanted_when=when, recorded_by=by.id)
    session.add(request)
    session.flush()
    audit.append(session, "service_request", actor(by), f"case:{case.ref}", {"service": service, "when": when})
    return request


# -- tips from a hotline's export ------------------------------------------------------------------
@dataclass(frozen=True)
class ImportedTip:
    source: str
    record_id: str
    case_ref: str
    received_at: datetime
    language: str | None
    categories: tuple[str, ...]


def _aware(value) -> datetime:
    """A tip's moment in UTC: a naive one is UTC already (the contract stores UTC); an offset is converted."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def import_tips(session: Session, keyring: Keyring, rows: Iterable[Mapping[str, object]]) -> list[ImportedTip]:
    """Validated contract `tips` rows as cases, one case per tip, each once: a tip already imported (same
    source and record id, in the store or earlier in `rows`) keeps its case. The tip's text and place are
    sealed; its business name and phone become proposed links for an advocate. One audit entry covers
    the import.

    Set-based, for a state's worth of tips: one query finds the tips imported before, and the new cases,
    contacts and links are written as three multi-row inserts of column values (`_insert_rows`), not
    through the ORM's unit of work, which costs about a tenth of a millisecond an object and sends a
    statement a row where it must read back generated ids."""
    rows = list(rows)
    keys = [(str(row["source"]), str(row["record_id"])) for row in rows]
    contacts = imported_contacts(session, keys)
    new: dict[tuple[str, str], ContactForm] = {}
    for key, row in zip(keys, rows):
        if key not in contacts and key not in new:  # the first of a tip given twice is the one kept
            new[key] = _tip_form(key, row)
    tips = {key: _imported(key, live_case(session, session.get(HotlineCase, c.case_id)).ref, c.received_at,
                           c.language, c.categories) for key, c in contacts.items()}
    if new:
        refs = new_refs(session, len(new))
        case_ids = _insert_rows(session, HotlineCase, "ref",
                                [dict(ref=ref, opened_by=None, status="open") for ref in refs])
        added = [contact_values(keyring, form, case_ids[ref], by=None, source=key[0], record_id=key[1])
                 for (key, form), ref in zip(new.items(), refs)]
        contact_ids = _insert_rows(session, HotlineContact, "uid", added)
        _insert_rows(session, CaseMention, None,
                     [link for values, form in zip(added, new.values())
                      for link in link_values(keyring, contact_ids[values["uid"]], values["uid"],
                                              contact_mentions(form))])
        tips.update((key, _imported(key, ref, v["received_at"], v["language"], v["categories"]))
                    for key, ref, v in zip(new, refs, added))
        audit.append(session, "case_import", "cli", "tips", {"contacts": len(new)})
    return [tips[key] for key in keys]


def _imported(key: tuple[str, str], case_ref: str, received_at: datetime, language: str | None,
              categories: str) -> ImportedTip:
    """What the import reports of one tip: its case and what its contact keeps."""
    return ImportedTip(key[0], key[1], case_ref, aware(received_at), language,
                       tuple(c for c in categories.split(";") if c))


def _insert_rows(session: Session, model, key: str | None, rows: list[dict[str, object]]) -> dict[object, int]:
    """`rows` inserted into `model`'s table as multi-row INSERTs (defaults applied, the session's
    transaction). With `key`, a column unique to each row and set by the caller, returns key -> the id
    the database gave; matched by key, so the order rows come back in does not matter."""
    if not rows:
        return {}
    if key is None:
        session.execute(insert(model), rows)
        return {}
    column = getattr(model, key)
    returned = session.execute(insert(model).returning(column, model.id), rows)
    return {value: id_ for value, id_ in returned}


def _tip_form(key: tuple[str, str], row: Mapping[str, object]) -> ContactForm:
    """A tips row as the contact form an advocate would have filled, checked; a bad one is named by its
    record, never by what it says."""
    role = row.get("reporter_role") or None
    form = ContactForm(
        channel=str(row["channel"]), received_at=_aware(row["received_at"]),
        language=language_code(row.get("language")), reporter_role=role,
        anonymous=role in (None, "anonymous"), narrative=_str(row.get("text")),
        location=_str(row.get("location_text")),
        businesses=tuple(filter(None, [_str(row.get("business_name"))])),
        phones=tuple(filter(None, [_str(row.get("phone"))])), max_chars=MAX_IMPORTED_CHARS)
    try:
        form.check()
    except BadRequest as exc:
        raise BadRequest(f"tip {key[0]}/{key[1]}: {exc}") from None
    return form


IN_CHUNK = 500  # values bound in one IN list: far below SQLite's and PostgreSQL's limits on parameters


def imported_contacts(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], HotlineContact]:
    """The contacts already stored for these (source, record_id) keys, with their cases loaded (so the
    caller's `session.get` of a case costs no query)."""
    by_source: dict[str, list[str]] = {}
    for source, record_id in dict.fromkeys(keys):
        by_source.setdefault(source, []).append(record_id)
    found: dict[tuple[str, str], HotlineContact] = {}
    for source, record_ids in by_source.items():
        for chunk in _chunks(record_ids, IN_CHUNK):
            for contact, _case in session.execute(
                    select(HotlineContact, HotlineCase).join(HotlineCase, HotlineCase.id == HotlineContact.case_id)
                    .where(HotlineContact.source == source, HotlineContact.record_id.in_(chunk))):
                found[(contact.source, contact.record_id)] = contact
    return found


def new_refs(session: Session, count: int) -> list[str]:
    """`count` new case references, different from each other and from every stored one. A reference is
    random (it travels with signals and must say nothing of the case); a clash, rare at 48 bits, is drawn
    again rather than left to the store's unique constraint to refuse the whole import."""
    refs: set[str] = set()
    while len(refs) < count:
        drawn = {new_ref() for _ in range(count - len(refs))} - refs
        for chunk in _chunks(sorted(drawn), IN_CHUNK):
            taken = set(session.execute(select(HotlineCase.ref).where(HotlineCase.ref.in_(chunk))).scalars())
            refs |= set(chunk) - taken
    return list(refs)


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def language_code(raw) -> str | None:
    """A tip's language as the ISO 639-1 code a contact keeps: "zh-TW" and "ZH" read "zh". A language the
    export wrote some other way ("Mandarin") is not recorded rather than refused: the tip still counts."""
    code = re.split(r"[-_]", str(raw or "").strip(), maxsplit=1)[0].lower()
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def _str(value) -> str | None:
    return str(value) if value not in (None, "") else None

