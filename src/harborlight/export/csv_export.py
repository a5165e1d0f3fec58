"""`harborlight export --format csv`: the four files of the data contract.

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab
or carriage return) are written with a leading apostrophe, so text that came
from public records is never evaluated when an analyst opens the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harborlight.export.files import atomic_text_file
from harborlight.network.controllers import controller_ids_sql
from harborlight.protection import protected_sql_for
from harborlight.read.guard import Guard
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.stages import require_fresh
from harborlight.warehouse import Warehouse

EXPORT_COLUMNS = {
    "record_entities.csv": ["source", "record_id", "record_type", "entity_id"],
    "businesses.csv": [
        "entity_id", "name", "address", "city", "state", "zip",
        "risk_score", "risk_band", "network_id", "top_indicators",
    ],
    "persons.csv": ["entity_id", "display_name", "roles", "network_id", "controller_score", "protected"],
    "networks.csv": ["network_id", "n_businesses", "n_persons", "risk_score", "controller_ids"],
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas in text cells; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class ExportResult:
    out: Path
    rows: dict[str, int]


def record_entities_rows_sql() -> str:
    return "SELECT source, record_id, record_type, entity_id FROM record_entities ORDER BY record_type, source, record_id"


def businesses_rows_sql(scored: bool, networked: bool) -> str:
    # Risk columns stay empty until `score` has run, network_id until `networks` has.
    risk = "s.risk_score, s.risk_band" if scored else "NULL, NULL"
    top = "s.top_indicators" if scored else "NULL"
    network = "m.network_id" if networked else "NULL"
    joins = ("LEFT JOIN business_scores s USING (entity_id) " if scored else "") + (
        "LEFT JOIN network_members m ON m.business_id = e.entity_id" if networked else ""
    )
    return f"""
    SELECT e.entity_id, e.name, e.address, e.city, e.state, e.zip,
           {risk}, {network} AS network_id, {top}
    FROM entities e {joins} WHERE e.kind = 'business' ORDER BY e.entity_id"""


def networks_rows_sql() -> str:
    return f"""
    SELECT n.network_id, n.n_businesses, n.n_persons, n.risk_score, c.controller_ids
    FROM networks n LEFT JOIN ({controller_ids_sql()}) c USING (network_id)
    ORDER BY n.risk_score DESC NULLS LAST, n.n_businesses DESC, n.network_id"""


def persons_rows_sql(protected_sql: str, networked: bool) -> str:
    # A protected person's name is not selected at all: it cannot leak from here. Nor is a
    # protected person given a controller score.
    network = "(SELECT min(np.network_id) FROM network_persons np WHERE np.person_id = p.entity_id)"
    score = ("CASE WHEN pr.entity_id IS NULL THEN (SELECT max(np.controller_score) FROM network_persons np "
             "WHERE np.person_id = p.entity_id) END")
    return f"""
    WITH protected AS ({protected_sql})
    SELECT p.entity_id,
           CASE WHEN pr.entity_id IS NULL THEN p.name END AS name,
           array_to_string(p.roles, ';') AS roles,
           {network if networked else "NULL"} AS network_id,
           {score if networked else "NULL"} AS controller_score,
           pr.entity_id IS NOT NULL AS protected
    FROM entities p
    LEFT JOIN protected pr ON pr.entity_id = p.entity_id
    WHERE p.kind = 'person'
    ORDER BY p.entity_id"""


def _person_rows(warehouse: Warehouse, networked: bool, guard: Guard) -> Iterable[tuple]:
    sql = persons_rows_sql(protected_sql_for(warehouse), networked)
    for entity_id, name, roles, network_id, score, protected in warehouse.rows(sql):
        # The SQL never selected a protected person's name; the guard gives the name of anyone
        # else (and a pseudonym, should its own view of protection say otherwise).
        shown = guard.pseudonym(entity_id) if protected else guard.person(entity_id, name)
        yield (entity_id, shown, roles, network_id, score, "true" if protected else "false")


def require_export_fresh(warehouse: Warehouse) -> None:
    """Every export reads resolved entities, and scores and networks once they exist: all must be
    current, or the export is refused with the command to run (stages/freshness.py). Refusing is
    the safe side: stale networks name protection decided for entities that may no longer exist."""
    require_fresh(warehouse, "resolve", what="export", if_run=("score", "networks"))


def export_csv(warehouse: Warehouse, out: Path, viewer: Viewer = ANALYST) -> ExportResult:
    """Write the contract's four CSV files into `out`, each replaced whole or not at all. Names and
    text leave through the read layer's guard for `viewer`."""
    require_export_fresh(warehouse)
    scored = warehouse.table_exists("business_scores")
    networked = warehouse.table_exists("network_members")
    guard = Guard.of(warehouse, viewer)
    tables = {
        "record_entities.csv": warehouse.rows(record_entities_rows_sql()),
        # A business may be named after the worker signed up as its officer, and its address may
        # hold her name too (a street, a c/o line): both are redacted, as the other formats do.
        "businesses.csv": [(e, guard.text(name), guard.text(address), *rest)
                           for e, name, address, *rest in warehouse.rows(businesses_rows_sql(scored, networked))],
        "persons.csv": list(_person_rows(warehouse, networked, guard)),
        "networks.csv": warehouse.rows(networks_rows_sql()) if networked else [],
    }
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, rows in tables.items():
        _write_atomically(out / name, EXPORT_COLUMNS[name], rows)
        counts[name] = len(rows)
    return ExportResult(out, counts)


def _write_atomically(path: Path, header: list[str], rows: Iterable[tuple]) -> None:
    with atomic_text_file(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
