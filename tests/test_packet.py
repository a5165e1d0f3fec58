"""Investigation packets: controllers with evidence, workers only as counts, services planned, refusal when unsafe."""

from __future__ import annotations

import json

import pytest
from test_networks import succession_listings, two_spa_records

from harborlight.network.detect import find_networks
from harborlight.protection import ProtectionViolation
from harborlight.respond.packet import build_packet, write_packet


def test_packet_lists_controllers_with_evidence_and_counts_workers_without_naming_them(network_ready, fresh_warehouse, tmp_path):
    json_path, html_path = write_packet(fresh_warehouse, network_ready, tmp_path / "packet")
    packet = json.loads(json_path.read_text(encoding="utf-8"))
    page = html_path.read_text(encoding="utf-8")
    assert "ZHANG" in packet["controllers"][0]["name"].upper()
    assert {e["tie"] for e in packet["controllers"][0]["evidence"]} >= {"officer", "registered_agent"}
    assert packet["potential_victims"] >= 1
    for text in (page, json_path.read_text(encoding="utf-8")):
        for secret in ("SOO", "Soo", "MA777", "PARK, MIN", "Lone Rd"):
            assert secret not in text
    assert "Do not arrest" in page and "<script" not in page and "http" not in page.split("</style>")[0]


def test_services_are_matched_by_area_and_language_with_24_hour_providers_first(network_ready, fresh_warehouse):
    packet = build_packet(fresh_warehouse, network_ready)
    assert packet.languages == ["Korean"]
    names = [p["name"] for p in packet.services]
    assert names[0] == "Miami Coalition Shelter" and "Houston Shelter" not in names
    assert packet.services[0]["languages_matched"] == ["ko"]
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
                     "evidence": [{"indicator": "cash_only", "excerpt": hostile, "record": "reviews:s:1"}]}],
        controllers=[{"entity_id": "per-1", "name": hostile, "controller_score": 0.8,
                      "evidence": [{"business": "biz-1", "business_name": hostile, "tie": "officer", "record": "o:s:1"}]}],
        timeline=[{"premises": hostile, "business": "biz-1", "name": hostile, "event": "opened",
                   "first_seen": "", "last_seen": ""}],
        potential_victims=1, languages=["unknown: bring interpretation"], language_evidence=[hostile],
        services=[], unmet_needs=[hostile], operations=[hostile],
    )
    page = render_html(packet)
    assert "<script" not in page and page.count("&lt;script&gt;") >= 8
