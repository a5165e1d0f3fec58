"""Aggregate statistics of hotline contacts by type, place and period, for funders and partners, with
every small count suppressed (victim-centered §5 rule 7).

A table counts contacts by two dimensions (say channel by quarter), with row and column totals. Every
count from 1 to 4 shows as `<5`, totals included. That alone is not enough: a row of 12 with cells 9
and `<5` gives the hidden 3 away by subtraction. So suppression goes on until no line (row or column,
with its total) has exactly one hidden entry: the smallest other non-zero cell of the line is hidden too,
or its total when there is none. Zero is shown: it can reveal no one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from harborlight.errors import BadRequest
from harborlight.store.accounts import aware
from harborlight.store.models import HotlineContact

SMALL = 5
HIDDEN = "<5"
TOTAL = "total"
DIMENSIONS = ("channel", "reporter_role", "state", "language", "period")
PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class StatisticsTable:
    rows_by: str
    columns_by: str
    rows: tuple[str, ...]  # labels, then TOTAL
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]  # shown values: a count, or HIDDEN


def period_of(moment: datetime, period: str) -> str:
    moment = aware(moment)
    if period == "year":
        return f"{moment.year}"
    if period == "quarter":
        return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"
    return f"{moment.year}-{moment.month:02d}"


def value_of(contact: HotlineContact, dimension: str, period: str) -> str:
    if dimension == "period":
        return period_of(contact.received_at, period)
    return getattr(contact, dimension) or "not recorded"


def suppressed(grid: list[list[int]]) -> list[list[bool]]:
    """Which entries of `grid` to hide. Its last row and column are the totals of the others."""
    hide = [[1 <= n < SMALL for n in row] for row in grid]
    lines = [[(r, c) for c in range(len(grid[0]))] for r in range(len(grid))]
    lines += [[(r, c) for r in range(len(grid))] for c in range(len(grid[0]))]
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [p for p in line if hide[p[0]][p[1]]]
            if len(hidden) != 1:
                continue
            *cells, total = line
            candidates = [p for p in cells if not hide[p[0]][p[1]] and grid[p[0]][p[1]] > 0]
            pick = min(candidates, key=lambda p: grid[p[0]][p[1]]) if candidates else total
            if hide[pick[0]][pick[1]]:  # only the total is left, and it is the hidden one: nothing to pair
                pick = next((p for p in cells if not hide[p[0]][p[1]]), None)
                if pick is None:
                    continue
            hide[pick[0]][pick[1]] = True
            changed = True
    return hide


def statistics(session: Session, rows_by: str = "channel", columns_by: str = "period",
               period: str = "quarter") -> StatisticsTable:
    """Contacts counted by `rows_by` x `columns_by`, suppressed. Only codes are read, never a sealed field."""
    if rows_by not in DIMENSIONS or columns_by not in DIMENSIONS or rows_by == columns_by:
        raise BadRequest(f"choose two different dimensions from {', '.join(DIMENSIONS)}")
    if period not in PERIODS:
        raise BadRequest(f"period is one of {', '.join(PERIODS)}")
    contacts = session.execute(select(HotlineContact)).scalars()
    counts = Counter((value_of(c, rows_by, period), value_of(c, columns_by, period)) for c in contacts)
    rows = sorted({r for r, _ in counts})
    columns = sorted({c for _, c in counts})
    grid = [[counts[(r, c)] for c in columns] for r in rows]
    grid = [row + [sum(row)] for row in grid]
    grid.append([sum(col) for col in zip(*grid)] if grid else [0])
    hide = suppressed(grid)
    shown = tuple(tuple(HIDDEN if hide[r][c] else str(n) for c, n in enumerate(row)) for r, row in enumerate(grid))
    return StatisticsTable(rows_by, columns_by, tuple(rows) + (TOTAL,), tuple(columns) + (TOTAL,), shown)
