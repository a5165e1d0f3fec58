"""`harborlight export --format i2`: a link chart for i2 Analyst's Notebook, as two CSV files.

`i2_links.csv` is the chart: one row per tie, with both ends' identity, type and label
and the link's type, the layout Analyst's Notebook's Import Data takes from one sheet
(each row: entity 1, entity 2, the link between them). `i2_entities.csv` lists every
entity once with its attributes (address, risk band, network), so a second import merges
the attributes onto the charted items by identity and adds the businesses that have no
tie. Column meanings and the import steps are in docs/cli.md.

Entities come from `shown.py`, so names leave through the read layer's guard: a protected
person is a Person labelled by pseudonym with no attribute at all. Phone numbers are left
out: no tie is drawn through them (shown.py), and a number may be a worker's own.
Cells that a spreadsheet would run as a formula get a leading apostrophe (csv_export.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

from harborlight.export.csv_export import safe_cell
from harborlight.export.files import atomic_text_file
from harborlight.export.shown import ShownEntity, ShownTie, shown_entities, shown_ties
from harborlight.read.guard import Guard
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.warehouse import Warehouse

ENTITIES_FILE = "i2_entities.csv"
LINKS_FILE = "i2_links.csv"
# Analyst's Notebook entity types, one per kind harborlight charts.
ENTITY_TYPES = {"business": "Business", "person": "Person", "agent": "Agent", "premises": "Premises"}
ENTITY_COLUMNS = [
    "entity_id", "entity_type", "label", "address", "city", "state", "zip",
    "risk_score", "risk_band", "network_id", "protected",
]
LINK_COLUMNS = ["from_id", "from_type", "from_label", "to_id", "to_type", "to_label", "link_type", "record"]
LINK_TYPES = {
    "registered_agent": "registered agent",
    "licensed_to_work_at": "licensed to work at",
    "located_at": "located at",
}


def entity_row(e: ShownEntity) -> list[object]:
    if e.protected:
        # A pseudonym and the flag: no address, no network, nothing that could point at her.
        return [e.entity_id, ENTITY_TYPES[e.kind], e.name, "", "", "", "", "", "", "", "true"]
    return [
        e.entity_id, ENTITY_TYPES[e.kind], e.name, e.address or "", e.city or "", e.state or "", e.zip or "",
        "" if e.risk_score is None else e.risk_score, e.risk_band or "", e.network_id or "", "false",
    ]


def link_type(tie: ShownTie, guard: Guard) -> str:
    """What the link says, read from its `from` end to its `to` end: `officer: president`."""
    if tie.kind == "officer":
        role = guard.text(tie.role)  # an officer's title is record text like any other
        return f"officer: {role.strip().lower()}" if role and role.strip() else "officer"
    return LINK_TYPES.get(tie.kind, tie.kind.replace("_", " "))


def link_row(tie: ShownTie, entities: dict[str, ShownEntity], guard: Guard) -> list[object]:
    node, business = entities[tie.node_id], entities[tie.business_id]
    # A premises tie reads from the business ("located at" the premises); every other tie
    # from the person or company to the business it serves.
    first, second = (business, node) if tie.kind == "located_at" else (node, business)
    return [
        first.entity_id, ENTITY_TYPES[first.kind], first.name,
        second.entity_id, ENTITY_TYPES[second.kind], second.name,
        link_type(tie, guard), tie.record,
    ]


def i2_rows(warehouse: Warehouse, viewer: Viewer = ANALYST) -> tuple[list[list[object]], list[list[object]]]:
    """The entities file's rows and the links file's rows; every link's ends are in the entities."""
    guard = Guard.of(warehouse, viewer)
    charted = {e.entity_id: e for e in shown_entities(warehouse, viewer, guard) if e.kind in ENTITY_TYPES}
    links = [
        link_row(tie, charted, guard)
        for tie in shown_ties(warehouse, viewer, guard)
        if tie.node_id in charted and tie.business_id in charted
    ]
    return [entity_row(e) for e in charted.values()], links


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with atomic_text_file(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])


def export_i2(warehouse: Warehouse, out: Path, viewer: Viewer = ANALYST) -> dict[str, int]:
    """Write both files into `out`. Everything is read before either is written, so a failed read
    leaves the previous pair in place; each file is replaced whole (files.py)."""
    entities, links = i2_rows(warehouse, viewer)
    _write(out / ENTITIES_FILE, ENTITY_COLUMNS, entities)
    _write(out / LINKS_FILE, LINK_COLUMNS, links)
    return {ENTITIES_FILE: len(entities), LINKS_FILE: len(links)}
