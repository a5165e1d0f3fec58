"""Packets, the outcomes ledger and administration in the workspace, through the application over a real
warehouse (scale 1, seed 11) and a real SQLite store."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from web_support import AGENCY, OTHER_AGENCY, PASSWORD, client_for

from harborlight.store.accounts import agency_named
from harborlight.store.models import AuditEntry, OutcomeEntry, PacketRelease, User


def network_id_of(ws) -> str:
    """A network of the world with both ranked controllers and protected people (so a leak would show),
    read through the workspace's warehouse."""
    reader = ws.warehouse()
    try:
        return reader.rows("SELECT network_id FROM network_persons GROUP BY network_id "
                           "HAVING bool_or(NOT protected) AND bool_or(protected) ORDER BY network_id LIMIT 1")[0][0]
    finally:
        reader.close()


def agency_id(ws, name: str) -> int:
    with ws.store.session() as session:
        return agency_named(session, name).id


def audit_actions(ws) -> list[tuple[str, str, str]]:
    """(action, actor, subject) of every audit entry, oldest first."""
    with ws.store.session() as session:
        return [(e.action, e.actor, e.subject) for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()]


def user_id(ws, handle: str) -> int:
    with ws.store.session() as session:
        return session.execute(select(User.id).where(User.handle == handle)).scalar_one()


@pytest.fixture
def casework_ws(workspace):
    """An open workspace over the networked world, its store holding the test accounts."""
    return workspace()


@pytest.fixture
def released(casework_ws):
    """A packet of one network released by the analyst to the investigator's agency (through the form):
    (workspace, release id, network id)."""
    ws = casework_ws
    network = network_id_of(ws)
    analyst = client_for(ws, "analyst")
    csrf = analyst.headers["X-CSRF-Token"]
    response = analyst.post("/packets", data={"network_id": network, "agency_id": agency_id(ws, AGENCY),
                                              "note": "for the task force", "csrf_token": csrf})
    assert response.status_code == 303, response.text
    release_id = int(response.headers["location"].rsplit("/", 1)[1])
    return ws, release_id, network


# -- packets -------------------------------------------------------------------------------------
def test_analyst_reviews_the_packet_before_releasing_it(casework_ws):
    network = network_id_of(casework_ws)
    analyst = client_for(casework_ws, "analyst")
    page = analyst.get(f"/packets/new?network={network}")
    assert page.status_code == 200
    for selector in ('id="release"', 'name="agency_id"', 'name="note"', f'name="network_id" value="{network}"'):
        assert selector in page.text
    api = analyst.get("/api/packets/new", params={"network": network}).json()
    assert api["network_id"] == network and {a["name"] for a in api["agencies"]} >= {AGENCY, OTHER_AGENCY}


def test_investigator_cannot_open_the_packet_review(casework_ws):
    network = network_id_of(casework_ws)
    assert client_for(casework_ws, "investigator").get(f"/packets/new?network={network}").status_code == 403


def test_release_is_stored_with_its_digest_run_and_audit_entry(released):
    ws, release_id, network = released
    with ws.store.session() as session:
        row = session.get(PacketRelease, release_id)
    assert row.network_id == network and row.agency_id == agency_id(ws, AGENCY)
    assert len(row.packet_digest) == 64 and row.networks_run
    assert json.loads(row.packet_json)["network_id"] == network
    assert ("packet_release", f"user:{user_id(ws, 'analyst')}", f"release:{release_id}") in audit_actions(ws)


def test_api_release_answers_201_with_the_release(casework_ws):
    network = network_id_of(casework_ws)
    analyst = client_for(casework_ws, "analyst")
    made = analyst.post("/api/packets", json={"network_id": network, "agency_id": agency_id(casework_ws, OTHER_AGENCY),
                                              "note": ""})
    assert made.status_code == 201, made.text
    assert analyst.get(f"/api/packets/{made.json()['release_id']}").json()["release"]["agency"] == OTHER_AGENCY


def test_investigator_of_the_agency_reads_the_release_and_the_read_is_audited(released):
    ws, release_id, network = released
    investigator = client_for(ws, "investigator")
    listing = investigator.get("/packets")
    assert 'id="releases"' in listing.text and f'href="/packets/{release_id}"' in listing.text
    before = len(audit_actions(ws))
    page = investigator.get(f"/packets/{release_id}")
    assert page.status_code == 200
    assert "<h1>" in page.text and network in page.text.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert 'id="controllers"' in page.text and f'id="download" href="/packets/{release_id}/download"' in page.text
    reads = audit_actions(ws)[before:]
    assert ("packet_read", f"user:{user_id(ws, 'investigator')}", f"release:{release_id}") in reads


def test_investigator_of_other_agency_gets_403(released):
    ws, release_id, _ = released
    other = client_for(ws, "investigator-other")
    assert other.get(f"/packets/{release_id}").status_code == 403
    assert other.get(f"/api/packets/{release_id}").status_code == 403
    assert other.get(f"/packets/{release_id}/download").status_code == 403
    assert other.get("/api/packets").json()["releases"] == []


def test_packet_page_is_drawn_from_the_stored_snapshot(released):
    ws, release_id, _ = released
    with ws.store.writing() as session:
        row = session.get(PacketRelease, release_id)
        snapshot = json.loads(row.packet_json)
        snapshot["instructions"] = ["Instruction kept in the snapshot only"]
        row.packet_json = json.dumps(snapshot)
    analyst = client_for(ws, "analyst")
    assert "Instruction kept in the snapshot only" in analyst.get(f"/packets/{release_id}").text
    assert analyst.get(f"/api/packets/{release_id}").json()["packet"]["instructions"] == [
        "Instruction kept in the snapshot only"]


def test_snapshot_holds_no_protected_identity(released, protected_identities):
    ws, release_id, _ = released
    with ws.store.session() as session:
        snapshot = session.get(PacketRelease, release_id).packet_json
    folded = snapshot.casefold()
    leaked = [v for v in protected_identities["values"] if v.casefold() in folded]
    assert leaked == []
    packet = json.loads(snapshot)
    controllers = {c["entity_id"] for c in packet["controllers"]}
    assert controllers and packet["potential_victims"] > 0
    assert not controllers & protected_identities["entities"]


def test_download_is_an_attachment_and_is_audited_as_export(released):
    ws, release_id, network = released
    investigator = client_for(ws, "investigator")
    download = investigator.get(f"/packets/{release_id}/download")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert network in download.text
    assert ("export", f"user:{user_id(ws, 'investigator')}", f"release:{release_id}") in audit_actions(ws)


# -- outcomes ------------------------------------------------------------------------------------
def outcome_form(csrf: str, **fields) -> dict:
    return {"csrf_token": csrf, "operation": "Operation Lantern", "date": "2024-05-01", "network_id": "",
            "controller_arrests": "2", "buyer_arrests": "1", "worker_arrests": "3", "referrals": "4", **fields}


def test_recorded_counts_change_the_ledger_and_its_headline(casework_ws):
    analyst = client_for(casework_ws, "analyst")
    before = analyst.get("/api/outcomes").json()
    posted = analyst.post("/outcomes", data=outcome_form(analyst.headers["X-CSRF-Token"]))
    assert posted.status_code == 303, posted.text
    after = analyst.get("/api/outcomes").json()
    assert after["overall"]["victim_arrests"] == before["overall"]["victim_arrests"] + 3
    assert after["overall"]["arrests"] == before["overall"]["arrests"] + 6
    assert after["overall"]["referrals"] == before["overall"]["referrals"] + 4
    assert after["headline"] != before["headline"]
    (line,) = [op for op in after["operations"] if op["operation"] == "Operation Lantern"]
    assert line["flagged"] and line["control_arrests"] == 2
    page = analyst.get("/outcomes").text
    assert 'id="ledger"' in page and 'id="record-outcome"' in page and "FLAGGED</span> Operation Lantern" in page
    with casework_ws.store.session() as session:
        stored = {(e.person_role, e.action, e.count) for e in session.execute(select(OutcomeEntry)).scalars()}
    assert stored == {("controller", "arrest", 2), ("buyer", "arrest", 1), ("worker", "arrest", 3), ("worker", "referral", 4)}
    assert "outcome_entry" in [a for a, _, _ in audit_actions(casework_ws)]


def test_counts_entered_for_a_recorded_operation_join_its_line(casework_ws):
    analyst = client_for(casework_ws, "analyst")
    before = analyst.get("/api/outcomes").json()["operations"]
    first = before[0]
    made = analyst.post("/api/outcomes", json={"operation": first["operation"], "date": "2024-03-03", "referrals": 2})
    assert made.status_code == 201, made.text
    after = analyst.get("/api/outcomes").json()["operations"]
    assert len(after) == len(before)
    (line,) = [op for op in after if op["operation"] == first["operation"]]
    assert line["referrals"] == first["referrals"] + 2 and line["arrests"] == first["arrests"]


def test_investigator_records_outcomes_for_their_own_agency(casework_ws):
    investigator = client_for(casework_ws, "investigator")
    made = investigator.post("/api/outcomes", json={"operation": "Operation Tide", "date": "2024-06-02",
                                                    "agency_id": agency_id(casework_ws, OTHER_AGENCY), "buyer_arrests": 5})
    assert made.status_code == 201, made.text
    with casework_ws.store.session() as session:
        agencies = {e.agency_id for e in session.execute(select(OutcomeEntry)).scalars()}
    assert agencies == {agency_id(casework_ws, AGENCY)}
    (line,) = [op for op in investigator.get("/api/outcomes").json()["operations"] if op["operation"] == "Operation Tide"]
    assert line["agencies"] == [AGENCY] and not line["flagged"]


def test_investigator_names_only_networks_released_to_their_agency(released):
    ws, _, network = released
    other = client_for(ws, "investigator-other")
    refused = other.post("/api/outcomes", json={"operation": "Operation Pier", "date": "2024-02-02",
                                                "network_id": network, "controller_arrests": 1})
    assert refused.status_code == 403 and "network_id" in refused.json()["detail"]
    own = client_for(ws, "investigator").post("/api/outcomes", json={
        "operation": "Operation Pier", "date": "2024-02-02", "network_id": network, "controller_arrests": 1})
    assert own.status_code == 201
    unknown = client_for(ws, "analyst").post("/api/outcomes", json={
        "operation": "Operation Pier", "date": "2024-02-02", "network_id": "no-such-network", "buyer_arrests": 1})
    assert unknown.status_code == 400 and "network_id" in unknown.json()["detail"]


def test_release_and_scoped_read_on_each_store(workspace, store_url):
    ws = workspace(store_url)
    network = network_id_of(ws)
    made = client_for(ws, "analyst").post("/api/packets", json={"network_id": network, "agency_id": agency_id(ws, AGENCY)})
    assert made.status_code == 201, made.text
    release_id = made.json()["release_id"]
    assert client_for(ws, "investigator").get(f"/api/packets/{release_id}").status_code == 200
    assert client_for(ws, "investigator-other").get(f"/api/packets/{release_id}").status_code == 403
    assert client_for(ws, "auditor").get("/api/audit").json()["intact"]


def test_advocate_reads_the_ledger_but_cannot_record(casework_ws):
    advocate = client_for(casework_ws, "advocate")
    page = advocate.get("/outcomes")
    assert page.status_code == 200 and 'id="ledger"' in page.text and 'id="record-outcome"' not in page.text
    refused = advocate.post("/outcomes", data=outcome_form(advocate.headers["X-CSRF-Token"]))
    assert refused.status_code == 403
    assert advocate.post("/api/outcomes", json={"operation": "X", "date": "2024-01-01", "buyer_arrests": 1}).status_code == 403


def test_a_future_date_is_refused_naming_the_field(casework_ws):
    analyst = client_for(casework_ws, "analyst")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    form = analyst.post("/outcomes", data=outcome_form(analyst.headers["X-CSRF-Token"], date=tomorrow))
    assert form.status_code == 400 and "date" in form.text and "future" in form.text
    api = analyst.post("/api/outcomes", json={"operation": "Operation Later", "date": tomorrow, "buyer_arrests": 1})
    assert api.status_code == 422 and "date" in json.dumps(api.json())
    with casework_ws.store.session() as session:
        assert session.execute(select(OutcomeEntry)).first() is None


def test_an_overlong_operation_or_no_counts_is_refused(casework_ws):
    analyst = client_for(casework_ws, "analyst")
    long_name = analyst.post("/outcomes", data=outcome_form(analyst.headers["X-CSRF-Token"], operation="x" * 201))
    assert long_name.status_code == 400 and "operation" in long_name.text
    nothing = analyst.post("/api/outcomes", json={"operation": "Operation Quiet", "date": "2024-01-01"})
    assert nothing.status_code == 400 and "count" in nothing.json()["detail"]


# -- administration ------------------------------------------------------------------------------
def test_admin_adds_a_user_who_can_sign_in(casework_ws):
    admin = client_for(casework_ws, "admin")
    page = admin.get("/admin/users")
    assert 'id="users"' in page.text and 'id="add-user"' in page.text and "$argon2" not in page.text
    added = admin.post("/admin/users", data={"handle": "newcomer", "role": "analyst", "agency": "", "password": PASSWORD,
                                             "csrf_token": admin.headers["X-CSRF-Token"]})
    assert added.status_code == 303, added.text
    assert client_for(casework_ws, "newcomer").get("/api/me").json()["role"] == "analyst"
    listed = admin.get("/api/admin/users").json()["users"]
    assert "newcomer" in {u["handle"] for u in listed}
    assert all("password" not in key for u in listed for key in u)


def test_role_change_ends_the_users_old_sessions(casework_ws):
    advocate = client_for(casework_ws, "advocate")
    assert advocate.get("/api/me").status_code == 200
    admin = client_for(casework_ws, "admin")
    changed = admin.post(f"/api/admin/users/{user_id(casework_ws, 'advocate')}/role", json={"role": "auditor"})
    assert changed.status_code == 200 and changed.json()["role"] == "auditor"
    assert advocate.get("/api/me").status_code == 401
    assert client_for(casework_ws, "advocate").get("/api/me").json()["role"] == "auditor"
    assert "role_change" in [a for a, _, _ in audit_actions(casework_ws)]


def test_admin_unlocks_a_locked_account(casework_ws):
    target = user_id(casework_ws, "analyst")
    with casework_ws.store.writing() as session:
        session.get(User, target).locked_until = datetime.now(timezone.utc) + timedelta(minutes=15)
    admin = client_for(casework_ws, "admin")
    assert "Unlock" in admin.get("/admin/users").text
    unlocked = admin.post(f"/admin/users/{target}/unlock", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    assert unlocked.status_code == 303
    with casework_ws.store.session() as session:
        assert session.get(User, target).locked_until is None
    assert ("user_unlock", f"user:{user_id(casework_ws, 'admin')}", f"user:{target}") in audit_actions(casework_ws)


def test_admin_adds_an_agency(casework_ws):
    admin = client_for(casework_ws, "admin")
    assert 'id="add-agency"' in admin.get("/admin/agencies").text
    added = admin.post("/admin/agencies", data={"name": "Coastal Sheriff", "csrf_token": admin.headers["X-CSRF-Token"]})
    assert added.status_code == 303
    assert "Coastal Sheriff" in {a["name"] for a in admin.get("/api/admin/agencies").json()["agencies"]}
    assert "agency_add" in [a for a, _, _ in audit_actions(casework_ws)]
    assert admin.post("/api/admin/agencies", json={"name": "Coastal Sheriff"}).status_code == 400


@pytest.mark.parametrize("handle", ["analyst", "investigator", "advocate", "auditor"])
def test_non_admin_gets_403_on_user_and_agency_routes(casework_ws, handle):
    client = client_for(casework_ws, handle)
    for path in ("/admin/users", "/api/admin/users", "/admin/agencies", "/api/admin/agencies"):
        assert client.get(path).status_code == 403, path
    assert client.post("/api/admin/agencies", json={"name": "Not Allowed"}).status_code == 403


def test_auditor_reads_the_audit_log_and_nothing_else_of_administration(released):
    ws, _, _ = released
    auditor = client_for(ws, "auditor")
    page = auditor.get("/admin/audit")
    assert page.status_code == 200 and 'id="audit"' in page.text and "chain intact:" in page.text
    api = auditor.get("/api/audit").json()
    assert api["intact"] and api["verified"] == f"chain intact: {api['entries_checked']} entries"
    seqs = [e["seq"] for e in api["entries"]]
    assert seqs == sorted(seqs, reverse=True) and "packet_release" in {e["action"] for e in api["entries"]}
    assert auditor.get("/admin/users").status_code == 403


def test_audit_log_pages_back_by_sequence(casework_ws):
    auditor = client_for(casework_ws, "auditor")
    first = auditor.get("/api/audit", params={"limit": 3}).json()
    assert len(first["entries"]) == 3
    second = auditor.get("/api/audit", params={"limit": 3, "before": first["older"]}).json()
    assert second["entries"][0]["seq"] == first["entries"][-1]["seq"] - 1
    assert auditor.get("/api/audit", params={"limit": 201}).status_code == 422


def test_a_broken_chain_is_shown_at_the_top_of_the_audit_page(casework_ws):
    # Someone with the store's file drops the append-only trigger and edits an entry.
    with casework_ws.store.writing() as session:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("UPDATE audit_log SET detail = :d WHERE seq = 2"), {"d": '{"edited":true}'})
    page = client_for(casework_ws, "admin").get("/admin/audit").text
    assert "chain broken" in page and "entry 2: edited" in page


def test_every_post_without_csrf_is_refused(released):
    ws, _, network = released
    target = user_id(ws, "advocate")
    posts = {
        "analyst": [("/packets", {"network_id": network, "agency_id": "1"}), ("/api/packets", None),
                    ("/outcomes", {"operation": "X", "date": "2024-01-01", "buyer_arrests": "1"}), ("/api/outcomes", None)],
        "admin": [("/admin/users", {"handle": "nope", "role": "analyst", "password": PASSWORD}), ("/api/admin/users", None),
                  (f"/admin/users/{target}/role", {"role": "auditor"}), (f"/api/admin/users/{target}/role", None),
                  (f"/admin/users/{target}/unlock", {}), (f"/api/admin/users/{target}/unlock", None),
                  ("/admin/agencies", {"name": "Nope Agency"}), ("/api/admin/agencies", None)],
    }
    before = len(audit_actions(ws))
    for handle, requests in posts.items():
        client = client_for(ws, handle)
        del client.headers["X-CSRF-Token"]
        for path, form in requests:
            response = client.post(path, data=form) if form is not None else client.post(path, json={})
            assert response.status_code == 403, path
    assert [a for a, _, _ in audit_actions(ws)[before:] if a not in ("login",)] == []


def test_a_value_the_database_refuses_is_a_bad_request_and_stores_nothing(workspace, postgres_url):
    # PostgreSQL never stores a NUL character; the request is at fault, not the server.
    from web_support import client_for

    client = client_for(workspace(postgres_url), "admin")
    answer = client.post("/api/admin/agencies", json={"name": "Night\x00Watch"})
    assert answer.status_code in (400, 422), answer.text
    assert "Night" not in client.get("/api/admin/agencies").text


def test_a_row_id_beyond_32_bits_is_refused_before_it_reaches_the_store(workspace):
    from web_support import client_for

    client = client_for(workspace(), "analyst")
    assert client.get(f"/api/packets/{2**63}").status_code == 422
