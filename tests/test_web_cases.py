"""The advocates' case file in the workspace: each page and its JSON twin, over a real warehouse (scale 1,
seed 11) and a real store, as an advocate; and every case route refused to the roles that see no survivor.

The consent rules of victim-centered §5 are checked through the routes: a contact needs only its channel
(rule 6), a referral carries only what a consent to that provider covers and goes without one (rules 1, 4),
a revoked consent stops the next referral (rule 5), an exception needs a second person (rule 3).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from web_support import (
    PASSWORD, SUBJECT_HANDLE, SURVIVOR_CALLBACK, SURVIVOR_NAME, SURVIVOR_PHONE, app_routes, case_world, client_for,
    hotline_target, open_workspace, released_world,
)

from harborlight.cases.signals import confirmed_signals
from harborlight.store.models import AuditEntry, HotlineCase
from harborlight.web.app import create_app

CASE_ROUTES_FOR_ADVOCATES = {
    "cases_page", "api_cases", "case_new_page", "api_case_form", "case_add", "api_case_add", "case_page", "api_case",
    "link_decide", "api_link_decide", "service_add", "api_service_add", "consent_add", "api_consent_add",
    "consent_revoke", "api_consent_revoke", "referral_add", "api_referral_add", "exception_request",
    "api_exception_request", "case_merge", "api_case_merge",
}
APPROVE_ROUTES = {"exception_approve", "api_exception_approve"}


def typed(e164: str) -> str:
    """A US number as a caller would give it: +14155550142 -> (415) 555-0142."""
    digits = e164.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


@pytest.fixture(scope="module")
def case_workspace(networked_world, tmp_path_factory):
    """One workspace for the module over `networked_world`, with the test accounts and a second advocate
    (SUBJECT_HANDLE, made by released_world); yields (workspace, hotline target)."""
    workspace = open_workspace(networked_world, f"sqlite:///{tmp_path_factory.mktemp('cases') / 'store.sqlite'}")
    released_world(workspace)
    yield workspace, hotline_target(workspace)
    workspace.close()


@pytest.fixture(scope="module")
def advocate(case_workspace):
    return client_for(case_workspace[0], "advocate")


@pytest.fixture
def named_case(case_workspace, advocate) -> str:
    """A new case from a named contact who mentions the target business by its phone: its reference."""
    _, target = case_workspace
    response = advocate.post("/api/cases", json={
        "channel": "call", "anonymous": False, "caller_name": SURVIVOR_NAME, "caller_phone": SURVIVOR_PHONE,
        "callback": SURVIVOR_CALLBACK, "language": "zh", "wants": ["shelter"],
        "narrative": f"They keep our passports. The boss answers at {typed(target.business_phone)}.",
    })
    assert response.status_code == 201, response.text
    return response.json()["ref"]


def form(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": client.headers["X-CSRF-Token"]})


def case_json(client, ref: str) -> dict:
    response = client.get(f"/api/cases/{ref}")
    assert response.status_code == 200, response.text
    return response.json()


def test_an_anonymous_contact_with_only_its_channel_opens_a_case(advocate):
    response = form(advocate, "/cases/new", {"channel": "text", "anonymous": "on"})
    assert response.status_code == 303, response.text
    ref = response.headers["location"].removeprefix("/cases/")
    page = advocate.get(f"/cases/{ref}")
    assert page.status_code == 200 and f"Case {ref}" in page.text
    data = case_json(advocate, ref)
    assert [c["channel"] for c in data["contacts"]] == ["text"]
    assert data["contacts"][0]["anonymous"] is True
    assert set(data["contacts"][0]["fields"].values()) == {None}
    assert ref in [c["ref"] for c in advocate.get("/api/cases").json()["cases"]]
    assert ref in advocate.get("/cases").text


def test_the_contact_form_and_its_twin_offer_the_same_choices(advocate):
    choices = advocate.get("/api/cases/new").json()
    assert "call" in choices["channels"] and "shelter" in choices["services"]
    page = advocate.get("/cases/new").text
    assert 'name="channel"' in page and 'value="shelter"' in page and 'name="anonymous"' in page


def test_an_anonymous_contact_refuses_a_name_without_repeating_it(advocate):
    response = advocate.post("/api/cases", json={"channel": "call", "anonymous": True, "caller_name": SURVIVOR_NAME})
    assert response.status_code == 400
    assert SURVIVOR_NAME not in response.text


def test_a_named_contact_shows_its_fields_and_proposes_the_business_it_mentions(case_workspace, advocate, named_case):
    _, target = case_workspace
    data = case_json(advocate, named_case)
    fields = data["contacts"][0]["fields"]
    assert (fields["caller_name"], fields["caller_phone"], fields["callback"]) == (SURVIVOR_NAME, SURVIVOR_PHONE,
                                                                                   SURVIVOR_CALLBACK)
    proposed = [link for link in data["links"] if link["entity_id"] == target.business_id]
    assert proposed and proposed[0]["status"] == "proposed" and proposed[0]["kind"] == "phone"
    assert proposed[0]["business"]
    assert [s["service"] for s in data["services"]] == ["shelter"]
    page = advocate.get(f"/cases/{named_case}").text
    assert SURVIVOR_NAME in page and target.business_id in page and "Confirm" in page


def test_reading_a_case_is_audited_by_reference_only(case_workspace, advocate, named_case):
    workspace, _ = case_workspace
    advocate.get(f"/cases/{named_case}")
    with workspace.store.session() as session:
        entries = list(session.execute(select(AuditEntry).where(AuditEntry.subject == f"case:{named_case}")).scalars())
    assert "case_read" in {e.action for e in entries}
    assert all(SURVIVOR_NAME not in (e.detail or "") for e in entries)


def test_confirming_a_link_gives_analysts_a_signal_without_the_survivor(case_workspace, advocate, named_case):
    workspace, target = case_workspace
    link = next(l for l in case_json(advocate, named_case)["links"] if l["entity_id"] == target.business_id)
    response = form(advocate, f"/cases/{named_case}/links/{link['id']}", {"decision": "confirm"})
    assert response.status_code == 303
    assert next(l for l in case_json(advocate, named_case)["links"] if l["id"] == link["id"])["status"] == "confirmed"
    with workspace.store.session() as session:
        signals = [s for s in confirmed_signals(session, [target.business_id]) if s.case_ref == named_case]
    assert [s.mention for s in signals] == ["phone"]
    assert SURVIVOR_NAME not in repr(signals) and SURVIVOR_PHONE not in repr(signals)


def test_rejecting_a_link_gives_no_signal(case_workspace, advocate, named_case):
    workspace, target = case_workspace
    link = next(l for l in case_json(advocate, named_case)["links"] if l["entity_id"] == target.business_id)
    response = advocate.post(f"/api/cases/{named_case}/links/{link['id']}", json={"confirm": False})
    assert response.status_code == 200
    with workspace.store.session() as session:
        assert [s for s in confirmed_signals(session, [target.business_id]) if s.case_ref == named_case] == []


def test_a_link_of_another_case_is_not_found(advocate, named_case):
    other = advocate.post("/api/cases", json={"channel": "chat"}).json()["ref"]
    link = case_json(advocate, named_case)["links"][0]
    assert advocate.post(f"/api/cases/{other}/links/{link['id']}", json={"confirm": True}).status_code == 404


def test_a_service_is_recorded_without_any_consent(advocate, named_case):
    response = form(advocate, f"/cases/{named_case}/services", {"service": "legal", "when": "this_week"})
    assert response.status_code == 303
    services = {(s["service"], s["when"]) for s in case_json(advocate, named_case)["services"]}
    assert ("legal", "this_week") in services
    assert case_json(advocate, named_case)["consents"] == []


def consent_for(client, ref: str, org: str, klass: str, fields: list[str]) -> None:
    response = form(client, f"/cases/{ref}/consents", {
        "recipient_org": org, "recipient_class": klass, "fields": fields, "purpose": "shelter intake",
        "expires_on": (date.today() + timedelta(days=30)).isoformat()})
    assert response.status_code == 303, response.text


def test_a_referral_carries_only_the_field_the_providers_consent_covers(case_workspace, advocate, named_case):
    _, target = case_workspace
    consent_for(advocate, named_case, target.provider_name, "service_provider", ["callback"])
    consent_for(advocate, named_case, "Harbor City Police", "law_enforcement", ["caller_name"])
    response = form(advocate, f"/cases/{named_case}/referrals", {"provider": target.provider_key,
                                                                  "services": ["shelter"]})
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/cases/{named_case}#referral-")
    referral = case_json(advocate, named_case)["referrals"][-1]
    assert referral["payload"]["survivor"] == {"callback": [SURVIVOR_CALLBACK]}
    assert referral["payload"]["languages_needed"] == ["zh"]
    assert referral["fields_shared"] == ["callback"]
    page = advocate.get(f"/cases/{named_case}").text
    sent = page[page.index(f'id="referral-{referral["id"]}"'):]
    sent = sent[:sent.index("</div>")]
    assert SURVIVOR_CALLBACK in sent and SURVIVOR_NAME not in sent and SURVIVOR_PHONE not in sent


def test_a_referral_without_consent_still_goes_with_no_personal_field(case_workspace, advocate, named_case):
    _, target = case_workspace
    response = advocate.post(f"/api/cases/{named_case}/referrals",
                             json={"provider": target.provider_key, "services": ["shelter", "legal"]})
    assert response.status_code == 201, response.text
    payload = response.json()["payload"]
    assert payload["survivor"] == {} and payload["services"] == ["shelter", "legal"]
    assert SURVIVOR_NAME not in response.text and SURVIVOR_CALLBACK not in response.text


def test_a_revoked_consent_stops_the_next_referral(case_workspace, advocate, named_case):
    _, target = case_workspace
    consent_for(advocate, named_case, target.provider_name, "service_provider", ["callback", "caller_name"])
    consent = case_json(advocate, named_case)["consents"][-1]
    assert form(advocate, f"/cases/{named_case}/consents/{consent['id']}/revoke", {}).status_code == 303
    assert case_json(advocate, named_case)["consents"][-1]["active"] is False
    response = advocate.post(f"/api/cases/{named_case}/referrals",
                             json={"provider": target.provider_key, "services": ["shelter"]})
    assert response.json()["payload"]["survivor"] == {}


def test_a_referral_to_a_provider_not_in_the_warehouse_is_refused(advocate, named_case):
    response = advocate.post(f"/api/cases/{named_case}/referrals",
                             json={"provider": "nowhere|0", "services": ["shelter"]})
    assert response.status_code == 400


def test_an_exception_is_refused_to_its_requester_and_approved_by_a_second_advocate(case_workspace, advocate,
                                                                                    named_case):
    workspace, _ = case_workspace
    response = form(advocate, f"/cases/{named_case}/exceptions", {
        "reason_code": "imminent_danger", "recipient_org": "County EMS", "recipient_class": "other",
        "fields": ["location", "caller_phone"], "hours": "4", "reference": "call 1123"})
    assert response.status_code == 303
    grant = case_json(advocate, named_case)["exceptions"][-1]
    assert grant["active"] is False and grant["may_approve"] is False
    assert advocate.post(f"/api/exceptions/{grant['id']}/approve").status_code == 403
    second = client_for(workspace, SUBJECT_HANDLE)
    assert next(e for e in case_json(second, named_case)["exceptions"] if e["id"] == grant["id"])["may_approve"]
    assert form(second, f"/exceptions/{grant['id']}/approve", {}).status_code == 303
    approved = next(e for e in case_json(advocate, named_case)["exceptions"] if e["id"] == grant["id"])
    assert approved["active"] is True and approved["approved_by"] == SUBJECT_HANDLE


def test_an_administrator_approves_an_exception_but_opens_no_case(case_workspace, advocate, named_case):
    workspace, _ = case_workspace
    made = advocate.post(f"/api/cases/{named_case}/exceptions", json={
        "reason_code": "court_order", "recipient_org": "Circuit Court", "recipient_class": "other",
        "fields": ["narrative"], "hours": 2, "reference": "order 17"})
    assert made.status_code == 201, made.text
    admin = client_for(workspace, "admin")
    approved = admin.post(f"/api/exceptions/{made.json()['id']}/approve")
    assert approved.status_code == 200 and approved.json()["ref"] == named_case
    assert admin.get(f"/api/cases/{named_case}").status_code == 403
    assert admin.get("/cases").status_code == 403


def test_merging_moves_the_contacts_and_the_old_reference_leads_to_the_kept_case(case_workspace, advocate):
    workspace, _ = case_workspace
    keep = advocate.post("/api/cases", json={"channel": "call", "language": "ko"}).json()["ref"]
    other = advocate.post("/api/cases", json={"channel": "email"}).json()["ref"]
    response = form(advocate, f"/cases/{keep}/merge", {"others": other})
    assert response.status_code == 303
    data = case_json(advocate, keep)
    assert sorted(c["channel"] for c in data["contacts"]) == ["call", "email"] and data["merged"] == [other]
    assert advocate.get(f"/cases/{other}").headers["location"] == f"/cases/{keep}"
    with workspace.store.session() as session:
        assert session.execute(select(HotlineCase.status).where(HotlineCase.ref == other)).scalar_one() == "merged"
    merged = advocate.get("/api/cases", params={"status": "merged"}).json()["cases"]
    assert other in [c["ref"] for c in merged]


def test_a_second_contact_is_added_to_an_existing_case(advocate, named_case):
    response = advocate.post("/api/cases", json={"channel": "text", "case_ref": named_case})
    assert response.status_code == 201 and response.json()["ref"] == named_case
    assert len(case_json(advocate, named_case)["contacts"]) == 2


def test_recording_a_contact_logs_nothing_of_the_survivor(advocate, caplog):
    with caplog.at_level(logging.DEBUG):
        response = advocate.post("/api/cases", json={"channel": "call", "anonymous": False,
                                                     "caller_name": SURVIVOR_NAME, "narrative": "at 12 Elm Street"})
    assert response.status_code == 201
    assert SURVIVOR_NAME not in caplog.text and "Elm Street" not in caplog.text


def test_the_advocate_lands_on_the_cases_and_sees_them_in_the_navigation(case_workspace):
    workspace, _ = case_workspace
    client = client_for(workspace)
    client.get("/login")
    signed = client.post("/login", data={"handle": "advocate", "password": PASSWORD,
                                         "csrf_token": client.cookies.get("hl_login_csrf")})
    assert signed.headers["location"].endswith("/cases")
    assert 'href="/cases"' in client.get("/cases").text


@pytest.mark.parametrize("handle", ["analyst", "investigator", "auditor"])
def test_every_case_route_is_refused_to_roles_that_see_no_survivor(case_workspace, handle):
    from web_support import filled_url

    workspace, _ = case_workspace
    ids = case_world(workspace)
    client = client_for(workspace, handle)
    routes = [r for r in app_routes(create_app(workspace=workspace))
              if r.name in CASE_ROUTES_FOR_ADVOCATES | APPROVE_ROUTES]
    assert {r.name for r in routes} == CASE_ROUTES_FOR_ADVOCATES | APPROVE_ROUTES
    answers = {(r.name, method): client.request(method, filled_url(r, ids)).status_code
               for r in routes for method in r.methods}
    assert set(answers.values()) == {403}, answers


def test_a_contact_is_recorded_and_read_back_on_each_database(workspace, store_url, networked_world):
    ws = workspace(store_url)
    client = client_for(ws, "advocate")
    ref = client.post("/api/cases", json={"channel": "call", "anonymous": False, "caller_name": SURVIVOR_NAME}).json()["ref"]
    assert case_json(client, ref)["contacts"][0]["fields"]["caller_name"] == SURVIVOR_NAME


def test_every_case_api_operation_answers_an_advocate_without_a_server_error_whatever_it_is_sent(case_workspace):
    """The case routes fuzzed from their own OpenAPI schema as the advocate (test_api_fuzz.py fuzzes as the
    analyst, who is refused them all): any body, any reference, never a 500, always the schema's shape."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    from harborlight.web.context import CSRF_HEADER, SESSION_COOKIE

    workspace, _ = case_workspace
    client = client_for(workspace, "advocate")
    token, csrf = client.cookies.get(SESSION_COOKIE), client.headers[CSRF_HEADER]
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(workspace=workspace))
    fuzzed = [r.ok() for r in schema.get_all_operations()
              if r.ok().path.startswith(("/api/cases", "/api/exceptions"))]
    answered: dict[str, set[int]] = {}
    for operation in fuzzed:
        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
        def answers_well(case):
            response = case.call(headers={CSRF_HEADER: csrf}, cookies={SESSION_COOKIE: token})
            answered.setdefault(f"{operation.method.upper()} {operation.path}", set()).add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        answers_well()
    assert len(answered) == 12, sorted(answered)
    assert 401 not in set().union(*answered.values()) and 403 not in answered["GET /api/cases"]


def test_markup_a_caller_gave_is_shown_as_text_on_the_case_page(advocate):
    ref = advocate.post("/api/cases", json={"channel": "webform", "narrative": "<script>alert(1)</script> <b>help</b>"}).json()["ref"]
    page = advocate.get(f"/cases/{ref}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<b>help</b>" not in page
