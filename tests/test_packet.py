"""Investigation packets: controllers with evidence, workers only as counts, services planned, refusal when unsafe."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import provider
from test_networks import succession_listings, two_spa_records

from harborlight.indicators.scoring import score
from harborlight.network.detect import find_networks
from harborlight.network.view import network_view
from harborlight.protection import ProtectionViolation
from harborlight.respond.packet import build_packet, packet_from_view, phone_text, write_packet

MIAMI, FORT_LAUDERDALE, ORLANDO = (25.77, -80.19), (26.12, -80.14), (28.54, -81.38)
# One review that shows three indicators: a locked door, sexual-service language and pressure for tips.
REVIEW = "Rubbed and tugged, ask for the special. Door is locked, ring the bell. $40 tip expected."


def test_packet_lists_controllers_with_evidence_and_counts_workers_without_naming_them(network_ready, fresh_warehouse, tmp_path):
    json_path, html_path = write_packet(fresh_warehouse, network_ready, tmp_path / "packet")
    packet = json.loads(json_path.read_text(encoding="utf-8"))
    page = html_path.read_text(encoding="utf-8")
    assert "ZHANG" in packet["controllers"][0]["name"].upper()
    assert {e["tie"] for e in packet["controllers"][0]["evidence"]} >= {"officer", "registered_agent"}
    assert packet["potential_victims"] >= 1
    top = packet["controllers"][0]
    assert top["score_explained"].startswith(f"{top['controller_score']:.2f}: ") and "control evidence" in top["score_explained"]
    for text in (page, json_path.read_text(encoding="utf-8")):
        for secret in ("SOO", "Soo", "MA777", "PARK, MIN", "Lone Rd"):
            assert secret not in text
    assert "Do not arrest" in page and "<script" not in page and "http" not in page.split("</style>")[0]


def test_services_are_matched_by_area_and_language_with_24_hour_providers_first(network_ready, fresh_warehouse):
    packet = build_packet(fresh_warehouse, network_ready)
    assert packet.languages == ["Korean"]
    names = [p["name"] for p in packet.services]
    assert names[0] == "Miami Coalition Shelter" and "Houston Shelter" not in names
    assert packet.services[0]["languages_matched"] == ["Korean"]
    assert packet.unmet_needs == []


def test_without_language_evidence_the_packet_says_bring_interpretation(load_resolved, fresh_warehouse):
    load_resolved(two_spa_records())
    find_networks(fresh_warehouse)
    (network_id,) = fresh_warehouse.rows("SELECT network_id FROM networks")[0]
    packet = build_packet(fresh_warehouse, network_id)
    assert packet.languages == ["unknown: bring interpretation"]
    assert any("no provider in the area offers shelter" == u for u in packet.unmet_needs)


def test_a_packet_that_would_list_a_protected_person_as_a_target_is_refused(network_ready, fresh_warehouse, tmp_path):
    # Force the condition: mark every person in the network unprotected in the ranking table.
    fresh_warehouse.run("UPDATE network_persons SET protected = FALSE")
    with pytest.raises(ProtectionViolation, match="refused"):
        write_packet(fresh_warehouse, network_ready, tmp_path / "packet")
    assert not (tmp_path / "packet").exists() or not any((tmp_path / "packet").iterdir())


def test_the_timeline_says_when_a_premises_reopened_under_a_new_name(load_resolved, fresh_warehouse):
    load_resolved({"listings": succession_listings("review_board")})
    find_networks(fresh_warehouse)
    (network_id,) = fresh_warehouse.rows("SELECT network_id FROM networks")[0]
    events = [(t["name"], t["event"]) for t in build_packet(fresh_warehouse, network_id).timeline]
    assert events == [("Lucky Star Spa", "opened"),
                      ("Golden Jade Spa", "reopened under a new name after Lucky Star Spa closed")]


def test_hostile_text_from_records_is_escaped_everywhere_on_the_page():
    from harborlight.respond.packet import Packet, render_html

    hostile = "<script>alert(1)</script>"
    packet = Packet(
        network_id="net-1", risk_score=0.9,
        businesses=[{"entity_id": "biz-1", "name": hostile, "risk_score": 0.9, "risk_band": "high",
                     "evidence": [{"record": "reviews:s:1", "excerpt": hostile, "indicators": ["cash_only"],
                                   "shows": [hostile]}]}],
        controllers=[{"entity_id": "per-1", "name": hostile, "controller_score": 0.8,
                      "evidence": [{"business": "biz-1", "business_name": hostile, "tie": "officer", "record": "o:s:1"}]}],
        timeline=[{"premises": hostile, "business": "biz-1", "name": hostile, "event": "opened",
                   "first_seen": "", "last_seen": ""}],
        potential_victims=1, languages=["unknown: bring interpretation"], language_evidence=[hostile],
        services=[], unmet_needs=[hostile], operations=[hostile],
    )
    page = render_html(packet)
    assert "<script" not in page and page.count("&lt;script&gt;") >= 8


def _elsewhere(record_id: str, city: str, at: tuple[float, float]) -> dict:
    """A listing of an unrelated business in another city: it tells where that city is."""
    return {"source": "site", "record_id": record_id, "site_kind": "directory", "business_name": f"{city} Nails {record_id}",
            "address": f"{len(record_id)} Main St", "city": city, "state": "FL", "latitude": at[0], "longitude": at[1]}


def test_services_plan_keeps_to_the_networks_area_nearest_first_in_one_phone_format(load_resolved, fresh_warehouse):
    files = two_spa_records()
    for listing in files["listings"]:
        listing |= {"latitude": MIAMI[0], "longitude": MIAMI[1]}
    files["listings"] += [_elsewhere("X1", "Fort Lauderdale", FORT_LAUDERDALE), _elsewhere("X2", "Orlando", ORLANDO)]
    files["providers"] = [
        provider("P1", "Orlando Shelter", "FL", "Orlando", "shelter", "en;ko", "24h") | {"phone": "407-555-0100"},
        provider("P2", "Broward Legal Aid", "FL", "Fort Lauderdale", "legal", "en;ko", "24h") | {"phone": "1 954 555 0101"},
        provider("P3", "Miami Clinic", "FL", "Miami", "medical", "en;zh", "business") | {"phone": "305.555.0102"},
        provider("P4", "Houston Shelter", "TX", "Houston", "shelter", "en;ko", "24h") | {"phone": "(713) 555-0103"},
    ]
    files["tips"] = [{"source": "hotline", "record_id": "T1", "received_at": "2022-03-01T09:00:00Z", "channel": "call",
                      "reporter_role": "survivor", "language": "ko", "text": "I cannot leave the spa.",
                      "business_name": "Lucky Star Spa", "phone": "305-555-0188"}]
    load_resolved(files)
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    (network_id,) = fresh_warehouse.rows("SELECT network_id FROM networks")[0]
    services = build_packet(fresh_warehouse, network_id).services
    assert [p["name"] for p in services] == ["Miami Clinic", "Broward Legal Aid"]  # Orlando and Houston are not its area
    assert [p["phone"] for p in services] == ["(305) 555-0102", "(954) 555-0101"]
    assert services[0]["same_city"] and 30 < services[1]["distance_km"] < 60
    assert services[1]["languages_matched"] == ["Korean"]


def test_phone_numbers_read_in_one_format_and_others_are_left_as_written():
    assert {phone_text(p) for p in ("305-555-0100", "(305) 555-0100", "+1 305 555 0100", "305.555.0100")} == {
        "(305) 555-0100"}
    assert phone_text("+44 20 7946 0000") == "+44 20 7946 0000" and phone_text(None) == ""


@pytest.fixture
def reviewed_network(load_resolved, fresh_warehouse):
    """The two-spa network with one review of Lucky Star Spa's listing that shows three indicators; scored
    and found. Returns the network id."""
    files = two_spa_records()
    files["reviews"] = [{"source": "site", "record_id": "R1", "listing_record_id": "L0", "posted_date": "2021-05-01",
                         "text": REVIEW}]
    load_resolved(files)
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    return fresh_warehouse.rows("SELECT network_id FROM networks")[0][0]


def test_a_review_is_quoted_once_with_every_indicator_it_supports_in_words(reviewed_network, fresh_warehouse, tmp_path):
    _, html_path = write_packet(fresh_warehouse, reviewed_network, tmp_path / "packet")
    page = html_path.read_text(encoding="utf-8")
    packet = build_packet(fresh_warehouse, reviewed_network)
    quoted = [x for b in packet.businesses for x in b["evidence"] if x["record"] == "reviews:site:R1"]
    assert len(quoted) == 1
    assert {"locked_door_buzzer", "sexual_service_language", "tip_pressure"} <= set(quoted[0]["indicators"])
    assert "locked door with a buzzer" in quoted[0]["shows"]
    assert page.count("Rubbed and tugged") == 1
    assert "sexual-service language in reviews or ads" in page
    assert "sexual_service_language" not in page and "locked_door_buzzer" not in page


def test_packet_shows_each_businesss_city_and_the_cities_the_network_spans(network_ready, fresh_warehouse, tmp_path):
    packet = build_packet(fresh_warehouse, network_ready)
    assert {(b["city"], b["state"]) for b in packet.businesses} == {("Miami", "FL")}
    assert packet.cities == ["Miami, FL"]
    _, html_path = write_packet(fresh_warehouse, network_ready, tmp_path / "packet")
    assert "2 businesses in Miami, FL;" in html_path.read_text(encoding="utf-8")


def test_the_timeline_uses_the_businesss_own_dates_and_nothing_is_seen_after_today(load_resolved, fresh_warehouse):
    listings = succession_listings("review_board")
    trade_name = {"source": "county", "record_id": "D1", "dba_name": "Golden Jade Spa", "address": "77 Bay Rd",
                  "city": "Miami", "state": "FL", "filed_date": "2019-08-15", "expires_date": "2099-08-15"}
    load_resolved({"listings": listings, "fictitious_names": [trade_name]})
    find_networks(fresh_warehouse)
    (network_id,) = fresh_warehouse.rows("SELECT network_id FROM networks")[0]
    view = network_view(fresh_warehouse, network_id)
    # The premises table keeps the trade name's expiry (2099); the view, like the packet, dates each
    # business by its own records, never after today.
    assert fresh_warehouse.rows("SELECT count(*) FROM business_premises WHERE last_seen = DATE '2099-08-15'")[0][0]
    assert {(name, str(first), str(last)) for _, _, name, first, last in view.timeline} == {
        ("Lucky Star Spa", "2018-01-01", "2019-06-01"), ("Golden Jade Spa", "2019-08-15", "2021-01-01")}
    timeline = packet_from_view(fresh_warehouse, view).timeline
    seen = {t["name"]: (t["first_seen"], t["last_seen"]) for t in timeline}
    assert seen == {"Lucky Star Spa": ("2018-01-01", "2019-06-01"), "Golden Jade Spa": ("2019-08-15", "2021-01-01")}
    earlier = packet_from_view(fresh_warehouse, view, today=date(2020, 1, 1)).timeline
    assert all(t["last_seen"] <= "2020-01-01" for t in earlier)
