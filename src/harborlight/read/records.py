"""Record text as the read layer lets it out: indicator excerpts and reviews, each through the guard.

These are the only functions that read the raw text table (`reviews`) and the excerpts in
`indicator_evidence` for an output; packets and dossiers take their text from here. Hotline tips have no
text in the warehouse: their signals are read by read/hotline.py.
"""

from __future__ import annotations

from typing import NamedTuple

from harborlight.read.guard import Guard
from harborlight.warehouse import Warehouse


class Evidence(NamedTuple):
    entity_id: str
    indicator_id: str
    record_type: str
    source: str
    record_id: str
    excerpt: str | None


def indicator_evidence_sql(n: int) -> str:
    """Every fact an indicator fired on, for `n` businesses, in a stable order."""
    return f"""
    SELECT entity_id, indicator_id, record_type, source, record_id, excerpt FROM indicator_evidence
    WHERE entity_id IN ({','.join('?' * n)}) ORDER BY entity_id, indicator_id, source, record_id"""


def indicator_evidence(warehouse: Warehouse, business_ids: list[str], guard: Guard) -> list[Evidence]:
    """The indicator evidence of these businesses, excerpts redacted; none before scoring."""
    if not business_ids or not warehouse.table_exists("indicator_evidence"):
        return []
    return [Evidence(*row[:5], guard.text(row[5]))
            for row in warehouse.rows(indicator_evidence_sql(len(business_ids)), business_ids)]


def reviews_sql(n: int) -> str:
    """Reviews of the listings of `n` businesses."""
    return f"""
    SELECT r.source, r.record_id, r.text, bm.entity_id, r.posted_date FROM reviews r JOIN business_mentions bm
    ON bm.record_type = 'listings' AND bm.source = r.source AND bm.record_id = r.listing_record_id
    WHERE bm.entity_id IN ({','.join('?' * n)}) ORDER BY r.source, r.record_id"""


def reviews(warehouse: Warehouse, business_ids: list[str], guard: Guard) -> list[tuple]:
    """(source, record_id, text, business_id, posted_date) of these businesses' reviews, text redacted."""
    if not business_ids:
        return []
    return [(source, record_id, guard.text(text), business, posted)
            for source, record_id, text, business, posted in warehouse.rows(reviews_sql(len(business_ids)), business_ids)]
