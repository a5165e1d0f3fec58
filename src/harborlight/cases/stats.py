"""Aggregate statistics of hotline contacts by type, place and period, for funders and partners, with
every small count suppressed (victim-centered §5 rule 7).

A table counts contacts by two dimensions (say channel by quarter), with row and column totals. Every
count from 1 to 4 shows as `<5`, totals included. That alone is not enough: a row of 12 with cells 9
and `<5` gives the hidden 3 away by subtraction. So suppression goes on until no line (row or column,
with its total) has exactly one hidden entry: the smallest other non-zero cell of the line is hidden too,
or its total when there is none. Nor is that enough: adding and subtracting several rows and columns can
still isolate a hidden count that links two groups of hidden cells (a bridge between them, seen as a
graph whose nodes are the lines and whose edges are the hidden entries). Such a count is put on a cycle
by hiding one more entry across the two groups. Zero is shown: it can reveal no one.
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


def suppressed(grid: list[list[int]], also: list[list[bool]] | None = None) -> list[list[bool]]:
    """Which entries of `grid` to hide. Its last row and column are the totals of the others. `also`: entries
    to hide from the start, whatever their count."""
    hide = [[1 <= n < SMALL or bool(also and also[r][c]) for c, n in enumerate(row)] for r, row in enumerate(grid)]
    while True:
        pair_lines(grid, hide)
        extra = closing_entry(grid, hide)
        if extra is None:
            return hide
        hide[extra[0]][extra[1]] = True


def pair_lines(grid: list[list[int]], hide: list[list[bool]]) -> None:
    """Hide more until no line has exactly one hidden entry (its total minus the others would give it)."""
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


def reachable(links: dict, start: tuple, without: tuple[int, int]) -> set:
    """The lines ("row", r) / ("column", c) reached from `start` over hidden entries other than `without`."""
    seen, todo = {start}, [start]
    while todo:
        for line, entry in links.get(todo.pop(), ()):
            if entry != without and line not in seen:
                seen.add(line)
                todo.append(line)
    return seen


def closing_entry(grid: list[list[int]], hide: list[list[bool]]) -> tuple[int, int] | None:
    """An entry to hide so that a hidden count that sums of lines would isolate no longer is; None when no
    hidden count can be isolated. A hidden entry is isolated exactly when it is the only hidden link between
    the lines on its two sides; hiding any entry that joins the two sides again closes a cycle through it."""
    hidden = [(r, c) for r, row in enumerate(hide) for c, h in enumerate(row) if h]
    links: dict[tuple, list] = {}
    for r, c in hidden:
        links.setdefault(("row", r), []).append((("column", c), (r, c)))
        links.setdefault(("column", c), []).append((("row", r), (r, c)))
    for r, c in hidden:
        if grid[r][c] == 0:
            continue
        one = reachable(links, ("row", r), (r, c))
        if ("column", c) in one:
            continue
        other = reachable(links, ("column", c), (r, c))
        def joins(i: int, j: int) -> bool:
            return (("row", i) in one and ("column", j) in other) or (("row", i) in other and ("column", j) in one)

        across = [(i, j) for i in range(len(grid)) for j in range(len(grid[0])) if not hide[i][j] and joins(i, j)]
        if across:
            return min(across, key=lambda p: (grid[p[0]][p[1]] == 0, grid[p[0]][p[1]]))
    return None


def coarser(month: str, period: str) -> str:
    """A month's label ("2024-02") as the label of the `period` holding it ("2024-Q1", "2024")."""
    year, number = month.split("-")
    if period == "year":
        return year
    return f"{year}-Q{(int(number) - 1) // 3 + 1}" if period == "quarter" else month


def counted(counts: Counter) -> tuple[list[str], list[str], list[list[int]]]:
    """Row labels, column labels and the grid of `counts`, with a total row and column."""
    rows = sorted({r for r, _ in counts})
    columns = sorted({c for _, c in counts})
    grid = [[counts[(r, c)] for c in columns] for r in rows]
    grid = [row + [sum(row)] for row in grid]
    grid.append([sum(col) for col in zip(*grid)] if grid else [0])
    return rows, columns, grid


def statistics(session: Session, rows_by: str = "channel", columns_by: str = "period",
               period: str = "quarter") -> StatisticsTable:
    """Contacts counted by `rows_by` x `columns_by`, suppressed. Only codes are read, never a sealed field.

    Quarters and years are sums of months: a quarter shown beside its months would give away a month
    hidden in the monthly table (a quarter of 21 less two shown months of 9). So the monthly table is
    suppressed first, and a quarter or year entry is hidden whenever a month in it is hidden there: what
    a coarser table shows can be added up from what the monthly table shows, and tells nothing more."""
    if rows_by not in DIMENSIONS or columns_by not in DIMENSIONS or rows_by == columns_by:
        raise BadRequest(f"choose two different dimensions from {', '.join(DIMENSIONS)}")
    if period not in PERIODS:
        raise BadRequest(f"period is one of {', '.join(PERIODS)}")
    contacts = list(session.execute(select(HotlineContact)).scalars())
    monthly = Counter((value_of(c, rows_by, "month"), value_of(c, columns_by, "month")) for c in contacts)
    months_rows, months_columns, months_grid = counted(monthly)
    hidden_months = suppressed(months_grid)
    rows_of = {r: coarser(r, period) if rows_by == "period" else r for r in months_rows}
    columns_of = {c: coarser(c, period) if columns_by == "period" else c for c in months_columns}
    counts = Counter()
    for (r, c), n in monthly.items():
        counts[(rows_of[r], columns_of[c])] += n
    rows, columns, grid = counted(counts)
    row_at = {r: i for i, r in enumerate(rows)} | {TOTAL: len(rows)}
    column_at = {c: j for j, c in enumerate(columns)} | {TOTAL: len(columns)}
    also = [[False] * len(grid[0]) for _ in grid]
    for i, r in enumerate([*months_rows, TOTAL]):
        for j, c in enumerate([*months_columns, TOTAL]):
            if hidden_months[i][j]:
                also[row_at[rows_of.get(r, TOTAL)]][column_at[columns_of.get(c, TOTAL)]] = True
    hide = suppressed(grid, also)
    shown = tuple(tuple(HIDDEN if hide[r][c] else str(n) for c, n in enumerate(row)) for r, row in enumerate(grid))
    return StatisticsTable(rows_by, columns_by, tuple(rows) + (TOTAL,), tuple(columns) + (TOTAL,), shown)
