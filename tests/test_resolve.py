"""Entity resolution: the right records join, the wrong ones stay apart, and every join explains itself."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import VALID_ROWS

from harborlight.config import installation_key
from harborlight.evaluate import pairwise_scores, resolution_scores
from harborlight.ingest import ingest
from harborlight.resolve.engine import resolve_model
from harborlight.resolve.explain import explain_entity, explanation_text
from harborlight.resolve.mentions import build_mentions
from harborlight.resolve.stage import premises_history_sql, resolve
from harborlight.status import warehouse_status
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


def test_resolving_records_that_name_no_entity_gives_no_entities(load_resolved):
    report = load_resolved({"tips": [VALID_ROWS["tips"]]})
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


@pytest.mark.spark
def test_spark_and_duckdb_engines_agree(tmp_path):
    from harborlight.resolve.training import MIN_TRAINING_MENTIONS, TRAINED

    world = tmp_path / "world"
    # About 500 mentions per model: well over the training floor, and every training step (prior, u,
    # each EM round) runs on both engines, as at full size; one Spark session serves both models.
    generate(world, seed=4, scale=0.15)
    with Warehouse(tmp_path / "w.duckdb", installation_key(tmp_path)) as warehouse:
        ingest(world, warehouse)
        for model in ("business", "person"):
            mentions = build_mentions(warehouse, model)
            assert mentions.num_rows >= 2 * MIN_TRAINING_MENTIONS
            on_duckdb = resolve_model(mentions, model, "duckdb")
            on_spark = resolve_model(mentions, model, "spark")
            assert on_duckdb.parameters == on_spark.parameters == TRAINED, (model, on_spark.notes)
            as_dict = lambda r: dict(zip(r.clusters.column("unique_id").to_pylist(), r.clusters.column("cluster_key").to_pylist()))  # noqa: E731
            assert pairwise_scores(as_dict(on_spark), as_dict(on_duckdb)).f1 >= 0.99, model


def test_importing_the_engine_imports_neither_spark_nor_the_spark_engine():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, harborlight.resolve.engine; "
         "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark' or m.endswith('spark_engine')))"],
        capture_output=True, text=True, check=True,
    )
    assert loaded.stdout.strip() == "[]"


# -- businesses that share a phone or an address under different names ---------------------------------
ADJECTIVES = "Amber Azure Bamboo Cedar Coral Crystal Emerald Harmony Ivory Maple Orchid Pearl Saffron Velvet".split()
NOUNS = "Breeze Garden Harbor Lagoon Meadow Moon River Stone Valley Willow".split()
TAILS = ("Spa", "Massage", "Wellness Center", "Day Spa", "Bodywork")
CITIES = (("Miami", "331"), ("Tampa", "336"), ("Orlando", "328"))


def filing_row(record_id: str, name: str, address: str, filed: str, city: str = "Miami",
               status: str = "active", status_date: str | None = None) -> dict:
    return {"source": "fl_sunbiz", "record_id": record_id, "entity_name": name, "status": status,
            "filed_date": filed, "status_date": status_date, "principal_address": address,
            "principal_city": city, "principal_state": "FL"}


def dated_listing(record_id: str, name: str, address: str, phone: str, seen: tuple[str, str],
                  city: str = "Miami") -> dict:
    return listing(record_id, name, address, phone, city) | {"first_seen": seen[0], "last_seen": seen[1]}


def establishment(record_id: str, legal: str, trading: str, address: str, phone: str, issued: str,
                  city: str = "Miami") -> dict:
    return {"source": "fl_massage_board", "record_id": record_id, "license_type": "establishment",
            "license_number": f"MM{record_id}", "licensee_name": legal, "business_name": trading,
            "address": address, "city": city, "state": "FL", "phone": phone, "status": "active",
            "issued_date": issued}


def ordinary_businesses(count: int) -> dict[str, list[dict]]:
    """`count` unrelated businesses, each with a filing, an establishment license and two listings
    (one naming the city, one with a name typed in lower case), at its own address and phone:
    enough mentions, at 50 businesses or more, for the business model to train on them."""
    files: dict[str, list[dict]] = {"filings": [], "licenses": [], "listings": []}
    for i in range(count):
        name = f"{ADJECTIVES[i % len(ADJECTIVES)]} {NOUNS[i // len(ADJECTIVES) % len(NOUNS)]} {TAILS[i % len(TAILS)]}"
        city, zip3 = CITIES[i % len(CITIES)]
        address, phone = f"{200 + 7 * i} {NOUNS[i % len(NOUNS)]} Ave", f"({zip3[:2]}5) 555-{2000 + i:04d}"
        legal = f"{name} LLC" if i % 3 else f"{NOUNS[(i + 3) % len(NOUNS)]} {ADJECTIVES[(i + 5) % len(ADJECTIVES)]} Holdings Inc"
        year = 2012 + i % 10
        files["filings"].append(filing_row(f"B{i}", legal.upper(), address, f"{year}-02-01", city))
        files["licenses"].append(establishment(f"B{i}", legal, name, address, phone, f"{year}-03-01", city))
        files["listings"] += [
            dated_listing(f"B{i}-a", f"{name} - {city}", address, phone, (f"{year + 1}-01-01", f"{year + 3}-01-01"), city),
            dated_listing(f"B{i}-b", name.lower(), address.upper(), phone, (f"{year + 2}-06-01", "2026-06-01"), city),
        ]
    return files


def with_background(files: dict[str, list[dict]], background: int) -> dict[str, list[dict]]:
    """The fixture's records beside `background` ordinary businesses (0: the fixture alone)."""
    merged = ordinary_businesses(background)
    for record_type, rows in files.items():
        merged[record_type] = merged.get(record_type, []) + rows
    return {record_type: rows for record_type, rows in merged.items() if rows}


# Each phenomenon is resolved twice: alone, where the model runs on its shipped starting values,
# and among 60 ordinary businesses (300 mentions), where it trains on the data.
BACKGROUNDS = pytest.mark.parametrize("background", [0, 60], ids=["shipped values", "trained"])


def successor_records() -> dict[str, list[dict]]:
    """A spa closes; a new one opens at its premises under a new name and filing, keeping the phone."""
    address, phone = "77 Bay Rd Ste 2", "305-555-0404"
    return {
        "filings": [
            filing_row("P1", "LUCKY STAR SPA INC", address, "2016-03-01", status="dissolved", status_date="2020-05-01"),
            filing_row("P2", "GOLDEN JADE SPA LLC", "77 Bay Road, Suite 2", "2020-06-15"),
        ],
        "listings": [
            dated_listing("L1", "Lucky Star Spa", "77 Bay Rd #2", phone, ("2016-05-01", "2019-01-01")),
            dated_listing("L2", "LUCKY STAR SPA", address, phone, ("2017-02-01", "2020-04-01")),
            dated_listing("L3", "Golden Jade Spa", "77 BAY ROAD STE 2", phone, ("2020-07-01", "2023-01-01")),
            dated_listing("L4", "Golden Jade Spa - Miami", address, phone, ("2021-01-01", "2024-01-01")),
        ],
    }


@BACKGROUNDS
def test_successor_with_same_phone_and_new_name_stays_separate(load_resolved, fresh_warehouse, background):
    load_resolved(with_background(successor_records(), background))
    old = {entity_of(fresh_warehouse, t, r) for t, r in (("filings", "P1"), ("listings", "L1"), ("listings", "L2"))}
    new = {entity_of(fresh_warehouse, t, r) for t, r in (("filings", "P2"), ("listings", "L3"), ("listings", "L4"))}
    assert len(old) == 1 and len(new) == 1
    assert old != new


@BACKGROUNDS
def test_co_located_businesses_sharing_a_switchboard_phone_stay_separate(load_resolved, fresh_warehouse, background):
    """A hotel's spa, its salon and its restaurant, at the hotel's address and switchboard number."""
    hotel, switchboard = "500 Ocean Dr", "305-555-0600"
    names = ("Azure Tide Spa", "Coral Reef Nail Salon", "Seaside Grill")
    files = {"listings": [
        dated_listing(f"H{i}{k}", name if k == "a" else name.upper(), hotel, switchboard, ("2019-01-01", "2024-01-01"))
        for i, name in enumerate(names) for k in "ab"
    ], "licenses": [establishment("H0", "OCEAN HOTEL OPERATIONS LLC", names[0], hotel, switchboard, "2018-06-01")]}
    load_resolved(with_background(files, background))
    entities = [{entity_of(fresh_warehouse, "listings", f"H{i}{k}") for k in "ab"} for i in range(len(names))]
    assert all(len(e) == 1 for e in entities)  # each business's own listings join
    assert len(set.union(*entities)) == len(names)
    assert entity_of(fresh_warehouse, "licenses", "H0") in entities[0]


@BACKGROUNDS
def test_network_locations_sharing_a_phone_at_different_addresses_stay_separate(load_resolved, fresh_warehouse, background):
    phone = "305-555-0777"
    files = {"listings": [
        dated_listing("N1", "Happy Garden Spa", "100 Main St", phone, ("2020-01-01", "2023-01-01")),
        dated_listing("N2", "Blue Orchid Massage", "900 Pine Dr", phone, ("2020-03-01", "2023-06-01")),
        dated_listing("N3", "Jade Palace Spa", "41 Flagler St Ste 5", phone, ("2021-01-01", "2024-01-01")),
    ]}
    load_resolved(with_background(files, background))
    assert len({entity_of(fresh_warehouse, "listings", f"N{i}") for i in (1, 2, 3)}) == 3


@BACKGROUNDS
def test_a_filing_its_trade_name_and_its_listings_join(load_resolved, fresh_warehouse, background):
    """One business: a holding company's filing, the trade name it files, its license and its
    listings, under a legal name and a trading name that share no word."""
    address, phone = "12 Palm Ave Ste 3", "(305) 555-0911"
    files = {
        "filings": [filing_row("F1", "SUNRISE HOLDINGS GROUP LLC", address, "2019-01-10")],
        "fictitious_names": [{"source": "fl_fictitious", "record_id": "G1", "dba_name": "JADE LOTUS SPA",
                              "owner_name": "SUNRISE HOLDINGS GROUP LLC", "owner_filing_record_id": "F1",
                              "filed_date": "2019-02-01", "address": address, "city": "Miami", "state": "FL"}],
        "licenses": [establishment("E1", "Sunrise Holdings Group LLC", "Jade Lotus Spa", "12 Palm Avenue #3", phone,
                                   "2019-03-01")],
        "listings": [
            dated_listing("J1", "Jade Lotus Spa", "12 Palm Ave Suite 3", phone, ("2019-04-01", "2022-01-01")),
            dated_listing("J2", "Jade Lotus Spa - Miami", address, "305.555.0911", ("2020-01-01", "2024-01-01")),
        ],
    }
    load_resolved(with_background(files, background))
    records = [("filings", "F1"), ("fictitious_names", "G1"), ("licenses", "E1"), ("listings", "J1"), ("listings", "J2")]
    assert len({entity_of(fresh_warehouse, t, r) for t, r in records}) == 1


def test_a_few_hundred_mentions_are_trained_on_not_run_on_starting_values(load_resolved, fresh_warehouse):
    report = load_resolved(ordinary_businesses(60))
    assert report.mentions["business"] == 240
    assert report.parameters["business"] == "trained on the data"
    assert not [note for note in report.notes if note.startswith("business:")]
    (recorded,) = fresh_warehouse.rows("SELECT parameters FROM resolution_runs")[0]
    assert "business: trained on the data" in recorded
    assert "business: trained on the data" in warehouse_status(fresh_warehouse).resolution
    # Each ordinary business is one entity: its filing, license and both listings.
    for i in range(60):
        records = [("filings", f"B{i}"), ("licenses", f"B{i}"), ("listings", f"B{i}-a"), ("listings", f"B{i}-b")]
        assert len({entity_of(fresh_warehouse, t, r) for t, r in records}) == 1, i


def test_more_mentions_than_the_em_cap_train_em_on_a_seeded_sample_and_say_so(load_resolved, fresh_warehouse,
                                                                             monkeypatch):
    """With the cap below the 240 mentions, EM compares only pairs of sampled mentions; the model is
    still trained in full, says so, and every business still comes out as one entity."""
    from harborlight.resolve import training

    monkeypatch.setattr(training, "MAX_EM_MENTIONS", 150)
    report = load_resolved(ordinary_businesses(60))
    assert report.parameters["business"] == "trained on the data"
    assert "business: EM rounds trained on a seeded sample of 150 of the 240 mentions" in report.notes
    for i in range(60):
        records = [("filings", f"B{i}"), ("licenses", f"B{i}"), ("listings", f"B{i}-a"), ("listings", f"B{i}-b")]
        assert len({entity_of(fresh_warehouse, t, r) for t, r in records}) == 1, i


def test_the_em_sample_is_seeded_and_exactly_the_cap(monkeypatch):
    import pyarrow as pa
    from splink.blocking_rule_library import block_on

    from harborlight.resolve import training

    monkeypatch.setattr(training, "MAX_EM_MENTIONS", 40)
    mentions = pa.table({"unique_id": [f"m{i:03d}" for i in range(100)]})
    marked = training.training_mentions(mentions)
    assert marked.column(training.SAMPLE_COLUMN).to_pylist().count(True) == 40
    assert marked.equals(training.training_mentions(mentions))  # the same sample on every run
    assert training.training_mentions(mentions.slice(0, 40)).column_names == ["unique_id"]  # at the cap: none
    sampled = training._em_rule(block_on("name_bk"), 100).get_blocking_rule("duckdb").blocking_rule_sql
    assert "l.em_sample AND r.em_sample" in sampled
    assert "em_sample" not in training._em_rule(block_on("name_bk"), 40).get_blocking_rule("duckdb").blocking_rule_sql


def test_too_few_mentions_run_on_shipped_values_and_say_so(load_resolved, fresh_warehouse):
    report = load_resolved(ordinary_businesses(5))
    assert report.parameters["business"] == "shipped starting values"
    assert any("too few to train on" in note for note in report.notes)
    (recorded,) = fresh_warehouse.rows("SELECT parameters FROM resolution_runs")[0]
    assert "business: shipped starting values" in recorded
    assert "business: shipped starting values" in warehouse_status(fresh_warehouse).resolution


def test_unrelated_records_train_without_a_prior_of_zero(load_resolved, fresh_warehouse):
    """200 filings with nothing in common: the prior's rules find no pair, so the starting prior is kept."""
    filings = [filing_row(f"U{i}", f"UNRELATED BUSINESS NUMBER {i} LLC", f"{i} Elm St", "2019-01-01")
               for i in range(1, 201)]
    report = load_resolved({"filings": filings})
    assert report.parameters["business"] in ("trained on the data", "partly trained on the data")
    assert any(note.startswith("business: prior skipped") for note in report.notes)
    assert fresh_warehouse.rows(
        "SELECT count(DISTINCT entity_id) FROM record_entities WHERE record_type = 'filings'") == [(200,)]
