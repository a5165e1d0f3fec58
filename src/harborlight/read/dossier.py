"""One business as an analyst reads it: its records, its risk and the evidence for it, its premises,
its network, and the people tied to it (protected ones as pseudonyms)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from harborlight.cases.signals import Signal
from harborlight.errors import NotFound
from harborlight.indicators.explain import explain_risk
from harborlight.protection import Protection
from harborlight.read import records
from harborlight.read.freshness import require_current
from harborlight.read.hotline import HotlineSummary, hotline_summary
from harborlight.resolve.explain import explain_entity
from harborlight.resolve.mentions import record_key_parts
from harborlight.read.guard import Guard
from harborlight.read.premises import PremisesTimeline, timeline_of
from harborlight.read.viewer import Viewer
from harborlight.warehouse import Warehouse


class BusinessRecord(NamedTuple):
    record_type: str
    source: str
    record_id: str
    name: str | None  # the business's name as the record gives it
    when: date | datetime | None  # its date: filed, issued, first seen, posted, received
    text: str | None  # a review's text as the role may see it


class IndicatorFact(NamedTuple):
    record: str  # record_type:source:record_id
    excerpt: str | None


class FiredIndicator(NamedTuple):
    indicator_id: str
    contribution: float  # log-odds
    evidence: tuple[IndicatorFact, ...]


@dataclass(frozen=True)
class Risk:
    score: float
    band: str
    log_odds: float
    intercept: float
    indicators: tuple[FiredIndicator, ...]
    source_kinds: tuple[str, ...]
    held_below_high: bool


class TiedPerson(NamedTuple):
    person_id: str
    name: str  # a pseudonym for a protected person
    protected: bool
    kind: str  # officer, registered_agent, licensed_to_work_at
    record: str  # record_type:source:record_id


class JoinReason(NamedTuple):
    """One scored pair of records resolution joined: both records, the match probability, and each
    comparison's level with its weight (Splink's waterfall, resolve/explain.py)."""

    left: str  # record_type:source:record_id, as the records list names them
    right: str
    probability: float
    steps: tuple[tuple[str, str, float], ...]  # (comparison, level, weight)


@dataclass(frozen=True)
class BusinessDossier:
    business_id: str
    name: str
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    records: tuple[BusinessRecord, ...]
    risk: Risk | None  # None before `harborlight score`
    premises: tuple[PremisesTimeline, ...]
    network_id: str | None  # None outside every network, or before `harborlight networks`
    people: tuple[TiedPerson, ...]
    joins: tuple[JoinReason, ...] = ()  # why its records were joined: each scored pair that joined two
    # The hotline contacts about it, as counts (read/hotline.py): never a tip's text or a case's details.
    hotline: HotlineSummary = HotlineSummary()


def business_sql() -> str:
    return "SELECT name, address, city, state, zip FROM entities WHERE entity_id = ? AND kind = 'business'"


def mention_records_sql() -> str:
    """The records resolution joined into one business."""
    return """
    SELECT record_type, source, record_id, raw_name, date_from FROM business_mentions
    WHERE entity_id = ? ORDER BY record_type, source, record_id"""


def tied_people_sql(networked: bool) -> str:
    """People tied to one business by a record: from the graph once the network stage has built it,
    else officers and person registered agents of its filings (workers are tied by the graph only)."""
    if networked:
        return """
        SELECT g.node_id, e.name, g.kind, g.record_type || ':' || g.source || ':' || g.record_id
        FROM graph_edges g JOIN entities e ON e.entity_id = g.node_id
        WHERE g.node_kind = 'person' AND g.business_id = ? ORDER BY 3, 1, 4"""
    return """
    SELECT pm.entity_id, e.name, CASE pm.record_type WHEN 'officers' THEN 'officer' ELSE 'registered_agent' END,
           pm.record_type || ':' || pm.source || ':' || pm.record_id
    FROM business_mentions bm
    JOIN officers o ON bm.record_type = 'filings' AND o.source = bm.source AND o.filing_record_id = bm.record_id
    JOIN person_mentions pm ON pm.record_type = 'officers' AND pm.source = o.source AND pm.record_id = o.record_id
    JOIN entities e ON e.entity_id = pm.entity_id
    WHERE bm.entity_id = ?
    UNION
    SELECT pm.entity_id, e.name, 'registered_agent', 'filings:' || pm.source || ':' || pm.record_id
    FROM business_mentions bm
    JOIN person_mentions pm ON pm.record_type = 'registered_agent' AND pm.source = bm.source AND pm.record_id = bm.record_id
    JOIN entities e ON e.entity_id = pm.entity_id
    WHERE bm.record_type = 'filings' AND bm.entity_id = ?
    ORDER BY 3, 1, 4"""


def business_premises_sql() -> str:
    """The premises a business was seen at, first seen first."""
    return """
    SELECT p.premises_id, p.street, p.unit, p.city, p.state FROM business_premises bp JOIN premises p USING (premises_id)
    WHERE bp.entity_id = ? ORDER BY bp.first_seen NULLS LAST, p.premises_id"""


def network_of_sql() -> str:
    return "SELECT network_id FROM network_members WHERE business_id = ?"


def _risk(warehouse: Warehouse, business_id: str, guard: Guard) -> Risk | None:
    explained = explain_risk(warehouse, business_id, guard.protection)
    if explained is None:
        return None
    fired = tuple(
        FiredIndicator(f.indicator_id, f.contribution, tuple(
            IndicatorFact(f"{record_type}:{source}:{record_id}", guard.text(excerpt))
            for record_type, source, record_id, excerpt in f.evidence))
        for f in explained.fired)
    return Risk(explained.risk_score, explained.risk_band, explained.log_odds, explained.intercept, fired,
                tuple(explained.source_kinds), bool(explained.held_below_high))


def _records(warehouse: Warehouse, business_id: str, guard: Guard) -> tuple[BusinessRecord, ...]:
    """Its own records and its listings' reviews. Hotline contacts are not records here: they are cases,
    and the dossier counts them (`hotline`)."""
    mentioned = [BusinessRecord(t, s, r, guard.text(name), when, None)
                 for t, s, r, name, when in warehouse.rows(mention_records_sql(), [business_id])]
    reviewed = [BusinessRecord("reviews", s, r, None, posted, text)
                for s, r, text, _, posted in records.reviews(warehouse, [business_id], guard)]
    return tuple(mentioned + reviewed)


def _joins(warehouse: Warehouse, business_id: str, guard: Guard) -> tuple[JoinReason, ...]:
    """The scored pairs that joined its records (none for a business of one record, or of records joined
    only because they were exact copies); record keys are shown as `type:source:id`."""
    explained = explain_entity(warehouse, business_id, guard.protection)
    return tuple(JoinReason(_ref(j.left), _ref(j.right), j.match_probability,
                            tuple((step.comparison, step.label, step.weight) for step in j.steps))
                 for j in explained.joins)


def _ref(unique_id: str) -> str:
    return ":".join(record_key_parts(unique_id))


def business_dossier(warehouse: Warehouse, business_id: str, viewer: Viewer,
                     protection: Protection | None = None, extra_signals: Sequence[Signal] = ()) -> BusinessDossier:
    """Everything the warehouse holds about one business, as `viewer` may see it. NotFound for an unknown id.
    `extra_signals`: hotline signals an advocate confirmed in the operational store, counted with the
    warehouse's (each case once)."""
    tables = require_current(warehouse, "resolve")
    found = warehouse.rows(business_sql(), [business_id]) if "entities" in tables else []
    if not found:
        raise NotFound(f"no business {business_id}: business ids begin biz- (see `harborlight export`)")
    name, address, city, state, zip_code = found[0]
    guard = Guard.of(warehouse, viewer, protection)
    networked = "graph_edges" in tables
    params = [business_id] if networked else [business_id, business_id]
    people = tuple(
        TiedPerson(person_id, guard.person(person_id, person_name), guard.is_protected(person_id), kind, record)
        for person_id, person_name, kind, record in warehouse.rows(tied_people_sql(networked), params))
    premises = tuple(timeline_of(warehouse, guard, *row) for row in warehouse.rows(business_premises_sql(), [business_id]))
    network = warehouse.rows(network_of_sql(), [business_id]) if "network_members" in tables else []
    return BusinessDossier(
        business_id, guard.text(name) or business_id, address, city, state, zip_code,
        _records(warehouse, business_id, guard),
        _risk(warehouse, business_id, guard) if "business_scores" in tables else None, premises,
        network[0][0] if network else None, people, _joins(warehouse, business_id, guard),
        hotline_summary(warehouse, [business_id], extra_signals))
