"""Intake: the businesses, phones and addresses a contact mentions become proposed links; tips import into
cases once; confirmed links become signals that count a merged case once; and no log line carries what a
survivor said."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from case_support import (
    SHELTER,
    SURVIVOR,
    SURVIVOR_WORDS,
    audit_entries,
    chain_problems,
    leaked_words,
    open_desk,
    survivor_form,
)
from sqlalchemy import func, select

from harborlight.cases.consent import PERSONAL_FIELDS, Recipient, disclose, read_case, record_consent
from harborlight.cases.intake import (
    case_by_ref,
    decide_link,
    import_tips,
    live_case,
    mention_value,
    new_contact,
    open_case,
    record_contact,
)
from harborlight.cases.mentions import NameIndex, addresses_in, find_mentions, phones_in
from harborlight.cases.merge import merge_cases
from harborlight.cases.referrals import Provider, refer
from harborlight.cases.rotation import rotate_keys
from harborlight.cases.signals import confirmed_signals
from harborlight.errors import BadRequest
from harborlight.store.accounts import utcnow
from harborlight.store.models import CaseMention, HotlineCase, HotlineContact

BUSINESSES = [("biz-lotus", "Golden Lotus Spa LLC"), ("biz-lotus-2", "GOLDEN LOTUS SPA"),
              ("biz-golden", "Golden Lotus"), ("biz-spa", "Spa"), ("biz-star", "The Lucky Star Massage, Inc.")]


@pytest.fixture
def desk(tmp_path, store_url):
    """An empty case desk on `store_url`; its audit chain must verify when the test is done."""
    opened = open_desk(tmp_path, store_url)
    yield opened
    assert chain_problems(opened.store) == []
    opened.store.close()


# -- mentions in free text ----------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["(305) 555-0142", "305.555.0142", "+1 305 555 0142", "305-555-0142",
                                     "3055550142", "1-305-555-0142", "305 555 0142"])
def test_a_phone_is_found_however_it_is_written(written):
    assert [(m.kind, m.value, m.key) for m in phones_in(f"he said call {written} after ten")] == [
        ("phone", written, "+13055550142")]


@pytest.mark.parametrize("text, address", [
    ("she lives at 1200 NW 7th Street now", "1200 NW 7th Street"),
    ("the place at 45 Ocean Drive Suite 3, upstairs", "45 Ocean Drive Suite 3"),
    ("near 9 Palm Ave. by the laundromat", "9 Palm Ave."),
    ("we stay at 3 Coral Way", "3 Coral Way"),
])
def test_a_street_address_is_found(text, address):
    assert [m.value for m in addresses_in(text)] == [address]


@pytest.mark.parametrize("text", [
    "text 305 555 0100 Main St tonight",
    "call 305 555 4521 Court now",
    "my number is 305-555-0100, Way too late",
    "ring (305) 555-0199 Drive carefully",
    "555 0100 Lane",
])
def test_a_phone_number_is_never_read_as_an_address(text):
    assert addresses_in(text) == []
    assert {m.kind for m in find_mentions(text)} <= {"phone"}


def test_text_without_a_place_gives_no_address():
    assert find_mentions("room 12 in the back, 3 girls, 40 dollars, open 7 days") == []


def test_business_names_match_whole_words_and_the_longest_name_wins():
    index = NameIndex(BUSINESSES)
    assert [m.key for m in index.names_in("I worked at the golden lotus spa for a year")] == ["GOLDEN LOTUS SPA"]
    assert index.entities("GOLDEN LOTUS SPA") == {"biz-lotus", "biz-lotus-2"}
    assert [m.key for m in index.names_in("the Lucky Star Massage place")] == ["LUCKY STAR MASSAGE"]
    assert [m.key for m in index.names_in("Golden Lotus, not the other")] == ["GOLDEN LOTUS"]
    assert index.names_in("goldenlotusspa") == []
    assert index.names_in("a spa on the corner") == []  # too short a name to match ordinary words


def test_a_contact_proposes_one_link_per_business_its_mentions_may_mean(desk):
    index = NameIndex(BUSINESSES)
    phones = {"+13055550142": {"biz-phone"}}
    form = survivor_form(narrative="at the Golden Lotus Spa, call 305-555-0142, 12 Coral Way",
                         businesses=("Lucky Star Massage",))
    with desk.store.writing() as session:
        contact = record_contact(session, desk.keyring, form, by=desk.people["advocate"], names=index,
                                 lookup=lambda kind, key: phones.get(key, set()) if kind == "phone" else set())
        proposals = {(m.kind, mention_value(desk.keyring, m, contact), m.entity_id, m.status)
                     for m in session.execute(select(CaseMention)).scalars()}
    assert proposals == {
        ("business_name", "GOLDEN LOTUS SPA", "biz-lotus", "proposed"),
        ("business_name", "GOLDEN LOTUS SPA", "biz-lotus-2", "proposed"),
        ("business_name", "Lucky Star Massage", "biz-star", "proposed"),
        ("phone", "305-555-0142", "biz-phone", "proposed"),
        ("address", "12 Coral Way", None, "proposed"),  # kept for the advocate to link by hand
    }
    assert phones == {"+13055550142": {"biz-phone"}}  # the lookup's answer is not changed


def test_only_a_confirmed_link_becomes_a_signal(desk):
    with desk.store.writing() as session:
        contact = record_contact(session, desk.keyring, survivor_form(narrative="at Golden Lotus Spa, 12 Coral Way"),
                                 by=desk.people["advocate"], names=NameIndex(BUSINESSES[:2]))
        mentions = {(m.kind, m.entity_id): m.id for m in session.execute(select(CaseMention)).scalars()}
        ref = session.get(HotlineCase, contact.case_id).ref
    assert confirmed_signals_of(desk) == []
    with desk.store.writing() as session:
        with pytest.raises(BadRequest):  # an address nobody matched needs a business chosen
            decide_link(session, mentions[("address", None)], confirm=True, by=desk.people["advocate"])
        decide_link(session, mentions[("address", None)], confirm=True, by=desk.people["advocate"],
                    entity_id="biz-chosen")
        decide_link(session, mentions[("business_name", "biz-lotus")], confirm=True, by=desk.people["advocate"])
        decide_link(session, mentions[("business_name", "biz-lotus-2")], confirm=False, by=desk.people["advocate"])
    assert {(s.case_ref, s.entity_id, s.mention, s.languages) for s in confirmed_signals_of(desk)} == {
        (ref, "biz-chosen", "address", ("ko",)), (ref, "biz-lotus", "business_name", ("ko",))}
    assert [s.entity_id for s in confirmed_signals_of(desk, ["biz-lotus-2", "biz-chosen"])] == ["biz-chosen"]


def confirmed_signals_of(desk, entity_ids=None):
    with desk.store.session() as session:
        return confirmed_signals(session, entity_ids)


def test_a_merged_case_counts_once_in_the_signals(desk):
    refs = []
    for day in (1, 2, 3):
        form = survivor_form(narrative="they took my passport at Golden Lotus Spa",
                             received_at=utcnow().replace(year=2023, month=5, day=day))
        with desk.store.writing() as session:
            contact = record_contact(session, desk.keyring, form, by=desk.people["advocate"],
                                     names=NameIndex(BUSINESSES[:1]))
            (mention,) = session.execute(select(CaseMention).where(CaseMention.contact_id == contact.id)).scalars()
            decide_link(session, mention.id, confirm=True, by=desk.people["advocate"])
            refs.append(session.get(HotlineCase, contact.case_id).ref)
    assert len({s.case_ref for s in confirmed_signals_of(desk, ["biz-lotus"])}) == 3
    with desk.store.writing() as session:
        merge_cases(session, case_by_ref(session, refs[0]), [case_by_ref(session, r) for r in refs[1:]],
                    desk.people["advocate"])
    signals = confirmed_signals_of(desk, ["biz-lotus"])
    assert {s.case_ref for s in signals} == {refs[0]}
    assert len(signals) == 3  # the three calls, one case
    for signal in signals:
        assert leaked_words(repr(signal), [*SURVIVOR_WORDS, *SURVIVOR.values()]) == []
        assert signal.categories  # conduct codes travel; the caller's words do not


# -- tips imported from a hotline's export -------------------------------------------------------------
def tip(record_id: str, **changes) -> dict:
    row = {"source": "hotline", "record_id": record_id, "received_at": "2022-01-01T22:05:00",
           "channel": "call", "reporter_role": "anonymous", "language": "zh",
           "text": "Women seem to live at the spa, Quillon Marrowgate said", "business_name": "Golden Lotus Spa",
           "phone": "(305) 555-0100", "location_text": "behind 77 Tamarind Lane"}
    return {**row, **changes}


TIPS = [tip("T1"), tip("T2", reporter_role="survivor", language="", text=None), tip("T3", phone="")]


def import_rows(desk, rows):
    with desk.store.writing() as session:
        return import_tips(session, desk.keyring, rows)


def counts(desk) -> tuple[int, int, int]:
    with desk.store.session() as session:
        return tuple(session.execute(select(func.count()).select_from(model)).scalar_one()
                     for model in (HotlineCase, HotlineContact, CaseMention))


def test_importing_tips_twice_gives_the_same_cases(desk):
    first = import_rows(desk, TIPS)
    after_first = counts(desk)
    second = import_rows(desk, TIPS)
    assert second == first and counts(desk) == after_first
    assert after_first[:2] == (3, 3) and len({t.case_ref for t in first}) == 3
    assert [e.action for e in audit_entries(desk.store) if e.action == "case_import"] == ["case_import"]
    assert [t.language for t in first] == ["zh", None, "zh"]


def test_a_tip_given_twice_in_one_import_is_one_case_as_first_given(desk):
    cases = import_rows(desk, [TIPS[0], {**TIPS[0], "language": "ko"}, TIPS[1]])
    assert cases[0].case_ref == cases[1].case_ref != cases[2].case_ref
    assert cases[0].language == cases[1].language == "zh"
    assert counts(desk)[:2] == (2, 2)


def test_an_import_draws_a_case_reference_again_when_it_is_taken(desk, monkeypatch):
    import harborlight.cases.intake as intake

    with desk.store.writing() as session:
        taken = open_case(session, None).ref
    draws = iter([taken, taken, "case-00000000000a", "case-00000000000b"])
    monkeypatch.setattr(intake, "new_ref", lambda: next(draws))
    refs = {tip.case_ref for tip in import_rows(desk, TIPS[:2])}
    assert refs == {"case-00000000000a", "case-00000000000b"}


def test_an_imported_tip_is_sealed_and_its_business_and_phone_are_proposed(desk):
    (imported,) = import_rows(desk, [tip("T1")])
    with desk.store.writing() as session:
        case = case_by_ref(session, imported.case_ref)
        (opened,) = read_case(session, desk.keyring, case, desk.people["advocate"]).values()
        contact = session.execute(select(HotlineContact)).scalar_one()
        proposed = {(m.kind, mention_value(desk.keyring, m, contact))
                    for m in session.execute(select(CaseMention)).scalars()}
    assert opened["narrative"] == tip("T1")["text"] and opened["location"] == "behind 77 Tamarind Lane"
    assert contact.anonymous and opened["caller_name"] is None
    assert {("business_name", "Golden Lotus Spa"), ("phone", "(305) 555-0100")} <= proposed
    assert imported.categories == ("control_reported",)  # conduct codes, read from the text


@pytest.mark.parametrize("written", ["2022-01-01T22:05:00", "2022-01-01T22:05:00Z", "2022-01-02T00:05:00+02:00"])
def test_an_imported_tip_keeps_its_moment_in_utc(desk, written):
    (imported,) = import_rows(desk, [tip("T1", received_at=written)])
    assert imported.received_at == datetime(2022, 1, 1, 22, 5, tzinfo=timezone.utc)


def test_a_tip_imported_again_after_a_merge_leads_to_the_case_kept(desk):
    first = import_rows(desk, TIPS)
    with desk.store.writing() as session:
        merge_cases(session, case_by_ref(session, first[2].case_ref), [case_by_ref(session, first[0].case_ref)],
                    desk.people["advocate"])
    again = import_rows(desk, TIPS)
    assert [t.case_ref for t in again] == [first[2].case_ref, first[1].case_ref, first[2].case_ref]
    with desk.store.session() as session:
        assert live_case(session, case_by_ref(session, first[0].case_ref)).ref == first[2].case_ref


# -- logs -------------------------------------------------------------------------------------------
def test_no_log_record_carries_a_survivor_value(desk, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy")  # as if an administrator turned SQL logging on
    with desk.store.writing() as session:
        contact = record_contact(session, desk.keyring, survivor_form(narrative=SURVIVOR["narrative"] + " 12 Coral Way"),
                                 by=desk.people["advocate"], names=NameIndex(BUSINESSES))
        case = session.get(HotlineCase, contact.case_id)
        for mention in session.execute(select(CaseMention)).scalars():
            decide_link(session, mention.id, confirm=True, by=desk.people["advocate"], entity_id="biz-any")
        record_consent(session, case, recipient=Recipient(SHELTER, "service_provider"), fields=PERSONAL_FIELDS,
                       purpose="shelter", expires_at=utcnow() + timedelta(days=5), by=desk.people["advocate"])
        refer(session, desk.keyring, case, Provider("dir", "PR1", SHELTER), ["shelter"], by=desk.people["advocate"])
        disclose(session, desk.keyring, case, Recipient(SHELTER, "service_provider"), purpose="check",
                 by=desk.people["advocate"])
        read_case(session, desk.keyring, case, desk.people["advocate"])
        import_tips(session, desk.keyring, TIPS)
    with desk.store.session() as session:
        confirmed_signals(session)
    rotate_keys(desk.store, desk.keyring)
    words = [*SURVIVOR_WORDS, *SURVIVOR.values(), "Coral Way"]
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        assert leaked_words(text, words) == [], record.name
        assert "hl1:" not in text, record.name  # a sealed value counts as disclosed too


def test_a_database_error_does_not_carry_sealed_values(desk):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as failed, desk.store.writing() as session:
        case = open_case(session, None)
        for _ in range(2):  # the same tip twice, bypassing import_tips' check: the store refuses the second
            session.add(new_contact(desk.keyring, survivor_form(), case, by=None, source="hotline", record_id="T9"))
            session.flush()
    assert "hl1:" not in str(failed.value)
    assert leaked_words(str(failed.value)) == []


@pytest.mark.parametrize(("written", "kept"), [("zh-TW", "zh"), ("KO", "ko"), ("pt_BR", "pt"), ("Mandarin", None),
                                              ("", None), (None, None)])
def test_an_imported_tips_language_is_kept_as_its_two_letter_code_or_not_at_all(written, kept):
    from harborlight.cases.intake import language_code

    assert language_code(written) == kept
