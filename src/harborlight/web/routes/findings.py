"""The analyst's findings: search, a business's dossier, a premises' timeline, the network list, and
notes on businesses and networks. Each page has a JSON twin under /api/ returning the same model
(routes/overview.py shows the pattern); everything is read through the read layer, so protected
people reach these pages only as pseudonyms."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from harborlight import read
from harborlight.errors import BadRequest
from harborlight.network.summary import network_summaries
from harborlight.read.freshness import require_current
from harborlight.store import audit
from harborlight.store.models import Note, User
from harborlight.web.context import Context, signed_in
from harborlight.web.hotline import HotlineSignals, hotline_summary
from harborlight.web.render import page
from harborlight.web.routes.overview import NetworkLine

router = APIRouter()
QUERY_CHARS = 200  # longer than any name or id: a longer query is a mistake, not a search
NOTE_CHARS = 4000
NOTE_SUBJECTS = ("business", "network")


# --- search -------------------------------------------------------------------------------------

class BusinessHit(BaseModel):
    business_id: str
    name: str
    city: str | None
    state: str | None
    network_id: str | None
    matched: str  # what the query matched: name (or id), phone, address


class NetworkHit(BaseModel):
    network_id: str
    businesses: int
    risk_score: float | None


class ControllerHit(BaseModel):
    person_id: str
    name: str
    network_ids: list[str]  # the networks they are a ranked controller of


class SearchPage(BaseModel):
    query: str
    searched: bool  # False when no query was given: the form alone
    businesses: list[BusinessHit]
    networks: list[NetworkHit]
    controllers: list[ControllerHit]


def search_results(context: Context, q: str | None) -> SearchPage:
    """Businesses, networks and controllers matching `q`. People are listed only as ranked controllers:
    a protected person is never a search result here, not even by pseudonym (they are no one's target)."""
    query = (q or "").strip()
    if len(query) > QUERY_CHARS:
        raise BadRequest(f"a search is at most {QUERY_CHARS} characters")
    if not query:
        return SearchPage(query="", searched=False, businesses=[], networks=[], controllers=[])
    found = read.search(context.warehouse(), query, context.viewer, protection=context.protection())
    return SearchPage(
        query=found.query, searched=True,
        businesses=[BusinessHit(**b._asdict()) for b in found.businesses],
        networks=[NetworkHit(**n._asdict()) for n in found.networks],
        controllers=[ControllerHit(person_id=p.person_id, name=p.name, network_ids=list(p.networks))
                     for p in found.persons if not p.protected and p.networks],
    )


@router.get("/api/search", name="api_search", response_model=SearchPage)
def api_search(q: str | None = None, context: Context = Depends(signed_in)) -> SearchPage:
    """Businesses (by id or name), networks (by id, or holding a business found) and ranked controllers."""
    return search_results(context, q)


@router.get("/search", name="search_page", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, q: str | None = None, context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "search.html", search_results(context, q), context=context, title="Search")


# --- notes --------------------------------------------------------------------------------------

class NoteLine(BaseModel):
    id: int
    author: str  # the author's handle
    created_at: datetime
    text: str


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=NOTE_CHARS)


def notes_of(context: Context, kind: str, subject_id: str) -> list[NoteLine]:
    """Analysts' notes on one business or network, oldest first. Notes are shown to analysts only; their
    text passes through the redaction like record text, in case a note quotes a protected name."""
    if context.user.role != "analyst":
        return []
    protection = context.protection()
    with context.store.session() as session:
        rows = session.execute(
            select(Note, User.handle).join(User, User.id == Note.author_id)
            .where(Note.subject_kind == kind, Note.subject_id == subject_id)
            .order_by(Note.created_at, Note.id)).all()
    return [NoteLine(id=n.id, author=handle, created_at=n.created_at, text=protection.redact(n.text))
            for n, handle in rows]


def add_note(context: Context, kind: str, subject_id: str, text: str) -> NoteLine:
    """Write a note on an existing business or network, and audit it (the audit names the subject, not the text)."""
    text = text.strip()
    if not 1 <= len(text) <= NOTE_CHARS:
        raise BadRequest(f"a note is 1 to {NOTE_CHARS} characters")
    # The subject must exist: reading it through the read layer raises NotFound for an unknown id.
    if kind == "business":
        read.business_dossier(context.warehouse(), subject_id, context.viewer, context.protection())
    else:
        read.network_view(context.warehouse(), subject_id, context.viewer, context.protection())
    # A protected person's name typed into a note is redacted before it is stored: the store holds no
    # protected identity, and the reply carries what was stored.
    text = context.protection().redact(text)
    with context.store.writing() as session:
        note = Note(subject_kind=kind, subject_id=subject_id, author_id=context.user.id, text=text)
        session.add(note)
        session.flush()
        audit.append(session, "note_add", context.actor, f"{kind}:{subject_id}", {})
        line = NoteLine(id=note.id, author=context.user.handle, created_at=note.created_at, text=text)
    return line


def _subject_path(kind: str, subject_id: str) -> str:
    return f"/{kind}es/{subject_id}" if kind == "business" else f"/{kind}s/{subject_id}"


# Both subjects share the route names note_add / api_note_add (FastAPI allows one name on several paths;
# the policy looks routes up by name, so both carry the same rule).
@router.post("/businesses/{business_id}/notes", name="note_add", include_in_schema=False)
def business_note_add(business_id: str, text: str = Form(""), context: Context = Depends(signed_in)) -> RedirectResponse:
    add_note(context, "business", business_id, text)
    return RedirectResponse(_subject_path("business", business_id), status_code=303)


@router.post("/networks/{network_id}/notes", name="note_add", include_in_schema=False)
def network_note_add(network_id: str, text: str = Form(""), context: Context = Depends(signed_in)) -> RedirectResponse:
    add_note(context, "network", network_id, text)
    return RedirectResponse(_subject_path("network", network_id), status_code=303)


@router.post("/api/businesses/{business_id}/notes", name="api_note_add", response_model=NoteLine, status_code=201)
def api_business_note_add(business_id: str, note: NoteIn, context: Context = Depends(signed_in)) -> NoteLine:
    """Add an analyst's note to a business (send the X-CSRF-Token header)."""
    return add_note(context, "business", business_id, note.text)


@router.post("/api/networks/{network_id}/notes", name="api_note_add", response_model=NoteLine, status_code=201)
def api_network_note_add(network_id: str, note: NoteIn, context: Context = Depends(signed_in)) -> NoteLine:
    """Add an analyst's note to a network (send the X-CSRF-Token header)."""
    return add_note(context, "network", network_id, note.text)


# --- a business's dossier -----------------------------------------------------------------------

class RecordLine(BaseModel):
    record_type: str
    source: str
    record_id: str
    name: str | None  # the business's name as the record gives it (redacted)
    when: date | datetime | None
    text: str | None  # a review's or tip's text as the role may see it


class Evidence(BaseModel):
    record: str  # record_type:source:record_id
    excerpt: str | None


class IndicatorLine(BaseModel):
    indicator_id: str
    contribution: float  # log-odds
    evidence: list[Evidence]


class RiskPart(BaseModel):
    score: float
    band: str
    log_odds: float
    intercept: float
    indicators: list[IndicatorLine]
    source_kinds: list[str]
    held_below_high: bool


class Occupant(BaseModel):
    business_id: str
    name: str
    first_seen: date | None
    last_seen: date | None


class PremisesPage(BaseModel):
    premises_id: str
    street: str
    unit: str | None
    city: str | None
    state: str | None
    occupants: list[Occupant]


class TiedPerson(BaseModel):
    person_id: str | None  # None for a protected person: they are shown by pseudonym only
    name: str  # a pseudonym for a protected person
    protected: bool
    kind: str  # officer, registered_agent, licensed_to_work_at
    record: str


class JoinStep(BaseModel):
    comparison: str
    level: str
    weight: float  # log2 Bayes factor


class JoinLine(BaseModel):
    left: str
    right: str
    probability: float
    steps: list[JoinStep]


class BusinessPage(BaseModel):
    business_id: str
    name: str
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    records: list[RecordLine]  # the records resolution joined into this business
    risk: RiskPart | None
    premises: list[PremisesPage]
    network_id: str | None
    people: list[TiedPerson]
    joins: list[JoinLine]  # why the records were joined: each scored pair, comparison by comparison
    notes: list[NoteLine]
    hotline: HotlineSignals  # hotline cases an advocate confirmed mention it: counts, never a survivor


def premises_part(timeline) -> PremisesPage:
    return PremisesPage(premises_id=timeline.premises_id, street=timeline.street, unit=timeline.unit,
                        city=timeline.city, state=timeline.state,
                        occupants=[Occupant(**o._asdict()) for o in timeline.occupants])


def _risk_part(risk) -> RiskPart | None:
    if risk is None:
        return None
    return RiskPart(
        score=risk.score, band=risk.band, log_odds=risk.log_odds, intercept=risk.intercept,
        indicators=[IndicatorLine(indicator_id=f.indicator_id, contribution=f.contribution,
                                  evidence=[Evidence(**e._asdict()) for e in f.evidence]) for f in risk.indicators],
        source_kinds=list(risk.source_kinds), held_below_high=risk.held_below_high)


def business(context: Context, business_id: str) -> BusinessPage:
    """One business's dossier as the viewer may see it, with the analysts' notes on it."""
    d = read.business_dossier(context.warehouse(), business_id, context.viewer, context.protection())
    return BusinessPage(
        business_id=d.business_id, name=d.name, address=d.address, city=d.city, state=d.state, zip=d.zip,
        records=[RecordLine(**r._asdict()) for r in d.records], risk=_risk_part(d.risk),
        premises=[premises_part(p) for p in d.premises], network_id=d.network_id,
        people=[TiedPerson(person_id=None if p.protected else p.person_id, name=p.name, protected=p.protected,
                           kind=p.kind, record=p.record) for p in d.people],
        joins=[JoinLine(left=j.left, right=j.right, probability=j.probability,
                        steps=[JoinStep(comparison=c, level=level, weight=w) for c, level, w in j.steps])
               for j in d.joins],
        notes=notes_of(context, "business", d.business_id),
        hotline=hotline_summary(context, [d.business_id]))


@router.get("/api/businesses/{business_id}", name="api_business", response_model=BusinessPage)
def api_business(business_id: str, context: Context = Depends(signed_in)) -> BusinessPage:
    """One business: the records joined into it, its risk and each indicator's evidence, its premises, its network,
    and the hotline signals on it (counts of cases, how and when they mention it; never a survivor)."""
    return business(context, business_id)


@router.get("/businesses/{business_id}", name="business_page", response_class=HTMLResponse, include_in_schema=False)
def business_page(request: Request, business_id: str, context: Context = Depends(signed_in)) -> HTMLResponse:
    data = business(context, business_id)
    return page(request, "business.html", data, context=context, title=data.name)


# --- a premises' timeline -----------------------------------------------------------------------

def premises(context: Context, premises_id: str) -> PremisesPage:
    return premises_part(read.premises_timeline(context.warehouse(), premises_id, context.viewer, context.protection()))


@router.get("/api/premises/{premises_id}", name="api_premises", response_model=PremisesPage)
def api_premises(premises_id: str, context: Context = Depends(signed_in)) -> PremisesPage:
    """One premises and the businesses it hosted, oldest first."""
    return premises(context, premises_id)


@router.get("/premises/{premises_id}", name="premises_page", response_class=HTMLResponse, include_in_schema=False)
def premises_page(request: Request, premises_id: str, context: Context = Depends(signed_in)) -> HTMLResponse:
    data = premises(context, premises_id)
    return page(request, "premises.html", data, context=context, title=data.street)


# --- the network list ---------------------------------------------------------------------------

class NetworksPage(BaseModel):
    networks: list[NetworkLine]  # every network, strongest first
    total: int


def networks(context: Context) -> NetworksPage:
    """Every network, strongest first, with its cities and top business names (names redacted, people counted)."""
    return context.remember("networks", make=lambda: _networks(context))


def _networks(context: Context) -> NetworksPage:
    warehouse = context.warehouse()
    require_current(warehouse, "networks", what="the network list")
    summaries = network_summaries(warehouse, 1_000_000, context.protection())  # all of them: the list is the index
    lines = [NetworkLine(network_id=s.network_id, businesses=s.n_businesses, persons=s.n_persons,
                         risk_score=s.risk_score, cities=s.cities, top_names=s.top_names) for s in summaries]
    return NetworksPage(networks=lines, total=len(lines))


@router.get("/api/networks", name="api_networks", response_model=NetworksPage)
def api_networks(context: Context = Depends(signed_in)) -> NetworksPage:
    """Every network, strongest first."""
    return networks(context)


@router.get("/networks", name="networks_page", response_class=HTMLResponse, include_in_schema=False)
def networks_page(request: Request, context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "networks.html", networks(context), context=context, title="Networks")
