"""Risk indicators: each fires on its conduct and nothing else, and no score depends on names or ethnicity."""

from __future__ import annotations

import re
import shutil

import pytest

from harborlight.config import installation_key
from harborlight.errors import ContractError, UsageError
from harborlight.indicators.catalog import INDICATORS, hours_strength
from harborlight.indicators.fairness import audit, groups_from_truth
from harborlight.indicators.lexicon import term_groups
from harborlight.indicators.parsing import parse_hours, parse_price
from harborlight.indicators.scoring import Bands, read_labels, score
from harborlight.ingest import ingest
from harborlight.resolve.stage import resolve
from harborlight.warehouse import Warehouse

WORDS_FOR_PEOPLE = re.compile(
    r"asian|orient|chin|korea|thai|japan|vietnam|filipin|latin|hispan|mexic|russia|mandarin|cantonese|"
    r"english|spanish|immigra|foreign",
    re.IGNORECASE,
)


@pytest.fixture
def scored(load_resolved, fresh_warehouse):
    """Load records, resolve and score; returns each listing's business's indicators: scored({...})."""

    def run(files: dict[str, list[dict]]) -> dict[str, set[str]]:
        load_resolved(files)
        score(fresh_warehouse)
        fired: dict[str, set[str]] = {}
        for record_id, indicator in fresh_warehouse.rows(
            """SELECT re.record_id, ev.indicator_id FROM record_entities re
               LEFT JOIN indicator_evidence ev USING (entity_id) WHERE re.record_type = 'listings'"""
        ):
            fired.setdefault(record_id, set()).update({indicator} - {None})
        return fired

    return run


def listing(record_id: str, site_kind: str = "review_site", **fields) -> dict:
    base = {
        "source": "site", "record_id": record_id, "site_kind": site_kind, "business_name": f"Business {record_id}",
        "address": f"{100 + int(record_id)} Main St", "city": "Miami", "state": "FL",
    }
    return base | fields


def review(record_id: str, listing_id: str, text: str) -> dict:
    return {"source": "site", "record_id": record_id, "listing_record_id": listing_id, "text": text}


@pytest.mark.parametrize(
    ("text", "closes", "always", "on_call"),
    [
        ("10am-2am", 26 * 60, False, False),
        ("9:30am - 12am", 24 * 60, False, False),
        ("Open 7 days 10am-midnight", 24 * 60, False, False),
        ("10 AM - 11 PM", 23 * 60, False, False),
        ("Mon-Sat 9:00-18:00", 18 * 60, False, False),
        ("9-9", 21 * 60, False, False),
        ("24/7", None, True, False),
        ("by appointment", None, False, True),
    ],
)
def test_messy_hours_are_read(text, closes, always, on_call):
    hours = parse_hours(text)
    assert (hours.closes, hours.always_open, hours.on_call) == (closes, always, on_call)


@pytest.mark.parametrize("junk", [None, "", "closed", "see website", "Mon-Fri"])
def test_unreadable_hours_are_unknown(junk):
    assert parse_hours(junk) is None


@pytest.mark.parametrize(
    ("text", "hourly"),
    [("$40/hr", 40), ("40 for 60 min", 40), ("$120/90min", 80), ("60 min $100", 100), ("$35 half hour", 70),
     ("$30 for 30 min", 60), ("$40 hh $60 hr", 60), ("45/hr", 45), ("$80-140", 80), ("60 min foot $40", 40)],
)
def test_messy_prices_are_read_per_hour(text, hourly):
    assert parse_price(text) == pytest.approx(hourly)


@pytest.mark.parametrize("junk", [None, "", "free", "call", "$", "5"])
def test_unreadable_prices_are_unknown(junk):
    assert parse_price(junk) is None


def test_late_hours_strength_grades_how_late():
    assert [hours_strength(t) for t in ("10am-2am", "24/7", "10am-11pm", "by appointment", "9am-7pm")] == [
        1.0, 1.0, 0.7, 0.5, 0.0
    ]


TEXT_CASES = {
    "sexual_service_language": ("HE was offered, tip expected after.", "He was a great therapist."),
    "locked_door_buzzer": ("Front door was locked, had to ring a buzzer.", "Lovely front desk and a bright lobby."),
    "all_male_clientele": ("Only men in the waiting room.", "Families and couples in the waiting room."),
    "tip_pressure": ("She kept asking for a bigger tip.", "Tipping was optional and never mentioned."),
    "workers_live_on_site": ("Looks like the staff live there, mattresses in back.", "Staff arrive at nine each day."),
    "worker_turnover": ("Different girl every single visit.", "Same therapist for three years, love her."),
    "covered_windows": ("Windows are all covered up with paper.", "Big bright windows onto the street."),
    "cash_only": ("Cash only, no receipt given.", "They take cards and emailed a receipt."),
}


@pytest.mark.parametrize("indicator", sorted(TEXT_CASES))
def test_text_indicators_fire_on_their_conduct_and_not_otherwise(indicator, scored):
    positive, negative = TEXT_CASES[indicator]
    fired = scored({
        "listings": [listing("1"), listing("2")],
        "reviews": [review("r1", "1", positive), review("r2", "2", negative)],
    })
    assert indicator in fired["1"]
    assert indicator not in fired["2"]


def test_review_board_listing_fires_and_review_site_does_not(scored):
    fired = scored({"listings": [listing("1", "review_board"), listing("2", "review_site")]})
    assert "sex_buyer_board_listing" in fired["1"] and "sex_buyer_board_listing" not in fired["2"]


def test_late_hours_fire_and_daytime_hours_do_not(scored):
    fired = scored({"listings": [listing("1", hours="10am-2am"), listing("2", hours="9am-6pm")]})
    assert "late_night_hours" in fired["1"] and "late_night_hours" not in fired["2"]


def test_price_far_below_the_local_median_fires(scored):
    rows = [listing(str(i), price="$90/hr") for i in range(1, 10)] + [listing("10", price="$35/hr")]
    fired = scored({"listings": rows})
    assert "price_below_local_market" in fired["10"]
    assert not any("price_below_local_market" in fired[str(i)] for i in range(1, 10))


def test_license_problems_fire_and_a_clean_license_does_not(scored):
    def est(record_id, name, status, discipline=None):
        return {"source": "board", "record_id": record_id, "license_type": "establishment", "licensee_name": name,
                "business_name": name, "address": f"{record_id[1]} {name.split()[0]} St", "city": "Miami",
                "state": "FL", "status": status, "discipline": discipline}

    fired = scored({
        "listings": [listing("1", business_name="Pearl Spa", address="1 Pearl St"),
                     listing("2", business_name="Jade Spa", address="2 Jade St")],
        "licenses": [est("E1", "Pearl Spa", "revoked"), est("E2", "Jade Spa", "active")],
    })
    assert "license_problem" in fired["1"] and "license_problem" not in fired["2"]


def test_advertising_without_a_license_fires(scored):
    fired = scored({"listings": [listing("1", "ad_site"), listing("2", "review_site")]})
    assert "unlicensed_advertising" in fired["1"] and "unlicensed_advertising" not in fired["2"]


def test_premises_churn_fires_for_businesses_in_turn_not_for_one_business(scored):
    fired = scored({"listings": [
        listing("1", business_name="Lucky Star Spa", address="77 Bay Rd", first_seen="2018-01-01", last_seen="2019-06-01"),
        listing("2", business_name="Golden Jade Spa", address="77 Bay Rd", first_seen="2019-09-01", last_seen="2021-01-01"),
        listing("3", business_name="Quiet Oak Massage", address="900 Pine Dr", first_seen="2018-01-01", last_seen="2021-01-01"),
    ]})
    assert "premises_churn" in fired["1"] and "premises_churn" in fired["2"]
    assert "premises_churn" not in fired["3"]


def test_a_tip_counts_only_when_it_points_to_one_business(scored):
    tip = {"source": "hotline", "record_id": "T1", "received_at": "2022-01-01T10:00:00Z", "channel": "call",
           "text": "Concern reported.", "business_name": "Pearl Spa"}
    fired = scored({
        "listings": [listing("1", business_name="Pearl Spa"), listing("2", business_name="Serene Hands"),
                     listing("3", business_name="Serene Hands")],
        "tips": [tip, dict(tip, record_id="T2", business_name="Serene Hands")],
    })
    assert "hotline_tip" in fired["1"]
    assert "hotline_tip" not in fired["2"] and "hotline_tip" not in fired["3"]


def test_tip_text_never_appears_in_evidence(scored, fresh_warehouse):
    scored({
        "listings": [listing("1", business_name="Pearl Spa")],
        "tips": [{"source": "hotline", "record_id": "T1", "received_at": "2022-01-01", "channel": "text",
                  "text": "My name is Survivor Example, I live at 12 Secret Lane", "business_name": "Pearl Spa"}],
    })
    excerpts = " ".join(r[0] for r in fresh_warehouse.rows("SELECT excerpt FROM indicator_evidence"))
    assert "Survivor" not in excerpts and "Secret" not in excerpts


def test_legitimate_late_reflexology_with_moderate_prices_stays_below_high(scored, fresh_warehouse):
    rows = [listing(str(i), price="$60/hr") for i in range(1, 10)]
    rows.append(listing("10", business_name="Chinese Foot Reflexology", hours="10 AM - 11 PM", price="$45 for 60 min"))
    scored({"listings": rows, "reviews": [review("r1", "10", "Traditional Chinese foot reflexology, very relaxing.")]})
    band = fresh_warehouse.rows(
        "SELECT risk_band FROM business_scores JOIN record_entities USING (entity_id) WHERE record_id = '10'"
    )
    assert band == [("low",)]


def test_a_chain_location_is_not_penalized_for_a_mass_registered_agent(write_rows, fresh_warehouse, tmp_path):
    filings = [
        {"source": "fl", "record_id": f"F{i}", "entity_name": f"Unrelated Business {i} LLC",
         "principal_address": f"{i} Elm St", "principal_city": "Miami", "principal_state": "FL",
         "registered_agent_name": "SUNSTATE REGISTERED AGENTS INC", "registered_agent_type": "company",
         "registered_agent_address": "1 Agent Plaza", "registered_agent_city": "Tampa", "registered_agent_state": "FL"}
        for i in range(1, 201)
    ]
    filings[0]["entity_name"] = "Serene Hands of Doral LLC"
    folder = tmp_path / "chain"
    write_rows("filings", filings, folder=folder)
    write_rows("listings", [listing("1", business_name="Serene Hands", address="1 Elm St", hours="9am-8pm", price="$95/hr")],
               folder=folder)
    ingest(folder, fresh_warehouse)
    resolve(fresh_warehouse)
    score(fresh_warehouse)
    assert fresh_warehouse.rows("SELECT count(*) FROM business_scores WHERE risk_band <> 'low'") == [(0,)]


def test_no_score_changes_when_names_and_words_for_ethnicity_change(resolved_world, tmp_path):
    """Counterfactual invariance: swap every person's name between East-Asian and other names,
    and add or remove words for ethnicity in business names and reviews; scores stay put."""
    copy = tmp_path / "copy"
    shutil.copytree(resolved_world, copy)
    with Warehouse(copy / "warehouse.duckdb", installation_key(copy)) as warehouse:
        score(warehouse)
        before = warehouse.rows("SELECT entity_id, risk_score, risk_band FROM business_scores ORDER BY entity_id")
        swaps = {"ZHANG": "SMITH", "KIM": "JOHNSON", "PARK": "GARCIA", "LEE": "MILLER", "CHEN": "DAVIS"}
        for east, other in swaps.items():
            for table, column in (("officers", "name"), ("licenses", "licensee_name"), ("filings", "registered_agent_name")):
                warehouse.run(
                    f"UPDATE {table} SET {column} = replace(replace(replace({column}, ?, '#'), ?, ?), '#', ?)",
                    [east, other, east, other],
                )
        for word in ("Asian", "Chinese", "Thai", "Korean", "Oriental"):
            warehouse.run("UPDATE reviews SET text = replace(text, ?, '')", [word])
        warehouse.run("UPDATE reviews SET text = text || ' Asian Chinese Korean Thai massage.'")
        warehouse.run("UPDATE listings SET business_name = 'Asian ' || business_name")
        warehouse.run("UPDATE filings SET entity_name = replace(entity_name, 'KOREAN', '')")
        score(warehouse)
        after = warehouse.rows("SELECT entity_id, risk_score, risk_band FROM business_scores ORDER BY entity_id")
    assert after == before


def test_the_lexicon_has_no_word_for_ethnicity_nationality_or_language():
    for group in term_groups().values():
        for term in group.phrases + group.abbreviations:
            assert not WORDS_FOR_PEOPLE.search(term), (group.group, term)


def test_every_indicator_has_an_id_label_weight_and_reason():
    ids = [i.id for i in INDICATORS]
    assert len(ids) == len(set(ids))
    assert all(i.label and i.why and i.weight > 0 for i in INDICATORS)


def test_fairness_audit_passes_on_the_synthetic_world(resolved_world, small_world, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(resolved_world, copy)
    with Warehouse(copy / "warehouse.duckdb", installation_key(copy)) as warehouse:
        score(warehouse)
        result = audit(warehouse, groups_from_truth(warehouse, small_world))
    assert {g.group for g in result.groups} == {"east_asian", "other"}
    assert all(g.businesses > 100 for g in result.groups)
    assert result.passed
    for g in result.groups:  # each rate and ratio carries its counts and a 95% interval around it
        assert g.rest_businesses == sum(o.businesses for o in result.groups if o is not g)
        assert g.rate_low <= g.rate <= g.rate_high
        assert 0 < g.ratio_low <= g.ratio_high


def test_labels_fit_and_calibrate_from_a_tiny_file(resolved_world, small_world, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(resolved_world, copy)
    with Warehouse(copy / "warehouse.duckdb", installation_key(copy)) as warehouse:
        groups = groups_from_truth(warehouse, small_world)
        positives = [e for e, (_, imb) in sorted(groups.items()) if imb][:8]
        negatives = [e for e, (_, imb) in sorted(groups.items()) if not imb][:8]
        labels = tmp_path / "labels.csv"
        labels.write_text("entity_id,is_imb\n" + "".join(f"{e},true\n" for e in positives)
                          + "".join(f"{e},false\n" for e in negatives))
        report = score(warehouse, labels_path=labels)
        assert report.model.fitted and report.model.calibration is not None
        fitted = dict(warehouse.rows("SELECT entity_id, risk_score FROM business_scores"))
    assert sum(fitted[e] for e in positives) / 8 > sum(fitted[e] for e in negatives) / 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,label\nbiz-1,true\n", "needs the columns entity_id and is_imb"),
        ("entity_id,is_imb\nbiz-1,maybe\n", "'maybe' is not true or false"),
        ("entity_id,is_imb\nper-1,true\n", "not a business entity id"),
    ],
)
def test_garbage_in_a_label_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "labels.csv"
    path.write_text(content)
    with pytest.raises(ContractError, match=message):
        read_labels(path)


def test_bands_must_be_ordered():
    with pytest.raises(UsageError):
        Bands(elevated=0.8, high=0.5)


def test_a_business_beside_a_flagged_one_at_the_same_time_is_flagged_too(write_rows, fresh_warehouse, tmp_path):
    folder = tmp_path / "records"
    write_rows("filings", [{"source": "fl", "record_id": "F1", "entity_name": "LUCKY RIVER HOLDINGS INC",
                            "filed_date": "2019-01-01", "principal_address": "77 Bay Rd", "principal_city": "Miami",
                            "principal_state": "FL"}], folder=folder)
    write_rows("listings", [listing("1", "review_board", business_name="Golden Jade Spa", address="77 Bay Rd",
                                    first_seen="2020-01-01", last_seen="2021-01-01")], folder=folder)
    write_rows("reviews", [review("r1", "1", "Table shower then FS, new girl every week.")], folder=folder)
    ingest(folder, fresh_warehouse)
    resolve(fresh_warehouse)
    score(fresh_warehouse)
    evidence = fresh_warehouse.rows(
        """SELECT re.record_type, ev.indicator_id FROM indicator_evidence ev JOIN record_entities re USING (entity_id)
           WHERE ev.indicator_id = 'co_located_with_flagged_business'"""
    )
    assert evidence == [("filings", "co_located_with_flagged_business")]


def test_explain_lists_each_fired_indicator_with_its_records(scored, fresh_warehouse):
    from harborlight.indicators.explain import explain_risk, risk_text

    scored({"listings": [listing("1", "review_board", hours="10am-2am")],
            "reviews": [review("r1", "1", "Door was locked, had to ring a buzzer.")]})
    (entity_id,) = fresh_warehouse.rows("SELECT entity_id FROM record_entities WHERE record_id = '1'")[0]
    risk = explain_risk(fresh_warehouse, entity_id)
    fired = {f.indicator_id: f for f in risk.fired}
    assert set(fired) == {"sex_buyer_board_listing", "late_night_hours", "locked_door_buzzer", "unlicensed_advertising"}
    assert risk.intercept + sum(f.contribution for f in risk.fired) == pytest.approx(risk.log_odds)
    text = "\n".join(risk_text(risk))
    assert "ring a buzzer" in text and "hours: 10am-2am" in text


def test_every_indicator_is_documented():
    from harborlight.indicators.catalog import all_indicators
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "scoring.md").read_text(encoding="utf-8")
    for indicator in all_indicators():
        assert f"`{indicator.id}`" in doc, indicator.id
