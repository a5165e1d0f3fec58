"""Entity resolution: the right records join, the wrong ones stay apart, and every join explains itself."""

from __future__ import annotations


import pytest

from harborlight.config import installation_key
from harborlight.evaluate import pairwise_scores, resolution_scores
from harborlight.ingest import ingest
from harborlight.resolve.engine import resolve_model
from harborlight.resolve.explain import explain_entity, explanation_text
from harborlight.resolve.mentions import build_mentions
from harborlight.resolve.stage import premises_history_sql, resolve
from harborlight.synth.world import generate
from harborlight.warehouse import Warehouse


def entity_of(warehouse, record_type: str, record_id: str) -> str:
    rows = warehouse.rows(
        "SELECT entity_id FROM record_entities WHERE record_type = ? AND record_id = ?", [record_type, record_id]
    )
    assert len(rows) == 1, (record_type, record_id, rows)
    return rows[0][0]


def listing(record_id: str, name: str, address: str, phone: str, city: str = "Miami") -> dict:
    return {
        "source": "reviewhub", "record_id": record_id, "site_kind": "review_site", "business_name": name,
        "address": address, "city": city, "state": "FL", "phone": phone,
    }


def therapist(record_id: str, name: str, address: str, number: str | None = None) -> dict:
    return {
        "source": "fl_massage_board", "record_id": record_id, "license_type": "therapist",
        "licensee_name": name, "address": address, "city": "Miami", "state": "FL", "license_number": number,
    }


def officer(record_id: str, filing: str, name: str, address: str | None, role: str = "manager") -> dict:
    return {
        "source": "fl_sunbiz", "record_id": record_id, "filing_record_id": filing, "role": role,
        "name": name, "address": address, "city": "Miami" if address else None, "state": "FL" if address else None,
    }


def test_chain_locations_with_one_brand_stay_apart(load_resolved, fresh_warehouse):
    load_resolved({"listings": [
        listing("1", "Serene Hands", "100 Main St", "305-555-0101"),
        listing("2", "Serene Hands", "2200 Oak Ave Suite 4", "305-555-0202"),
        listing("3", "Serene Hands - Miami", "910 Palm Blvd", "305-555-0303"),
        listing("4", "SERENE HANDS", "100 Main Street", "(305) 555-0101"),
    ]})
    ids = [entity_of(fresh_warehouse, "listings", i) for i in "1234"]
    assert ids[0] == ids[3]
    assert len({ids[0], ids[1], ids[2]}) == 3


def test_reopened_premises_are_separate_businesses_sharing_the_premises(load_resolved, fresh_warehouse):
    load_resolved({
        "filings": [
            {"source": "fl_sunbiz", "record_id": "P1", "entity_name": "LUCKY STAR SPA INC", "status": "dissolved",
             "filed_date": "2016-03-01", "status_date": "2020-05-01", "principal_address": "77 Bay Rd Ste 2",
             "principal_city": "Miami", "principal_state": "FL"},
            {"source": "fl_sunbiz", "record_id": "P2", "entity_name": "GOLDEN JADE SPA LLC", "status": "active",
             "filed_date": "2020-06-15", "principal_address": "77 Bay Road, Suite 2", "principal_city": "Miami",
             "principal_state": "FL"},
        ],
        "listings": [
            listing("L1", "Lucky Star Spa", "77 Bay Rd #2", "305-555-0404"),
            listing("L2", "Golden Jade Spa", "77 BAY ROAD STE 2", "305-555-0505"),
        ],
    })
    old, new = entity_of(fresh_warehouse, "filings", "P1"), entity_of(fresh_warehouse, "filings", "P2")
    assert old != new
    assert entity_of(fresh_warehouse, "listings", "L1") == old
    assert entity_of(fresh_warehouse, "listings", "L2") == new
    premises = fresh_warehouse.rows("SELECT DISTINCT premises_id FROM business_premises WHERE entity_id IN (?, ?)", [old, new])
    assert len(premises) == 1
    history = fresh_warehouse.rows(premises_history_sql(), [premises[0][0]])
    assert [row[0] for row in history] == [old, new]


def test_last_first_family_first_and_romanized_forms_are_one_person(load_resolved, fresh_warehouse):
    load_resolved({"officers": [
        officer("O1-1", "O1", "ZHANG, WEI", "18 Cedar Lane"),
        officer("O2-1", "O2", "Zhang Wei", "18 Cedar Ln"),
        officer("O3-1", "O3", "Wei Chang", "18 CEDAR LANE"),
    ]})
    assert len({entity_of(fresh_warehouse, "officers", f"O{i}-1") for i in (1, 2, 3)}) == 1


def test_same_common_name_at_different_addresses_are_two_people(load_resolved, fresh_warehouse):
    load_resolved({"officers": [
        officer("O1-1", "O1", "SMITH, JOHN", "18 Cedar Lane"),
        officer("O2-1", "O2", "John Smith", "4410 Harbor Blvd Apt 9"),
    ]})
    assert entity_of(fresh_warehouse, "officers", "O1-1") != entity_of(fresh_warehouse, "officers", "O2-1")


def test_one_license_number_joins_a_rotating_worker(load_resolved, fresh_warehouse):
    load_resolved({"licenses": [
        therapist("M1", "KIM, SOO-JIN", "100 Main St", "MA12345"),
        therapist("M2", "Soo Jin Kim", "2200 Oak Ave", "MA12345"),
    ]})
    assert entity_of(fresh_warehouse, "licenses", "M1") == entity_of(fresh_warehouse, "licenses", "M2")


def test_a_junk_phone_joins_nothing(load_resolved, fresh_warehouse):
    load_resolved({"listings": [
        listing("1", "Blue Sky Massage", "1 Elm St", "0000000000"),
        listing("2", "Pearl Body Care", "900 Pine Dr", "000-000-0000"),
    ]})
    assert entity_of(fresh_warehouse, "listings", "1") != entity_of(fresh_warehouse, "listings", "2")


def test_records_with_missing_and_degenerate_values_resolve(load_resolved, fresh_warehouse):
    report = load_resolved({
        "listings": [listing("1", "SPA", "", ""), listing("2", "SPA", "", ""), listing("3", "?", "???", "x")],
        "officers": [officer("O1-1", "O1", "X", None), officer("O2-1", "O2", "-", None)],
    })
    assert report.mentions["business"] == 3
    assert fresh_warehouse.rows("SELECT count(*) FROM record_entities") == [(4,)]  # "-" has no name to resolve


def test_resolving_an_empty_warehouse_gives_no_entities(fresh_warehouse):
    report = resolve(fresh_warehouse)
    assert report.entities == {"business": 0, "person": 0, "agent": 0}


def test_over_common_blocking_values_are_skipped_and_reported(load_resolved, fresh_warehouse):
    rows = [listing(str(i), "SPA", f"{100 + i} Main St", "") for i in range(30)]
    load_resolved({"listings": rows})
    report = resolve(fresh_warehouse, max_block_key=10)
    assert ("business", "name", "SPA", 30) in report.skipped
    assert fresh_warehouse.rows("SELECT model, column_name, value FROM blocking_skips") == [("business", "name", "SPA")]


def test_entity_ids_are_stable_between_runs(load_resolved, fresh_warehouse):
    load_resolved({"listings": [listing("1", "Serene Hands", "100 Main St", "305-555-0101"),
                       listing("2", "Serene Hands", "100 Main Street", "305-555-0101")]})
    first = fresh_warehouse.rows("SELECT * FROM record_entities ORDER BY ALL")
    resolve(fresh_warehouse)
    assert fresh_warehouse.rows("SELECT * FROM record_entities ORDER BY ALL") == first


def test_explain_shows_each_join_with_labels_and_weights(load_resolved, fresh_warehouse):
    load_resolved({"listings": [listing("1", "Serene Hands", "100 Main St", "305-555-0101"),
                       listing("2", "SERENE HANDS", "100 Main Street", "(305) 555-0101")]})
    explanation = explain_entity(fresh_warehouse, entity_of(fresh_warehouse, "listings", "1"))
    assert len(explanation.mentions) == 2 and len(explanation.joins) == 1
    (join,) = explanation.joins
    labels = {s.comparison: s.label for s in join.steps}
    assert labels["business_name"] == "same name"
    assert labels["phone"] == "same phone"
    assert labels["premises"] == "same street address and unit"
    assert join.prior_weight + sum(s.weight for s in join.steps) == pytest.approx(join.match_weight)
    text = "\n".join(explanation_text(explanation))
    assert "Serene Hands" in text and "same phone" in text and "match weight" in text


def test_explain_withholds_a_protected_persons_identity(load_resolved, fresh_warehouse):
    load_resolved({"licenses": [therapist("M1", "Quintessa Vallombrosa", "100 Main St", "MA99999"),
                       therapist("M2", "VALLOMBROSA, QUINTESSA", "2 Oak Ave", "MA99999")]})
    explanation = explain_entity(fresh_warehouse, entity_of(fresh_warehouse, "licenses", "M1"))
    text = "\n".join(explanation_text(explanation))
    assert explanation.protected and "worker-" in text
    for secret in ("Quintessa", "VALLOMBROSA", "MA99999", "100 Main", "Oak"):
        assert secret not in text


def test_resolution_on_the_synthetic_world_meets_its_precision_floor(resolved_warehouse, small_world):
    scores = resolution_scores(resolved_warehouse, small_world)
    assert scores["business"].precision >= 0.97 and scores["business"].f1 >= 0.97
    assert scores["person"].precision >= 0.97


def test_spark_and_duckdb_engines_agree(tmp_path):
    world = tmp_path / "world"
    generate(world, seed=4, scale=0.6)
    with Warehouse(tmp_path / "w.duckdb", installation_key(tmp_path)) as warehouse:
        ingest(world, warehouse)
        for model in ("business", "person"):
            mentions = build_mentions(warehouse, model)
            assert mentions.num_rows >= 1000  # large enough that both engines train, not just predict
            on_duckdb = resolve_model(mentions, model, "duckdb")
            on_spark = resolve_model(mentions, model, "spark")
            as_dict = lambda r: dict(zip(r.clusters.column("unique_id").to_pylist(), r.clusters.column("cluster_key").to_pylist()))  # noqa: E731
            assert pairwise_scores(as_dict(on_spark), as_dict(on_duckdb)).f1 >= 0.99, model
