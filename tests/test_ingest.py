"""Loading folders into the warehouse: idempotent, atomic per file, and nothing personal kept in clear."""

from __future__ import annotations

import csv
import gzip
import json
import shutil

import pytest
from conftest import VALID_ROWS

from harborlight.errors import UsageError
from harborlight.ingest import ingest
from harborlight.stages import freshness
from harborlight.stages.tables import RECORD_TABLES
from harborlight.status import warehouse_status


def snapshot(warehouse) -> dict[str, list[tuple]]:
    """Every row of every table the ingest writes."""
    tables = list(RECORD_TABLES.values()) + ["batches"]
    return {t: warehouse.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def test_ingesting_the_same_world_twice_updates_nothing_and_never_duplicates(small_world, fresh_warehouse):
    first = ingest(small_world, fresh_warehouse)
    counts = {name: sum(n for n in by.values()) for name, by in warehouse_status(fresh_warehouse).counts.items()}
    before = snapshot(fresh_warehouse)
    second = ingest(small_world, fresh_warehouse)
    again = {name: sum(n for n in by.values()) for name, by in warehouse_status(fresh_warehouse).counts.items()}
    assert first.ok and second.ok
    assert counts == again
    assert all(f.inserted == 0 and f.updated == 0 and f.unchanged == f.records for f in second.loaded)
    assert sum(counts.values()) == sum(f.records for f in first.loaded)
    after = snapshot(fresh_warehouse)
    assert {t: rows for t, rows in after.items() if t != "batches"} == {t: rows for t, rows in before.items() if t != "batches"}


def test_reingesting_an_identical_file_keeps_resolve_current(load_resolved, fresh_warehouse, tmp_path):
    load_resolved({"filings": [VALID_ROWS["filings"]], "officers": [VALID_ROWS["officers"]]})
    again = ingest(tmp_path / "records", fresh_warehouse)
    assert [(f.inserted, f.updated) for f in again.loaded] == [(0, 0), (0, 0)]
    assert fresh_warehouse.rows("SELECT inserted, updated FROM batches ORDER BY batch_id DESC LIMIT 2") == [(0, 0), (0, 0)]
    states = freshness(fresh_warehouse)
    assert states["resolve"].current
    assert states["ingest"].run_id > states["resolve"].run_id


def test_a_record_moved_to_another_line_is_unchanged(write_rows, fresh_warehouse, tmp_path):
    other = dict(VALID_ROWS["filings"], record_id="P19000000002", entity_name="JADE WELLNESS LLC")
    ingest(write_rows("filings", [VALID_ROWS["filings"], other], folder=tmp_path / "a"), fresh_warehouse)
    again = ingest(write_rows("filings", [other, VALID_ROWS["filings"]], folder=tmp_path / "b"), fresh_warehouse)
    assert (again.loaded[0].inserted, again.loaded[0].updated) == (0, 0)


def test_a_changed_record_counts_as_updated_and_makes_resolve_stale(load_resolved, fresh_warehouse, write_rows, tmp_path):
    load_resolved({"filings": [VALID_ROWS["filings"]]})
    other = dict(VALID_ROWS["filings"], record_id="P19000000002", entity_name="JADE WELLNESS LLC")
    changed = ingest(write_rows("filings", [dict(VALID_ROWS["filings"], status="dissolved"), other],
                                folder=tmp_path / "b"), fresh_warehouse)
    assert (changed.loaded[0].records, changed.loaded[0].inserted, changed.loaded[0].updated) == (2, 1, 1)
    state = freshness(fresh_warehouse)["resolve"]
    assert not state.current and state.reason == "records were loaded after the last resolve"


def test_loading_a_record_again_updates_its_values(write_rows, fresh_warehouse, tmp_path):
    row = dict(VALID_ROWS["filings"])
    ingest(write_rows("filings", [row], folder=tmp_path / "a"), fresh_warehouse)
    ingest(write_rows("filings", [dict(row, status="dissolved")], folder=tmp_path / "b"), fresh_warehouse)
    assert fresh_warehouse.rows("SELECT record_id, status FROM filings") == [(row["record_id"], "dissolved")]


def test_record_keys_are_trimmed_before_comparing(write_rows, fresh_warehouse, tmp_path):
    row = dict(VALID_ROWS["filings"])
    ingest(write_rows("filings", [row], folder=tmp_path / "a"), fresh_warehouse)
    ingest(write_rows("filings", [dict(row, record_id=f" {row['record_id']} ")], folder=tmp_path / "b"), fresh_warehouse)
    assert fresh_warehouse.rows("SELECT count(*) FROM filings") == [(1,)]


def test_rejected_file_leaves_the_warehouse_exactly_as_before(small_world, fresh_warehouse, tmp_path):
    ingest(small_world, fresh_warehouse)
    before = snapshot(fresh_warehouse)
    bad = tmp_path / "bad"
    bad.mkdir()
    lines = (small_world / "officers.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    # Change every record (so a partial load would show), then break one line near the end.
    changed = [lines[0]] + [ln.replace(",president,", ",director,") for ln in lines[1:]]
    changed[-5] = changed[-5].rstrip("\r\n") + ",surplus\r\n"
    (bad / "officers.csv").write_text("".join(changed), encoding="utf-8")
    report = ingest(bad, fresh_warehouse)
    assert not report.ok and report.rejected[0].file == "officers.csv"
    assert report.rejected[0].errors[0].line == len(lines) - 4
    assert snapshot(fresh_warehouse) == before


def test_each_file_of_a_folder_loads_or_fails_alone(write_rows, fresh_warehouse, tmp_path):
    folder = tmp_path / "mixed"
    write_rows("filings", [VALID_ROWS["filings"]], folder=folder)
    write_rows("officers", [dict(VALID_ROWS["officers"], role="emperor")], folder=folder)
    report = ingest(folder, fresh_warehouse)
    assert [f.file for f in report.loaded] == ["filings.csv"]
    assert [r.file for r in report.rejected] == ["officers.csv"]
    assert fresh_warehouse.rows("SELECT count(*) FROM officers") == [(0,)]


def test_reviewer_handles_are_never_stored_in_clear(write_rows, fresh_warehouse, tmp_path):
    row = dict(VALID_ROWS["reviews"], reviewer="distinctive_handle_4711")
    ingest(write_rows("reviews", [row]), fresh_warehouse)
    stored = fresh_warehouse.rows("SELECT reviewer_hash FROM reviews")[0][0]
    assert stored.startswith("h_") and "distinctive" not in stored
    fresh_warehouse.run("CHECKPOINT")
    assert b"distinctive_handle_4711" not in fresh_warehouse.path.read_bytes()


def test_the_same_handle_hashes_alike_within_a_data_directory(write_rows, fresh_warehouse):
    rows = [dict(VALID_ROWS["reviews"], record_id=f"r{i}", reviewer="same_handle") for i in range(2)]
    ingest(write_rows("reviews", rows), fresh_warehouse)
    assert fresh_warehouse.rows("SELECT count(DISTINCT reviewer_hash) FROM reviews") == [(1,)]


def test_folder_from_another_generator_is_accepted(fresh_warehouse, tmp_path):
    """Reordered and differently cased columns, CRLF, a BOM, JSON lines, gzip and extra columns."""
    folder = tmp_path / "other"
    folder.mkdir()
    filings = VALID_ROWS["filings"]
    header = ["Entity_Name", "RECORD_ID", "source", "Status", "internal_score"]
    with (folder / "filings.csv").open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerow([filings["entity_name"], filings["record_id"], filings["source"], "ACTIVE", "0.3"])
    officers = "\n".join(json.dumps(dict(VALID_ROWS["officers"], record_id=f"o{i}")) for i in range(3))
    (folder / "officers.jsonl.gz").write_bytes(gzip.compress(officers.encode("utf-8")))
    (folder / "README.txt").write_text("notes from the other tool")
    report = ingest(folder, fresh_warehouse)
    assert report.ok and report.ignored == ["README.txt"]
    assert fresh_warehouse.rows("SELECT entity_name, status, extra->>'internal_score' FROM filings") == [
        (filings["entity_name"], "active", "0.3")
    ]
    assert fresh_warehouse.rows("SELECT count(*) FROM officers") == [(3,)]


def test_a_single_file_can_be_ingested(write_rows, fresh_warehouse):
    report = ingest(write_rows("tips", [VALID_ROWS["tips"]]), fresh_warehouse)
    assert [f.records for f in report.loaded] == [1]


def test_a_file_with_a_name_outside_the_contract_is_refused(tmp_path, fresh_warehouse):
    path = tmp_path / "companies.csv"
    path.write_text("source,record_id\n")
    with pytest.raises(UsageError, match="not a contract file name"):
        ingest(path, fresh_warehouse)


def test_a_folder_without_contract_files_is_refused(tmp_path, fresh_warehouse):
    with pytest.raises(UsageError, match="no contract files"):
        ingest(tmp_path, fresh_warehouse)


def test_status_reports_references_to_records_not_loaded(write_rows, fresh_warehouse, tmp_path):
    folder = tmp_path / "refs"
    write_rows("officers", [VALID_ROWS["officers"]], folder=folder)
    write_rows("reviews", [VALID_ROWS["reviews"]], folder=folder)
    write_rows("fictitious_names", [VALID_ROWS["fictitious_names"]], folder=folder)
    ingest(folder, fresh_warehouse)
    refs = {r.description.split(" ")[0]: (r.dangling, r.ambiguous) for r in warehouse_status(fresh_warehouse).references}
    assert refs == {
        "officers.filing_record_id": (1, 0),
        "reviews.listing_record_id": (1, 0),
        "fictitious_names.owner_filing_record_id": (1, 0),
    }
    # The filing arrives later, in two sources with the same record id: the officer resolves,
    # the trade name's reference becomes ambiguous and is ignored.
    later = tmp_path / "later"
    write_rows(
        "filings",
        [VALID_ROWS["filings"], dict(VALID_ROWS["filings"], source="ga_sos")],
        folder=later,
    )
    ingest(later, fresh_warehouse)
    refs = {r.description.split(" ")[0]: (r.dangling, r.ambiguous) for r in warehouse_status(fresh_warehouse).references}
    assert refs["officers.filing_record_id"] == (0, 0)
    assert refs["fictitious_names.owner_filing_record_id"] == (0, 1)


def test_batches_remember_each_load(small_world, fresh_warehouse, tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(small_world / "tips.csv", folder)
    ingest(folder, fresh_warehouse)
    batches = fresh_warehouse.rows("SELECT record_type, file_name, records, inserted, updated FROM batches")
    n = sum(1 for _ in (folder / "tips.csv").open()) - 1
    assert batches == [("hotline_signals", "tips.csv", n, n, 0)]
