"""A hostile insider's and a careless deployment's attempts on the hotline case file, each a defect once
found (or a door checked shut): agencies whose names differ only in case, a key file gone missing while
cases are stored, a hotline export with a long transcript, lookalike organisation names."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from case_support import AGENCY, SURVIVOR_WORDS, chain_problems, open_desk, record_survivor
from sqlalchemy import select

from harborlight.cases.consent import Recipient, record_consent
from harborlight.cases.intake import case_by_ref
from harborlight.cases.keys import SealError, keyring_for
from harborlight.cases.packets import case_details_for_agency
from harborlight.config import Settings, installation_key
from harborlight.errors import BadRequest
from harborlight.store.accounts import agency_named, utcnow
from harborlight.store.casework import add_agency
from harborlight.store.models import Agency, HotlineContact
from harborlight.warehouse import Warehouse


@pytest.fixture
def desk(tmp_path):
    """An empty case desk on SQLite (the probe's checks do not depend on the database); its audit chain
    must verify when the test is done."""
    opened = open_desk(tmp_path, f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield opened
    assert chain_problems(opened.store) == []
    opened.store.close()


def police_consent(desk, ref: str, org: str) -> None:
    with desk.store.writing() as session:
        record_consent(session, case_by_ref(session, ref), recipient=Recipient(org, "law_enforcement"),
                       fields=["caller_name"], purpose="to give a statement",
                       expires_at=utcnow() + timedelta(days=30), by=desk.people["advocate"])


def shared_with(desk, ref: str, agency: str) -> list:
    with desk.store.writing() as session:
        return case_details_for_agency(session, desk.keyring, [ref], agency, desk.people["investigator"])


# -- organisation names ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lookalike", [AGENCY.upper(), AGENCY.lower(), f"  {AGENCY.replace(' ', '   ')} "])
def test_an_agency_named_like_another_but_for_case_or_spaces_cannot_be_added(desk, lookalike):
    # Consent matching folds case: a second agency spelt differently would receive the first one's consents.
    with desk.store.writing() as session:
        with pytest.raises(BadRequest):
            add_agency(session, lookalike, desk.people["admin"])


def test_an_investigator_added_to_a_differently_cased_agency_joins_the_existing_one(desk):
    with desk.store.writing() as session:
        first = agency_named(session, AGENCY)
        again = agency_named(session, AGENCY.upper(), create=True)
        assert again.id == first.id
        assert len(list(session.execute(select(Agency)).scalars())) == 1


def test_a_police_consent_opens_for_its_agency_however_the_advocate_cased_it(desk):
    ref = record_survivor(desk)
    police_consent(desk, ref, AGENCY.lower())
    assert [d.case_ref for d in shared_with(desk, ref, AGENCY)] == [ref]


@pytest.mark.parametrize("lookalike", [
    AGENCY.replace("o", "\N{CYRILLIC SMALL LETTER O}", 1),  # Bay Cоunty, a Cyrillic o
    AGENCY + "\N{ZERO WIDTH SPACE}",
    AGENCY.replace(" ", "\N{NO-BREAK SPACE}", 1).replace("Task", "Tаsk"),
    AGENCY + " Office",
])
def test_a_consent_to_a_lookalike_organisation_opens_nothing_for_the_real_one(desk, lookalike):
    ref = record_survivor(desk)
    police_consent(desk, ref, lookalike)
    assert shared_with(desk, ref, AGENCY) == []


# -- the key file -----------------------------------------------------------------------------------
def test_a_missing_key_file_beside_stored_cases_is_an_error_not_a_new_key(desk):
    record_survivor(desk)
    desk.settings.keys_path.unlink()
    with desk.store.session() as session:
        with pytest.raises(SealError, match="no key file"):
            keyring_for(desk.settings, session)
    assert not desk.settings.keys_path.exists()


def test_a_store_without_cases_gets_a_key_file_on_first_use(tmp_path):
    desk = open_desk(tmp_path, f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        desk.settings.keys_path.unlink()
        with desk.store.session() as session:
            made = keyring_for(desk.settings, session)
        assert made.key_ids and desk.settings.keys_path.exists()
    finally:
        desk.store.close()


def test_the_workspace_refuses_to_seal_under_a_new_key_when_the_key_file_is_lost(desk):
    from harborlight.web.workspace import Workspace

    record_survivor(desk)
    desk.settings.keys_path.unlink()
    workspace = Workspace(desk.settings, store=desk.store)
    with pytest.raises(SealError):
        workspace.keyring()
    assert not desk.settings.keys_path.exists()


# -- tips from a hotline's export -------------------------------------------------------------------
def write_tips(folder, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "tips.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def tip(record_id: str, text: str, **more) -> dict:
    return {"source": "hotline", "record_id": record_id, "received_at": "2022-03-01T09:00:00Z", "channel": "call",
            "reporter_role": "survivor", "language": "ko", "text": text, "location_text": "",
            "business_name": "Lucky Star Spa", "phone": "", **more}


def test_a_tip_with_a_long_transcript_is_imported_sealed_and_kept_out_of_the_warehouse(tmp_path):
    from harborlight.ingest import ingest

    transcript = "Quillon Marrowgate calling about the passports. " + "They listen to every call. " * 400
    write_tips(tmp_path / "records", [tip("T1", transcript), tip("T2", "short and plain")])
    data_dir = tmp_path / "data"
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        report = ingest(tmp_path / "records", warehouse)
        assert report.ok and report.loaded[0].records == 2
        assert warehouse.rows("SELECT count(*) FROM hotline_signals")[0][0] == 2
    from harborlight.store import open_store

    store = open_store(Settings(data_dir=data_dir))
    try:
        with store.session() as session:
            assert len(list(session.execute(select(HotlineContact)).scalars())) == 2
    finally:
        store.close()
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert b"Marrowgate" not in path.read_bytes(), path


def test_a_tip_too_long_even_for_an_import_is_named_by_its_record_never_its_words(tmp_path):
    from harborlight.ingest import ingest

    write_tips(tmp_path / "records", [tip("T9", "Quillon Marrowgate " * 6000)])
    data_dir = tmp_path / "data"
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        with pytest.raises(BadRequest) as refused:
            ingest(tmp_path / "records", warehouse)
    assert "hotline/T9" in str(refused.value)
    assert not [w for w in SURVIVOR_WORDS if w.casefold() in str(refused.value).casefold()]


def test_an_advocates_field_stays_limited_to_four_thousand_characters(desk):
    with pytest.raises(BadRequest, match="narrative"):
        record_survivor(desk, narrative="x" * 4001)


# -- the warehouse's signals ------------------------------------------------------------------------
@pytest.mark.parametrize(("phone", "kept"), [
    ("305-555-0199", "305-555-0199"), ("call Quillon at 305-555-0199", "+13055550199"), ("ask for Q", None),
])
def test_a_signal_keeps_a_tips_phone_without_the_words_around_it(phone, kept):
    from harborlight.stages.hotline import signal_phone

    assert signal_phone(phone) == kept


def test_a_name_beside_a_tips_address_or_phone_never_reaches_the_warehouse_file(tmp_path):
    from harborlight.ingest import ingest

    write_tips(tmp_path / "records", [tip("T1", "she cannot leave", location_text="Quillon Marrowgate 77 Tamarind Lane",
                                          phone="Marrowgate cell 305-555-0199")])
    data_dir = tmp_path / "data"
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        assert ingest(tmp_path / "records", warehouse).ok
        assert warehouse.rows("SELECT phone FROM hotline_signals") == [("+13055550199",)]
        warehouse.run("CHECKPOINT")
    assert b"Marrowgate" not in (data_dir / "warehouse.duckdb").read_bytes()
    assert b"Quillon" not in (data_dir / "warehouse.duckdb").read_bytes()


# -- statistics -----------------------------------------------------------------------------------------
def record_monthly(desk, plan: dict[tuple[str, int], int]) -> None:
    from datetime import datetime, timezone

    from harborlight.cases.intake import ContactForm, record_contact

    with desk.store.writing() as session:
        for (channel, month), count in plan.items():
            for _ in range(count):
                record_contact(session, desk.keyring, ContactForm(
                    channel=channel, received_at=datetime(2024, month, 5, tzinfo=timezone.utc)),
                    by=desk.people["advocate"])


@pytest.mark.parametrize("coarse", ["quarter", "year"])
def test_a_quarter_or_year_never_gives_away_a_month_the_monthly_table_hides(desk, coarse):
    from harborlight.cases.stats import HIDDEN, coarser, statistics

    # Two small months in two quarters, paired so the monthly table hides them safely; a quarter shown whole
    # would give each away (21 - 9 - 9 = 3).
    plan = {("call", 1): 9, ("call", 2): 3, ("call", 3): 9, ("call", 4): 9, ("call", 5): 2, ("call", 6): 9,
            ("text", 1): 9, ("text", 2): 4, ("text", 3): 9, ("text", 4): 9, ("text", 5): 3, ("text", 6): 9}
    record_monthly(desk, plan)
    with desk.store.session() as session:
        monthly = statistics(session, "channel", "period", "month")
        wider = statistics(session, "channel", "period", coarse)
    shown_months = {(r, c): v for r, row in zip(monthly.rows, monthly.cells) for c, v in zip(monthly.columns, row)}
    assert shown_months[("call", "2024-02")] == HIDDEN and shown_months[("call", "2024-05")] == HIDDEN
    for r, row in zip(wider.rows, wider.cells):
        for c, value in zip(wider.columns, row):
            if value == HIDDEN or c == "total":
                continue
            inside = [v for (mr, mc), v in shown_months.items() if mr == r and mc != "total" and coarser(mc, coarse) == c]
            assert HIDDEN not in inside and int(value) == sum(map(int, inside)), (r, c)
