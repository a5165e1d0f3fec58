"""What every graph-shaped export shows: entities under the names they may be shown by, and their ties.

Names and text leave through the read layer's `Guard` (read/guard.py), for the `Viewer` the
export is made for (the CLI's analyst by default), as they do in every other view: protection
(protection.py) decides who may be shown, whether or not the network stage has run, and the
viewer's role what it may see. Protected persons come out of here already pseudonymized, with
no other property, so the FollowTheMoney, GEXF and i2 writers cannot name them even by mistake.
Every other name (a business's, an agent's, a street) is redacted of protected names first: a
business may be named after the worker signed up as its officer.
"""

from __future__ import annotations

from dataclasses import dataclass

from harborlight.read.guard import Guard
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.warehouse import Warehouse


@dataclass(frozen=True)
class ShownEntity:
    entity_id: str
    kind: str  # business, person, agent, premises, phone
    name: str
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    protected: bool = False
    risk_score: float | None = None
    risk_band: str | None = None
    network_id: str | None = None


@dataclass(frozen=True)
class ShownTie:
    node_id: str
    business_id: str
    kind: str  # officer, registered_agent, uses_phone, licensed_to_work_at
    role: str | None
    record: str  # record_type:source:record_id


def shown_entities(warehouse: Warehouse, viewer: Viewer = ANALYST, guard: Guard | None = None) -> list[ShownEntity]:
    """Every entity and premises as `viewer` may see it. A caller that also reads text of its own
    may pass its `guard`, so that one protection decision covers the whole export."""
    scored = warehouse.table_exists("business_scores")
    networked = warehouse.table_exists("network_members")
    guard = guard or Guard.of(warehouse, viewer)

    def redact(text: str) -> str:
        return guard.text(text) or ""  # text in, text out: redaction only ever replaces a name

    risk = "s.risk_score, s.risk_band" if scored else "NULL, NULL"
    network = "m.network_id" if networked else "NULL"
    joins = ("LEFT JOIN business_scores s ON s.entity_id = e.entity_id " if scored else "") + (
        "LEFT JOIN network_members m ON m.business_id = e.entity_id" if networked else ""
    )
    out = []
    for entity_id, kind, name, address, city, state, zip_code, score, band, network_id in warehouse.rows(
        f"SELECT e.entity_id, e.kind, e.name, e.address, e.city, e.state, e.zip, {risk}, {network} "
        f"FROM entities e {joins} ORDER BY e.entity_id"
    ):
        if kind == "person" and guard.is_protected(entity_id):
            # The recorded name is not even handed to the guard: an export is a file that leaves
            # the machine, so a protected person is a pseudonym in it whatever the role.
            out.append(ShownEntity(entity_id, kind, guard.pseudonym(entity_id), protected=True))
            continue
        if kind == "person":
            # A person decided to be shown: their name as the guard gives it, then redacted like
            # all text (a shown controller's name never matches, so this changes nothing today).
            name = guard.person(entity_id, name)
        out.append(ShownEntity(entity_id, kind, redact(name or entity_id), guard.text(address), city, state, zip_code,
                               False, score, band, network_id))
    if warehouse.table_exists("premises"):
        for premises_id, street, unit, city, state in warehouse.rows(
            "SELECT premises_id, street, unit, city, state FROM premises ORDER BY premises_id"
        ):
            label = redact(street + (f" #{unit}" if unit else ""))
            out.append(ShownEntity(premises_id, "premises", label, label, city, state))
    return out


def withheld_record(warehouse: Warehouse, record_type: str, source: str, record_id: str) -> str:
    """The reference a protected person's tie carries instead of its source record: the record
    type and source, and a keyed digest of the record id. A registry's record id leads to a page
    that names her (Florida's officer `DOC-k`), and a license's is often its number; the digest
    still tells an analyst that two ties come from one record, and the data holder, who has the
    key, can find it."""
    return f"{record_type}:{source}:withheld-{warehouse.hash_handle(record_id)}"


def shown_ties(warehouse: Warehouse, viewer: Viewer = ANALYST, guard: Guard | None = None) -> list[ShownTie]:
    """Every tie an export draws. A tie of a protected person keeps its kind, role and ends (her
    pseudonym), and its record reference is withheld (`withheld_record`)."""
    if not warehouse.table_exists("graph_edges"):
        return []
    guard = guard or Guard.of(warehouse, viewer)
    rows = warehouse.rows(
        """SELECT g.node_id, g.business_id, g.kind, o.role, g.record_type, g.source, g.record_id
           FROM graph_edges g
           LEFT JOIN officers o ON g.record_type = 'officers' AND o.source = g.source AND o.record_id = g.record_id
           WHERE g.node_kind <> 'phone'
           UNION ALL
           SELECT premises_id, entity_id, 'located_at', NULL, 'premises', 'premises', premises_id FROM business_premises
           ORDER BY 1, 2, 3, 5, 6, 7"""
    )
    return [
        ShownTie(node_id, business_id, kind, role,
                 withheld_record(warehouse, record_type, source, record_id) if guard.is_protected(node_id)
                 else f"{record_type}:{source}:{record_id}")
        for node_id, business_id, kind, role, record_type, source, record_id in rows
    ]
