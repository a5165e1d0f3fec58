"""Hotline tips become cases in the operational store; the warehouse keeps only de-identified signals."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import VALID_ROWS

from harborlight import read
from harborlight.cases.signals import Signal
from harborlight.config import Settings, installation_key
from harborlight.contract.schema import TIPS
from harborlight.contract.readers import record_file
from harborlight.ingest import ingest, validated_records
from harborlight.read.hotline import HotlineSummary, hotline_summary, summarize
from harborlight.respond.packet import render_html
from harborlight.stages.tables import record_columns
from harborlight.warehouse import Warehouse

PLANTED = "Quillon Marsh sleeps in the back room"


def _tip(record_id: str, **fields: str) -> dict[str, str]:
    return dict(VALID_ROWS["tips"], record_id=record_id, **fields)


def file_holds(path: Path, phrase: str) -> bool:
    """Whether the phrase is anywhere in the file's bytes (after the caller's CHECKPOINT)."""
    data = path.read_bytes()
    return phrase.encode("utf-8") in data or phrase.upper().encode("utf-8") in data


def case_refs_in_store(data_dir: Path, rows: list[dict]) -> list[str]:
    """The case references the store gives these tips when they are imported again: importing is idempotent,
    so a tip already in a case gets its case's reference back (and nothing is kept: the session rolls back)."""
    from harborlight.cases.intake import import_tips
    from harborlight.cases.keys import open_keyring
    from harborlight.store.database import open_store

    settings = Settings(data_dir=data_dir)
    store = open_store(settings)
    try:
        with store.session() as session:
            refs = [t.case_ref for t in import_tips(session, open_keyring(settings), rows)]
            session.rollback()
        return refs
    finally:
        store.close()


@pytest.fixture
def tips_with_a_survivors_story(write_rows):
    """A tips file of two contacts: one in Korean naming a street address and reporting control, with a
    planted phrase in its text; one in English naming only a landmark."""
    return write_rows("tips", [
        _tip("T1", language="ko", text=f"{PLANTED}; the owner keeps her passport and she cannot leave.",
             location_text="1200 Biscayne Blvd, Miami, FL 33132", business_name="Lucky Star Spa"),
        _tip("T2", language="en", text="Caller unsure about a spa.", location_text="near the big mall",
             phone="305-555-0199"),
    ])


def test_ingesting_tips_makes_cases_and_signals_and_leaves_no_tip_text_in_the_warehouse_file(
        tips_with_a_survivors_story, fresh_warehouse, store_url, monkeypatch):
    if store_url.startswith("postgresql"):  # the store the data dir's settings name; SQLite beside it otherwise
        monkeypatch.setenv("HARBORLIGHT_DATABASE_URL", store_url)
    report = ingest(tips_with_a_survivors_story, fresh_warehouse)
    assert report.ok and [(f.record_type, f.records, f.inserted) for f in report.loaded] == [("hotline_signals", 2, 2)]
    signals = fresh_warehouse.dicts("SELECT * FROM hotline_signals ORDER BY record_id")
    first, second = signals
    assert "address" not in first  # where the caller is stays sealed in the case file
    assert (first["languages"], first["business_name"]) == (["ko"], "LUCKY STAR SPA")
    assert "control_reported" in first["categories"] and first["received_on"] == date(2022, 1, 1)
    assert (second["languages"], second["categories"], second["phone"]) == ([], [], "305-555-0199")
    assert not fresh_warehouse.table_exists("tips")
    fresh_warehouse.run("CHECKPOINT")
    assert not file_holds(fresh_warehouse.path, "Quillon Marsh")
    assert not file_holds(fresh_warehouse.path, "Biscayne")
    rows = validated_records(record_file(tips_with_a_survivors_story))
    assert case_refs_in_store(fresh_warehouse.path.parent, rows) == [s["case_ref"] for s in signals]


def test_ingesting_the_same_tips_again_changes_no_signal_and_keeps_each_case(tips_with_a_survivors_story, fresh_warehouse):
    ingest(tips_with_a_survivors_story, fresh_warehouse)
    before = fresh_warehouse.rows("SELECT * FROM hotline_signals ORDER BY ALL")
    again = ingest(tips_with_a_survivors_story, fresh_warehouse)
    assert [(f.inserted, f.updated) for f in again.loaded] == [(0, 0)]
    assert fresh_warehouse.rows("SELECT * FROM hotline_signals ORDER BY ALL") == before


def test_a_malformed_tips_file_loads_nothing_in_either_database(write_rows, fresh_warehouse):
    path = write_rows("tips", [_tip("T1", text=PLANTED), _tip("T2", channel="pigeon")])
    report = ingest(path, fresh_warehouse)
    assert not report.ok and report.rejected[0].errors[0].line == 3
    assert fresh_warehouse.rows("SELECT count(*) FROM hotline_signals") == [(0,)]
    assert fresh_warehouse.rows("SELECT count(*) FROM batches") == [(0,)]
    # The store is not even opened: validation refuses the file before any case is made.
    assert not (fresh_warehouse.path.parent / "workspace.sqlite").exists()


def test_a_warehouse_failure_after_the_import_keeps_no_case(tips_with_a_survivors_story, fresh_warehouse, monkeypatch):
    import harborlight.ingest as ingest_module

    def failing_merge(*_args):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(ingest_module, "_merge_signals", failing_merge)
    with pytest.raises(RuntimeError):
        ingest(tips_with_a_survivors_story, fresh_warehouse)
    monkeypatch.undo()
    assert fresh_warehouse.rows("SELECT count(*) FROM hotline_signals") == [(0,)]
    # Nothing was kept in the store either: loading the file now makes its cases afresh, and they are the
    # ones the store gives back (not two cases per tip).
    ingest(tips_with_a_survivors_story, fresh_warehouse)
    rows = validated_records(record_file(tips_with_a_survivors_story))
    refs = [r for (r,) in fresh_warehouse.rows("SELECT case_ref FROM hotline_signals ORDER BY record_id")]
    assert case_refs_in_store(fresh_warehouse.path.parent, rows) == refs


def test_scoring_ties_a_signal_to_the_business_it_names_without_any_text(network_ready, fresh_warehouse):
    evidence = fresh_warehouse.dicts(
        "SELECT e.entity_id, e.strength, e.excerpt, b.name FROM indicator_evidence e "
        "JOIN entities b ON b.entity_id = e.entity_id WHERE e.indicator_id = 'hotline_tip'")
    assert [(e["name"].upper().startswith("LUCKY STAR SPA"), e["strength"]) for e in evidence] == [(True, 1.0)]
    assert "cannot leave" not in evidence[0]["excerpt"] and evidence[0]["excerpt"].startswith("hotline contact on 2022-03-01")
    kinds = fresh_warehouse.rows("SELECT source_kinds FROM business_scores WHERE entity_id = ?", [evidence[0]["entity_id"]])
    assert "hotline" in kinds[0][0]


def test_the_packet_counts_hotline_contacts_and_languages_and_holds_no_case_detail(network_ready, fresh_warehouse):
    packet = read.packet(fresh_warehouse, network_ready, read.ANALYST)
    assert packet.hotline == "1 hotline contact mentions this network; languages needed: Korean."
    assert packet.hotline_contacts == 1 and "Korean" in packet.languages
    (case_ref,) = fresh_warehouse.rows("SELECT case_ref FROM hotline_signals")[0]
    shown = repr(packet) + render_html(packet)
    assert packet.hotline in render_html(packet)
    assert "cannot leave" not in shown and case_ref not in shown


def test_confirmed_signals_are_merged_and_each_case_counted_once(network_ready, fresh_warehouse):
    members = [b for (b,) in fresh_warehouse.rows("SELECT business_id FROM network_members ORDER BY 1")]
    (case_ref,) = fresh_warehouse.rows("SELECT case_ref FROM hotline_signals")[0]
    extra = [
        Signal(case_ref, date(2022, 3, 2), members[-1], "phone", ("workers_live_on_site",), ("ko",)),  # the same case
        Signal("case-00000002", date(2022, 4, 1), members[0], "address", ("control_reported",), ("th",)),
        Signal("case-00000003", date(2022, 4, 2), "biz-elsewhere", "business_name", (), ("vi",)),  # not this network
    ]
    summary = hotline_summary(fresh_warehouse, members, extra)
    assert summary.contacts == 2 and summary.languages == ("ko", "th")
    assert dict(summary.categories)["control_reported"] == 2
    view = read.network_view(fresh_warehouse, network_ready, read.ANALYST, extra_signals=extra)
    assert view.hotline == summary
    packet = read.packet(fresh_warehouse, network_ready, read.ANALYST, extra_signals=extra)
    assert packet.hotline == "2 hotline contacts mention this network; languages needed: Korean, Thai."
    dossier = read.business_dossier(fresh_warehouse, members[0], read.ANALYST, extra_signals=extra)
    assert dossier.hotline.contacts >= 1


def test_a_summary_of_no_signals_says_no_contact():
    assert summarize([]) == HotlineSummary()
    assert HotlineSummary().phrase("this business") == "No hotline contact mentions this business"


# -- migration 2: a warehouse that still holds tips with their text -------------------------------------

def old_tips_table_sql() -> str:
    columns = ", ".join(f"{name} {type_}" for name, type_ in record_columns(TIPS))
    return f"CREATE TABLE tips ({columns})"


def old_tip_sql() -> str:
    return ("INSERT INTO tips (source, record_id, received_at, channel, reporter_role, language, text, location_text, "
            "business_name, phone, batch_id, line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)")


@pytest.fixture
def warehouse_with_old_tips(tmp_path) -> Path:
    """A warehouse at schema version 1, as harborlight left it before hotline cases: a `tips` table holding
    two tips with their text (one with a planted phrase), and no `hotline_signals`. Returns its data dir."""
    data_dir = tmp_path / "old"
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        warehouse.run("DROP TABLE hotline_signals")
        warehouse.run("DELETE FROM schema_migrations WHERE version > 1")
        warehouse.run(old_tips_table_sql())
        warehouse.run(old_tip_sql(), ["hotline", "T1", "2022-01-01 22:05:00", "call", "survivor", "zh",
                                      f"{PLANTED}, she is afraid of the owner.", "88 Harbor St, Tampa, FL",
                                      "Pearl Spa", None, 2])
        warehouse.run(old_tip_sql(), ["hotline", "T2", "2022-02-01 10:00:00", "text", "anonymous", "en",
                                      "Busy late at night.", None, None, "813-555-0100", 3])
        warehouse.run("INSERT INTO batches (batch_id, record_type, file_name, sha256, records, inserted, updated) "
                      "VALUES (1, 'tips', 'tips.csv', 'x', 2, 2, 0)")
        warehouse.run("CHECKPOINT")
    return data_dir


def test_migrating_an_older_warehouse_moves_its_tips_into_cases_and_drops_their_text(warehouse_with_old_tips):
    path = warehouse_with_old_tips / "warehouse.duckdb"
    assert file_holds(path, "Quillon Marsh")  # the file held the text before: the search below means something
    with Warehouse(path, installation_key(warehouse_with_old_tips)) as warehouse:
        assert [m.version for m in warehouse.migrated] == [2]
        assert not warehouse.table_exists("tips")
        signals = warehouse.dicts("SELECT * FROM hotline_signals ORDER BY record_id")
        assert [(s["record_id"], s["business_name"], s["languages"]) for s in signals] == [
            ("T1", "PEARL SPA", ["zh"]), ("T2", None, [])]
        warehouse.run("CHECKPOINT")
    assert not file_holds(path, "Quillon Marsh")
    rows = [{"source": "hotline", "record_id": "T1", "received_at": datetime(2022, 1, 1, 22, 5), "channel": "call",
             "reporter_role": "survivor", "language": "zh", "text": f"{PLANTED}, she is afraid of the owner.",
             "location_text": "88 Harbor St, Tampa, FL", "business_name": "Pearl Spa", "phone": None}]
    assert case_refs_in_store(warehouse_with_old_tips, rows) == [signals[0]["case_ref"]]


def test_a_read_only_open_of_a_warehouse_still_holding_tips_writes_nothing_and_says_migrate(warehouse_with_old_tips):
    from harborlight.errors import Stale

    path = warehouse_with_old_tips / "warehouse.duckdb"
    before = path.read_bytes()
    with pytest.raises(Stale, match="harborlight migrate"):
        Warehouse(path, installation_key(warehouse_with_old_tips), read_only=True)
    assert path.read_bytes() == before
    assert not (warehouse_with_old_tips / "workspace.sqlite").exists()  # no store made, no case imported
    assert not (warehouse_with_old_tips / "keys").exists()


def test_the_arrow_schema_signals_are_staged_with_follows_the_table():
    from harborlight.stages.hotline import SIGNAL_SCHEMA
    from harborlight.stages.tables import SIGNALS_TABLE, table

    assert SIGNAL_SCHEMA.names == list(table(SIGNALS_TABLE).column_names)
