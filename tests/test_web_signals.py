"""What analysts and investigators see of hotline cases, through the application over the networked world
(scale 1, seed 11), a real SQLite store and a real keyring: signals as counts on business, network and packet
pages; a case's details only for the investigator of an agency a survivor consented to, as law enforcement,
while that consent lasts; suppressed statistics."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from web_support import AGENCY, OTHER_AGENCY, client_for

from harborlight.cases.consent import Recipient, record_consent, revoke
from harborlight.cases.intake import ContactForm, case_by_ref, decide_link, record_contact
from harborlight.store.accounts import agency_named
from harborlight.store.models import CaseMention, Consent, HotlineCase, User

# A survivor's fields, distinctive enough that finding any of them in an answer is a leak.
CALLER = "Marisol Quintanilla-Ferreira"
PHONE = "(305) 555-0147"
CALLBACK = "after nine via the cousin Ignatius Blackwood"
NARRATIVE_PHRASE = "the boss keeps her passport in a blue tin"
LOCATION = "Room 14 of the Oleander Motel"
SURVIVOR_VALUES = (CALLER, CALLBACK, NARRATIVE_PHRASE, LOCATION)
PHONE_ANY_FORMAT = re.compile(r"\D{0,3}".join("3055550147"))  # the phone's digits, whatever sits between them


def leaked(text: str) -> list[str]:
    """Which planted survivor fields `text` shows (by name, not value, so a failure prints none of them)."""
    lowered = text.lower()
    found = [f"field #{i}" for i, value in enumerate(SURVIVOR_VALUES) if value.lower() in lowered]
    found += ["phone"] if PHONE_ANY_FORMAT.search(text) else []
    return found


def network_and_business(ws) -> tuple[str, str]:
    """A network with a ranked controller and protected people, and its first member business."""
    reader = ws.warehouse()
    try:
        network = reader.rows("SELECT network_id FROM network_persons GROUP BY network_id "
                              "HAVING bool_or(NOT protected) AND bool_or(protected) ORDER BY network_id LIMIT 1")[0][0]
        business = reader.rows("SELECT business_id FROM network_members WHERE network_id = ? ORDER BY business_id "
                               "LIMIT 1", [network])[0][0]
    finally:
        reader.close()
    return network, business


def user(session, handle: str) -> User:
    return session.execute(select(User).where(User.handle == handle)).scalar_one()


def plant_case(ws, business_id: str, decision: str = "confirmed") -> str:
    """A contact holding every survivor field, in Mandarin, naming `business_id`; its link proposed, confirmed
    or rejected by the advocate. Returns the case's reference."""
    form = ContactForm(channel="call", language="zh", anonymous=False, reporter_role="survivor", state="FL",
                       caller_name=CALLER, caller_phone=PHONE, callback=CALLBACK,
                       narrative=f"{CALLER} says {NARRATIVE_PHRASE}; she calls from {LOCATION}.",
                       location=LOCATION, businesses=("the spa on the corner",), phones=(PHONE,))
    with ws.store.writing() as session:
        advocate = user(session, "advocate")
        contact = record_contact(session, ws.keyring(), form, by=advocate, lookup=lambda kind, key: {business_id})
        mentions = session.execute(select(CaseMention).where(CaseMention.contact_id == contact.id)).scalars().all()
        assert mentions, "the contact proposed no link"
        if decision != "proposed":
            for mention in mentions:
                decide_link(session, mention.id, confirm=decision == "confirmed", by=advocate, entity_id=business_id)
        return session.get(HotlineCase, contact.case_id).ref


def consent_to(ws, case_ref: str, org: str, klass: str = "law_enforcement", fields=("caller_name",)) -> int:
    with ws.store.writing() as session:
        consent = record_consent(session, case_by_ref(session, case_ref), recipient=Recipient(org, klass),
                                 fields=fields, purpose="to help an investigation",
                                 expires_at=datetime.now(timezone.utc) + timedelta(days=30),
                                 by=user(session, "advocate"))
        return consent.id


@pytest.fixture
def signalled(workspace):
    """A workspace whose case store has one case confirmed as mentioning a business of a controlled network:
    (workspace, network id, business id, case ref)."""
    ws = workspace()
    network, business = network_and_business(ws)
    return ws, network, business, plant_case(ws, business)


def release_to_agency(ws, network: str) -> int:
    """The network's packet released by the analyst to the investigator's agency; its release id."""
    with ws.store.session() as session:
        agency = agency_named(session, AGENCY).id
    made = client_for(ws, "analyst").post("/api/packets", json={"network_id": network, "agency_id": agency, "note": ""})
    assert made.status_code == 201, made.text
    return made.json()["release_id"]


@pytest.fixture
def released_signalled(signalled):
    """`signalled`, with the network's packet released by the analyst to the investigator's agency:
    (workspace, release id, case ref)."""
    ws, network, _, ref = signalled
    return ws, release_to_agency(ws, network), ref


def packet_views(client, release_id: int) -> dict[str, str]:
    """The release as page, API answer and download, each checked to have opened."""
    views = {}
    for kind, url in (("page", f"/packets/{release_id}"), ("api", f"/api/packets/{release_id}"),
                      ("download", f"/packets/{release_id}/download")):
        response = client.get(url)
        assert response.status_code == 200, f"{kind}: {response.status_code}"
        views[kind] = response.text
    return views


# -- signals on the analyst's pages ----------------------------------------------------------------
def test_confirmed_link_shows_on_business_and_network_pages_without_any_survivor_field(signalled):
    ws, network, business, _ = signalled
    analyst = client_for(ws, "analyst")
    for page_url, api_url in ((f"/businesses/{business}", f"/api/businesses/{business}"),
                              (f"/networks/{network}", f"/api/networks/{network}")):
        page, api = analyst.get(page_url), analyst.get(api_url)
        assert page.status_code == 200 and api.status_code == 200
        assert 'id="hotline-signals"' in page.text
        assert "1 hotline contact (distinct cases)" in page.text
        assert "Mandarin or Cantonese" in page.text and "Control or coercion reported" in page.text
        hotline = api.json()["hotline"]
        assert hotline["contacts"] == 1
        assert hotline["by_mention"]["business_name"] == 1 and hotline["by_mention"]["phone"] == 1
        assert hotline["languages"] == ["Mandarin or Cantonese"]
        assert hotline["first_date"] == hotline["last_date"] == datetime.now(timezone.utc).date().isoformat()
        assert leaked(page.text) == [] and leaked(api.text) == []


def test_contacts_count_cases_not_links(signalled):
    ws, network, business, _ = signalled
    plant_case(ws, business)
    hotline = client_for(ws, "analyst").get(f"/api/networks/{network}").json()["hotline"]
    assert hotline["contacts"] == 2 and hotline["by_mention"] == {"business_name": 2, "phone": 2, "address": 0}


@pytest.mark.parametrize("decision", ["proposed", "rejected"])
def test_an_unconfirmed_or_rejected_link_shows_nothing(workspace, decision):
    ws = workspace()
    network, business = network_and_business(ws)
    plant_case(ws, business, decision)
    analyst = client_for(ws, "analyst")
    for url in (f"/api/businesses/{business}", f"/api/networks/{network}"):
        hotline = analyst.get(url).json()["hotline"]
        assert hotline["contacts"] == 0 and hotline["languages"] == [] and hotline["first_date"] is None
    page = analyst.get(f"/businesses/{business}").text
    assert "No hotline contact confirmed as mentioning this business" in page and leaked(page) == []


# -- a case's details on a packet, under a law-enforcement consent to that agency --------------------
def test_investigator_sees_the_consented_field_while_a_consent_to_their_agency_lasts(released_signalled):
    ws, release_id, ref = released_signalled
    consent_to(ws, ref, AGENCY)
    views = packet_views(client_for(ws, "investigator"), release_id)
    for kind, text in views.items():
        assert CALLER in text, f"{kind} lacks the consented name"
        assert leaked(text) == ["field #0"], f"{kind} shows a field the consent does not cover"
    assert 'id="shared-cases"' in views["page"]
    shared = client_for(ws, "investigator").get(f"/api/packets/{release_id}").json()["shared_cases"]
    assert shared == [{"case_ref": ref, "fields": [{"field": "caller_name", "label": "name", "values": [CALLER]}]}]


def test_consent_to_a_shelter_shows_the_investigator_nothing(released_signalled):
    ws, release_id, ref = released_signalled
    consent_to(ws, ref, AGENCY, klass="service_provider", fields=("caller_name", "caller_phone", "callback"))
    consent_to(ws, ref, "Safe Harbor Shelter", klass="service_provider", fields=("caller_name", "location"))
    views = packet_views(client_for(ws, "investigator"), release_id)
    assert {kind: leaked(text) for kind, text in views.items()} == {"page": [], "api": [], "download": []}
    assert "No survivor has consented to share case details with your agency" in views["page"]


def test_a_revoked_consent_is_gone_on_the_next_read(released_signalled):
    ws, release_id, ref = released_signalled
    consent_id = consent_to(ws, ref, AGENCY)
    investigator = client_for(ws, "investigator")
    assert CALLER in investigator.get(f"/packets/{release_id}").text
    with ws.store.writing() as session:
        revoke(session, session.get(Consent, consent_id), user(session, "advocate"))
    views = packet_views(investigator, release_id)
    assert {kind: leaked(text) for kind, text in views.items()} == {"page": [], "api": [], "download": []}


def test_on_postgresql_the_consented_field_shows_until_the_consent_is_revoked(workspace, postgres_url):
    ws = workspace(postgres_url)
    network, business = network_and_business(ws)
    ref = plant_case(ws, business)
    release_id = release_to_agency(ws, network)
    consent_id = consent_to(ws, ref, AGENCY, fields=("callback",))
    investigator = client_for(ws, "investigator")
    assert leaked(investigator.get(f"/api/packets/{release_id}").text) == ["field #1"]
    assert client_for(ws, "analyst").get(f"/api/networks/{network}").json()["hotline"]["contacts"] == 1
    with ws.store.writing() as session:
        revoke(session, session.get(Consent, consent_id), user(session, "advocate"))
    assert leaked(investigator.get(f"/api/packets/{release_id}").text) == []


def test_an_expired_consent_shows_nothing(released_signalled):
    ws, release_id, ref = released_signalled
    consent_id = consent_to(ws, ref, AGENCY)
    with ws.store.writing() as session:  # a consent recorded a month ago that ran out yesterday
        session.get(Consent, consent_id).expires_at = datetime.now(timezone.utc) - timedelta(days=1)
    views = packet_views(client_for(ws, "investigator"), release_id)
    assert {kind: leaked(text) for kind, text in views.items()} == {"page": [], "api": [], "download": []}


def test_a_consent_to_another_agency_shows_this_agency_nothing(released_signalled):
    ws, release_id, ref = released_signalled
    consent_to(ws, ref, OTHER_AGENCY, fields=("caller_name", "caller_phone", "callback", "narrative", "location"))
    views = packet_views(client_for(ws, "investigator"), release_id)
    assert {kind: leaked(text) for kind, text in views.items()} == {"page": [], "api": [], "download": []}
    assert client_for(ws, "investigator-other").get(f"/api/packets/{release_id}").status_code == 403


def test_analyst_sees_the_packet_cases_as_counts_only(released_signalled):
    ws, release_id, ref = released_signalled
    consent_to(ws, ref, AGENCY, fields=("caller_name", "caller_phone", "callback", "narrative", "location"))
    analyst = client_for(ws, "analyst")
    views = packet_views(analyst, release_id)
    assert {kind: leaked(text) for kind, text in views.items()} == {"page": [], "api": [], "download": []}
    answer = analyst.get(f"/api/packets/{release_id}").json()
    assert answer["hotline"]["contacts"] == 1 and answer["shared_cases"] == []
    assert 'id="shared-cases"' not in views["page"] and "1 hotline contact mention these businesses" in views["download"]


# -- statistics ------------------------------------------------------------------------------------
def test_statistics_show_a_small_count_as_suppressed(signalled):
    ws, _, business, _ = signalled
    plant_case(ws, business)
    plant_case(ws, business)  # three calls: a count under 5
    for handle in ("analyst", "advocate", "admin"):
        client = client_for(ws, handle)
        page = client.get("/statistics", params={"rows_by": "language", "columns_by": "period", "period": "year"})
        assert page.status_code == 200 and 'id="statistics"' in page.text
        assert "&lt;5" in page.text and re.search(r">\s*3\s*<", page.text) is None
        table = client.get("/api/statistics", params={"rows_by": "language", "columns_by": "period"}).json()
        assert table["rows"] == ["zh", "total"] and all(cell == "<5" for row in table["cells"] for cell in row)
    assert client_for(ws, "investigator").get("/statistics").status_code == 403


def test_statistics_refuse_the_same_dimension_twice(signalled):
    ws = signalled[0]
    answer = client_for(ws, "analyst").get("/api/statistics", params={"rows_by": "channel", "columns_by": "channel"})
    assert answer.status_code == 400 and "different dimensions" in answer.json()["detail"]
