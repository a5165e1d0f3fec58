"""The analysis pages of the workspace and their JSON twins: search, dossiers, premises, networks, a network's
page and graph, controllers, and notes; the investigator's scope; protected people never named."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import select

from harborlight.store.models import AuditEntry, Note, PacketRelease, User
from web_support import AGENCY, client_for


@pytest.fixture
def opened(workspace):
    """One open workspace over the networked world (SQLite store) with the test accounts."""
    return workspace()


@pytest.fixture
def analyst(opened):
    return client_for(opened, "analyst")


def strongest_network(client) -> dict:
    """The strongest network that has both ranked controllers and protected people, as api_network gives it."""
    for line in client.get("/api/networks").json()["networks"]:
        found = client.get(f"/api/networks/{line['network_id']}").json()
        if found["controllers"] and found["protected_count"]:
            return found
    raise AssertionError("the networked world has no network with controllers and protected people")


def release(ws, network_id: str, agency_name: str = AGENCY) -> None:
    """Release `network_id` to an agency by writing the release row directly (the packets routes are elsewhere)."""
    from harborlight.store.models import Agency

    with ws.store.writing() as s:
        agency = s.execute(select(Agency).where(Agency.name == agency_name)).scalar_one()
        analyst_user = s.execute(select(User).where(User.handle == "analyst")).scalar_one()
        s.add(PacketRelease(network_id=network_id, agency_id=agency.id, released_by=analyst_user.id,
                            networks_run="test", packet_json="{}", packet_digest="0" * 64))


def test_networks_page_lists_every_network_its_twin_lists(analyst):
    listed = analyst.get("/api/networks")
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == len(body["networks"]) > 0
    shown = analyst.get("/networks")
    assert shown.status_code == 200
    assert 'id="networks"' in shown.text
    for line in body["networks"]:
        assert f'href="/networks/{line["network_id"]}"' in shown.text


def test_network_page_lists_the_controllers_its_twin_names(analyst):
    network = strongest_network(analyst)
    shown = analyst.get(f"/networks/{network['network_id']}")
    assert shown.status_code == 200
    text = shown.text
    assert f'data-graph-url="/api/networks/{network["network_id"]}/graph"' in text
    for marker in ('id="graph"', 'id="node-detail"', 'id="controllers"', 'id="timeline"'):
        assert marker in text
    assert f'id="build-packet" href="/packets/new?network={network["network_id"]}"' in text
    for c in network["controllers"]:
        assert html.escape(c["name"]) in text
        assert f'/networks/{network["network_id"]}/controllers/{c["person_id"]}' in text
    assert "<script>" not in text and "style=" not in text


def test_controller_page_and_twin_agree(analyst):
    network = strongest_network(analyst)
    first = network["controllers"][0]
    got = analyst.get(f"/api/networks/{network['network_id']}/controllers/{first['person_id']}")
    assert got.status_code == 200
    assert got.json() == first
    shown = analyst.get(f"/networks/{network['network_id']}/controllers/{first['person_id']}")
    assert shown.status_code == 200
    assert html.escape(first["name"]) in shown.text
    for tie in first["ties"]:
        assert tie["record"] in shown.text


def test_business_page_shows_its_records_risk_and_network(analyst):
    network = strongest_network(analyst)
    business_id = network["members"][0]["business_id"]
    dossier = analyst.get(f"/api/businesses/{business_id}")
    assert dossier.status_code == 200
    body = dossier.json()
    assert body["network_id"] == network["network_id"]
    assert body["records"] and body["risk"] is not None and body["premises"]
    shown = analyst.get(f"/businesses/{business_id}")
    assert shown.status_code == 200
    assert html.escape(body["name"]) in shown.text
    assert f'href="/networks/{network["network_id"]}"' in shown.text
    for r in body["records"]:
        assert f"{r['record_type']}:{r['source']}:{r['record_id']}" in shown.text
    for indicator in body["risk"]["indicators"]:
        assert indicator["indicator_id"] in shown.text


def test_business_page_explains_why_its_records_were_joined(analyst):
    network = strongest_network(analyst)
    joined = [b for b in (analyst.get(f"/api/businesses/{m['business_id']}").json() for m in network["members"])
              if b["joins"]]
    assert joined, "no business of the strongest network rests on more than one scored record"
    body = joined[0]
    records = {f"{r['record_type']}:{r['source']}:{r['record_id']}" for r in body["records"]}
    for join in body["joins"]:
        assert {join["left"], join["right"]} <= records  # both sides are records of this business
        assert 0.0 <= join["probability"] <= 1.0 and join["steps"]
    shown = analyst.get(f"/businesses/{body['business_id']}").text
    assert 'id="joins"' in shown and html.escape(body["joins"][0]["steps"][0]["level"]) in shown


def test_premises_page_lists_the_businesses_its_twin_lists(analyst):
    network = strongest_network(analyst)
    business_id = network["members"][0]["business_id"]
    premises_id = analyst.get(f"/api/businesses/{business_id}").json()["premises"][0]["premises_id"]
    timeline = analyst.get(f"/api/premises/{premises_id}")
    assert timeline.status_code == 200
    occupants = timeline.json()["occupants"]
    assert business_id in {o["business_id"] for o in occupants}
    shown = analyst.get(f"/premises/{premises_id}")
    assert shown.status_code == 200
    for o in occupants:
        assert f'href="/businesses/{o["business_id"]}"' in shown.text


def test_search_finds_a_business_by_name_and_links_it(analyst):
    network = strongest_network(analyst)
    member = network["members"][0]
    found = analyst.get("/api/search", params={"q": member["business_id"]})
    assert found.status_code == 200
    body = found.json()
    assert body["searched"] and member["business_id"] in {b["business_id"] for b in body["businesses"]}
    assert network["network_id"] in {n["network_id"] for n in body["networks"]}
    shown = analyst.get("/search", params={"q": member["business_id"]})
    assert shown.status_code == 200
    assert 'id="search"' in shown.text and 'id="results"' in shown.text
    assert f'href="/businesses/{member["business_id"]}"' in shown.text
    assert f'href="/networks/{network["network_id"]}"' in shown.text


def test_search_finds_a_controller_by_name_and_links_their_page(analyst):
    network = strongest_network(analyst)
    first = network["controllers"][0]
    body = analyst.get("/api/search", params={"q": first["name"]}).json()
    hit = next(c for c in body["controllers"] if c["person_id"] == first["person_id"])
    assert network["network_id"] in hit["network_ids"]
    shown = analyst.get("/search", params={"q": first["name"]})
    assert f'href="/networks/{network["network_id"]}/controllers/{first["person_id"]}"' in shown.text


def test_empty_search_shows_the_form_without_results(analyst):
    for params in ({}, {"q": ""}, {"q": "   "}):
        body = analyst.get("/api/search", params=params).json()
        assert body == {"query": "", "searched": False, "businesses": [], "networks": [], "controllers": []}
        shown = analyst.get("/search", params=params)
        assert shown.status_code == 200 and 'id="search"' in shown.text


def test_overlong_search_is_a_bad_request(analyst):
    assert analyst.get("/api/search", params={"q": "x" * 201}).status_code == 400
    assert analyst.get("/search", params={"q": "x" * 201}).status_code == 400


def test_search_for_a_protected_workers_name_finds_no_person(analyst, protected_identities):
    names = sorted(v for v in protected_identities["values"] if " " in v)  # recorded names, not license numbers
    assert names
    for name in names[:5]:
        found = analyst.get("/api/search", params={"q": name})
        assert found.status_code == 200
        assert found.json()["controllers"] == []
        assert name.lower() not in found.text.lower()
        assert name.lower() not in analyst.get("/search", params={"q": name}).text.lower()


def test_graph_holds_businesses_controllers_and_pseudonyms_only(analyst, protected_identities):
    network = strongest_network(analyst)
    got = analyst.get(f"/api/networks/{network['network_id']}/graph")
    assert got.status_code == 200
    elements = got.json()
    kinds = {n["data"]["kind"] for n in elements["nodes"]}
    assert {"business", "controller", "protected"} <= kinds
    ids = {n["data"]["id"] for n in elements["nodes"]}
    assert {m["business_id"] for m in network["members"]} <= ids
    assert {c["person_id"] for c in network["controllers"]} <= ids
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in elements["edges"])
    protected_nodes = [n["data"] for n in elements["nodes"] if n["data"]["kind"] == "protected"]
    assert {n["label"] for n in protected_nodes} == {p["pseudonym"] for p in network["protected"]}
    assert all(n["label"].startswith("worker-") for n in protected_nodes)
    text = got.text.lower()
    for value in protected_identities["values"]:
        assert value.lower() not in text
    assert not ids & protected_identities["entities"]


def test_unknown_ids_are_not_found(analyst):
    network = strongest_network(analyst)
    for path in ("/api/businesses/biz-none", "/businesses/biz-none", "/api/premises/none", "/premises/none",
                 "/api/networks/net-none", "/networks/net-none", "/api/networks/net-none/graph",
                 f"/api/networks/{network['network_id']}/controllers/person-none",
                 f"/networks/{network['network_id']}/controllers/person-none"):
        assert analyst.get(path).status_code == 404, path


def test_investigator_reads_a_network_only_once_released_to_their_agency(opened, analyst):
    network_id = strongest_network(analyst)["network_id"]
    investigator = client_for(opened, "investigator")
    other = client_for(opened, "investigator-other")
    paths = (f"/api/networks/{network_id}", f"/networks/{network_id}", f"/api/networks/{network_id}/graph")
    for path in paths:
        assert investigator.get(path).status_code == 403, path
    release(opened, network_id)
    for path in paths:
        assert investigator.get(path).status_code == 200, path
        assert other.get(path).status_code == 403, path
    page = investigator.get(f"/networks/{network_id}").text
    assert 'id="build-packet"' not in page and 'id="add-note"' not in page
    assert investigator.get("/api/networks").status_code == 403  # the list is the analysts'
    with opened.store.session() as s:
        reads = s.execute(select(AuditEntry).where(AuditEntry.action == "network_read")).scalars().all()
    assert len(reads) == len(paths) + 1  # each released read, and the page read just above; refusals write none
    assert {r.subject for r in reads} == {f"network:{network_id}"}


def test_notes_round_trip_through_the_form_and_the_api(opened, analyst):
    network = strongest_network(analyst)
    network_id = network["network_id"]
    business_id = network["members"][0]["business_id"]
    token = analyst.headers.pop("X-CSRF-Token")  # the form carries the token in its field, as a browser sends it
    posted = analyst.post(f"/networks/{network_id}/notes", data={"text": "Check the 2019 filings", "csrf_token": token})
    assert posted.status_code == 303 and posted.headers["location"] == f"/networks/{network_id}"
    posted = analyst.post(f"/businesses/{business_id}/notes", data={"text": "Same landlord", "csrf_token": token})
    assert posted.status_code == 303 and posted.headers["location"] == f"/businesses/{business_id}"
    analyst.headers["X-CSRF-Token"] = token
    added = analyst.post(f"/api/networks/{network_id}/notes", json={"text": "Second look"})
    assert added.status_code == 201 and added.json()["author"] == "analyst"
    assert [n["text"] for n in analyst.get(f"/api/networks/{network_id}").json()["notes"]] == [
        "Check the 2019 filings", "Second look"]
    assert [n["text"] for n in analyst.get(f"/api/businesses/{business_id}").json()["notes"]] == ["Same landlord"]
    assert "Second look" in analyst.get(f"/networks/{network_id}").text
    assert "Same landlord" in analyst.get(f"/businesses/{business_id}").text
    with opened.store.session() as s:
        audited = s.execute(select(AuditEntry.subject).where(AuditEntry.action == "note_add")).scalars().all()
    assert sorted(audited) == sorted([f"network:{network_id}", f"business:{business_id}", f"network:{network_id}"])
    assert all(json.loads(e) == {} for e in _details(opened, "note_add"))


def _details(ws, action: str) -> list[str]:
    with ws.store.session() as s:
        return list(s.execute(select(AuditEntry.detail).where(AuditEntry.action == action)).scalars())


def test_notes_without_the_csrf_token_are_refused(opened, analyst):
    network_id = strongest_network(analyst)["network_id"]
    analyst.headers.pop("X-CSRF-Token")
    assert analyst.post(f"/networks/{network_id}/notes", data={"text": "no token"}).status_code == 403
    assert analyst.post(f"/api/networks/{network_id}/notes", json={"text": "no token"}).status_code == 403
    with opened.store.session() as s:
        assert s.execute(select(Note)).scalars().all() == []


def test_notes_are_refused_when_empty_too_long_or_on_unknown_subjects(analyst):
    network_id = strongest_network(analyst)["network_id"]
    assert analyst.post(f"/api/networks/{network_id}/notes", json={"text": ""}).status_code == 422
    assert analyst.post(f"/api/networks/{network_id}/notes", json={"text": "x" * 4001}).status_code == 422
    assert analyst.post(f"/networks/{network_id}/notes", data={"text": "  "}).status_code == 400
    assert analyst.post("/api/networks/net-none/notes", json={"text": "hello"}).status_code == 404
    assert analyst.post("/businesses/biz-none/notes", data={"text": "hello"}).status_code == 404


def test_openapi_describes_the_twins_with_their_models(analyst):
    schema = analyst.get("/openapi.json").json()
    for path in ("/api/search", "/api/businesses/{business_id}", "/api/premises/{premises_id}", "/api/networks",
                 "/api/networks/{network_id}", "/api/networks/{network_id}/graph",
                 "/api/networks/{network_id}/controllers/{person_id}"):
        response = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in response, path
