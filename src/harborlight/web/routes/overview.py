"""The overview: the report's content for the workspace (records, risk, strongest networks, the ledger)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from harborlight.network.summary import network_summaries
from harborlight.read import outcomes
from harborlight.read.freshness import require_current
from harborlight.report.charts import risk_bins
from harborlight.status import warehouse_status
from harborlight.web.context import Context, signed_in
from harborlight.web.render import page

router = APIRouter()
TOP = 20


class RecordCount(BaseModel):
    record_type: str
    source: str
    records: int


class RiskBin(BaseModel):
    low: float  # the bin's lower edge of risk score
    high: float
    bands: dict[str, int]  # businesses of each band in the bin


class NetworkLine(BaseModel):
    network_id: str
    businesses: int
    persons: int
    risk_score: float | None
    cities: list[str]
    top_names: list[str]


class Overview(BaseModel):
    records: list[RecordCount]
    risk: list[RiskBin]
    networks: list[NetworkLine]
    networks_total: int
    ledger_headline: str


def overview(context: Context) -> Overview:
    """What the report says, as the viewer may see it: business names redacted, people never named."""
    return context.remember("overview", make=lambda: _overview(context))


def _overview(context: Context) -> Overview:
    warehouse = context.warehouse()
    require_current(warehouse, "resolve", "score", "networks", what="the overview")
    protection = context.protection()
    status = warehouse_status(warehouse)
    bins = risk_bins(warehouse)
    summaries = network_summaries(warehouse, TOP, protection)
    total = warehouse.rows("SELECT count(*) FROM networks")[0][0]
    return Overview(
        records=[RecordCount(record_type=t, source=s, records=n) for t, by_source in status.counts.items()
                 for s, n in by_source.items()],
        risk=[RiskBin(low=i / len(bins), high=(i + 1) / len(bins), bands=b) for i, b in enumerate(bins)],
        networks=[NetworkLine(network_id=s.network_id, businesses=s.n_businesses, persons=s.n_persons,
                              risk_score=s.risk_score, cities=s.cities, top_names=s.top_names) for s in summaries],
        networks_total=total,
        ledger_headline=outcomes(warehouse, context.viewer, protection).headline,
    )


@router.get("/api/overview", name="api_overview", response_model=Overview)
def api_overview(context: Context = Depends(signed_in)) -> Overview:
    """Records loaded, businesses by risk, the strongest networks and the ledger's headline."""
    return overview(context)


@router.get("/overview", name="overview_page", response_class=HTMLResponse, include_in_schema=False)
def overview_page(request: Request, context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "overview.html", overview(context), context=context, title="Overview")
