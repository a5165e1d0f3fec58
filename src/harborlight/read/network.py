"""One network as an analyst reads it, and one of its controllers with the evidence against them.

Members, controllers with their ties and evidence of control, the premises timeline, the
cities it spans, enforcement operations that named it, and its protected people as
pseudonyms and a count. Protected people's names are never selected; a ranked controller
whom the protection rule now protects makes the read refuse (it is not quietly dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from harborlight.cases.signals import Signal
from harborlight.errors import NotFound, UsageError
from harborlight.protection import Protection, ProtectionViolation
from harborlight.read.dates import business_dates, dated_timeline
from harborlight.read.freshness import require_current
from harborlight.read.guard import Guard
from harborlight.read.hotline import HotlineSummary, hotline_summary
from harborlight.read.viewer import Viewer
from harborlight.respond.outcomes import operations_by_network
from harborlight.warehouse import Warehouse

# How each kind of tie reads in a sentence: "<phrase> <business>".
TIE_PHRASES = {
    "officer": "officer of",
    "registered_agent": "registered agent of",
    "officer_of_managing_company": "officer of the company that manages",
    "address_at_premises": "gives as their address the premises of",
}


# How each kind of evidence of control reads in a sentence: "<phrase> <business>" (network/controllers.py).
EVIDENCE_PHRASES = {
    "manager_role": "is named manager on the filing of",
    "registered_agent": "is the registered agent of",
    "holdings": "is an officer of the company that manages",
    "network_address": "gives an address the network's filings use, at",
    "persistence_across_successors": "stays on through a change of name at",
}


def evidence_phrase(kind: str) -> str:
    return EVIDENCE_PHRASES.get(kind, kind.replace("_", " ") + " at")


def tie_phrase(kind: str) -> str:
    return TIE_PHRASES.get(kind, f"{kind} of")


class Member(NamedTuple):
    business_id: str
    name: str
    risk_score: float | None
    risk_band: str | None


class Tie(NamedTuple):
    business_id: str
    kind: str  # a key of TIE_PHRASES
    record: str  # record_type:source:record_id


class ControlFact(NamedTuple):
    evidence: str  # manager_role, registered_agent, holdings, network_address, persistence_across_successors
    business_id: str
    record: str  # record_type:source:record_id


class TimelineEntry(NamedTuple):
    street: str
    business_id: str
    name: str
    first_seen: date | None
    last_seen: date | None


class ProtectedTie(NamedTuple):
    pseudonym: str
    business_ids: tuple[str, ...]


@dataclass(frozen=True)
class Controller:
    person_id: str
    name: str
    score: float
    ties: tuple[Tie, ...] = ()
    evidence: tuple[ControlFact, ...] = ()  # rows of control_evidence, each with its source record
    network_id: str = ""


@dataclass(frozen=True)
class NetworkView:
    network_id: str
    risk_score: float | None
    members: tuple[Member, ...]
    controllers: tuple[Controller, ...]
    timeline: tuple[TimelineEntry, ...]
    protected_ties: tuple[ProtectedTie, ...]  # each protected person's pseudonym, and the businesses they are tied to
    operations: tuple[str, ...] = ()  # enforcement operations that named its businesses
    cities: tuple[str, ...] = ()  # "Miami, FL", the places its businesses are in
    # The hotline contacts about its businesses, as counts (read/hotline.py): never a case's details.
    hotline: HotlineSummary = HotlineSummary()

    @property
    def protected(self) -> list[str]:
        """Pseudonyms of the network's protected people: workers and probable nominees."""
        return [p.pseudonym for p in self.protected_ties]

    @property
    def protected_count(self) -> int:
        return len(self.protected_ties)


def network_sql() -> str:
    return "SELECT risk_score FROM networks WHERE network_id = ?"


def members_sql(scored: bool) -> str:
    """A network's businesses, riskiest first; unscored businesses carry no risk."""
    risk = "s.risk_score, s.risk_band" if scored else "NULL, NULL"
    join = "LEFT JOIN business_scores s ON s.entity_id = m.business_id" if scored else ""
    return f"""
    SELECT m.business_id, e.name, {risk} FROM network_members m JOIN entities e ON e.entity_id = m.business_id
    {join} WHERE m.network_id = ? ORDER BY 3 DESC NULLS LAST, 1"""


def ranked_sql() -> str:
    """The persons the network stage ranked as controllers of one network, strongest first."""
    return """
    SELECT np.person_id, e.name, np.controller_score FROM network_persons np
    JOIN entities e ON e.entity_id = np.person_id
    WHERE np.network_id = ? AND NOT np.protected ORDER BY np.controller_score DESC, np.person_id"""


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


def control_facts_sql() -> str:
    """The evidence of control the network stage found for one person in one network."""
    return """
    SELECT DISTINCT evidence, business_id, record_type || ':' || source || ':' || record_id
    FROM control_evidence WHERE network_id = ? AND person_id = ? ORDER BY 1, 2, 3"""


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


def timeline_sql() -> str:
    """Each business of the network at each of its premises, in order at each premises."""
    return """
    SELECT p.street, bp.entity_id, e.name, bp.first_seen, bp.last_seen FROM business_premises bp
    JOIN network_members m ON m.business_id = bp.entity_id AND m.network_id = ?
    JOIN premises p USING (premises_id) JOIN entities e ON e.entity_id = bp.entity_id
    ORDER BY p.street, bp.first_seen NULLS LAST, bp.entity_id"""


def cities_sql() -> str:
    return """
    SELECT DISTINCT e.city, e.state FROM network_members m JOIN entities e ON e.entity_id = m.business_id
    WHERE m.network_id = ? AND e.city IS NOT NULL ORDER BY 2, 1"""


def _require_network(warehouse: Warehouse, tables: frozenset[str], network_id: str) -> float | None:
    """The network's risk; the network stage must have run and the id must be one of its networks."""
    if "networks" not in tables:
        raise UsageError("no networks yet: run `harborlight networks` first")
    found = warehouse.rows(network_sql(), [network_id])
    if not found:
        raise NotFound(f"no network {network_id}: `harborlight networks` lists them")
    return found[0][0]


def _ranked(warehouse: Warehouse, guard: Guard, network_id: str) -> list[tuple[str, str, float]]:
    """The ranked controllers, refused as a whole if the rule as it stands protects any of them:
    a target list is never quietly edited (victim-centered rules, section 3)."""
    ranked = warehouse.rows(ranked_sql(), [network_id])
    protected = sum(1 for person_id, _, _ in ranked if guard.is_protected(person_id))
    if protected:
        raise ProtectionViolation(
            f"network {network_id} refused: {protected} ranked controller(s) are protected under the rule "
            "as it stands; run `harborlight networks` again")
    return ranked


def _controller(warehouse: Warehouse, guard: Guard, network_id: str, person_id: str, name: str | None,
                score: float) -> Controller:
    ties = tuple(Tie(*row) for row in warehouse.rows(controller_ties_sql(), [network_id, person_id, network_id, person_id]))
    facts = tuple(ControlFact(*row) for row in warehouse.rows(control_facts_sql(), [network_id, person_id]))
    return Controller(person_id, guard.person(person_id, name), score, ties, facts, network_id)


def network_view(warehouse: Warehouse, network_id: str, viewer: Viewer,
                 protection: Protection | None = None, today: date | None = None,
                 extra_signals: Sequence[Signal] = ()) -> NetworkView:
    """One network as `viewer` may see it, its timeline dated by each business's own records up to
    `today` (`read/dates.py`). Raises NotFound for an unknown id. `extra_signals`: hotline signals an
    advocate confirmed in the operational store, counted with the warehouse's (each case once)."""
    tables = require_current(warehouse, "networks")
    risk = _require_network(warehouse, tables, network_id)
    guard = Guard.of(warehouse, viewer, protection)
    members = tuple(Member(b, guard.text(name) or b, score, band) for b, name, score, band in warehouse.rows(
        members_sql("business_scores" in tables), [network_id]))
    controllers = tuple(_controller(warehouse, guard, network_id, person_id, name, score)
                        for person_id, name, score in _ranked(warehouse, guard, network_id))
    placed = warehouse.rows(timeline_sql(), [network_id])
    dates = business_dates(warehouse, sorted({row[1] for row in placed}), today or date.today())
    timeline = tuple(TimelineEntry(street, b, guard.text(name) or b, first, last)
                     for street, b, name, first, last in dated_timeline(placed, dates))
    protected = tuple(ProtectedTie(guard.pseudonym(person_id), tuple(businesses))
                      for person_id, businesses in warehouse.rows(protected_ties_sql(), [network_id, network_id]))
    operations = tuple(guard.text(op) for op, _ in operations_by_network(warehouse, network_id))
    cities = tuple(f"{city}, {state}" if state else city for city, state in warehouse.rows(cities_sql(), [network_id]))
    hotline = hotline_summary(warehouse, [m.business_id for m in members], extra_signals)
    return NetworkView(network_id, risk, members, controllers, timeline, protected, operations, cities, hotline)


def controller(warehouse: Warehouse, network_id: str, person_id: str, viewer: Viewer,
               protection: Protection | None = None) -> Controller:
    """One ranked controller of one network, with their ties and evidence. Anyone else, protected
    people included, is not found: the answer says nothing more about them."""
    tables = require_current(warehouse, "networks")
    _require_network(warehouse, tables, network_id)
    guard = Guard.of(warehouse, viewer, protection)
    for ranked_id, name, score in _ranked(warehouse, guard, network_id):
        if ranked_id == person_id:
            return _controller(warehouse, guard, network_id, person_id, name, score)
    raise NotFound(f"{person_id} is not a ranked controller of {network_id}: `harborlight network {network_id}` lists them")
