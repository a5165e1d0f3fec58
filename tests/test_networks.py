"""Networks: shared control links businesses; hubs such as mass agents and franchisors do not."""

from __future__ import annotations

import pytest

from harborlight.network.detect import find_networks
from harborlight.protection import protected_persons_sql


@pytest.fixture
def networked(load_resolved, fresh_warehouse):
    """Load records, resolve, find networks; returns {filing record_id: network_id or None}."""

    def run(files: dict[str, list[dict]]) -> dict[str, str | None]:
        load_resolved(files)
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


def succession_listings(site_kind: str = "review_site") -> list[dict]:
    """Two spas at one premises: the second opened three months after the first was last seen."""
    return [
        {"source": "site", "record_id": "L1", "site_kind": site_kind, "business_name": "Lucky Star Spa",
         "address": "77 Bay Rd", "city": "Miami", "state": "FL", "first_seen": "2018-01-01", "last_seen": "2019-06-01"},
        {"source": "site", "record_id": "L2", "site_kind": site_kind, "business_name": "Golden Jade Spa",
         "address": "77 Bay Rd", "city": "Miami", "state": "FL", "first_seen": "2019-09-01", "last_seen": "2021-01-01"},
    ]


def test_businesses_in_succession_at_one_premises_are_linked(networked, fresh_warehouse):
    networked({"listings": succession_listings()})
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


def two_spa_records() -> dict:
    filings = [
        filing("F1", "LUCKY STAR SPA INC", "77 Bay Rd", "ZHANG, WEI", "person", "18 Cedar Lane"),
        filing("F2", "GOLDEN JADE SPA LLC", "900 Pine Dr", "Wei Zhang", "person", "18 Cedar Ln"),
    ]
    officers = [
        officer("F1-1", "F1", "ZHANG, WEI", "18 Cedar Lane"),
        officer("F2-1", "F2", "Zhang Wei", None),
        officer("F2-2", "F2", "KIM, SOO-JIN", "900 Pine Dr"),  # the worker, signed up as an officer
        officer("F1-2", "F1", "PARK, MIN", "3 Lone Rd"),  # appears on nothing else: a probable nominee
    ]
    listings = [
        {"source": "site", "record_id": f"L{i}", "site_kind": "review_board", "business_name": name,
         "address": address, "city": "Miami", "state": "FL", "phone": "305-555-0188"}
        for i, (name, address) in enumerate((("Lucky Star Spa", "77 Bay Rd"), ("Golden Jade Spa", "900 Pine Dr")))
    ]
    licenses = [
        {"source": "board", "record_id": f"M{i}", "license_type": "therapist", "licensee_name": "KIM, SOO-JIN",
         "license_number": "MA777", "business_name": name, "address": address, "city": "Miami", "state": "FL"}
        for i, (name, address) in enumerate((("Lucky Star Spa", "77 Bay Rd"), ("Golden Jade Spa", "900 Pine Dr")))
    ]
    return {"filings": filings, "officers": officers, "listings": listings, "licenses": licenses}


def person_of(warehouse, record_type: str, record_id: str) -> str:
    return warehouse.rows("SELECT entity_id FROM record_entities WHERE record_type = ? AND record_id = ?",
                          [record_type, record_id])[0][0]


def test_the_controller_is_ranked_first_and_workers_and_nominees_never_ranked(networked, fresh_warehouse):
    networked(two_spa_records())
    controller = person_of(fresh_warehouse, "officers", "F1-1")
    worker = person_of(fresh_warehouse, "licenses", "M0")
    nominee = person_of(fresh_warehouse, "officers", "F1-2")
    ranked = fresh_warehouse.rows("SELECT person_id FROM network_persons WHERE NOT protected ORDER BY controller_score DESC")
    assert ranked[0][0] == controller
    assert worker not in {p for (p,) in ranked} and nominee not in {p for (p,) in ranked}
    flagged: dict[str, set[str]] = {}
    for person, reason in fresh_warehouse.rows("SELECT person_id, reason FROM probable_nominees"):
        flagged.setdefault(person, set()).add(reason)
    assert "only footprint is one business inside a network" in flagged[nominee]
    assert "a worker named as an officer" in flagged[person_of(fresh_warehouse, "officers", "F2-2")]


def test_no_protected_person_is_a_controller_or_named_in_any_export(networked, fresh_warehouse, tmp_path):
    import csv

    from harborlight.export.csv_export import EXPORT_COLUMNS, export_csv
    from harborlight.indicators.scoring import score

    networked(two_spa_records())
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    export_csv(fresh_warehouse, tmp_path / "out")
    text = "".join((tmp_path / "out" / name).read_text(encoding="utf-8") for name in EXPORT_COLUMNS)
    for secret in ("SOO", "KIM", "MA777", "PARK", "MIN"):
        assert secret not in text
    with (tmp_path / "out" / "networks.csv").open(encoding="utf-8") as f:
        (network,) = list(csv.DictReader(f))
    controllers = network["controller_ids"].split(";")
    assert controllers[0] == person_of(fresh_warehouse, "officers", "F1-1")
    protected = {p for (p,) in fresh_warehouse.rows("SELECT person_id FROM network_persons WHERE protected")}
    assert protected and not protected & set(controllers)
    with (tmp_path / "out" / "persons.csv").open(encoding="utf-8") as f:
        persons = {r["entity_id"]: r for r in csv.DictReader(f)}
    assert all(persons[p]["protected"] == "true" and persons[p]["controller_score"] == "" for p in protected)
    assert "ZHANG" in persons[controllers[0]]["display_name"].upper()


def test_the_network_view_shows_controllers_with_evidence_and_workers_only_as_pseudonyms(networked, fresh_warehouse):
    from harborlight.network.view import network_text, network_view

    networked(two_spa_records())
    (network_id,) = fresh_warehouse.rows("SELECT network_id FROM networks")[0]
    text = "\n".join(network_text(network_view(fresh_warehouse, network_id)))
    assert "ZHANG" in text.upper() and "registered agent of" in text and "officer of" in text
    assert "worker-" in text
    for secret in ("SOO", "MA777", "PARK"):
        assert secret not in text.upper()


@pytest.mark.parametrize("fmt", ["csv", "ftm", "gexf", "i2", "geojson"])
def test_every_export_format_names_no_protected_person(fmt, networked, fresh_warehouse, tmp_path):
    from harborlight.export import export
    from harborlight.indicators.scoring import score

    networked(two_spa_records())
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    written = export(fresh_warehouse, fmt, tmp_path / fmt)
    text = "".join((tmp_path / fmt / name).read_text(encoding="utf-8") for name in written)
    for secret in ("SOO", "Soo", "KIM", "Kim", "MA777", "PARK", "Park", "Lone Rd"):
        assert secret not in text, (fmt, secret)
    if fmt != "geojson":  # the map holds businesses only
        assert "worker-" in text
    if fmt not in ("csv", "geojson"):
        assert "ZHANG" in text.upper()  # the controller is named


def test_ftm_export_is_valid_followthemoney(networked, fresh_warehouse, tmp_path):
    import json

    from followthemoney import model

    from harborlight.export import export

    networked(two_spa_records())
    export(fresh_warehouse, "ftm", tmp_path)
    schemata = set()
    for line in (tmp_path / "entities.ftm.json").read_text(encoding="utf-8").splitlines():
        proxy = model.get_proxy(json.loads(line))
        schemata.add(proxy.schema.name)
    assert {"Company", "Person", "Directorship", "Representation", "Address"} <= schemata


def test_gexf_export_is_well_formed_xml_with_nodes_and_edges(networked, fresh_warehouse, tmp_path):
    import xml.etree.ElementTree as ET

    from harborlight.export import export

    networked(two_spa_records())
    export(fresh_warehouse, "gexf", tmp_path)
    root = ET.parse(tmp_path / "graph.gexf").getroot()
    ns = {"g": "http://gexf.net/1.3"}
    assert root.findall(".//g:node", ns) and root.findall(".//g:edge", ns)


def test_a_controller_named_again_without_an_address_is_not_taken_for_a_nominee(networked, fresh_warehouse):
    # F2-1 names the controller as "Zhang Wei" with no address, so resolution may leave it apart
    # from F1-1; the same name tied to the network's other business marks it as the same person.
    networked(two_spa_records())
    nominees = {p for (p,) in fresh_warehouse.rows("SELECT person_id FROM probable_nominees")}
    assert person_of(fresh_warehouse, "officers", "F2-1") not in nominees
    assert person_of(fresh_warehouse, "officers", "F1-2") in nominees


def test_anyone_bearing_a_nominee_name_is_protected_even_where_they_control_more(networked, fresh_warehouse):
    files = two_spa_records()
    # Elsewhere, two salons share an officer with the nominee's name: that person is hidden too.
    files["filings"] += [filing("F3", "NORTH NAIL SALON LLC", "5 North St"), filing("F4", "SOUTH NAIL SALON LLC", "6 South St")]
    files["officers"] += [officer("F3-1", "F3", "Min Park", "40 Elm St"), officer("F4-1", "F4", "PARK, MIN", "40 Elm St")]
    networked(files)
    namesake = person_of(fresh_warehouse, "officers", "F3-1")
    ranked = {p for (p,) in fresh_warehouse.rows("SELECT person_id FROM network_persons WHERE NOT protected")}
    assert namesake not in ranked
    protected = {p for (p,) in fresh_warehouse.rows(protected_persons_sql(include_nominees=True))}
    assert namesake in protected


def test_on_a_synthetic_world_no_ranked_controller_is_a_true_worker_or_nominee(resolved_world, small_world, tmp_path):
    import csv
    import shutil

    from harborlight.config import installation_key
    from harborlight.evaluate import truth_record_entities
    from harborlight.indicators.scoring import score
    from harborlight.warehouse import Warehouse

    copy = tmp_path / "copy"
    shutil.copytree(resolved_world, copy)
    truth = truth_record_entities(small_world)
    with (small_world / "truth" / "persons.csv").open(encoding="utf-8", newline="") as f:
        persons = {r["true_entity_id"]: r for r in csv.DictReader(f)}
    with Warehouse(copy / "warehouse.duckdb", installation_key(copy)) as warehouse:
        score(warehouse)
        find_networks(warehouse)
        rows = warehouse.rows(
            """SELECT re.record_type, re.source, re.record_id FROM record_entities re
               JOIN network_persons np ON np.person_id = re.entity_id AND NOT np.protected""")
    roles = [persons.get(truth.get(tuple(r)), {}) for r in rows]
    # Not vacuous: controllers are ranked (few at scale 1 with 10% prevalence: only on evidence of control).
    assert len(rows) >= 5 and any(p.get("role") == "controller" for p in roles)
    assert not [p for p in roles if p.get("role") == "worker" or p.get("is_nominee") == "true"]


def test_a_controller_giving_a_spa_as_their_address_has_that_premises_as_evidence(networked, fresh_warehouse):
    from harborlight.network.view import network_view

    files = two_spa_records()
    files["officers"][0] = officer("F1-1", "F1", "ZHANG, WEI", "77 Bay Rd")  # the Lucky Star's own premises
    network = networked(files)["F1"]
    controller = person_of(fresh_warehouse, "officers", "F1-1")
    lucky = person_of(fresh_warehouse, "filings", "F1")
    (ties,) = [c.ties for c in network_view(fresh_warehouse, network).controllers if c.person_id == controller]
    assert (lucky, "address_at_premises", "officers:fl:F1-1") in ties


# -- networks that one bridge cannot merge -------------------------------------------------------

def listing(record_id: str, name: str, address: str, phone: str) -> dict:
    return {"source": "site", "record_id": record_id, "site_kind": "review_site", "business_name": name,
            "address": address, "city": "Miami", "state": "FL", "phone": phone}


def therapist(record_id: str, name: str, number: str, business: str, address: str) -> dict:
    return {"source": "board", "record_id": record_id, "license_type": "therapist", "licensee_name": name,
            "license_number": number, "business_name": business, "address": address, "city": "Miami", "state": "FL"}


NETWORK_NAMES = {
    "A": ["LOTUS", "JADE", "ORCHID", "PEARL", "BAMBOO", "LILY"],
    "B": ["SUNRISE", "HARBOR", "MAPLE", "RIVER", "SUMMIT", "CEDAR"],
}
CONTROLLERS = {"A": ("ALVAREZ, MARCO", "12 Quail Run"), "B": ("OKAFOR, DANIEL", "48 Heron Way")}
PHONES = {"A": "305-555-0101", "B": "305-555-0202"}


def dense_network(tag: str, size: int = 5) -> dict[str, list[dict]]:
    """`size` spas, each filing naming the same manager, each listing advertising the same phone."""
    controller, home = CONTROLLERS[tag]
    files: dict[str, list[dict]] = {"filings": [], "officers": [], "listings": []}
    for i, word in enumerate(NETWORK_NAMES[tag][:size], start=1):
        name, address = f"{word} {tag} WELLNESS", f"{i * 100 + (1 if tag == 'A' else 7)} {word.title()} Blvd"
        files["filings"].append(filing(f"{tag}{i}", f"{name} LLC", address))
        files["officers"].append(officer(f"{tag}{i}-1", f"{tag}{i}", controller, home))
        files["listings"].append(listing(f"L{tag}{i}", name, address, PHONES[tag]))
    return files


def two_dense_networks(bridge: str) -> dict[str, list[dict]]:
    """Two networks of five spas with nothing in common but one bridge between A1 and B1:
    a worker licensed at both, a phone both advertise, or a registered agent only they use."""
    files = dense_network("A")
    for kind, rows in dense_network("B").items():
        files[kind] += rows
    a1, b1 = files["filings"][0], files["filings"][5]
    if bridge == "worker":
        files["licenses"] = [
            therapist("M1", "CHEN, MEI", "MA4242", "Lotus A Wellness", a1["principal_address"]),
            therapist("M2", "CHEN, MEI", "MA4242", "Sunrise B Wellness", b1["principal_address"]),
        ]
    elif bridge == "phone":
        files["listings"] += [listing("LX1", "Lotus A Wellness", a1["principal_address"], "305-555-0999"),
                              listing("LX2", "Sunrise B Wellness", b1["principal_address"], "305-555-0999")]
    elif bridge == "agent":
        for row in (a1, b1):
            row |= {"registered_agent_name": "QUIET HARBOR AGENTS LLC", "registered_agent_type": "company",
                    "registered_agent_address": "3 Dock St", "registered_agent_city": "Miami",
                    "registered_agent_state": "FL"}
    return files


@pytest.mark.parametrize("bridge", ["worker", "phone", "agent"])
def test_one_shared_tie_between_two_networks_of_five_does_not_merge_them(bridge, networked, fresh_warehouse):
    networks = networked(two_dense_networks(bridge))
    a = {networks[f"A{i}"] for i in range(1, 6)}
    b = {networks[f"B{i}"] for i in range(1, 6)}
    assert len(a) == 1 and len(b) == 1 and None not in a | b
    assert a != b
    # The bridge is there: the baseline's connected components do merge the two.
    find_networks(fresh_warehouse, method="components")
    assert fresh_warehouse.rows("SELECT count(*), sum(n_businesses) FROM networks") == [(1, 10)]


def test_network_detection_is_repeatable(networked, fresh_warehouse):
    networked(two_dense_networks("worker"))
    first = fresh_warehouse.rows("SELECT * FROM network_members ORDER BY ALL")
    find_networks(fresh_warehouse)
    assert fresh_warehouse.rows("SELECT * FROM network_members ORDER BY ALL") == first


def test_an_unknown_method_is_refused(networked, fresh_warehouse):
    from harborlight.errors import UsageError

    networked(dense_network("A", 2))
    with pytest.raises(UsageError, match="unknown method"):
        find_networks(fresh_warehouse, method="louvain")


@pytest.mark.parametrize("clients", [200])
def test_a_registered_agent_with_n_clients_adds_n_graph_rows_and_no_links(clients, networked, fresh_warehouse):
    filings = [filing(f"F{i}", f"Client Business {i} LLC", f"{i} Elm St", "SUNSTATE REGISTERED AGENTS INC")
               for i in range(1, clients + 1)]
    networked({"filings": filings})
    agent_rows = fresh_warehouse.rows("SELECT count(*) FROM graph_edges WHERE kind = 'registered_agent'")[0][0]
    assert agent_rows == clients
    assert fresh_warehouse.rows("SELECT count(*) FROM business_links")[0][0] == 0


def test_links_grow_with_ties_not_with_the_square_of_a_node_degree(networked, fresh_warehouse):
    from harborlight.network.graph import DEFAULT_MAX_DEGREE

    # One agent company with 30 clients (under the cap) and one with 120 (over it).
    filings = [filing(f"F{i}", f"Small Client {i} LLC", f"{i} Oak St", "HARBOR FILINGS LLC") for i in range(1, 31)]
    filings += [filing(f"G{i}", f"Large Client {i} LLC", f"{i} Elm St", "SUNSTATE REGISTERED AGENTS INC")
                for i in range(1, 121)]
    networked({"filings": filings})
    ties = fresh_warehouse.rows("SELECT count(*) FROM graph_edges")[0][0]
    links = fresh_warehouse.rows("SELECT count(*) FROM business_links")[0][0]
    assert ties == 150
    assert links == 30 * 29 // 2  # only the small agent is projected
    assert links <= ties * DEFAULT_MAX_DEGREE // 2


# -- controllers only on evidence of control -----------------------------------------------------

def network_with_officer(role: str, evidence: str) -> dict[str, list[dict]]:
    """Three spas of one network (one phone, one manager) and a person named on two of the filings
    with `role`; `evidence` adds what else ties her: nothing, the agent role on all three filings, the
    agent role on only the two she signs (self-agency), a holding company."""
    files = dense_network("A", 3)
    for k in (1, 2):
        files["officers"].append(officer(f"A{k}-2", f"A{k}", "LI, NA", "9 Home Ct") | {"role": role})
    if evidence in ("registered_agent", "self_agency"):
        for row in files["filings"][: 3 if evidence == "registered_agent" else 2]:
            row |= {"registered_agent_name": "LI, NA", "registered_agent_type": "person",
                    "registered_agent_address": "9 Home Ct", "registered_agent_city": "Miami",
                    "registered_agent_state": "FL"}
    if evidence == "holdings":
        files["filings"].append(filing("H1", "NORTHSTAR HOLDINGS LLC", "500 Tower Rd"))
        files["officers"] = [o for o in files["officers"] if o["record_id"] not in ("A1-2", "A2-2")]
        files["officers"].append(officer("H1-1", "H1", "LI, NA", "9 Home Ct") | {"role": role})
        for k in (1, 2):
            files["officers"].append(officer(f"A{k}-3", f"A{k}", "NORTHSTAR HOLDINGS LLC", "500 Tower Rd", "company")
                                     | {"role": "member"})
    # Her therapist license, in the name she works under: resolution leaves it apart from her filings.
    files["licenses"] = [therapist("M1", "Jenny Li", "MA5151", "Lotus A Wellness", "101 Lotus Blvd")]
    return files


@pytest.mark.parametrize("evidence", ["none", "self_agency"])
def test_a_secretary_on_two_filings_without_evidence_of_control_is_protected_and_not_ranked(
    evidence, networked, fresh_warehouse
):
    # Self-agency: the agent of only the filings she signs, at her home. A nominee signed up as
    # president and agent showed exactly this on a state-scale world, and was ranked before the rule.
    networked(network_with_officer("secretary", evidence))
    secretary = person_of(fresh_warehouse, "officers", "A1-2")
    assert secretary == person_of(fresh_warehouse, "officers", "A2-2")
    assert secretary != person_of(fresh_warehouse, "licenses", "M1")  # her license is not linked to her
    ranked = {p for (p,) in fresh_warehouse.rows("SELECT person_id FROM network_persons WHERE NOT protected")}
    assert secretary not in ranked
    reasons = {r for (r,) in fresh_warehouse.rows("SELECT reason FROM probable_nominees WHERE person_id = ?", [secretary])}
    assert reasons == {"officer titles without evidence of control"}
    protected = {p for (p,) in fresh_warehouse.rows(protected_persons_sql(include_nominees=True))}
    assert secretary in protected
    # The manager of all three is ranked.
    assert person_of(fresh_warehouse, "officers", "A1-1") in ranked


@pytest.mark.parametrize("role, evidence", [
    ("manager", "none"),
    ("secretary", "registered_agent"),
    ("director", "holdings"),
])
def test_a_manager_a_registered_agent_or_a_holding_company_officer_is_ranked(role, evidence, networked, fresh_warehouse):
    networked(network_with_officer(role, evidence))
    person = person_of(fresh_warehouse, "officers", "H1-1" if evidence == "holdings" else "A1-2")
    assert person != person_of(fresh_warehouse, "licenses", "M1")  # her license is not linked
    ranked = {p for (p,) in fresh_warehouse.rows("SELECT person_id FROM network_persons WHERE NOT protected")}
    assert person in ranked
    expected = {"none": "manager_role", "registered_agent": "registered_agent", "holdings": "holdings"}[evidence]
    kinds = {e for (e,) in fresh_warehouse.rows("SELECT evidence FROM control_evidence WHERE person_id = ?", [person])}
    assert expected in kinds
    assert not fresh_warehouse.rows("SELECT 1 FROM probable_nominees WHERE person_id = ?", [person])


def test_an_address_that_is_a_network_filing_mailing_address_is_evidence_of_control(networked, fresh_warehouse):
    files = network_with_officer("president", "none")
    for row in files["filings"]:  # all three, one of them a filing she does not sign
        row |= {"mailing_address": "9 Home Court", "mailing_city": "Miami", "mailing_state": "FL"}
    networked(files)
    person = person_of(fresh_warehouse, "officers", "A1-2")
    ranked = {p for (p,) in fresh_warehouse.rows("SELECT person_id FROM network_persons WHERE NOT protected")}
    assert person in ranked
    assert ("network_address",) in fresh_warehouse.rows("SELECT evidence FROM control_evidence WHERE person_id = ?", [person])


def test_a_mailing_address_at_a_premises_where_workers_live_is_no_evidence(networked, fresh_warehouse):
    files = network_with_officer("president", "none")
    files["officers"] = [o | {"address": "101 Lotus Blvd"} if o["record_id"] in ("A1-2", "A2-2") else o
                         for o in files["officers"]]
    for row in files["filings"][:2]:
        row |= {"mailing_address": "101 Lotus Blvd", "mailing_city": "Miami", "mailing_state": "FL"}
    networked(files)
    person = person_of(fresh_warehouse, "officers", "A1-2")
    ranked = {p for (p,) in fresh_warehouse.rows("SELECT person_id FROM network_persons WHERE NOT protected")}
    assert person not in ranked


def test_a_person_outside_every_network_is_protected_in_outputs(networked, fresh_warehouse):
    from harborlight.protection import protected_sql_for

    files = two_spa_records()
    files["filings"].append(filing("F9", "QUIET OAK MASSAGE LLC", "5 Birch St"))
    files["officers"].append(officer("F9-1", "F9", "MORGAN, ALEX", "7 Pine Ct"))  # no network, nothing decided
    networked(files)
    protected = {p for (p,) in fresh_warehouse.rows(protected_sql_for(fresh_warehouse))}
    assert person_of(fresh_warehouse, "officers", "F9-1") in protected
    assert person_of(fresh_warehouse, "officers", "F1-1") not in protected  # the ranked controller


def test_businesses_in_one_building_sharing_a_switchboard_phone_form_no_network(networked, fresh_warehouse):
    # A hotel's spa, salon and gift shop: different suites, open at the same time, one front-desk number.
    listings = [
        {"source": "site", "record_id": f"L{i}", "site_kind": "directory", "business_name": name,
         "address": f"1 Ocean Dr Suite {100 + i}", "city": "Miami", "state": "FL", "phone": "305-555-0777",
         "first_seen": "2019-01-01", "last_seen": "2023-01-01"}
        for i, name in enumerate(["Seaside Hotel Spa", "Harbor Hair Studio", "Ocean Gifts"])
    ]
    networked({"listings": listings})
    assert fresh_warehouse.rows("SELECT count(DISTINCT entity_id) FROM record_entities") == [(3,)]
    assert fresh_warehouse.rows("SELECT count(*) FROM graph_edges WHERE kind = 'uses_phone'") == [(3,)]
    assert fresh_warehouse.rows("SELECT count(*) FROM business_links") == [(0,)]
    assert fresh_warehouse.rows("SELECT count(*) FROM networks") == [(0,)]


def test_a_license_naming_a_spa_name_two_businesses_share_ties_the_worker_to_neither_by_name(networked, fresh_warehouse):
    filings = [filing("F1", "LUCKY SPA LLC", "10 North Rd"), filing("F2", "LUCKY SPA INC", "900 South Rd")]
    listings = [listing("L1", "Lucky Spa", "10 North Rd", "305-555-0111"),
                listing("L2", "Lucky Spa", "900 South Rd", "305-555-0222")]
    licenses = [therapist("M1", "CHEN, MEI", "MA4242", "Lucky Spa", "55 Elsewhere Ave")]
    networked({"filings": filings, "listings": listings, "licenses": licenses})
    assert len({b for (b,) in fresh_warehouse.rows("SELECT entity_id FROM record_entities WHERE record_type = 'filings'")}) == 2
    assert fresh_warehouse.rows("SELECT count(*) FROM graph_edges WHERE kind = 'licensed_to_work_at'") == [(0,)]
    assert fresh_warehouse.rows("SELECT count(*) FROM networks") == [(0,)]


def test_an_officer_who_is_also_the_agent_of_two_businesses_is_one_shared_tie(networked, fresh_warehouse):
    filings = [filing(f"F{i}", f"{word} WELLNESS LLC", f"{i}0 Palm Ave", "RIVERA, ANA", "person", "5 Home Ct")
               for i, word in ((1, "NORTH"), (2, "SOUTH"))]
    officers = [officer(f"F{i}-1", f"F{i}", "RIVERA, ANA", "5 Home Ct") for i in (1, 2)]
    networked({"filings": filings, "officers": officers})
    assert fresh_warehouse.rows("SELECT weight, kinds, shared_nodes FROM business_links") == [
        (1.0, ["officer", "registered_agent"], 1)]


def test_one_name_at_two_addresses_with_none_in_common_ties_nothing(load_resolved, fresh_warehouse):
    # Two people with one common name, each the officer of a business at her own home address,
    # and people resolution has joined them into one entity (the state this rule defends against).
    filings = [filing("F1", "NORTH WELLNESS LLC", "10 Palm Ave"), filing("F2", "SOUTH NAILS LLC", "20 Palm Ave")]
    officers = [officer("F1-1", "F1", "NGUYEN, LAN", "5 Home Ct"), officer("F2-1", "F2", "NGUYEN, LAN", "77 Far Rd")]
    load_resolved({"filings": filings, "officers": officers})
    first, second = (person_of(fresh_warehouse, "officers", r) for r in ("F1-1", "F2-1"))
    fresh_warehouse.run("UPDATE person_mentions SET entity_id = ? WHERE entity_id = ?", [first, second])
    find_networks(fresh_warehouse)
    assert fresh_warehouse.rows("SELECT weight FROM business_links") == [(0.0,)]
    assert fresh_warehouse.rows("SELECT count(*) FROM networks") == [(0,)]
    # The same two filings giving one address for her do tie the businesses.
    fresh_warehouse.run("UPDATE person_mentions SET street = '5 HOME CT' WHERE entity_id = ?", [first])
    find_networks(fresh_warehouse)
    assert fresh_warehouse.rows("SELECT weight FROM business_links") == [(1.0,)]


@pytest.mark.parametrize("fmt", ["csv", "ftm", "gexf", "i2", "geojson"])
def test_an_export_before_the_network_stage_names_nobody(fmt, load_resolved, fresh_warehouse, tmp_path):
    """Nothing is decided before `networks` runs, so every person is shown by pseudonym,
    whatever the order of commands (resolve, then export)."""
    from harborlight.export import export

    load_resolved(two_spa_records())
    written = export(fresh_warehouse, fmt, tmp_path / fmt)
    text = "".join((tmp_path / fmt / name).read_text(encoding="utf-8") for name in written).upper()
    for secret in ("ZHANG", "SOO", "KIM", "MA777", "PARK"):
        assert secret not in text, (fmt, secret)


def test_the_network_command_prints_the_read_layers_view_with_its_cities_and_no_protected_name(network_ready, fresh_warehouse,
                                                                                              tmp_path):
    from test_cli import harborlight

    fresh_warehouse.close()  # the command opens the warehouse in a process of its own
    result = harborlight("network", network_ready, "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cities: Miami, FL" in result.stdout and "ZHANG" in result.stdout.upper() and "worker-" in result.stdout
    for secret in ("SOO", "MA777", "PARK", "Lone Rd"):
        assert secret not in result.stdout.upper()
