"""When a business was seen: its own records' dates, never after today.

A premises row keeps the dates its mentions give, and a trade name's expiry or an open-ended
record puts them in the future. What the network view's timeline and a packet show as "first
seen" and "last seen" comes from here, so both say the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from harborlight.warehouse import Warehouse


def business_dates_sql() -> str:
    """Each business's first and last dates from its own records: filing, registration, license
    and listing dates, the end dates they record, and the dates of reviews of its listings. A date
    after `today` (a trade name's expiry, an open-ended record) is not a sighting and is left out."""
    return """
    WITH dates AS (
      SELECT entity_id, date_from AS d FROM business_mentions WHERE entity_id IN (SELECT unnest(?::VARCHAR[]))
      UNION ALL
      SELECT entity_id, date_to FROM business_mentions WHERE entity_id IN (SELECT unnest(?::VARCHAR[]))
      UNION ALL
      SELECT bm.entity_id, r.posted_date FROM reviews r
      JOIN business_mentions bm ON bm.record_type = 'listings' AND bm.source = r.source AND bm.record_id = r.listing_record_id
      WHERE bm.entity_id IN (SELECT unnest(?::VARCHAR[]))
    )
    SELECT entity_id, min(d), max(d) FROM dates WHERE d <= ? GROUP BY entity_id"""


def business_dates(warehouse: Warehouse, members: list[str], today: date) -> dict[str, tuple[date, date]]:
    """business id -> (first seen, last seen), from its records, never after `today`."""
    if not members:
        return {}
    return {e: (a, b) for e, a, b in warehouse.rows(business_dates_sql(), [members, members, members, today])}


def dated_timeline(timeline: Iterable[tuple], dates: dict[str, tuple[date, date]]) -> list[tuple]:
    """A premises timeline (street, business, name, first, last rows) with each business's own first
    and last dates (see `business_dates`), in order of arrival at each premises."""
    rows = [(street, b, name, *dates.get(b, (None, None))) for street, b, name, _, _ in timeline]
    return sorted(rows, key=lambda r: (r[0], r[3] is None, r[3] or date.min, r[1]))
