"""Aggregate statistics of hotline contacts for funders and partners: contacts counted by two dimensions
and a period, every cell under 5 shown as `<5` (cases.stats, victim-centered §5 rule 7). The page and its
JSON twin show the table exactly as cases.stats gives it; no count is recomputed here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from harborlight.cases.stats import DIMENSIONS, PERIODS, statistics
from harborlight.web.context import Context, signed_in
from harborlight.web.render import page

router = APIRouter()


class StatisticsPage(BaseModel):
    rows_by: str
    columns_by: str
    period: str
    dimensions: list[str]  # what rows and columns may count by
    periods: list[str]
    rows: list[str]  # row labels, the last one "total"
    columns: list[str]
    cells: list[list[str]]  # shown values: a count, or "<5"


def statistics_table(context: Context, rows_by: str, columns_by: str, period: str) -> StatisticsPage:
    with context.store.session() as session:
        table = statistics(session, rows_by, columns_by, period)
    return StatisticsPage(rows_by=table.rows_by, columns_by=table.columns_by, period=period,
                          dimensions=list(DIMENSIONS), periods=list(PERIODS), rows=list(table.rows),
                          columns=list(table.columns), cells=[list(row) for row in table.cells])


@router.get("/api/statistics", name="api_statistics", response_model=StatisticsPage)
def api_statistics(rows_by: str = Query("channel", max_length=40), columns_by: str = Query("period", max_length=40),
                   period: str = Query("quarter", max_length=40), context: Context = Depends(signed_in)) -> StatisticsPage:
    """Hotline contacts counted by `rows_by` x `columns_by` (a period is month, quarter or year); every count
    under 5 shows as `<5`, and so does any cell a total would give away."""
    return statistics_table(context, rows_by, columns_by, period)


@router.get("/statistics", name="statistics_page", response_class=HTMLResponse, include_in_schema=False)
def statistics_page(request: Request, rows_by: str = Query("channel", max_length=40),
                    columns_by: str = Query("period", max_length=40), period: str = Query("quarter", max_length=40),
                    context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "statistics.html", statistics_table(context, rows_by, columns_by, period), context=context,
                title="Statistics")
