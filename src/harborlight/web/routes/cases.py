"""The advocates' case file: hotline contacts, the links they propose, and the survivor's decisions.

Only advocates open these routes (policy.py); an administrator may also approve an exception, and
nothing else here. Survivor fields are unsealed for the advocate through `cases.consent.read_case`
(audited), and leave the case file only through `cases.consent.disclose` (a referral). No form value
is ever logged: errors name the field, never what was typed in it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from harborlight.cases import consent as gate
from harborlight.cases.exceptions import MAX_HOURS, REASONS, approve_exception, request_exception
from harborlight.cases.intake import (
    SERVICE_CODES, WHEN, ContactForm, case_by_ref, decide_link, live_case, mention_value, record_contact,
    want_service,
)
from harborlight.cases.mentions import NameIndex
from harborlight.cases.merge import merge_cases
from harborlight.cases.referrals import Provider, refer, referral_payload, referrals_of
from harborlight.contract.schema import CHANNELS, REPORTER_ROLES
from harborlight.errors import BadRequest, HarborlightError, NotFound
from harborlight.read import hotline_lookup
from harborlight.store.models import (
    AccessException, CaseMention, Consent, HotlineCase, HotlineContact, ServiceRequest, User,
)
from harborlight.web.context import Context, signed_in
from harborlight.web.params import RowId, validated
from harborlight.web.render import page

router = APIRouter()
STATUSES = ("open", "closed", "merged", "all")
MAX_TEXT = 4000
MAX_LINES = 50
Line = Annotated[str, Field(max_length=300)]  # one business, phone, address or case reference
Ref = Annotated[str, Path(min_length=1, max_length=40, description="a case reference, e.g. case-7f3a9c21e04b")]


# -- the models each page and its JSON twin share ---------------------------------------------------
class CaseLine(BaseModel):
    ref: str
    opened_at: datetime
    status: str
    contacts: int
    languages: list[str]
    open_services: list[str]


class CaseList(BaseModel):
    status: str
    cases: list[CaseLine]


class Choice(BaseModel):
    code: str
    label: str


class ProviderOut(BaseModel):
    key: str = Field(description="source|record_id, what a referral names")
    name: str
    city: str | None
    state: str | None
    services: list[str]


class FormChoices(BaseModel):
    channels: list[str]
    reporter_roles: list[str]
    services: list[str]
    when: list[str]
    fields: list[Choice]
    recipient_classes: list[str]
    reasons: list[Choice]
    max_exception_hours: int


class ContactRequest(BaseModel):
    """A contact: only `channel` is required (rule 6)."""

    channel: str = Field(min_length=1, max_length=20)
    received_at: datetime | None = None
    language: str | None = Field(default=None, max_length=8)
    reporter_role: str | None = Field(default=None, max_length=30)
    anonymous: bool = True
    state: str | None = Field(default=None, max_length=2)
    wants: list[str] = Field(default_factory=list, max_length=len(SERVICE_CODES))
    caller_name: str | None = Field(default=None, max_length=MAX_TEXT)
    caller_phone: str | None = Field(default=None, max_length=MAX_TEXT)
    callback: str | None = Field(default=None, max_length=MAX_TEXT)
    narrative: str | None = Field(default=None, max_length=MAX_TEXT)
    location: str | None = Field(default=None, max_length=MAX_TEXT)
    businesses: list[Line] = Field(default_factory=list, max_length=MAX_LINES)
    phones: list[Line] = Field(default_factory=list, max_length=MAX_LINES)
    addresses: list[Line] = Field(default_factory=list, max_length=MAX_LINES)
    case_ref: str | None = Field(default=None, max_length=20, description="add to this existing case")


class ContactRecorded(BaseModel):
    ref: str
    mentions: int


class ContactOut(BaseModel):
    received_at: datetime
    channel: str
    language: str | None
    reporter_role: str | None
    anonymous: bool
    state: str | None
    categories: list[str]
    wants: list[str]
    fields: dict[str, str | None] = Field(description="survivor fields, for the hotline's advocates only")


class LinkOut(BaseModel):
    id: int
    kind: str
    value: str = Field(description="the words as the caller said them")
    entity_id: str | None
    business: str | None
    status: str


class ServiceOut(BaseModel):
    id: int
    service: str
    when: str
    status: str


class ConsentOut(BaseModel):
    id: int
    recipient_org: str
    recipient_class: str
    fields: list[str]
    purpose: str
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


class ReferralOut(BaseModel):
    id: int
    provider: str
    services: list[str]
    fields_shared: list[str]
    made_at: datetime
    payload: dict = Field(description="exactly what the provider received")


class ExceptionOut(BaseModel):
    id: int
    reason_code: str
    reference: str
    recipient_org: str
    recipient_class: str
    fields: list[str]
    hours: int
    requested_by: str
    approved_by: str | None
    expires_at: datetime | None
    active: bool
    may_approve: bool


class CaseOut(BaseModel):
    ref: str
    status: str
    opened_at: datetime
    contacts: list[ContactOut]
    links: list[LinkOut]
    services: list[ServiceOut]
    consents: list[ConsentOut]
    referrals: list[ReferralOut]
    exceptions: list[ExceptionOut]
    merged: list[str] = Field(description="cases merged into this one")
    providers: list[ProviderOut]
    choices: FormChoices


class LinkDecision(BaseModel):
    confirm: bool
    entity_id: str | None = Field(default=None, max_length=80, description="another business than proposed")


class ServiceRequestIn(BaseModel):
    service: str = Field(max_length=30)
    when: str = Field(default="now", max_length=20)


class ConsentRequest(BaseModel):
    recipient_org: str = Field(max_length=200)
    recipient_class: str = Field(max_length=30)
    fields: list[str] = Field(max_length=len(gate.PERSONAL_FIELDS))
    purpose: str = Field(max_length=300)
    expires_on: date


class ReferralRequest(BaseModel):
    provider: str = Field(max_length=200, description="source|record_id of a provider")
    services: list[str] = Field(max_length=len(SERVICE_CODES))


class ExceptionRequest(BaseModel):
    reason_code: str = Field(max_length=30)
    recipient_org: str = Field(max_length=200)
    recipient_class: str = Field(max_length=30)
    fields: list[str] = Field(max_length=len(gate.PERSONAL_FIELDS))
    hours: int = Field(ge=1, le=MAX_HOURS)
    reference: str = Field(default="", max_length=120)


class MergeRequest(BaseModel):
    others: list[Line] = Field(max_length=MAX_LINES)


class Done(BaseModel):
    ref: str
    id: int | None = None


class Referred(BaseModel):
    ref: str
    id: int
    payload: dict


# -- the warehouse, as far as the case file needs it ------------------------------------------------
def choices() -> FormChoices:
    return FormChoices(channels=CHANNELS.split(), reporter_roles=REPORTER_ROLES.split(), services=list(SERVICE_CODES),
                       when=list(WHEN), fields=[Choice(code=f, label=gate.FIELD_LABELS[f]) for f in gate.PERSONAL_FIELDS],
                       recipient_classes=list(gate.RECIPIENT_CLASSES),
                       reasons=[Choice(code=k, label=v) for k, v in REASONS.items()], max_exception_hours=MAX_HOURS)


def _reader(context: Context):
    """The warehouse for this request, or None when there is none or it is not current: a contact is
    recorded all the same (its mentions then wait unlinked), since a caller never waits on the warehouse."""
    try:
        return context.warehouse()
    except HarborlightError:
        return None


def name_index(context: Context, warehouse) -> NameIndex | None:
    """Resolved businesses' names, indexed once per workspace (the warehouse does not change while served)."""
    if warehouse is None:
        return None
    try:
        return context.workspace.remember(("hotline_name_index",), lambda: NameIndex(
            hotline_lookup.business_names(warehouse, context.viewer, context.protection())))
    except HarborlightError:
        return None


def lookup_for(context: Context, warehouse):
    if warehouse is None:
        return None

    def lookup(kind: str, key: str) -> set[str]:
        try:
            return hotline_lookup.businesses_at(warehouse, kind, key, context.viewer, context.protection())
        except HarborlightError:
            return set()
    return lookup


def provider_list(context: Context, warehouse) -> list[ProviderOut]:
    if warehouse is None:
        return []
    try:
        found = hotline_lookup.providers(warehouse)
    except HarborlightError:
        return []
    return [ProviderOut(key=f"{p.source}|{p.record_id}", name=p.name, city=p.city, state=p.state,
                        services=list(p.services)) for p in found]


def business_names(context: Context, warehouse, entity_ids) -> dict[str, str]:
    if warehouse is None:
        return {}
    try:
        return hotline_lookup.names_of(warehouse, entity_ids, context.viewer, context.protection())
    except HarborlightError:
        return {}


# -- reads ------------------------------------------------------------------------------------------
def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(";") if v]


def case_list(context: Context, status: str) -> CaseList:
    with context.store.session() as session:
        query = select(HotlineCase).order_by(HotlineCase.opened_at.desc(), HotlineCase.id.desc())
        if status != "all":
            query = query.where(HotlineCase.status == status)
        cases = list(session.execute(query).scalars())
        lines = []
        for case in cases:
            contacts = gate.contacts_of(session, case)
            services = session.execute(select(ServiceRequest.service).where(
                ServiceRequest.case_id == case.id, ServiceRequest.status == "open")).scalars()
            lines.append(CaseLine(ref=case.ref, opened_at=case.opened_at, status=case.status, contacts=len(contacts),
                                  languages=sorted({c.language for c in contacts if c.language}),
                                  open_services=sorted(set(services))))
    return CaseList(status=status, cases=lines)


def _handles(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.handle).where(User.id.in_(ids))).all())


def case_view(context: Context, ref: str) -> CaseOut:
    """The whole case file for an advocate: every read of it unseals survivor fields and is audited."""
    keyring = context.workspace.keyring()
    warehouse = _reader(context)
    now = datetime.now(timezone.utc)
    with context.store.writing() as session:
        case = live_case(session, case_by_ref(session, ref))
        opened = gate.read_case(session, keyring, case, context.user)
        contacts = gate.contacts_of(session, case)
        by_id = {c.id: c for c in contacts}
        mentions = list(session.execute(select(CaseMention).where(CaseMention.contact_id.in_(list(by_id)))
                                        .order_by(CaseMention.id)).scalars()) if by_id else []
        services = list(session.execute(select(ServiceRequest).where(ServiceRequest.case_id == case.id)
                                        .order_by(ServiceRequest.id)).scalars())
        consents = list(session.execute(select(Consent).where(Consent.case_id == case.id).order_by(Consent.id)).scalars())
        grants = list(session.execute(select(AccessException).where(AccessException.case_id == case.id)
                                      .order_by(AccessException.id)).scalars())
        referrals = [(r, referral_payload(keyring, r)) for r in referrals_of(session, case)]
        merged = list(session.execute(select(HotlineCase.ref).where(HotlineCase.merged_into == case.id)
                                      .order_by(HotlineCase.ref)).scalars())
        handles = _handles(session, [g.requested_by for g in grants] + [g.approved_by for g in grants])
        links = [(m, mention_value(keyring, m, by_id[m.contact_id])) for m in mentions]
        names = business_names(context, warehouse, [m.entity_id for m, _ in links])
        return CaseOut(
            ref=case.ref, status=case.status, opened_at=case.opened_at,
            contacts=[ContactOut(received_at=c.received_at, channel=c.channel, language=c.language,
                                 reporter_role=c.reporter_role, anonymous=c.anonymous, state=c.state,
                                 categories=_split(c.categories), wants=_split(c.wants), fields=opened[c.id])
                      for c in contacts],
            links=[LinkOut(id=m.id, kind=m.kind, value=value, entity_id=m.entity_id,
                           business=names.get(m.entity_id) if m.entity_id else None, status=m.status)
                   for m, value in links],
            services=[ServiceOut(id=s.id, service=s.service, when=s.wanted_when, status=s.status) for s in services],
            consents=[ConsentOut(id=c.id, recipient_org=c.recipient_org, recipient_class=c.recipient_class,
                                 fields=_split(c.fields), purpose=c.purpose, expires_at=c.expires_at,
                                 revoked_at=c.revoked_at, active=gate.is_active(c, now)) for c in consents],
            referrals=[ReferralOut(id=r.id, provider=r.provider_name, services=_split(r.services),
                                   fields_shared=_split(r.fields_shared), made_at=r.made_at, payload=payload)
                       for r, payload in referrals],
            exceptions=[ExceptionOut(id=g.id, reason_code=g.reason_code, reference=g.reference,
                                     recipient_org=g.recipient_org, recipient_class=g.recipient_class,
                                     fields=_split(g.fields), hours=g.hours,
                                     requested_by=handles.get(g.requested_by, ""),
                                     approved_by=handles.get(g.approved_by) if g.approved_by else None,
                                     expires_at=g.expires_at, active=gate.exception_is_active(g, now),
                                     may_approve=g.approved_by is None and g.requested_by != context.user.id
                                     and case.status != "merged")
                        for g in grants],
            merged=merged, providers=provider_list(context, warehouse), choices=choices())


# -- writes -----------------------------------------------------------------------------------------
def _lines(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if v and v.strip())


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def add_contact(context: Context, request: ContactRequest) -> ContactRecorded:
    form = ContactForm(
        channel=request.channel, received_at=request.received_at, language=_blank(request.language),
        reporter_role=_blank(request.reporter_role), anonymous=request.anonymous,
        state=(_blank(request.state) or "").upper() or None, wants=tuple(request.wants),
        caller_name=_blank(request.caller_name), caller_phone=_blank(request.caller_phone),
        callback=_blank(request.callback), narrative=_blank(request.narrative), location=_blank(request.location),
        businesses=_lines(request.businesses), phones=_lines(request.phones), addresses=_lines(request.addresses))
    if form.language:
        form.language = form.language.lower()
    form.check()  # before the warehouse is asked anything
    warehouse = _reader(context)
    names, lookup = name_index(context, warehouse), lookup_for(context, warehouse)
    with context.store.writing() as session:
        case = case_by_ref(session, request.case_ref.strip()) if _blank(request.case_ref) else None
        contact = record_contact(session, context.workspace.keyring(), form, by=context.user, case=case,
                                 names=names, lookup=lookup)
        found = session.execute(select(func.count()).select_from(CaseMention)
                                .where(CaseMention.contact_id == contact.id)).scalar_one()
        ref = session.get(HotlineCase, contact.case_id).ref
    return ContactRecorded(ref=ref, mentions=found)


def _live(session, ref: str) -> HotlineCase:
    case = live_case(session, case_by_ref(session, ref))
    if case.status != "open":
        raise BadRequest(f"case {case.ref} is {case.status}")
    return case


def decide(context: Context, ref: str, link_id: int, request: LinkDecision) -> Done:
    entity_id = _blank(request.entity_id)
    if request.confirm and entity_id is not None:
        if entity_id not in business_names(context, _reader(context), [entity_id]):
            raise BadRequest("entity_id: no such business")
    with context.store.writing() as session:
        case = _live(session, ref)
        mention = session.get(CaseMention, link_id)
        contact = session.get(HotlineContact, mention.contact_id) if mention is not None else None
        if contact is None or contact.case_id != case.id:
            raise NotFound(f"no link {link_id} in case {case.ref}")
        decide_link(session, link_id, confirm=request.confirm, by=context.user, entity_id=entity_id)
        return Done(ref=case.ref, id=link_id)


def add_service(context: Context, ref: str, request: ServiceRequestIn) -> Done:
    with context.store.writing() as session:
        case = _live(session, ref)
        made = want_service(session, case, request.service, request.when, context.user)
        return Done(ref=case.ref, id=made.id)


def add_consent(context: Context, ref: str, request: ConsentRequest) -> Done:
    recipient = gate.check_recipient(request.recipient_org, request.recipient_class)
    expires = datetime.combine(request.expires_on, time(23, 59, 59), tzinfo=timezone.utc)
    with context.store.writing() as session:
        case = _live(session, ref)
        made = gate.record_consent(session, case, recipient=recipient, fields=request.fields, purpose=request.purpose,
                                   expires_at=expires, by=context.user)
        return Done(ref=case.ref, id=made.id)


def revoke_consent(context: Context, ref: str, consent_id: int) -> Done:
    with context.store.writing() as session:
        case = live_case(session, case_by_ref(session, ref))
        consent = session.get(Consent, consent_id)
        if consent is None or consent.case_id != case.id:
            raise NotFound(f"no consent {consent_id} in case {case.ref}")
        gate.revoke(session, consent, context.user)
        return Done(ref=case.ref, id=consent_id)


def make_referral(context: Context, ref: str, request: ReferralRequest) -> Referred:
    source, _, record_id = request.provider.partition("|")
    warehouse = _reader(context)
    if warehouse is None:
        raise BadRequest("the warehouse is not available: providers cannot be read")
    found = hotline_lookup.provider(warehouse, source, record_id) if source and record_id else None
    if found is None:
        raise BadRequest("provider: choose a provider from the list")
    with context.store.writing() as session:
        case = _live(session, ref)
        made, payload = refer(session, context.workspace.keyring(), case,
                              Provider(found.source, found.record_id, found.name), request.services, by=context.user)
        return Referred(ref=case.ref, id=made.id, payload=payload)


def ask_exception(context: Context, ref: str, request: ExceptionRequest) -> Done:
    recipient = gate.check_recipient(request.recipient_org, request.recipient_class)
    with context.store.writing() as session:
        case = _live(session, ref)
        made = request_exception(session, case, reason_code=request.reason_code, recipient=recipient,
                                 fields=request.fields, hours=request.hours, by=context.user,
                                 reference=request.reference)
        return Done(ref=case.ref, id=made.id)


def approve(context: Context, exception_id: int) -> Done:
    with context.store.writing() as session:
        grant = approve_exception(session, exception_id, context.user)
        return Done(ref=session.get(HotlineCase, grant.case_id).ref, id=grant.id)


def merge(context: Context, ref: str, request: MergeRequest) -> Done:
    refs = [r.strip() for r in request.others if r and r.strip()]
    with context.store.writing() as session:
        keep = _live(session, ref)
        others = [case_by_ref(session, r) for r in dict.fromkeys(refs)]
        merge_cases(session, keep, others, context.user)
        return Done(ref=keep.ref)


def _one_a_line(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _to_case(ref: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{ref}{anchor}", status_code=303)


# -- routes -----------------------------------------------------------------------------------------
@router.get("/api/cases", name="api_cases", response_model=CaseList)
def api_cases(status: str = Query("open", pattern="^(open|closed|merged|all)$"),
              context: Context = Depends(signed_in)) -> CaseList:
    """Hotline cases, newest first: reference, opened, status, contacts, languages, open services."""
    return case_list(context, status)


@router.get("/cases", name="cases_page", response_class=HTMLResponse, include_in_schema=False)
def cases_page(request: Request, status: str = Query("open", pattern="^(open|closed|merged|all)$"),
               context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "cases.html", case_list(context, status), context=context, title="Cases",
                statuses=STATUSES)


@router.get("/api/cases/new", name="api_case_form", response_model=FormChoices)
def api_case_form(context: Context = Depends(signed_in)) -> FormChoices:
    """The choices the contact form offers."""
    return choices()


@router.get("/cases/new", name="case_new_page", response_class=HTMLResponse, include_in_schema=False)
def case_new_page(request: Request, case: str = Query("", max_length=20),
                  context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "case_new.html", choices(), context=context, title="Record a contact", add_to=case)


@router.post("/api/cases", name="api_case_add", response_model=ContactRecorded, status_code=201)
def api_case_add(body: ContactRequest, context: Context = Depends(signed_in)) -> ContactRecorded:
    """Record a contact (a new case, or `case_ref`'s); mentions become proposed links."""
    return add_contact(context, body)


@router.post("/cases/new", name="case_add", include_in_schema=False)
def case_add(channel: str = Form(""), received_at: str = Form(""), language: str = Form(""),
             reporter_role: str = Form(""), anonymous: str = Form(""), state: str = Form(""),
             wants: list[str] = Form([]), caller_name: str = Form(""), caller_phone: str = Form(""),
             callback: str = Form(""), narrative: str = Form(""), location: str = Form(""),
             businesses: str = Form(""), phones: str = Form(""), addresses: str = Form(""), case_ref: str = Form(""),
             context: Context = Depends(signed_in)) -> Response:
    body = validated(ContactRequest, {
        "channel": channel, "received_at": received_at or None, "language": language or None,
        "reporter_role": reporter_role or None, "anonymous": bool(anonymous), "state": state or None,
        "wants": wants, "caller_name": caller_name, "caller_phone": caller_phone, "callback": callback,
        "narrative": narrative, "location": location, "businesses": _one_a_line(businesses),
        "phones": _one_a_line(phones), "addresses": _one_a_line(addresses), "case_ref": case_ref or None})
    return _to_case(add_contact(context, body).ref)


@router.get("/api/cases/{case_ref}", name="api_case", response_model=CaseOut)
def api_case(case_ref: Ref, context: Context = Depends(signed_in)) -> CaseOut:
    """A case file: contacts with their survivor fields, links, services, consents, referrals, exceptions.
    The read is audited. A merged case's reference answers with the case it was merged into."""
    return case_view(context, case_ref)


@router.get("/cases/{case_ref}", name="case_page", response_class=HTMLResponse, include_in_schema=False)
def case_page(request: Request, case_ref: Ref, context: Context = Depends(signed_in)) -> Response:
    data = case_view(context, case_ref)
    if data.ref != case_ref:
        return _to_case(data.ref)
    return page(request, "case.html", data, context=context, title=f"Case {data.ref}",
                today=date.today().isoformat())


@router.post("/api/cases/{case_ref}/links/{link_id}", name="api_link_decide", response_model=Done)
def api_link_decide(case_ref: Ref, link_id: RowId, body: LinkDecision, context: Context = Depends(signed_in)) -> Done:
    """Confirm a proposed link (it becomes a signal analysts see, without the caller's words) or reject it."""
    return decide(context, case_ref, link_id, body)


@router.post("/cases/{case_ref}/links/{link_id}", name="link_decide", include_in_schema=False)
def link_decide(case_ref: Ref, link_id: RowId, decision: str = Form(""), entity_id: str = Form(""),
                context: Context = Depends(signed_in)) -> Response:
    if decision not in ("confirm", "reject"):
        raise BadRequest("decision: confirm or reject")
    body = validated(LinkDecision, {"confirm": decision == "confirm", "entity_id": entity_id or None})
    return _to_case(decide(context, case_ref, link_id, body).ref, "#links")


@router.post("/api/cases/{case_ref}/services", name="api_service_add", response_model=Done, status_code=201)
def api_service_add(case_ref: Ref, body: ServiceRequestIn, context: Context = Depends(signed_in)) -> Done:
    """A service the survivor wants, and when; never conditional on consent (rule 4)."""
    return add_service(context, case_ref, body)


@router.post("/cases/{case_ref}/services", name="service_add", include_in_schema=False)
def service_add(case_ref: Ref, service: str = Form(""), when: str = Form("now"),
                context: Context = Depends(signed_in)) -> Response:
    body = validated(ServiceRequestIn, {"service": service, "when": when})
    return _to_case(add_service(context, case_ref, body).ref, "#services")


@router.post("/api/cases/{case_ref}/consents", name="api_consent_add", response_model=Done, status_code=201)
def api_consent_add(case_ref: Ref, body: ConsentRequest, context: Context = Depends(signed_in)) -> Done:
    """Record the survivor's consent: recipient organisation and class, fields, purpose, expiry."""
    return add_consent(context, case_ref, body)


@router.post("/cases/{case_ref}/consents", name="consent_add", include_in_schema=False)
def consent_add(case_ref: Ref, recipient_org: str = Form(""), recipient_class: str = Form(""),
                fields: list[str] = Form([]), purpose: str = Form(""), expires_on: str = Form(""),
                context: Context = Depends(signed_in)) -> Response:
    body = validated(ConsentRequest, {"recipient_org": recipient_org, "recipient_class": recipient_class,
                                      "fields": fields, "purpose": purpose, "expires_on": expires_on})
    return _to_case(add_consent(context, case_ref, body).ref, "#consents")


@router.post("/api/cases/{case_ref}/consents/{consent_id}/revoke", name="api_consent_revoke", response_model=Done)
def api_consent_revoke(case_ref: Ref, consent_id: RowId, context: Context = Depends(signed_in)) -> Done:
    """Revoke a consent: all future sharing under it stops at once (rule 5)."""
    return revoke_consent(context, case_ref, consent_id)


@router.post("/cases/{case_ref}/consents/{consent_id}/revoke", name="consent_revoke", include_in_schema=False)
def consent_revoke(case_ref: Ref, consent_id: RowId, context: Context = Depends(signed_in)) -> Response:
    return _to_case(revoke_consent(context, case_ref, consent_id).ref, "#consents")


@router.post("/api/cases/{case_ref}/referrals", name="api_referral_add", response_model=Referred, status_code=201)
def api_referral_add(case_ref: Ref, body: ReferralRequest, context: Context = Depends(signed_in)) -> Referred:
    """Refer the case to a provider; the answer is exactly what was sent (consented fields only)."""
    return make_referral(context, case_ref, body)


@router.post("/cases/{case_ref}/referrals", name="referral_add", include_in_schema=False)
def referral_add(case_ref: Ref, provider: str = Form(""), services: list[str] = Form([]),
                 context: Context = Depends(signed_in)) -> Response:
    body = validated(ReferralRequest, {"provider": provider, "services": services})
    made = make_referral(context, case_ref, body)
    return _to_case(made.ref, f"#referral-{made.id}")


@router.post("/api/cases/{case_ref}/exceptions", name="api_exception_request", response_model=Done, status_code=201)
def api_exception_request(case_ref: Ref, body: ExceptionRequest, context: Context = Depends(signed_in)) -> Done:
    """Ask for disclosure without consent (rule 3): nothing opens until a second person approves."""
    return ask_exception(context, case_ref, body)


@router.post("/cases/{case_ref}/exceptions", name="exception_request", include_in_schema=False)
def exception_request(case_ref: Ref, reason_code: str = Form(""), recipient_org: str = Form(""),
                      recipient_class: str = Form(""), fields: list[str] = Form([]), hours: str = Form(""),
                      reference: str = Form(""), context: Context = Depends(signed_in)) -> Response:
    body = validated(ExceptionRequest, {"reason_code": reason_code, "recipient_org": recipient_org,
                                        "recipient_class": recipient_class, "fields": fields, "hours": hours,
                                        "reference": reference})
    return _to_case(ask_exception(context, case_ref, body).ref, "#exceptions")


@router.post("/api/exceptions/{exception_id}/approve", name="api_exception_approve", response_model=Done)
def api_exception_approve(exception_id: RowId, context: Context = Depends(signed_in)) -> Done:
    """The second person's sign-off on an exception (an advocate or an administrator, not who asked)."""
    return approve(context, exception_id)


@router.post("/exceptions/{exception_id}/approve", name="exception_approve", include_in_schema=False)
def exception_approve(exception_id: RowId, context: Context = Depends(signed_in)) -> Response:
    made = approve(context, exception_id)
    if context.user.role == "advocate":
        return _to_case(made.ref, "#exceptions")
    return RedirectResponse("/admin/audit", status_code=303)  # an administrator opens no case


@router.post("/api/cases/{case_ref}/merge", name="api_case_merge", response_model=Done)
def api_case_merge(case_ref: Ref, body: MergeRequest, context: Context = Depends(signed_in)) -> Done:
    """Merge other cases into this one; their consents end with the merge."""
    return merge(context, case_ref, body)


@router.post("/cases/{case_ref}/merge", name="case_merge", include_in_schema=False)
def case_merge(case_ref: Ref, others: str = Form(""), context: Context = Depends(signed_in)) -> Response:
    body = validated(MergeRequest, {"others": others.replace(",", " ").split()})
    return _to_case(merge(context, case_ref, body).ref)
