"""Networks: shared control links businesses; hubs such as mass agents and franchisors do not."""

from __future__ import annotations

import pytest

from harborlight.ingest import ingest
from harborlight.network.detect import find_networks
from harborlight.resolve.stage import resolve


@pytest.fixture
def networked(write_rows, fresh_warehouse, tmp_path):
    """Load records, resolve, find networks; returns {filing record_id: network_id or None}."""

    def run(files: dict[str, list[dict]]) -> dict[str, str | None]:
        folder = tmp_path / "records"
        for record_type, rows in files.items():
            write_rows(record_type, rows, folder=folder)
        assert ingest(folder, fresh_warehouse).ok
        resolve(fresh_warehouse)
        find_networks(fresh_warehouse)
        return dict(fresh_warehouse.rows(
            """SELECT re.record_id, m.network_id FROM record_entities re
               LEFT JOIN network_members m ON m.business_id = re.entity_id WHERE re.record_type = 'filings'"""
        ))

    return run


def filing(record_id: str, name: str, address: str, agent: str | None = None, agent_type: str = "company",
           agent_address: str = "1 Agent Plaza") -> dict:
    row = {"source": "fl", "record_id": record_id, "entity_name": name, "principal_address": address,
           "principal_city": "Miami", "principal_state": "FL"}
    if agent:
        row |= {"registered_agent_name": agent, "registered_agent_type": agent_type,
                "registered_agent_address": agent_address, "registered_agent_city": "Miami",
                "registered_agent_state": "FL"}
    return row


def officer(record_id: str, filing_id: str, name: str, address: str | None, name_type: str = "person") -> dict:
    return {"source": "fl", "record_id": record_id, "filing_record_id": filing_id, "role": "manager", "name": name,
            "name_type": name_type, "address": address, "city": "Miami" if address else None,
            "state": "FL" if address else None}


def test_a_mass_registered_agent_shared_by_200_businesses_creates_no_network(networked):
    filings = [filing(f"F{i}", f"Unrelated Business Number {i} LLC", f"{i} Elm St", "SUNSTATE REGISTERED AGENTS INC")
               for i in range(1, 201)]
    networks = networked({"filings": filings})
    assert set(networks.values()) == {None}


def test_franchise_locations_do_not_form_a_network(networked):
    filings = [filing("F0", "SERENE HANDS FRANCHISING LLC", "1 Brand Way", "CORPORATE FILING SERVICES LLC")]
    officers = []
    for i in range(1, 16):
        filings.append(filing(f"F{i}", f"Owner {i} Wellness LLC", f"{i * 10} Oak Ave", "CORPORATE FILING SERVICES LLC"))
        officers.append(officer(f"F{i}-1", f"F{i}", "SERENE HANDS FRANCHISING LLC", "1 Brand Way", "company"))
        officers.append(officer(f"F{i}-2", f"F{i}", f"OWNER{i}, PAT", f"{i} Home Rd"))
    networks = networked({"filings": filings, "officers": officers})
    assert set(networks.values()) == {None}


def test_two_spas_sharing_a_controller_a_phone_and_workers_form_one_network(networked):
    filings = [
        filing("F1", "LUCKY STAR SPA INC", "77 Bay Rd", "ZHANG, WEI", "person", "18 Cedar Lane"),
        filing("F2", "GOLDEN JADE SPA LLC", "900 Pine Dr", "Wei Zhang", "person", "18 Cedar Ln"),
        filing("F3", "QUIET OAK MASSAGE LLC", "5 Birch St"),
    ]
    officers = [officer("F1-1", "F1", "ZHANG, WEI", "18 Cedar Lane"), officer("F2-1", "F2", "Zhang Wei", None)]
    listings = [
        {"source": "site", "record_id": "L1", "site_kind": "review_board", "business_name": "Lucky Star Spa",
         "address": "77 Bay Rd", "city": "Miami", "state": "FL", "phone": "305-555-0188"},
        {"source": "site", "record_id": "L2", "site_kind": "review_board", "business_name": "Golden Jade Spa",
         "address": "900 Pine Dr", "city": "Miami", "state": "FL", "phone": "(305) 555-0188"},
    ]
    licenses = [
        {"source": "board", "record_id": f"M{i}", "license_type": "therapist", "licensee_name": "KIM, SOO-JIN",
         "license_number": "MA777", "business_name": name, "address": address, "city": "Miami", "state": "FL"}
        for i, (name, address) in enumerate((("Lucky Star Spa", "77 Bay Rd"), ("Golden Jade Spa", "900 Pine Dr")))
    ]
    networks = networked({"filings": filings, "officers": officers, "listings": listings, "licenses": licenses})
    assert networks["F1"] is not None and networks["F1"] == networks["F2"]
    assert networks["F3"] is None


def test_businesses_in_succession_at_one_premises_are_linked(networked, fresh_warehouse):
    rows = [
        {"source": "site", "record_id": "L1", "site_kind": "review_site", "business_name": "Lucky Star Spa",
         "address": "77 Bay Rd", "city": "Miami", "state": "FL", "first_seen": "2018-01-01", "last_seen": "2019-06-01"},
        {"source": "site", "record_id": "L2", "site_kind": "review_site", "business_name": "Golden Jade Spa",
         "address": "77 Bay Rd", "city": "Miami", "state": "FL", "first_seen": "2019-09-01", "last_seen": "2021-01-01"},
    ]
    networked({"listings": rows})
    assert fresh_warehouse.rows("SELECT n_businesses FROM networks") == [(2,)]


def test_network_ids_are_stable_between_runs(resolved_world, tmp_path):
    import shutil

    from harborlight.config import installation_key
    from harborlight.warehouse import Warehouse

    copy = tmp_path / "copy"
    shutil.copytree(resolved_world, copy)
    with Warehouse(copy / "warehouse.duckdb", installation_key(copy)) as warehouse:
        find_networks(warehouse)
        first = warehouse.rows("SELECT * FROM network_members ORDER BY ALL")
        find_networks(warehouse)
        assert warehouse.rows("SELECT * FROM network_members ORDER BY ALL") == first
        assert len({n for n, _ in first}) >= 10
