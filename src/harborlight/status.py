"""What the warehouse holds: records per file and source, loads, references not yet resolvable,
and each stage's last run and whether it is current (stages/freshness.py).

References between files are kept even when their target is not loaded, because
files arrive at different times (data contract). They are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harborlight.stages.tables import RECORD_TABLES
from harborlight.stages import SCHEMA_VERSION, StageState, freshness, schema_version
from harborlight.warehouse import Warehouse, record_counts_sql


@dataclass
class Reference:
    description: str
    dangling: int  # references to a record that is not loaded
    ambiguous: int = 0  # references that match records in several sources (ignored)


@dataclass
class Status:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # record type -> source -> records
    batches: int = 0
    last_loaded: str | None = None
    references: list[Reference] = field(default_factory=list)
    resolution: str = "not run"
    blocking_skips: list[tuple[str, str, str, int]] = field(default_factory=list)
    stages: list[StageState] = field(default_factory=list)  # in pipeline order
    schema_version: int | None = SCHEMA_VERSION
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(by_source.values()) for by_source in self.counts.values())


def dangling_same_source_sql(table: str, column: str, target: str) -> str:
    """References from `table.column` to a record of `target` in the same source that is not loaded."""
    return f"""
    SELECT count(*) FROM {table} t
    WHERE t.{column} IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM {target} x WHERE x.source = t.source AND x.record_id = t.{column}
    )"""


def trade_name_owner_references_sql() -> str:
    """A trade name's owner filing may be in any source: count the unmatched and the ambiguous."""
    return """
    WITH refs AS (
      SELECT f.source, f.record_id, count(DISTINCT x.source) AS matches
      FROM fictitious_names f
      LEFT JOIN filings x ON x.record_id = f.owner_filing_record_id
      WHERE f.owner_filing_record_id IS NOT NULL
      GROUP BY f.source, f.record_id
    )
    SELECT count(*) FILTER (WHERE matches = 0), count(*) FILTER (WHERE matches > 1) FROM refs"""


def warehouse_status(warehouse: Warehouse) -> Status:
    status = Status()
    for name, table in RECORD_TABLES.items():  # tips are counted by their signals: the tips are in cases
        status.counts[name] = dict(warehouse.rows(record_counts_sql(table)))
    batches, last = warehouse.rows("SELECT count(*), max(loaded_at) FROM batches")[0]
    status.batches, status.last_loaded = batches, (last.isoformat(sep=" ", timespec="seconds") if last else None)
    status.references = [
        Reference(
            "officers.filing_record_id -> filings (same source)",
            warehouse.rows(dangling_same_source_sql("officers", "filing_record_id", "filings"))[0][0],
        ),
        Reference(
            "reviews.listing_record_id -> listings (same source)",
            warehouse.rows(dangling_same_source_sql("reviews", "listing_record_id", "listings"))[0][0],
        ),
        Reference(
            "fictitious_names.owner_filing_record_id -> filings (any source)",
            *warehouse.rows(trade_name_owner_references_sql())[0],
        ),
    ]
    status.resolution, status.blocking_skips = _resolution_state(warehouse)
    status.stages = list(freshness(warehouse).values())
    status.schema_version = schema_version(warehouse)
    status.notes = list(warehouse.notes)
    return status


def _resolution_state(warehouse: Warehouse) -> tuple[str, list[tuple[str, str, str, int]]]:
    if not warehouse.table_exists("resolution_runs"):
        return "not run: `harborlight resolve`", []
    # Whether it is current is the stage contract's to say (`stages`); this is what it did.
    run_at, engine, threshold, parameters = warehouse.rows(
        "SELECT run_at, engine, threshold, parameters FROM resolution_runs ORDER BY run_at DESC LIMIT 1"
    )[0]
    state = f"{engine}, threshold {threshold:g}, at {run_at:%Y-%m-%d %H:%M}"
    counts = warehouse.rows("SELECT kind, count(*) FROM entities GROUP BY kind ORDER BY kind")
    state += "; " + ", ".join(f"{n:,} {kind} entities" for kind, n in counts)
    if parameters:
        state += f"; parameters: {parameters}"
    # Values skipped in person blocking are names: they are counted, never shown.
    skips = warehouse.rows(
        "SELECT model, column_name, CASE WHEN model = 'person' THEN '(withheld)' ELSE value END, mentions "
        "FROM blocking_skips ORDER BY model, column_name, mentions DESC"
    )
    return state, skips
