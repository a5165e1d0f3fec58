"""The outcomes ledger: the warehouse's outcomes records plus the counts entered here, victim arrests first.

Analysts and investigators record what an operation did as counts by role (nobody is named);
an investigator records for their own agency. Advocates read the ledger."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, field_validator

from harborlight.errors import BadRequest, Forbidden
from harborlight.read import outcomes as read_outcomes
from harborlight.respond.outcomes import with_entered
from harborlight.store import casework
from harborlight.web import policy
from harborlight.web.params import RowIdField, validated
from harborlight.web.context import Context, signed_in
from harborlight.web.routes.packets import AgencyChoice  # one schema for an agency to choose, in both forms
from harborlight.web.render import page

router = APIRouter()
RECORDERS = frozenset({"analyst", "investigator"})
MAX_COUNT = 100_000
# The form's counts, each stored as (person_role, action): arrests by role, and referrals of potential
# victims to services.
COUNTS = {
    "controller_arrests": ("controller", "arrest"),
    "buyer_arrests": ("buyer", "arrest"),
    "worker_arrests": ("worker", "arrest"),
    "referrals": ("worker", "referral"),
}


class TallyOut(BaseModel):
    """respond/outcomes.Tally's columns, with the victims' share and the flag."""

    arrests: int
    control_arrests: int = Field(description="traffickers, controllers and managers")
    buyer_arrests: int
    victim_arrests: int = Field(description="sellers and workers: potential victims")
    other_arrests: int
    referrals: int
    diversions: int
    control_charges: int
    control_convictions: int
    victim_share: float
    flagged: bool = Field(description="potential victims were arrested")


class OperationOut(TallyOut):
    operation: str
    first_date: str | None
    last_date: str | None
    agencies: list[str]
    networks: list[str]


class LedgerOut(BaseModel):
    headline: str
    overall: TallyOut
    operations: list[OperationOut]
    may_record: bool
    agencies: list[AgencyChoice] = Field(description="agencies an analyst may record for; an investigator records for their own")


class OutcomeRequest(BaseModel):
    operation: str = Field(min_length=1, max_length=200)
    date: date
    network_id: str | None = Field(default=None, max_length=80)
    agency_id: RowIdField | None = None
    controller_arrests: int = Field(default=0, ge=0, le=MAX_COUNT)
    buyer_arrests: int = Field(default=0, ge=0, le=MAX_COUNT)
    worker_arrests: int = Field(default=0, ge=0, le=MAX_COUNT)
    referrals: int = Field(default=0, ge=0, le=MAX_COUNT)

    @field_validator("operation")
    @classmethod
    def _named(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("name the operation")
        return value

    @field_validator("date")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("the date is in the future")
        return value

    @field_validator("network_id")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class Recorded(BaseModel):
    entries: int
    headline: str


def ledger(context: Context) -> LedgerOut:
    """The read layer's ledger (operation names redacted) with the workspace's counts added; entered
    operation names are staff text, redacted the same way."""
    protection = context.protection()
    read = read_outcomes(context.warehouse(), context.viewer, protection)
    with context.store.session() as session:
        entered = [replace(e, operation=protection.redact(e.operation)) for e in casework.entered_counts(session)]
        agencies = [AgencyChoice(id=a.id, name=a.name) for a in casework.agencies(session)]
    combined = with_entered(read.ledger, entered)
    as_dict = combined.as_dict()
    return LedgerOut(headline=as_dict["headline"], overall=TallyOut(**as_dict["overall"]),
                     operations=[OperationOut(**op) for op in as_dict["operations"]],
                     may_record=context.user.role in RECORDERS,
                     agencies=agencies if context.user.role == "analyst" else [])


def network_exists_sql() -> str:
    return "SELECT count(*) FROM networks WHERE network_id = ?"


def _check_network(context: Context, network_id: str) -> None:
    """An investigator may name only a network released to their agency, and is told nothing more (the scope
    is checked first, so the answer never says whether an unreleased id exists); a named network must exist."""
    if context.user.role == "investigator":
        with context.store.session() as session:
            if network_id not in policy.released_to(session, context.user):
                raise Forbidden("network_id: this network has not been released to your agency")
    if not context.warehouse().rows(network_exists_sql(), [network_id])[0][0]:
        raise BadRequest("network_id: no such network")


def record(context: Context, request: OutcomeRequest) -> Recorded:
    # An investigator records for their own agency, whatever the request says.
    agency_id = context.user.agency_id if context.user.role == "investigator" else request.agency_id
    if request.network_id is not None:
        _check_network(context, request.network_id)
    counts = [casework.Count(role, action, getattr(request, name)) for name, (role, action) in COUNTS.items()]
    if not any(c.count for c in counts):
        raise BadRequest("counts: enter at least one nonzero count")
    with context.store.writing() as session:
        if agency_id is not None:
            casework.agency(session, agency_id)
        made = casework.record_outcome(session, operation=request.operation, date=request.date.isoformat(),
                                       network_id=request.network_id, agency_id=agency_id, counts=counts,
                                       by=context.user)
    return Recorded(entries=len(made), headline=ledger(context).headline)


def _form_request(fields: dict[str, str]) -> OutcomeRequest:
    """The form's text fields as an OutcomeRequest; a blank count is zero, a blank optional field absent.
    A field that does not validate is named in a 400."""
    return validated(OutcomeRequest, {k: v for k, v in fields.items() if v.strip() != "" or k in ("operation", "date")})


@router.get("/api/outcomes", name="api_outcomes", response_model=LedgerOut)
def api_outcomes(context: Context = Depends(signed_in)) -> LedgerOut:
    """The outcomes ledger: headline first (potential victims arrested), then each operation."""
    return ledger(context)


@router.get("/outcomes", name="outcomes_page", response_class=HTMLResponse, include_in_schema=False)
def outcomes_page(request: Request, context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "outcomes.html", ledger(context), context=context, title="Outcomes",
                today=date.today().isoformat())


@router.post("/api/outcomes", name="api_outcome_add", response_model=Recorded, status_code=201)
def api_outcome_add(body: OutcomeRequest, context: Context = Depends(signed_in)) -> Recorded:
    """Record an operation's outcomes as counts by role; each nonzero count is stored and audited."""
    return record(context, body)


@router.post("/outcomes", name="outcome_add", include_in_schema=False)
def outcome_add(operation: str = Form(""), date_: str = Form("", alias="date"), network_id: str = Form(""),
                agency_id: str = Form(""), controller_arrests: str = Form(""), buyer_arrests: str = Form(""),
                worker_arrests: str = Form(""), referrals: str = Form(""),
                context: Context = Depends(signed_in)) -> Response:
    request = _form_request({"operation": operation, "date": date_, "network_id": network_id, "agency_id": agency_id,
                             "controller_arrests": controller_arrests, "buyer_arrests": buyer_arrests,
                             "worker_arrests": worker_arrests, "referrals": referrals})
    record(context, request)
    return RedirectResponse("/outcomes", status_code=303)
