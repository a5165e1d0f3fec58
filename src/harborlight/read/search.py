"""Find businesses, networks and people by name or id, and businesses by phone or street address.

A query that reads as a phone number (any US format) finds the businesses any of whose records
give that number; one that starts with a house number finds the businesses at that street
address, normalized as resolution normalizes addresses. Phones and addresses are searched only
among businesses' records: no person's phone or home is held.

A person decided to be shown (a ranked controller) is found by name or id. A protected
person is found only by their id or their pseudonym, and is shown by the pseudonym: a
query for a protected person's real name finds nobody, and a query that names a person
protected for cause (a worker, a nominee) finds nothing at all, so the answer cannot
confirm that the name is in the records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from harborlight.errors import BadRequest
from harborlight.protection import Protection
from harborlight.read.freshness import require_current
from harborlight.read.guard import Guard
from harborlight.read.viewer import Viewer
from harborlight.resolve.normalize import normalize_phone, street_of
from harborlight.warehouse import Warehouse

DEFAULT_LIMIT = 20


class BusinessHit(NamedTuple):
    business_id: str
    name: str
    city: str | None
    state: str | None
    network_id: str | None
    matched: str = "name"  # what the query matched: name (or id), phone, address


class NetworkHit(NamedTuple):
    network_id: str
    businesses: int
    risk_score: float | None


class PersonHit(NamedTuple):
    person_id: str
    name: str  # a pseudonym for a protected person
    protected: bool
    networks: tuple[str, ...]  # networks they are a ranked controller of


@dataclass(frozen=True)
class SearchResults:
    query: str
    businesses: tuple[BusinessHit, ...]
    networks: tuple[NetworkHit, ...]
    persons: tuple[PersonHit, ...]


def businesses_sql(networked: bool) -> str:
    """Businesses whose id is the query or whose name holds it, case aside (no wildcards: `%` is a `%`)."""
    network = "(SELECT min(network_id) FROM network_members m WHERE m.business_id = e.entity_id)" if networked else "NULL"
    return f"""
    SELECT e.entity_id, e.name, e.city, e.state, {network} FROM entities e
    WHERE e.kind = 'business' AND (e.entity_id = ? OR contains(lower(e.name), lower(?)))
    ORDER BY e.entity_id = ? DESC, e.name, e.entity_id LIMIT ?"""


def businesses_at_sql(networked: bool, column: str) -> str:
    """Businesses with a record whose normalized `column` (phone or street, named by the code, never by
    data) is the bound value."""
    network = "(SELECT min(network_id) FROM network_members m WHERE m.business_id = e.entity_id)" if networked else "NULL"
    return f"""
    SELECT e.entity_id, e.name, e.city, e.state, {network} FROM entities e
    WHERE e.kind = 'business' AND e.entity_id IN (SELECT entity_id FROM business_mentions WHERE {column} = ?)
    ORDER BY e.name, e.entity_id LIMIT ?"""


def networks_sql() -> str:
    """Networks whose id is the query, or that hold one of the businesses found."""
    return """
    SELECT network_id, n_businesses, risk_score FROM networks
    WHERE network_id = ? OR network_id IN (SELECT unnest(?::VARCHAR[]))
    ORDER BY network_id = ? DESC, risk_score DESC NULLS LAST, network_id LIMIT ?"""


def persons_sql() -> str:
    """Person entities whose id is the query or whose name holds it: candidates, filtered to the shown."""
    return """
    SELECT entity_id, name FROM entities
    WHERE kind = 'person' AND (entity_id = ? OR contains(lower(name), lower(?)))
    ORDER BY entity_id = ? DESC, name, entity_id"""


def person_ids_sql() -> str:
    return "SELECT entity_id FROM entities WHERE kind = 'person' ORDER BY entity_id"


def controller_of_sql() -> str:
    return "SELECT network_id FROM network_persons WHERE person_id = ? AND NOT protected ORDER BY network_id"


def _networks_of(warehouse: Warehouse, person_id: str, ranked: bool) -> tuple[str, ...]:
    if not ranked:
        return ()
    return tuple(n for (n,) in warehouse.rows(controller_of_sql(), [person_id]))


def _persons(warehouse: Warehouse, guard: Guard, query: str, limit: int, ranked: bool) -> list[PersonHit]:
    hits = []
    for person_id, name in warehouse.rows(persons_sql(), [query, query, query]):
        if len(hits) >= limit:
            break
        if not guard.is_protected(person_id):
            hits.append(PersonHit(person_id, guard.person(person_id, name), False, _networks_of(warehouse, person_id, ranked)))
        elif person_id == query:  # a protected person, asked for by id
            hits.append(PersonHit(person_id, guard.pseudonym(person_id), True, ()))
    if not hits and query.startswith("worker-"):  # a protected person, asked for by pseudonym
        hits = [PersonHit(p, query, True, ()) for (p,) in warehouse.rows(person_ids_sql())
                if guard.is_protected(p) and guard.pseudonym(p) == query][:limit]
    return hits


def _businesses_at(warehouse: Warehouse, guard: Guard, query: str, networked: bool, limit: int,
                   found: set[str]) -> list[BusinessHit]:
    """Businesses at the phone number or street address the query reads as, beyond those `found` by name."""
    keys = [("phone", normalize_phone(query))]
    if query[:1].isdigit():  # a house number first: an address
        keys.append(("street", street_of(query)))
    hits = []
    for column, key in keys:
        if key is None:
            continue
        for b, name, city, state, network in warehouse.rows(businesses_at_sql(networked, column), [key, limit]):
            if b not in found:
                found.add(b)
                hits.append(BusinessHit(b, guard.text(name) or b, city, state, network, "phone" if column == "phone" else "address"))
    return hits


def search(warehouse: Warehouse, query: str, viewer: Viewer, limit: int = DEFAULT_LIMIT,
           protection: Protection | None = None) -> SearchResults:
    """Businesses, networks and people matching `query` (a name or part of one, or an id)."""
    tables = require_current(warehouse, "resolve")
    query = (query or "").strip()
    if not query:
        raise BadRequest("search needs a name or an id")
    guard = Guard.of(warehouse, viewer, protection)
    if guard.text(query) != query or "entities" not in tables:
        # It names a protected person: nothing, not even a business, and the query comes back redacted.
        return SearchResults(guard.text(query), (), (), ())
    networked = "network_members" in tables
    businesses = [BusinessHit(b, guard.text(name) or b, city, state, network)
                  for b, name, city, state, network in warehouse.rows(businesses_sql(networked), [query, query, query, limit])]
    if "business_mentions" in tables:
        businesses += _businesses_at(warehouse, guard, query, networked, limit, {b.business_id for b in businesses})
    businesses = businesses[:limit]
    networks = [NetworkHit(*row) for row in warehouse.rows(
        networks_sql(), [query, sorted({b.network_id for b in businesses if b.network_id}), query, limit])] \
        if "networks" in tables else []
    return SearchResults(query, tuple(businesses), tuple(networks), tuple(_persons(warehouse, guard, query, limit, "network_persons" in tables)))
