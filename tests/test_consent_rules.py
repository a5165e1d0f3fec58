"""The consent rules of victim-centered §5, one group per rule, each on SQLite and PostgreSQL: no survivor
field leaves a case without the survivor's consent to that very recipient, and the ways round it are few,
signed twice, logged and short."""

from __future__ import annotations

import json
from datetime import timedelta
from fractions import Fraction

import pytest
from case_support import (
    AGENCY,
    OTHER_AGENCY,
    OTHER_SHELTER,
    SHELTER,
    SURVIVOR,
    audit_entries,
    chain_problems,
    leaked_words,
    open_desk,
    record_survivor,
    survivor_form,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from harborlight.cases.consent import (
    PERSONAL_FIELDS,
    Recipient,
    disclose,
    read_case,
    record_consent,
    revoke,
)
from harborlight.cases.exceptions import approve_exception, request_exception
from harborlight.cases.intake import ContactForm, case_by_ref, record_contact, want_service
from harborlight.cases.merge import merge_cases
from harborlight.cases.packets import case_details_for_agency
from harborlight.cases.referrals import Provider, refer, referral_payload
from harborlight.cases.stats import HIDDEN, statistics, suppressed
from harborlight.errors import BadRequest, Forbidden
from harborlight.store.accounts import utcnow
from harborlight.store.models import AccessException, Consent, HotlineCase, HotlineContact, ServiceRequest

SHELTER_PROVIDER = Provider("provider_directory", "PR1", SHELTER)
OTHER_PROVIDER = Provider("provider_directory", "PR2", OTHER_SHELTER)
AS_SHELTER = Recipient(SHELTER, "service_provider")
AS_POLICE = Recipient(AGENCY, "law_enforcement")


@pytest.fixture
def desk(tmp_path, store_url):
    """An empty case desk (store, key file, advocates, an admin, an analyst, an investigator); its audit
    chain must still verify when the test is done."""
    opened = open_desk(tmp_path, store_url)
    yield opened
    assert chain_problems(opened.store) == []
    opened.store.close()


@pytest.fixture
def survivor_case(desk) -> str:
    """The ref of a case holding one named contact with every survivor field, and no consent."""
    return record_survivor(desk)


def consent_to(desk, ref: str, recipient: Recipient, fields, days: int = 30) -> int:
    with desk.store.writing() as session:
        return record_consent(session, case_by_ref(session, ref), recipient=recipient, fields=fields,
                              purpose="help the survivor", expires_at=utcnow() + timedelta(days=days),
                              by=desk.people["advocate"]).id


def disclosed(desk, ref: str, recipient: Recipient) -> dict[str, list[str]]:
    with desk.store.writing() as session:
        return disclose(session, desk.keyring, case_by_ref(session, ref), recipient, purpose="test",
                        by=desk.people["advocate"]).fields


def refer_to(desk, ref: str, provider: Provider = SHELTER_PROVIDER, services=("shelter",)) -> dict:
    with desk.store.writing() as session:
        referral, payload = refer(session, desk.keyring, case_by_ref(session, ref), provider, services,
                                  by=desk.people["advocate"])
        assert referral_payload(desk.keyring, referral) == payload  # what is kept is what was sent
        return payload


def police_details(desk, ref: str, agency: str = AGENCY) -> list:
    with desk.store.writing() as session:
        return case_details_for_agency(session, desk.keyring, [ref], agency, by=desk.people["investigator"])


def set_column(desk, model, row_id: int, **values) -> None:
    """Change a row directly, as time would (an expiry passing)."""
    with desk.store.writing() as session:
        row = session.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)


def yesterday():
    return utcnow() - timedelta(days=1)


# -- rule 1: nothing personal leaves without an active consent to that recipient -----------------------
def test_a_referral_without_consent_carries_no_survivor_field(desk, survivor_case):
    payload = refer_to(desk, survivor_case)
    assert payload["survivor"] == {}
    assert set(payload["withheld"]) == set(PERSONAL_FIELDS)
    assert payload["services"] == ["shelter"] and payload["languages_needed"] == ["ko"]
    assert leaked_words(json.dumps(payload)) == []


@pytest.mark.parametrize("klass", ["service_provider", "law_enforcement", "other"])
def test_disclosure_without_consent_gives_no_field_to_any_recipient_class(desk, survivor_case, klass):
    assert disclosed(desk, survivor_case, Recipient(SHELTER, klass)) == {}


def test_a_consent_opens_only_the_fields_it_names(desk, survivor_case):
    consent_to(desk, survivor_case, AS_SHELTER, ["callback"])
    assert disclosed(desk, survivor_case, AS_SHELTER) == {"callback": [SURVIVOR["callback"]]}
    payload = refer_to(desk, survivor_case)
    assert payload["survivor"] == {"callback": [SURVIVOR["callback"]]}
    assert "callback" not in payload["withheld"]
    for name in set(PERSONAL_FIELDS) - {"callback"}:
        assert SURVIVOR[name] not in json.dumps(payload)


def test_a_consent_does_not_open_a_contact_added_to_the_case_after_it(desk, survivor_case):
    """A later call in the same case (a relative, say) was never covered by the survivor's consent."""
    consent_to(desk, survivor_case, AS_SHELTER, ["caller_name"])
    with desk.store.writing() as session:
        record_contact(session, desk.keyring, survivor_form(caller_name="Relative Latecaller"),
                       by=desk.people["advocate"], case=case_by_ref(session, survivor_case))
    assert disclosed(desk, survivor_case, AS_SHELTER) == {"caller_name": [SURVIVOR["caller_name"]]}
    consent_to(desk, survivor_case, AS_SHELTER, ["caller_name"])  # asked again, it covers both calls
    assert disclosed(desk, survivor_case, AS_SHELTER) == {
        "caller_name": [SURVIVOR["caller_name"], "Relative Latecaller"]}


def test_a_consent_to_one_organisation_does_not_open_for_another(desk, survivor_case):
    consent_to(desk, survivor_case, AS_SHELTER, PERSONAL_FIELDS)
    assert disclosed(desk, survivor_case, Recipient(OTHER_SHELTER, "service_provider")) == {}
    assert refer_to(desk, survivor_case, OTHER_PROVIDER)["survivor"] == {}
    assert disclosed(desk, survivor_case, Recipient(SHELTER, "other")) == {}  # same name, other class
    # the organisation itself, however its name is capitalised or spaced, does receive them
    assert disclosed(desk, survivor_case, Recipient(f"  {SHELTER.upper()} ", "service_provider"))


def test_no_sealed_value_leaves_in_a_referral_or_the_audit_chain(desk, survivor_case):
    consent_to(desk, survivor_case, AS_SHELTER, ["caller_name"])
    consent_to(desk, survivor_case, AS_POLICE, ["location"])
    payloads = [refer_to(desk, survivor_case), refer_to(desk, survivor_case, OTHER_PROVIDER)]
    police_details(desk, survivor_case)
    with desk.store.writing() as session:
        read_case(session, desk.keyring, case_by_ref(session, survivor_case), desk.people["advocate"])
    # "Hashed or encrypted PII counts as disclosed": no sealed token travels, in clear or sealed.
    for payload in payloads:
        assert "hl1:" not in json.dumps(payload)
    entries = audit_entries(desk.store)
    assert {"consent_record", "referral", "case_disclose", "case_read"} <= {e.action for e in entries}
    for entry in entries:
        text = " ".join([entry.actor, entry.subject, entry.detail])
        assert "hl1:" not in text
        assert leaked_words(text) == []


# -- rule 2: law enforcement is its own class --------------------------------------------------------
def test_consent_to_a_provider_lets_no_police_packet_see_the_survivor(desk, survivor_case):
    consent_to(desk, survivor_case, AS_SHELTER, PERSONAL_FIELDS)
    consent_to(desk, survivor_case, Recipient(AGENCY, "service_provider"), PERSONAL_FIELDS)  # wrong class
    assert police_details(desk, survivor_case) == []
    assert disclosed(desk, survivor_case, AS_POLICE) == {}


def test_a_law_enforcement_consent_to_one_agency_does_not_open_for_another(desk, survivor_case):
    consent_to(desk, survivor_case, AS_POLICE, ["caller_phone"])
    (details,) = police_details(desk, survivor_case)
    assert details.fields == {"caller_phone": [SURVIVOR["caller_phone"]]}
    assert police_details(desk, survivor_case, OTHER_AGENCY) == []


@pytest.mark.parametrize("handle", ["investigator", "analyst", "admin"])
def test_only_advocates_read_a_case_file(desk, survivor_case, handle):
    consent_to(desk, survivor_case, AS_POLICE, PERSONAL_FIELDS)
    with pytest.raises(Forbidden), desk.store.writing() as session:
        read_case(session, desk.keyring, case_by_ref(session, survivor_case), desk.people[handle])


# -- rule 3: exceptions need a reason, a second person, an audit entry, and they end ------------------
def ask_exception(desk, ref: str, *, reason="imminent_danger", recipient=AS_POLICE,
                  fields=("caller_phone", "location"), by="advocate") -> int:
    with desk.store.writing() as session:
        return request_exception(session, case_by_ref(session, ref), reason_code=reason, recipient=recipient,
                                 fields=fields, hours=4, by=desk.people[by]).id


def approve(desk, exception_id: int, by: str) -> None:
    with desk.store.writing() as session:
        approve_exception(session, exception_id, desk.people[by])


@pytest.mark.parametrize("reason", ["", "curiosity", "MINOR", "investigation"])
def test_an_exception_without_a_known_reason_is_refused(desk, survivor_case, reason):
    with pytest.raises(BadRequest):
        ask_exception(desk, survivor_case, reason=reason)


def test_an_exception_is_not_approved_by_the_person_who_asked(desk, survivor_case):
    asked = ask_exception(desk, survivor_case)
    with pytest.raises(Forbidden):
        approve(desk, asked, "advocate")
    assert disclosed(desk, survivor_case, AS_POLICE) == {}


@pytest.mark.parametrize("handle", ["analyst", "investigator"])
def test_an_exception_is_not_approved_by_an_analyst_or_investigator(desk, survivor_case, handle):
    asked = ask_exception(desk, survivor_case)
    with pytest.raises(Forbidden):
        approve(desk, asked, handle)
    assert police_details(desk, survivor_case) == []


def test_an_approved_exception_opens_its_fields_for_its_recipient_until_it_expires(desk, survivor_case):
    asked = ask_exception(desk, survivor_case)
    assert disclosed(desk, survivor_case, AS_POLICE) == {}  # nothing before the second sign-off
    approve(desk, asked, "admin")
    expected = {"caller_phone": [SURVIVOR["caller_phone"]], "location": [SURVIVOR["location"]]}
    assert disclosed(desk, survivor_case, AS_POLICE) == expected
    (details,) = police_details(desk, survivor_case)
    assert details.fields == expected and details.basis == (f"exception:{asked}",)
    assert police_details(desk, survivor_case, OTHER_AGENCY) == []
    assert disclosed(desk, survivor_case, Recipient(AGENCY, "service_provider")) == {}
    with pytest.raises(BadRequest):  # a second approval would restart the clock
        approve(desk, asked, "advocate2")
    set_column(desk, AccessException, asked, expires_at=utcnow() - timedelta(minutes=1))
    assert disclosed(desk, survivor_case, AS_POLICE) == {}
    assert police_details(desk, survivor_case) == []


def test_an_exception_request_and_approval_are_on_the_audit_chain(desk, survivor_case):
    asked = ask_exception(desk, survivor_case, reason="court_order")
    approve(desk, asked, "advocate2")
    entries = [e for e in audit_entries(desk.store) if e.action.startswith("exception_")]
    assert [(e.action, e.actor, e.subject) for e in entries] == [
        ("exception_request", f"user:{desk.people['advocate'].id}", f"case:{survivor_case}"),
        ("exception_approve", f"user:{desk.people['advocate2'].id}", f"case:{survivor_case}"),
    ]
    assert all(json.loads(e.detail)["exception"] == asked for e in entries)


# -- rule 4: services never depend on consent -----------------------------------------------------
def no_consent(desk, ref):
    return None


def revoked_consent(desk, ref):
    consent_id = consent_to(desk, ref, AS_SHELTER, PERSONAL_FIELDS)
    with desk.store.writing() as session:
        revoke(session, session.get(Consent, consent_id), desk.people["advocate"])


def expired_consent(desk, ref):
    consent_id = consent_to(desk, ref, AS_SHELTER, PERSONAL_FIELDS)
    set_column(desk, Consent, consent_id, expires_at=yesterday())


def consent_elsewhere(desk, ref):
    consent_to(desk, ref, Recipient(OTHER_SHELTER, "service_provider"), PERSONAL_FIELDS)


@pytest.mark.parametrize("situation", [no_consent, revoked_consent, expired_consent, consent_elsewhere])
def test_services_and_referrals_go_whatever_the_consent(desk, situation):
    with desk.store.writing() as session:
        contact = record_contact(session, desk.keyring, ContactForm(channel="text", wants=("shelter", "legal")),
                                 by=desk.people["advocate"])
        ref = session.get(HotlineCase, contact.case_id).ref
    situation(desk, ref)
    with desk.store.writing() as session:
        case = case_by_ref(session, ref)
        want_service(session, case, "medical", "this_week", desk.people["advocate"])
        wanted = session.execute(select(ServiceRequest.service).where(ServiceRequest.case_id == case.id)).scalars()
        assert sorted(wanted) == ["legal", "medical", "shelter"]
    payload = refer_to(desk, ref, services=("shelter", "medical"))
    assert payload["services"] == ["shelter", "medical"] and payload["survivor"] == {}


def test_services_asked_on_a_merged_case_reach_the_case_kept(desk, survivor_case):
    kept = record_survivor(desk, caller_name="Another Caller")
    with desk.store.writing() as session:
        merge_cases(session, case_by_ref(session, kept), [case_by_ref(session, survivor_case)],
                    desk.people["advocate"])
    with desk.store.writing() as session:
        request = want_service(session, case_by_ref(session, survivor_case), "legal", "now", desk.people["advocate"])
        assert request.case_id == case_by_ref(session, kept).id
    payload = refer_to(desk, survivor_case)
    assert payload["case"] == kept and payload["languages_needed"] == ["ko"]


# -- rule 5: revocation and expiry stop sharing at once; merging ends consents ----------------------
def test_revoking_a_consent_stops_the_next_referral_and_is_logged(desk, survivor_case):
    consent_id = consent_to(desk, survivor_case, AS_SHELTER, ["caller_name", "callback"])
    assert set(refer_to(desk, survivor_case)["survivor"]) == {"caller_name", "callback"}
    with desk.store.writing() as session:
        revoke(session, session.get(Consent, consent_id), desk.people["advocate2"])
    assert refer_to(desk, survivor_case)["survivor"] == {}
    assert disclosed(desk, survivor_case, AS_SHELTER) == {}
    (entry,) = [e for e in audit_entries(desk.store) if e.action == "consent_revoke"]
    assert entry.actor == f"user:{desk.people['advocate2'].id}" and entry.subject == f"case:{survivor_case}"
    assert json.loads(entry.detail)["consent"] == consent_id


def test_revoking_a_police_consent_stops_the_next_packet(desk, survivor_case):
    consent_id = consent_to(desk, survivor_case, AS_POLICE, ["caller_phone"])
    assert police_details(desk, survivor_case)
    with desk.store.writing() as session:
        revoke(session, session.get(Consent, consent_id), desk.people["advocate"])
    assert police_details(desk, survivor_case) == []


def test_an_expired_consent_is_no_consent(desk, survivor_case):
    consent_id = consent_to(desk, survivor_case, AS_SHELTER, PERSONAL_FIELDS)
    assert disclosed(desk, survivor_case, AS_SHELTER)
    set_column(desk, Consent, consent_id, expires_at=utcnow() - timedelta(seconds=1))
    assert disclosed(desk, survivor_case, AS_SHELTER) == {}
    assert refer_to(desk, survivor_case)["survivor"] == {}


@pytest.mark.parametrize("days", [0, -3, 400])
def test_a_consent_must_expire_within_a_year_from_now(desk, survivor_case, days):
    with pytest.raises(BadRequest):
        consent_to(desk, survivor_case, AS_SHELTER, ["callback"], days=days)


def test_merging_a_case_ends_its_consents_and_exceptions(desk, survivor_case):
    kept = record_survivor(desk, caller_name="Another Caller", narrative="a second call")
    consent_id = consent_to(desk, survivor_case, AS_SHELTER, PERSONAL_FIELDS)
    asked = ask_exception(desk, survivor_case)
    approve(desk, asked, "advocate2")
    with desk.store.writing() as session:
        merge_cases(session, case_by_ref(session, kept), [case_by_ref(session, survivor_case)],
                    desk.people["advocate"])
    with desk.store.session() as session:
        assert session.get(Consent, consent_id).revoked_at is not None
    # the merged case's consent covers neither the case kept nor the old reference
    assert disclosed(desk, kept, AS_SHELTER) == {}
    assert disclosed(desk, survivor_case, AS_SHELTER) == {}
    assert police_details(desk, survivor_case) == [] and police_details(desk, kept) == []
    revoked = [json.loads(e.detail) for e in audit_entries(desk.store) if e.action == "consent_revoke"]
    assert revoked == [{"consent": consent_id, "reason": "merged"}]


def test_a_consent_on_the_case_kept_does_not_open_a_merged_in_survivor(desk, survivor_case):
    other = record_survivor(desk, caller_name="Odalys Fenwright", caller_phone="786-555-0123")
    consent_to(desk, survivor_case, AS_SHELTER, ["caller_name", "caller_phone"])
    consent_to(desk, survivor_case, AS_POLICE, ["caller_name"])
    asked = ask_exception(desk, survivor_case, fields=("caller_name",))
    with desk.store.writing() as session:
        merge_cases(session, case_by_ref(session, survivor_case), [case_by_ref(session, other)],
                    desk.people["advocate"])
    # the other caller never consented to anything: nothing of theirs may reach the shelter or police,
    # not even through an exception asked for before the merge and approved after it
    with pytest.raises(BadRequest):
        approve(desk, asked, "advocate2")
    for shared in (disclosed(desk, survivor_case, AS_SHELTER), refer_to(desk, survivor_case)["survivor"],
                   *(d.fields for d in police_details(desk, survivor_case))):
        assert leaked_words(json.dumps(shared), ["Odalys", "Fenwright", "786-555-0123"]) == []


# -- rule 6: a tip may be anonymous ------------------------------------------------------------------
def test_a_contact_with_only_a_channel_is_accepted(desk):
    with desk.store.writing() as session:
        contact = record_contact(session, desk.keyring, ContactForm(channel="webform"), by=None)
        assert all(getattr(contact, f"{n}_sealed") is None for n in PERSONAL_FIELDS)
        assert contact.anonymous and contact.case_id is not None


@pytest.mark.parametrize("given_field", ["caller_name", "caller_phone"])
def test_an_anonymous_contact_with_a_name_or_phone_is_refused(desk, given_field):
    form = ContactForm(channel="call", anonymous=True, **{given_field: SURVIVOR[given_field]})
    with pytest.raises(BadRequest), desk.store.writing() as session:
        record_contact(session, desk.keyring, form, by=desk.people["advocate"])
    with desk.store.session() as session:
        assert session.execute(select(HotlineContact)).first() is None


# -- rule 7: statistics suppress every count under 5, and what subtraction would reveal --------------
def record_contacts(desk, channel: str, month: int, count: int) -> None:
    when = utcnow().replace(year=2022, month=month, day=10)
    with desk.store.writing() as session:
        for _ in range(count):
            record_contact(session, desk.keyring, ContactForm(channel=channel, received_at=when), by=None)


def shown(table) -> dict[tuple[str, str], str]:
    return {(r, c): table.cells[i][j] for i, r in enumerate(table.rows) for j, c in enumerate(table.columns)}


def test_a_three_shows_as_under_five(desk):
    record_contacts(desk, "call", 1, 3)
    with desk.store.session() as session:
        cells = shown(statistics(session, "channel", "period", "quarter"))
    assert cells[("call", "2022-Q1")] == HIDDEN
    assert "3" not in cells.values()


def test_a_row_of_nine_and_three_hides_more_than_the_three(desk):
    record_contacts(desk, "call", 1, 9)
    record_contacts(desk, "call", 4, 3)
    record_contacts(desk, "text", 1, 8)
    record_contacts(desk, "text", 4, 7)
    with desk.store.session() as session:
        table = statistics(session, "channel", "period", "quarter")
    cells = shown(table)
    assert cells[("call", "2022-Q2")] == HIDDEN
    # the row call: 9 + <5 = 12 would give the 3 away; one more entry of the row is hidden
    assert [cells[("call", c)] for c in table.columns].count(HIDDEN) >= 2
    # and the column 2022-Q2 (3 + 7 = 10) likewise
    assert [cells[(r, "2022-Q2")] for r in table.rows].count(HIDDEN) >= 2
    assert_no_line_gives_a_hidden_count_away(table.cells)


def test_a_total_under_five_is_hidden(desk):
    record_contacts(desk, "email", 2, 2)
    record_contacts(desk, "call", 2, 20)
    with desk.store.session() as session:
        cells = shown(statistics(session, "channel", "period", "month"))
    assert cells[("email", "total")] == HIDDEN and cells[("email", "2022-02")] == HIDDEN


def lines_of(grid):
    return [list(row) for row in grid] + [list(col) for col in zip(*grid)]


def assert_no_line_gives_a_hidden_count_away(cells) -> None:
    for line in lines_of(cells):
        hidden = line.count(HIDDEN)
        assert hidden != 1, line  # one hidden entry of a line is its total minus the others
        if line[-1] != HIDDEN:
            assert hidden == 0 or hidden >= 2, line


def pinned_by_sums(grid: list[list[int]], hide: list[list[bool]]) -> list[tuple[int, int]]:
    """The hidden non-zero entries that adding and subtracting lines (each line's cells minus its total is 0)
    determines exactly: those whose unit vector lies in the span of the lines, restricted to hidden entries.
    Exact elimination over the rationals, independent of how stats.py decides."""
    hidden = [(r, c) for r, row in enumerate(hide) for c, h in enumerate(row) if h]
    rows, columns = len(grid), len(grid[0])
    lines = [[(r, c) for c in range(columns)] for r in range(rows)] + \
        [[(r, c) for r in range(rows)] for c in range(columns)]
    basis: list[list[Fraction]] = []  # rows in echelon form over the hidden entries

    def reduce(vector):
        vector = list(vector)
        for pivot_row in basis:
            pivot = next(i for i, v in enumerate(pivot_row) if v)
            if vector[pivot]:
                factor = vector[pivot] / pivot_row[pivot]
                vector = [a - factor * b for a, b in zip(vector, pivot_row)]
        return vector

    for line in lines:
        *cells, total = line
        vector = [Fraction(1 if p in cells else -1 if p == total else 0) for p in hidden]
        reduced = reduce(vector)
        if any(reduced):
            basis.append(reduced)
    return [p for k, p in enumerate(hidden) if grid[p[0]][p[1]] > 0
            and not any(reduce([Fraction(int(i == k)) for i in range(len(hidden))]))]


def test_a_count_that_sums_of_several_lines_would_isolate_is_protected():
    counts = [[6, 0, 0, 3, 6], [30, 0, 0, 3, 30], [12, 30, 6, 3, 5], [30, 4, 0, 6, 4]]
    grid = with_totals(counts)
    hide = suppressed(grid)
    assert pinned_by_sums(grid, hide) == []
    assert all(hide[r][c] for r, row in enumerate(grid) for c, n in enumerate(row) if 1 <= n < 5)


def with_totals(counts: list[list[int]]) -> list[list[int]]:
    grid = [row + [sum(row)] for row in counts]
    return grid + [[sum(col) for col in zip(*grid)]]


@settings(deadline=None, max_examples=400, derandomize=True, database=None)
@given(st.integers(1, 5).flatmap(lambda width: st.lists(
    st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9, 12, 30]), min_size=width, max_size=width),
    min_size=1, max_size=5)))
def test_suppression_leaves_no_hidden_count_that_sums_of_lines_give_away(counts):
    grid = with_totals(counts)
    hide = suppressed(grid)
    cells = [[HIDDEN if hide[r][c] else str(n) for c, n in enumerate(row)] for r, row in enumerate(grid)]
    for r, row in enumerate(grid):
        for c, n in enumerate(row):
            if 1 <= n < 5:
                assert cells[r][c] == HIDDEN
    assert_no_line_gives_a_hidden_count_away(cells)
    assert pinned_by_sums(grid, hide) == []


# -- and after all of it, the audit chain holds ----------------------------------------------------
def test_the_audit_chain_verifies_after_every_kind_of_case_entry(desk, survivor_case):
    consent_id = consent_to(desk, survivor_case, AS_SHELTER, ["callback"])
    refer_to(desk, survivor_case)
    asked = ask_exception(desk, survivor_case)
    approve(desk, asked, "admin")
    police_details(desk, survivor_case)
    with desk.store.writing() as session:
        revoke(session, session.get(Consent, consent_id), desk.people["advocate"])
        want_service(session, case_by_ref(session, survivor_case), "legal", "later", desk.people["advocate"])
    other = record_survivor(desk)
    with desk.store.writing() as session:
        merge_cases(session, case_by_ref(session, survivor_case), [case_by_ref(session, other)],
                    desk.people["advocate"])
    actions = {e.action for e in audit_entries(desk.store)}
    assert {"case_contact", "consent_record", "referral", "exception_request", "exception_approve",
            "case_disclose", "consent_revoke", "service_request", "case_merge"} <= actions
    assert chain_problems(desk.store) == []
