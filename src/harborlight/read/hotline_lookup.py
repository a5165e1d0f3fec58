"""What the advocates' case file needs of the warehouse: resolved businesses' names (to find them in a
caller's words and to name a proposed link), the businesses at a phone or street address, and the
victim-service providers a case can be referred to.

Every name leaves through the `Guard`, so a business name that holds a protected person's name comes
out redacted, for advocates as for everyone. Nothing here reads hotline data: the case file is in the
operational store, not the warehouse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from harborlight.protection import Protection
from harborlight.read.freshness import require_current
from harborlight.read.guard import Guard
from harborlight.read.search import search
from harborlight.read.viewer import Viewer
from harborlight.warehouse import Warehouse


class ProviderChoice(NamedTuple):
    source: str
    record_id: str
    name: str
    city: str | None
    state: str | None
    services: tuple[str, ...]


def business_names_sql() -> str:
    return "SELECT entity_id, name FROM entities WHERE kind = 'business' AND name IS NOT NULL ORDER BY entity_id"


def names_of_sql() -> str:
    return ("SELECT entity_id, name FROM entities WHERE kind = 'business' "
            "AND entity_id IN (SELECT unnest(?::VARCHAR[]))")


def providers_sql() -> str:
    return "SELECT source, record_id, name, city, state, services FROM providers ORDER BY name, source, record_id"


def provider_sql() -> str:
    return ("SELECT source, record_id, name, city, state, services FROM providers "
            "WHERE source = ? AND record_id = ?")


def business_names(warehouse: Warehouse, viewer: Viewer, protection: Protection | None = None) -> list[tuple[str, str]]:
    """(entity id, name as the viewer may read it) of every resolved business: what a caller's words are
    matched against (cases.mentions.NameIndex)."""
    tables = require_current(warehouse, "resolve")
    if "entities" not in tables:
        return []
    guard = Guard.of(warehouse, viewer, protection)
    return [(entity_id, guard.text(name) or entity_id) for entity_id, name in warehouse.rows(business_names_sql())]


def names_of(warehouse: Warehouse, entity_ids: Iterable[str], viewer: Viewer,
             protection: Protection | None = None) -> dict[str, str]:
    """entity id -> the business's name as the viewer may read it, for the ids that are businesses."""
    ids = sorted({e for e in entity_ids if e})
    if not ids:
        return {}
    tables = require_current(warehouse, "resolve")
    if "entities" not in tables:
        return {}
    guard = Guard.of(warehouse, viewer, protection)
    return {entity_id: guard.text(name) or entity_id for entity_id, name in warehouse.rows(names_of_sql(), [ids])}


def businesses_at(warehouse: Warehouse, kind: str, key: str, viewer: Viewer,
                  protection: Protection | None = None) -> set[str]:
    """The businesses whose records give this phone (kind `phone`) or street address (kind `address`),
    found by the read layer's search; any other kind finds none."""
    wanted = {"phone": "phone", "address": "address"}.get(kind)
    if wanted is None or not key or not key.strip():
        return set()
    found = search(warehouse, key, viewer, protection=protection)
    return {hit.business_id for hit in found.businesses if hit.matched == wanted}


def _provider(row) -> ProviderChoice:
    source, record_id, name, city, state, services = row
    return ProviderChoice(source, record_id, name, city, state, tuple(services or ()))


def providers(warehouse: Warehouse) -> list[ProviderChoice]:
    """The victim-service providers of the warehouse's `providers` records (organisations, never people)."""
    tables = require_current(warehouse, "ingest")
    if "providers" not in tables:
        return []
    return [_provider(row) for row in warehouse.rows(providers_sql())]


def provider(warehouse: Warehouse, source: str, record_id: str) -> ProviderChoice | None:
    tables = require_current(warehouse, "ingest")
    if "providers" not in tables:
        return None
    rows = warehouse.rows(provider_sql(), [source, record_id])
    return _provider(rows[0]) if rows else None
