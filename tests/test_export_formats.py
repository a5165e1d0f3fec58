"""The i2 and GeoJSON exports: their structure, every link's ends, and no protected person in either."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import VALID_ROWS
from test_cli import harborlight
from test_read_layer import leaks

from harborlight.config import Settings, installation_key
from harborlight.errors import BadRequest, Stale
from harborlight.export import FORMATS, export
from harborlight.export.geojson import FILE_NAME as GEOJSON_FILE
from harborlight.export.i2 import ENTITIES_FILE, ENTITY_COLUMNS, ENTITY_TYPES, LINK_COLUMNS, LINKS_FILE
from harborlight.ingest import ingest
from harborlight.protection import pseudonym
from harborlight.read.viewer import ROLES, Viewer
from harborlight.resolve.stage import resolve
from harborlight.warehouse import Warehouse

NEW_FORMATS = ("i2", "geojson")
GEOJSON_PROPERTIES = {"entity_id", "name", "address", "city", "state", "zip", "risk_score", "risk_band", "network_id",
                      "top_indicators"}


@pytest.fixture(scope="module")
def exported_world(networked_world, tmp_path_factory) -> Path:
    """The scale-1 networked world exported once in each new format: DIR/i2, DIR/geojson."""
    out = tmp_path_factory.mktemp("exported")
    with Warehouse(networked_world / "warehouse.duckdb", installation_key(networked_world), read_only=True) as w:
        for fmt in NEW_FORMATS:
            export(w, fmt, out / fmt)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


# -- i2 ------------------------------------------------------------------------------------------

def test_i2_export_writes_an_entities_file_and_a_links_file_with_their_columns(exported_world):
    assert header(exported_world / "i2" / ENTITIES_FILE) == ENTITY_COLUMNS
    assert header(exported_world / "i2" / LINKS_FILE) == LINK_COLUMNS
    entities = read_csv(exported_world / "i2" / ENTITIES_FILE)
    links = read_csv(exported_world / "i2" / LINKS_FILE)
    assert {e["entity_type"] for e in entities} == set(ENTITY_TYPES.values())
    assert len({e["entity_id"] for e in entities}) == len(entities)
    kinds = {link["link_type"] for link in links}
    assert {"registered agent", "located at", "licensed to work at"} <= kinds
    assert any(k.startswith("officer: ") for k in kinds)
    assert all(link["record"].count(":") >= 2 for link in links)


def test_every_i2_link_joins_two_listed_entities_under_their_listed_type_and_label(exported_world):
    entities = {e["entity_id"]: e for e in read_csv(exported_world / "i2" / ENTITIES_FILE)}
    links = read_csv(exported_world / "i2" / LINKS_FILE)
    assert links
    for link in links:
        for end in ("from", "to"):
            entity = entities[link[f"{end}_id"]]
            assert (entity["entity_type"], entity["label"]) == (link[f"{end}_type"], link[f"{end}_label"])
    # A premises is where a business is; everything else is tied to the business it serves.
    assert all(link["to_type"] == "Premises" for link in links if link["link_type"] == "located at")
    assert all(link["to_type"] == "Business" for link in links if link["link_type"] != "located at")


def test_a_protected_person_is_an_i2_person_by_pseudonym_with_no_attribute(exported_world, protected_identities):
    entities = read_csv(exported_world / "i2" / ENTITIES_FILE)
    protected = [e for e in entities if e["protected"] == "true"]
    assert protected and {e["entity_id"] for e in protected} >= protected_identities["entities"]
    for e in protected:
        assert e["entity_type"] == "Person" and e["label"] == pseudonym(e["entity_id"])
        assert all(e[c] == "" for c in ENTITY_COLUMNS if c not in ("entity_id", "entity_type", "label", "protected"))


# -- GeoJSON -------------------------------------------------------------------------------------

def test_geojson_export_is_a_feature_collection_of_every_business_with_lon_lat_points(exported_world, networked_warehouse):
    document = json.loads((exported_world / "geojson" / GEOJSON_FILE).read_text(encoding="utf-8"))
    assert set(document) == {"type", "features"} and document["type"] == "FeatureCollection"
    features = document["features"]
    businesses = {b for (b,) in networked_warehouse.rows("SELECT entity_id FROM entities WHERE kind = 'business'")}
    assert [f["id"] for f in features] == sorted(businesses)
    located = [f for f in features if f["geometry"] is not None]
    assert located and len(located) < len(features)  # the world leaves some listings without coordinates
    for f in features:
        assert set(f) == {"type", "id", "geometry", "properties"} and f["type"] == "Feature"
        assert set(f["properties"]) == GEOJSON_PROPERTIES and f["properties"]["entity_id"] == f["id"]
        assert isinstance(f["properties"]["top_indicators"], list)
    for f in located:
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_a_geojson_point_is_the_median_longitude_then_latitude_of_the_business_listings(exported_world,
                                                                                        networked_warehouse):
    features = json.loads((exported_world / "geojson" / GEOJSON_FILE).read_text(encoding="utf-8"))["features"]
    located = {f["id"]: f["geometry"]["coordinates"] for f in features if f["geometry"]}
    rows = networked_warehouse.rows(
        "SELECT bm.entity_id, l.latitude, l.longitude FROM listings l JOIN business_mentions bm "
        "ON bm.record_type = 'listings' AND bm.source = l.source AND bm.record_id = l.record_id "
        "WHERE l.latitude IS NOT NULL AND l.longitude IS NOT NULL")
    by_business: dict[str, list[tuple[float, float]]] = {}
    for business, lat, lon in rows:
        by_business.setdefault(business, []).append((lat, lon))
    assert set(by_business) == set(located)
    for business, points in sorted(by_business.items())[:50]:
        lon, lat = located[business]
        assert lat == pytest.approx(statistics.median(p[0] for p in points), abs=1e-6)
        assert lon == pytest.approx(statistics.median(p[1] for p in points), abs=1e-6)


def test_geojson_holds_no_person_no_hotline_indicator_and_no_tip_or_review_text(exported_world, networked_warehouse):
    from harborlight.export.geojson import HOTLINE_INDICATORS
    from harborlight.indicators.catalog import INDICATORS

    text = (exported_world / "geojson" / GEOJSON_FILE).read_text(encoding="utf-8")
    assert "per-" not in text and "worker-" not in text and "agt-" not in text
    assert HOTLINE_INDICATORS <= {i.id for i in INDICATORS}
    reported = networked_warehouse.rows("SELECT count(*) FROM business_scores WHERE top_indicators LIKE '%hotline_tip%'")
    assert reported[0][0] > 0 and "hotline" not in text
    # Tip and review text: long phrases of it would be found whole.
    for table in ("tips", "reviews"):
        if networked_warehouse.table_exists(table):
            for (body,) in networked_warehouse.rows(f"SELECT text FROM {table} WHERE length(text) > 40 LIMIT 200"):
                assert body not in text


# -- protection, in both formats -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_no_protected_identity_appears_anywhere_in_the_export(fmt, exported_world, protected_identities):
    text = "".join(p.read_bytes().decode("utf-8") for p in sorted((exported_world / fmt).iterdir()))
    assert protected_identities["values"]
    assert leaks(text, protected_identities["values"]) == []


@pytest.mark.parametrize("fmt", ["ftm", "gexf", "i2"])
def test_a_protected_persons_ties_carry_no_source_record_id(fmt, networked_world, networked_warehouse, tmp_path):
    """A registry's record id leads to a page that names her, and a license's is often its number:
    the formats that travel (Aleph, Gephi, Analyst's Notebook) carry a keyed digest instead. (The
    contract's CSV export must list every record with its entity: it is the evaluation's input.)"""
    from harborlight.protection import Protection

    protection = Protection(networked_warehouse)
    ties = networked_warehouse.rows("SELECT node_id, source, record_id FROM graph_edges WHERE node_kind = 'person'")
    withheld = {f"{source}:{record_id}" for node, source, record_id in ties if protection.is_protected(node)}
    shown = {f"{source}:{record_id}" for node, source, record_id in ties if not protection.is_protected(node)}
    assert withheld and shown
    export(networked_warehouse, fmt, tmp_path)
    text = "\n".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    carried = {ref for ref in withheld | shown if any(ref + end in text for end in ('"', ",", "\r", "\n"))}
    assert not carried & withheld
    if fmt != "gexf":  # Gephi's edges carry no record reference at all
        assert "withheld-h_" in text and carried


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_every_role_gets_the_same_export_today(fmt, network_ready, fresh_warehouse, tmp_path):
    """No role sees a protected identity (read/viewer.py), so the viewer changes nothing in an export."""
    first = None
    for role in ROLES:
        written = export(fresh_warehouse, fmt, tmp_path / role, Viewer(role))
        content = {name: (tmp_path / role / name).read_bytes() for name in written}
        first = first or content
        assert content == first, role


def test_geojson_of_a_network_with_a_survivor_tip_holds_neither_the_tip_nor_anyone_tied_to_it(network_ready,
                                                                                              fresh_warehouse, tmp_path):
    export(fresh_warehouse, "geojson", tmp_path)
    text = (tmp_path / GEOJSON_FILE).read_text(encoding="utf-8")
    assert "LUCKY STAR SPA" in text.upper()  # the businesses are there
    for absent in ("cannot leave", "hotline", "survivor", "ZHANG", "SOO", "PARK", "MA777", "worker-", "per-"):
        assert absent.upper() not in text.upper(), absent


# -- freshness and order of commands -------------------------------------------------------------

@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_records_loaded_after_resolution_make_the_export_refuse_and_write_nothing(fmt, write_rows, fresh_warehouse,
                                                                                  tmp_path):
    ingest(write_rows("filings", [VALID_ROWS["filings"]], folder=tmp_path / "a"), fresh_warehouse)
    resolve(fresh_warehouse)
    ingest(write_rows("officers", [VALID_ROWS["officers"]], folder=tmp_path / "b"), fresh_warehouse)
    with pytest.raises(Stale, match="run `harborlight resolve` again"):
        export(fresh_warehouse, fmt, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_an_export_before_scoring_and_networks_works_with_empty_risk_and_every_person_protected(fmt, resolved_warehouse,
                                                                                                 tmp_path):
    written = export(resolved_warehouse, fmt, tmp_path / "out")
    if fmt == "i2":
        # The ties are the network stage's graph (graph_edges): before it, the links file is its header.
        assert written[ENTITIES_FILE] > 0 and written[LINKS_FILE] == 0
        entities = read_csv(tmp_path / "out" / ENTITIES_FILE)
        persons = [e for e in entities if e["entity_type"] == "Person"]
        assert persons and all(p["protected"] == "true" and p["label"] == pseudonym(p["entity_id"]) for p in persons)
        assert all(e["risk_band"] == "" and e["network_id"] == "" for e in entities)
    else:
        assert written[GEOJSON_FILE] > 0
        features = json.loads((tmp_path / "out" / GEOJSON_FILE).read_text(encoding="utf-8"))["features"]
        assert all(f["properties"]["risk_score"] is None and f["properties"]["top_indicators"] is None
                   and f["properties"]["network_id"] is None for f in features)


def test_the_new_formats_are_among_the_export_formats():
    assert set(NEW_FORMATS) <= set(FORMATS)


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_an_export_into_a_place_that_cannot_be_written_is_a_bad_request_naming_it(fmt, resolved_warehouse):
    with pytest.raises(BadRequest, match="/sys/harborlight-export"):
        export(resolved_warehouse, fmt, Path("/sys/harborlight-export"))


# -- the command ---------------------------------------------------------------------------------

def test_the_export_command_writes_an_i2_export_to_the_workspace_audit_chain(network_ready, fresh_warehouse, tmp_path):
    from harborlight.store.database import open_store
    from harborlight.store.models import AuditEntry

    data = Path(fresh_warehouse.path).parent
    fresh_warehouse.close()  # the command opens the warehouse in a process of its own
    settings = Settings(data_dir=data)
    open_store(settings).close()  # a workspace store, so the command has a chain to write to
    # One format through the command (it starts slowly); the record is made the same way for each.
    result = harborlight("export", "--format", "i2", "--out", str(tmp_path / "i2"), "--data-dir", str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{tmp_path / 'i2' / LINKS_FILE}: " in result.stdout
    store = open_store(settings)
    try:
        with store.session() as session:
            entries = session.execute(select(AuditEntry).where(AuditEntry.action == "export")).scalars().all()
            assert [json.loads(e.detail)["format"] for e in entries] == ["i2"]
            assert all(e.actor == "cli" for e in entries)
    finally:
        store.close()
