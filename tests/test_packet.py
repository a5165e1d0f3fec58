"""Investigation packets: controllers with evidence, workers only as counts, services planned, refusal when unsafe."""

from __future__ import annotations

import json

import pytest
from test_networks import two_spa_records

from harborlight.indicators.scoring import score
from harborlight.network.detect import find_networks
from harborlight.respond.packet import ProtectionViolation, build_packet, write_packet


def provider(record_id: str, name: str, state: str, city: str, services: str, languages: str, hours: str) -> dict:
    return {"source": "dir", "record_id": record_id, "name": name, "services": services, "languages": languages,
            "city": city, "state": state, "hours": hours, "accepts_referrals": "true"}


@pytest.fixture
def network_ready(load_resolved, fresh_warehouse):
    """The two-spa network loaded, resolved, scored and found, with providers and a tip in Korean."""
    files = two_spa_records()
    files["providers"] = [
        provider("P1", "Miami Legal Aid", "FL", "Miami", "legal;immigration", "en;es", "business"),
        provider("P2", "Miami Coalition Shelter", "FL", "Miami", "shelter;hotline;interpretation;medical", "en;ko", "24h"),
        provider("P3", "Houston Shelter", "TX", "Houston", "shelter", "en;ko", "24h"),
    ]
    files["tips"] = [{"source": "hotline", "record_id": "T1", "received_at": "2022-03-01T09:00:00Z", "channel": "call",
                      "reporter_role": "survivor", "language": "ko", "text": "I cannot leave the spa.",
                      "business_name": "Lucky Star Spa"}]
    load_resolved(files)
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    (network_id,) = fresh_warehouse.rows("SELECT network_id FROM networks")[0]
    return network_id


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
