"""`harborlight export --format geojson`: the businesses on a map, as one GeoJSON FeatureCollection.

Only businesses: no person (protected or not), no premises of their own, no hotline or
survivor data, no tip or review text. Each business is a Feature whose properties are the
contract's business columns (the name and address redacted through the read layer's guard:
a business may be named after the worker signed up as its officer), `top_indicators` as a
list of indicator ids without `hotline_tip`: its weight stays in the risk score, but a map is
the export most often passed on, and "someone called the hotline about this spa" in the hands
of its operators points them at whoever may have called.

Where a business is: its listings' coordinates, the median latitude and the median longitude
taken apart. The median, not the latest listing, because ad and directory sites often place
a listing at the city's centre or a stale spot; one such listing among several does not move
the point. A business with no listing coordinates keeps `geometry: null`, which RFC 7946
allows (a Feature "unlocated"), so every business is in the file and the count matches the
CSV export. Positions are [longitude, latitude] (RFC 7946 section 3.1.1), rounded to six
decimals (about 0.1 m: more than any listing carries).

The file is one JSON document with one Feature per line, so that two exports diff line by line.
"""

from __future__ import annotations

import json
from pathlib import Path

from harborlight.export.csv_export import businesses_rows_sql
from harborlight.export.files import atomic_text_file
from harborlight.read.guard import Guard
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.warehouse import Warehouse

FILE_NAME = "businesses.geojson"
DECIMALS = 6
# Indicators whose evidence is the hotline's (indicators/catalog.py): never named on the map.
HOTLINE_INDICATORS = frozenset({"hotline_tip"})


def coordinates_sql() -> str:
    """Each business's [longitude, latitude]: the medians of its listings' coordinates."""
    return """
    SELECT bm.entity_id, median(l.longitude), median(l.latitude)
    FROM listings l
    JOIN business_mentions bm ON bm.record_type = 'listings' AND bm.source = l.source AND bm.record_id = l.record_id
    WHERE l.latitude IS NOT NULL AND l.longitude IS NOT NULL
    GROUP BY bm.entity_id"""


def _coordinates(warehouse: Warehouse) -> dict[str, list[float]]:
    if not (warehouse.table_exists("listings") and warehouse.table_exists("business_mentions")):
        return {}
    return {
        entity_id: [round(float(lon), DECIMALS), round(float(lat), DECIMALS)]
        for entity_id, lon, lat in warehouse.rows(coordinates_sql())
    }


def geojson_features(warehouse: Warehouse, viewer: Viewer = ANALYST) -> list[dict]:
    guard = Guard.of(warehouse, viewer)
    scored = warehouse.table_exists("business_scores")
    networked = warehouse.table_exists("network_members")
    where = _coordinates(warehouse)
    features = []
    for entity_id, name, address, city, state, zip_code, score, band, network_id, top in warehouse.rows(
        businesses_rows_sql(scored, networked)
    ):
        position = where.get(entity_id)
        features.append({
            "type": "Feature",
            "id": entity_id,
            "geometry": {"type": "Point", "coordinates": position} if position else None,
            "properties": {
                "entity_id": entity_id,
                "name": guard.text(name),
                "address": guard.text(address),
                "city": city,
                "state": state,
                "zip": zip_code,
                "risk_score": score,
                "risk_band": band,
                "network_id": network_id,
                # Indicator ids (scoring.py joins them with ';'); null until `score` has run.
                "top_indicators": (
                    [i for i in top.split(";") if i and i not in HOTLINE_INDICATORS] if top is not None else None
                ),
            },
        })
    return features


def export_geojson(warehouse: Warehouse, out: Path, viewer: Viewer = ANALYST) -> int:
    """Write `businesses.geojson` into `out`, replaced whole or not at all; returns the feature count."""
    features = geojson_features(warehouse, viewer)
    with atomic_text_file(out / FILE_NAME) as handle:
        handle.write('{"type": "FeatureCollection", "features": [')
        for i, feature in enumerate(features):
            # allow_nan=False: NaN is not JSON; a score is never NaN, and if one were the export fails.
            handle.write(("," if i else "") + "\n" + json.dumps(feature, ensure_ascii=False, allow_nan=False))
        handle.write("\n]}\n")
    return len(features)
