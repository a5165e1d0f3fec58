"""The read layer: typed results for every view, protection applied before any value leaves, for every role."""

from __future__ import annotations

import re

import dataclasses
import json

import pytest
from test_networks import person_of, succession_listings, two_spa_records
from test_outcomes import outcome

from harborlight import read
from harborlight.errors import BadRequest, NotFound, Stale
from harborlight.indicators.scoring import score
from harborlight.ingest import ingest
from harborlight.network.detect import find_networks
from harborlight.protection import Protection, ProtectionViolation, pseudonym
from harborlight.warehouse import Warehouse

WORKER_NAME, WORKER_LICENSE, NOMINEE_NAME = "KIM, SOO-JIN", "MA777", "PARK, MIN"


def as_json(result) -> str:
    """A result as the API would send it."""
    return json.dumps(dataclasses.asdict(result), default=str, ensure_ascii=False)


# -- the scale-1 world, every result type, every role ---------------------------------------------

def leaks(text: str, values: set[str]) -> list[str]:
    """The protected values `text` prints as whole words, whatever their case."""
    lowered = text.lower()
    return sorted(v for v in values if v.lower() in lowered
                  and re.search(rf"(?<![^\W_]){re.escape(v.lower())}(?![^\W_])", lowered))


def every_result(warehouse: Warehouse, viewer: read.Viewer, protection: Protection, identities: dict) -> list:
    """Every result type: each network's view, controllers and packet; the dossier (with its premises
    timelines) of every network's businesses, of every business a tip or a review is evidence about,
    of every business a protected person is an officer or agent of, and of 100 where one is licensed
    to work (nearly every business has one: all of them would take minutes per role); the 50 busiest
    premises alone; the outcomes; and searches, among them for protected names."""
    results: list = []
    networks = [n for (n,) in warehouse.rows("SELECT network_id FROM networks ORDER BY network_id")]
    for network_id in networks:
        view = read.network_view(warehouse, network_id, viewer, protection)
        results.append(view)
        results += [read.controller(warehouse, network_id, c.person_id, viewer, protection) for c in view.controllers]
        results.append(read.packet(warehouse, network_id, viewer, protection))
    protected = sorted(identities["entities"])
    businesses = {b for (b,) in warehouse.rows(
        "SELECT business_id FROM graph_edges WHERE kind <> 'licensed_to_work_at' AND list_contains(?, node_id) "
        "UNION SELECT entity_id FROM indicator_evidence WHERE record_type IN ('hotline_signals', 'reviews') "
        "UNION SELECT business_id FROM network_members", [protected])}
    businesses |= {b for (b,) in warehouse.rows(
        "SELECT DISTINCT business_id FROM graph_edges WHERE kind = 'licensed_to_work_at' AND list_contains(?, node_id) "
        "ORDER BY business_id LIMIT 100", [protected])}
    for business_id in sorted(businesses):
        results.append(read.business_dossier(warehouse, business_id, viewer, protection))
    for (premises_id,) in warehouse.rows("SELECT premises_id FROM premises ORDER BY businesses DESC, premises_id LIMIT 50"):
        results.append(read.premises_timeline(warehouse, premises_id, viewer, protection))
    results.append(read.outcomes(warehouse, viewer, protection))
    for query in ["spa", "massage", "net-", "per-", "worker-", *sorted(identities["values"])[:40]]:
        results.append(read.search(warehouse, query, viewer, protection=protection))
    return results


@pytest.mark.parametrize("role", read.ROLES)
def test_no_read_layer_result_names_a_protected_person_for_any_role(role, networked_warehouse, protected_identities):
    protection = Protection(networked_warehouse)
    results = every_result(networked_warehouse, read.Viewer(role), protection, protected_identities)
    kinds = {type(r).__name__ for r in results}
    assert kinds >= {"NetworkView", "Controller", "Packet", "BusinessDossier", "PremisesTimeline", "Outcomes",
                     "SearchResults"}
    text = "\n".join(as_json(r) for r in results)
    assert not leaks(text, protected_identities["values"])
    # Not vacuous: the results reach protected people (as pseudonyms), and the scan finds their names in clear.
    shown = {pseudonym(p) for p in protected_identities["entities"]}
    assert sum(1 for p in shown if p in text) >= 50
    people = networked_warehouse.rows("SELECT name FROM entities WHERE list_contains(?, entity_id)",
                                      [sorted(protected_identities["entities"])])
    assert leaks("\n".join(name for (name,) in people if name), protected_identities["values"])


def test_no_protected_person_is_found_by_their_recorded_name_on_the_world(networked_warehouse, protected_identities):
    protection, viewer = Protection(networked_warehouse), read.Viewer("investigator")
    for value in sorted(protected_identities["values"])[:200]:
        for query in (value, value.lower(), value.upper()):
            results = read.search(networked_warehouse, query, viewer, protection=protection)
            assert not {p.person_id for p in results.persons} & protected_identities["entities"], query


# -- one function at a time, on the two-spa network -------------------------------------------------

@pytest.fixture
def two_spas(load_resolved, fresh_warehouse):
    """The two-spa network (a controller, a worker licensed at both spas and signed up as an officer, a
    nominee), with a review and a tip that name the worker, scored and found. Returns the network id."""
    files = two_spa_records()
    files["reviews"] = [{"source": "site", "record_id": "R1", "listing_record_id": "L0",
                         "text": f"Ask for {WORKER_NAME}, she lives upstairs. Cash only."}]
    files["tips"] = [{"source": "hotline", "record_id": "T1", "received_at": "2022-03-01T09:00:00Z", "channel": "call",
                      "reporter_role": "survivor", "language": "ko", "business_name": "Lucky Star Spa",
                      "text": f"{WORKER_NAME} cannot leave the spa."}]
    files["outcomes"] = [outcome(1, "controller", "arrest", f"Operation {WORKER_NAME}")]
    load_resolved(files)
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    return fresh_warehouse.rows("SELECT network_id FROM networks")[0][0]


def lucky_star(warehouse) -> str:
    """The business of filing F1."""
    return person_of(warehouse, "filings", "F1")


@pytest.mark.parametrize("role", read.ROLES)
def test_the_two_spa_network_holds_its_controller_by_name_and_everyone_else_by_pseudonym(role, two_spas, fresh_warehouse):
    viewer = read.Viewer(role)
    view = read.network_view(fresh_warehouse, two_spas, viewer)
    controller = person_of(fresh_warehouse, "officers", "F1-1")
    worker = person_of(fresh_warehouse, "licenses", "M0")
    nominee = person_of(fresh_warehouse, "officers", "F1-2")
    assert [c.person_id for c in view.controllers][:1] == [controller] and "ZHANG" in view.controllers[0].name.upper()
    assert {pseudonym(worker), pseudonym(nominee)} <= set(view.protected) and view.protected_count == len(view.protected)
    assert view.cities == ("Miami, FL",)
    for result in (view, read.business_dossier(fresh_warehouse, lucky_star(fresh_warehouse), viewer),
                   read.packet(fresh_warehouse, two_spas, viewer), read.outcomes(fresh_warehouse, viewer)):
        text = as_json(result)
        for secret in (WORKER_NAME, "SOO-JIN", WORKER_LICENSE, NOMINEE_NAME, "Lone Rd"):
            assert secret not in text.upper(), (type(result).__name__, secret)


def test_a_controller_carries_its_ties_and_its_evidence_of_control_with_source_records(two_spas, fresh_warehouse):
    person_id = person_of(fresh_warehouse, "officers", "F1-1")
    found = read.controller(fresh_warehouse, two_spas, person_id, read.ANALYST)
    assert found.network_id == two_spas and "ZHANG" in found.name.upper()
    assert {t.kind for t in found.ties} >= {"officer", "registered_agent"}
    assert found.evidence and all(f.record.count(":") == 2 for f in found.evidence)
    assert {f.evidence for f in found.evidence} & {"manager_role", "registered_agent"}


def test_the_dossier_holds_records_risk_premises_network_and_people_with_text_redacted(two_spas, fresh_warehouse):
    business = lucky_star(fresh_warehouse)
    dossier = read.business_dossier(fresh_warehouse, business, read.ANALYST)
    assert dossier.network_id == two_spas and dossier.risk is not None and dossier.premises
    assert {r.record_type for r in dossier.records} >= {"filings", "listings", "reviews"}
    assert dossier.hotline.contacts == 1
    (review,) = [r for r in dossier.records if r.record_type == "reviews"]
    assert review.text == "Ask for [protected person], she lives upstairs. Cash only."
    people = {p.person_id: p for p in dossier.people}
    worker = person_of(fresh_warehouse, "licenses", "M0")
    assert people[worker].protected and people[worker].name == pseudonym(worker)
    controller = person_of(fresh_warehouse, "officers", "F1-1")
    assert not people[controller].protected and "ZHANG" in people[controller].name.upper()
    excerpts = [f.excerpt or "" for i in dossier.risk.indicators for f in i.evidence]
    assert excerpts and not any(WORKER_NAME in e for e in excerpts)


@pytest.mark.parametrize("role", ["analyst", "investigator", "admin", "advocate"])
def test_a_dossier_counts_hotline_contacts_and_holds_no_tip_record_or_text_for_any_role(role, two_spas, fresh_warehouse):
    dossier = read.business_dossier(fresh_warehouse, lucky_star(fresh_warehouse), read.Viewer(role))
    assert not [r for r in dossier.records if r.record_type in ("tips", "hotline_signals")]
    assert dossier.hotline.phrase("this business") == "1 hotline contact mentions this business; languages needed: Korean"
    assert "cannot leave" not in repr(dossier)


def test_operation_names_in_the_outcomes_are_redacted(two_spas, fresh_warehouse):
    result = read.outcomes(fresh_warehouse, read.ANALYST)
    assert [op.operation for op in result.ledger.operations] == ["Operation [protected person]"]
    assert result.headline.startswith("0 of 1 arrests")


def test_pseudonyms_are_the_same_in_every_result_for_every_role(two_spas, fresh_warehouse):
    worker = person_of(fresh_warehouse, "licenses", "M0")
    seen = set()
    for role in read.ROLES:
        viewer = read.Viewer(role)
        view = read.network_view(fresh_warehouse, two_spas, viewer)
        dossier = read.business_dossier(fresh_warehouse, lucky_star(fresh_warehouse), viewer)
        found = read.search(fresh_warehouse, worker, viewer)
        seen |= {p for p in view.protected if p == pseudonym(worker)}
        seen |= {p.name for p in dossier.people if p.person_id == worker}
        seen |= {p.name for p in found.persons}
    assert seen == {pseudonym(worker)}


def test_a_protected_person_is_found_by_id_or_pseudonym_and_never_by_name(two_spas, fresh_warehouse):
    worker = person_of(fresh_warehouse, "licenses", "M0")
    for query in (worker, pseudonym(worker)):
        (hit,) = read.search(fresh_warehouse, query, read.ANALYST).persons
        assert hit.person_id == worker and hit.protected and hit.name == pseudonym(worker)
    for query in (WORKER_NAME, "SOO-JIN", "Soo-Jin", NOMINEE_NAME, "PARK"):
        found = read.search(fresh_warehouse, query, read.ANALYST)
        assert not any(p.protected for p in found.persons), query
        assert WORKER_NAME not in as_json(found).upper()


def test_a_controller_is_found_by_name_with_the_networks_they_control(two_spas, fresh_warehouse):
    found = read.search(fresh_warehouse, "zhang", read.ANALYST)
    assert [(p.person_id, p.networks) for p in found.persons][:1] == [
        (person_of(fresh_warehouse, "officers", "F1-1"), (two_spas,))]
    assert not any(p.protected for p in found.persons)


def test_a_business_search_finds_the_business_and_its_network(two_spas, fresh_warehouse):
    found = read.search(fresh_warehouse, "lucky star", read.ANALYST)
    assert lucky_star(fresh_warehouse) in {b.business_id for b in found.businesses}
    assert [n.network_id for n in found.networks] == [two_spas]


def test_a_search_takes_wildcards_literally(two_spas, fresh_warehouse):
    for query in ("%", "_", "%spa%"):
        found = read.search(fresh_warehouse, query, read.ANALYST)
        assert (found.businesses, found.persons) == ((), ()), query


def test_an_empty_search_is_a_bad_request(two_spas, fresh_warehouse):
    with pytest.raises(BadRequest, match="search needs"):
        read.search(fresh_warehouse, "  ", read.ANALYST)


@pytest.mark.parametrize("read_one", [
    lambda w, n: read.network_view(w, "net-nosuchnetwork", read.ANALYST),
    lambda w, n: read.packet(w, "net-nosuchnetwork", read.ANALYST),
    lambda w, n: read.controller(w, n, "per-nosuchperson", read.ANALYST),
    lambda w, n: read.business_dossier(w, "biz-nosuchbusiness", read.ANALYST),
    lambda w, n: read.premises_timeline(w, "prm-nosuchpremises", read.ANALYST),
], ids=["network", "packet", "controller", "dossier", "premises"])
def test_an_unknown_id_is_not_found_and_named_in_the_message(read_one, two_spas, fresh_warehouse):
    with pytest.raises(NotFound, match="nosuch"):
        read_one(fresh_warehouse, two_spas)


def test_a_protected_person_asked_for_as_a_controller_is_not_found(two_spas, fresh_warehouse):
    worker = person_of(fresh_warehouse, "licenses", "M0")
    with pytest.raises(NotFound, match="not a ranked controller") as caught:
        read.controller(fresh_warehouse, two_spas, worker, read.ANALYST)
    assert "SOO" not in str(caught.value).upper()


def test_an_unknown_role_is_a_bad_request():
    with pytest.raises(BadRequest, match="unknown role"):
        read.Viewer("journalist")


def test_a_ranked_controller_the_rule_now_protects_makes_the_network_read_refuse(two_spas, fresh_warehouse):
    fresh_warehouse.run("UPDATE network_persons SET protected = FALSE")  # a ranking the rule no longer agrees with
    worker = person_of(fresh_warehouse, "officers", "F2-2")
    with pytest.raises(ProtectionViolation, match="refused: .* run `harborlight networks` again"):
        read.network_view(fresh_warehouse, two_spas, read.ANALYST)
    with pytest.raises(ProtectionViolation):
        read.controller(fresh_warehouse, two_spas, worker, read.ANALYST)


@pytest.mark.parametrize("read_one", [
    lambda w, n: read.network_view(w, n, read.ANALYST),
    lambda w, n: read.packet(w, n, read.ANALYST),
    lambda w, n: read.business_dossier(w, lucky_star(w), read.ANALYST),
    lambda w, n: read.search(w, "lucky", read.ANALYST),
], ids=["network", "packet", "dossier", "search"])
def test_a_read_after_a_new_load_says_to_resolve_again(read_one, two_spas, fresh_warehouse, write_rows, tmp_path):
    folder = tmp_path / "more"
    write_rows("filings", [{"source": "fl", "record_id": "F9", "entity_name": "NEW SPA LLC"}], folder=folder)
    assert ingest(folder, fresh_warehouse).ok
    with pytest.raises(Stale, match="run `harborlight resolve` again"):
        read_one(fresh_warehouse, two_spas)


def test_a_premises_timeline_lists_its_businesses_oldest_first(load_resolved, fresh_warehouse):
    load_resolved({"listings": succession_listings()})
    (premises_id,) = fresh_warehouse.rows("SELECT premises_id FROM premises")[0]
    timeline = read.premises_timeline(fresh_warehouse, premises_id, read.ANALYST)
    assert timeline.street == "77 BAY RD" and [o.name for o in timeline.occupants] == ["Lucky Star Spa", "Golden Jade Spa"]


def test_results_are_frozen(two_spas, fresh_warehouse):
    view = read.network_view(fresh_warehouse, two_spas, read.ANALYST)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.controllers = ()


def test_search_finds_businesses_by_phone_in_any_format_and_by_street_address(networked_warehouse):
    business, phone, address = networked_warehouse.rows(
        "SELECT entity_id, phone, raw_address FROM business_mentions "
        "WHERE phone LIKE '+1%' AND raw_address SIMILAR TO '[0-9].*' ORDER BY unique_id LIMIT 1")[0]
    national = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    by_phone = read.search(networked_warehouse, national, read.ANALYST)
    assert business in {b.business_id for b in by_phone.businesses if b.matched == "phone"}
    by_address = read.search(networked_warehouse, address.lower(), read.ANALYST)
    assert business in {b.business_id for b in by_address.businesses if b.matched == "address"}
