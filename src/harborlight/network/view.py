"""One network as an analyst reads it: members, controllers with evidence, premises timeline, protected people.

Protected people appear as pseudonyms and a count; their names are not selected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harborlight.errors import NotFound, Stale
from harborlight.protection import pseudonym
from harborlight.respond.outcomes import operations_by_network
from harborlight.warehouse import Warehouse


# How each kind of tie reads in a sentence: "<phrase> <business>".
TIE_PHRASES = {
    "officer": "officer of",
    "registered_agent": "registered agent of",
    "officer_of_managing_company": "officer of the company that manages",
    "address_at_premises": "gives as their address the premises of",
}


def tie_phrase(kind: str) -> str:
    return TIE_PHRASES.get(kind, f"{kind} of")


@dataclass
class Controller:
    person_id: str
    name: str
    score: float
    ties: list[tuple[str, str, str]] = field(default_factory=list)  # business_id, kind, record reference


@dataclass
class NetworkView:
    network_id: str
    risk_score: float | None
    members: list[tuple[str, str, float | None, str | None]]  # business_id, name, risk_score, risk_band
    controllers: list[Controller]
    timeline: list[tuple[str, str, str, object, object]]  # premises street, business_id, name, first, last
    protected_ties: list[tuple[str, list[str]]]  # each protected person's pseudonym, and the businesses they are tied to
    operations: list[str] = field(default_factory=list)  # enforcement operations that named its businesses

    @property
    def protected(self) -> list[str]:
        """Pseudonyms of the network's protected people: workers and probable nominees."""
        return [name for name, _ in self.protected_ties]


def controller_ties_sql() -> str:
    """A controller's ties to the network's businesses, each with its source record: the roles and
    agencies that tie them (person_ties), and the network's premises given as their own address."""
    return """
    SELECT DISTINCT t.business_id, t.kind, t.record_type || ':' || t.source || ':' || t.record_id
    FROM person_ties t JOIN network_members m ON m.business_id = t.business_id AND m.network_id = ?
    WHERE t.person_id = ?
    UNION
    SELECT DISTINCT bp.entity_id, 'address_at_premises', pm.record_type || ':' || pm.source || ':' || pm.record_id
    FROM person_mentions pm
    JOIN premises p ON p.street = pm.street AND p.city IS NOT DISTINCT FROM pm.city
    JOIN business_premises bp ON bp.premises_id = p.premises_id
    JOIN network_members m ON m.business_id = bp.entity_id AND m.network_id = ?
    WHERE pm.entity_id = ? AND pm.street IS NOT NULL
    ORDER BY 1, 2, 3"""


def protected_ties_sql() -> str:
    """The network's protected people and the businesses each is tied to: persons the ranking marked
    protected (probable nominees, namesakes of workers), and workers by license. Only ids are selected."""
    return """
    SELECT person_id, list(DISTINCT business_id ORDER BY business_id) FROM (
      SELECT t.person_id, t.business_id FROM person_ties t
      JOIN network_members m ON m.business_id = t.business_id AND m.network_id = ?
      JOIN network_persons np ON np.person_id = t.person_id AND np.network_id = m.network_id AND np.protected
      UNION
      SELECT g.node_id, g.business_id FROM graph_edges g
      JOIN network_members m ON m.business_id = g.business_id AND m.network_id = ?
      WHERE g.kind = 'licensed_to_work_at'
    ) GROUP BY person_id ORDER BY person_id"""


def network_view(warehouse: Warehouse, network_id: str) -> NetworkView:
    if not warehouse.table_exists("networks"):
        raise Stale("no networks yet: run `harborlight networks` first")
    found = warehouse.rows("SELECT risk_score FROM networks WHERE network_id = ?", [network_id])
    if not found:
        raise NotFound(f"no network {network_id}")
    scored = warehouse.table_exists("business_scores")
    risk = "s.risk_score, s.risk_band" if scored else "NULL, NULL"
    join = "LEFT JOIN business_scores s ON s.entity_id = m.business_id" if scored else ""
    members = warehouse.rows(
        f"SELECT m.business_id, e.name, {risk} FROM network_members m JOIN entities e ON e.entity_id = m.business_id "
        f"{join} WHERE m.network_id = ? ORDER BY 3 DESC NULLS LAST, 1",
        [network_id],
    )
    controllers = []
    for person_id, name, score in warehouse.rows(
        "SELECT np.person_id, e.name, np.controller_score FROM network_persons np JOIN entities e ON e.entity_id = np.person_id "
        "WHERE np.network_id = ? AND NOT np.protected ORDER BY np.controller_score DESC, np.person_id",
        [network_id],
    ):
        ties = warehouse.rows(controller_ties_sql(), [network_id, person_id, network_id, person_id])
        controllers.append(Controller(person_id, name, score, ties))
    timeline = warehouse.rows(
        "SELECT p.street, bp.entity_id, e.name, bp.first_seen, bp.last_seen FROM business_premises bp "
        "JOIN network_members m ON m.business_id = bp.entity_id AND m.network_id = ? "
        "JOIN premises p USING (premises_id) JOIN entities e ON e.entity_id = bp.entity_id "
        "ORDER BY p.street, bp.first_seen NULLS LAST, bp.entity_id",
        [network_id],
    )
    protected = [
        (pseudonym(person_id), list(businesses))
        for person_id, businesses in warehouse.rows(protected_ties_sql(), [network_id, network_id])
    ]
    operations = [op for op, _ in operations_by_network(warehouse, network_id)]
    return NetworkView(network_id, found[0][0], members, controllers, timeline, protected, operations)


def network_text(view: NetworkView) -> list[str]:
    risk = "" if view.risk_score is None else f"  risk {view.risk_score:.3f}"
    lines = [f"{view.network_id}{risk}", "", f"businesses ({len(view.members)}):"]
    for business_id, name, score, band in view.members:
        lines.append(f"  {business_id}  {name}" + ("" if score is None else f"  {score:.3f} {band}"))
    lines += ["", f"controllers ({len(view.controllers)}), strongest first:"]
    for c in view.controllers:
        lines.append(f"  {c.person_id}  {c.name}  score {c.score:.2f}")
        for business_id, kind, ref in c.ties:
            lines.append(f"      {tie_phrase(kind)} {business_id}  ({ref})")
    lines += ["", "premises timeline:"]
    for street, business_id, name, first, last in view.timeline:
        lines.append(f"  {street}: {name} ({business_id}) {first or '?'} to {last or 'open'}")
    lines += ["", f"protected people: {len(view.protected)} (potential victims and probable nominees; never targets)"]
    if view.protected:
        lines.append("  " + ", ".join(view.protected))
    if view.operations:
        lines += ["", "enforcement operations naming its businesses (see `harborlight outcomes`):"]
        lines += [f"  {op}" for op in view.operations]
    return lines
