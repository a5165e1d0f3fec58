"""Every contract reader, against valid, malformed, truncated, wrongly encoded and hostile input."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest
from conftest import VALID_ROWS

from harborlight.contract.readers import record_file
from harborlight.contract.schema import RECORD_TYPES, Kind
from harborlight.errors import FileRejected
from harborlight.ingest import load_file
from harborlight.stages.tables import CASE_FILE_RECORDS, RECORD_TABLES

TYPES = list(RECORD_TYPES)
# The types whose records the warehouse stores as they are: a tip's fields go into a case, and the
# warehouse keeps only its signal (tests/test_hotline_signals.py).
STORED_TYPES = [t for t in TYPES if t != CASE_FILE_RECORDS]
CHOICE_FIELDS = {
    name: next(f.name for f in rt.fields if f.kind is Kind.CHOICE)
    for name, rt in RECORD_TYPES.items()
    if any(f.kind is Kind.CHOICE for f in rt.fields)
}
DATE_FIELDS = {
    name: next(f.name for f in rt.fields if f.kind in (Kind.DATE, Kind.TIMESTAMP))
    for name, rt in RECORD_TYPES.items()
    if any(f.kind in (Kind.DATE, Kind.TIMESTAMP) for f in rt.fields)
}
# A required free-text field of each type, other than the key.
TEXT_FIELDS = {
    name: next(f.name for f in rt.fields if f.kind is Kind.TEXT and f.required and f.name not in ("source", "record_id"))
    for name, rt in RECORD_TYPES.items()
}


def load(path: Path, warehouse):
    return load_file(record_file(path), warehouse)


def rejection(path: Path, warehouse) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        load(path, warehouse)
    return caught.value


def two_rows(record_type: str) -> list[dict[str, object]]:
    second = dict(VALID_ROWS[record_type], record_id=VALID_ROWS[record_type]["record_id"] + "-2")
    return [dict(VALID_ROWS[record_type]), second]


def count(warehouse, record_type: str) -> int:
    return warehouse.rows(f"SELECT count(*) FROM {RECORD_TABLES[record_type]}")[0][0]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("record_type", TYPES)
def test_valid_file_loads_in_every_format(record_type, fmt, gz, write_rows, fresh_warehouse):
    path = write_rows(record_type, two_rows(record_type), fmt=fmt, gz=gz)
    loaded = load(path, fresh_warehouse)
    assert (loaded.records, loaded.inserted, loaded.updated) == (2, 2, 0)
    assert count(fresh_warehouse, record_type) == 2


@pytest.mark.parametrize("record_type", TYPES)
def test_missing_required_column_is_named(record_type, write_rows, fresh_warehouse):
    missing = TEXT_FIELDS[record_type]
    header = [k for k in VALID_ROWS[record_type] if k != missing]
    problems = rejection(write_rows(record_type, two_rows(record_type), header=header), fresh_warehouse).errors
    assert [(p.line, p.field, p.message) for p in problems] == [
        (1, missing, "required column is missing from the header")
    ]
    assert count(fresh_warehouse, record_type) == 0


@pytest.mark.parametrize("record_type", TYPES)
def test_missing_required_value_in_jsonl_is_named(record_type, write_rows, fresh_warehouse):
    rows = two_rows(record_type)
    del rows[1][TEXT_FIELDS[record_type]]
    problems = rejection(write_rows(record_type, rows, fmt="jsonl"), fresh_warehouse).errors
    assert [(p.line, p.field) for p in problems] == [(2, TEXT_FIELDS[record_type])]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("record_type", sorted(CHOICE_FIELDS))
def test_bad_enumeration_value_is_named(record_type, fmt, write_rows, fresh_warehouse):
    rows = two_rows(record_type)
    rows[1][CHOICE_FIELDS[record_type]] = "not-a-choice"
    problem = rejection(write_rows(record_type, rows, fmt=fmt), fresh_warehouse).errors[0]
    assert (problem.file, problem.line, problem.field) == (f"{record_type}.{fmt}", 3 if fmt == "csv" else 2, CHOICE_FIELDS[record_type])
    assert "'not-a-choice' is not one of" in problem.message


@pytest.mark.parametrize("bad", ["2019-13-01", "22/02/2019", "yesterday", "2019-02-30"])
@pytest.mark.parametrize("record_type", sorted(DATE_FIELDS))
def test_bad_date_is_named(record_type, bad, write_rows, fresh_warehouse):
    rows = two_rows(record_type)
    rows[0][DATE_FIELDS[record_type]] = bad
    problem = rejection(write_rows(record_type, rows), fresh_warehouse).errors[0]
    assert (problem.line, problem.field) == (2, DATE_FIELDS[record_type])
    assert "is not an ISO 8601 date" in problem.message


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("record_type", TYPES)
def test_invalid_utf8_is_named_with_its_line(record_type, fmt, write_rows, fresh_warehouse):
    rows = two_rows(record_type)
    rows[1][TEXT_FIELDS[record_type]] = "MARKER"
    path = write_rows(record_type, rows, fmt=fmt)
    path.write_bytes(path.read_bytes().replace(b"MARKER", b"caf\xe9 \xff"))  # Latin-1 bytes, not UTF-8
    problem = rejection(path, fresh_warehouse).errors[0]
    assert problem.line == (3 if fmt == "csv" else 2)
    assert "not valid UTF-8" in problem.message
    if fmt == "csv":
        assert problem.field == TEXT_FIELDS[record_type]
    assert count(fresh_warehouse, record_type) == 0


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("record_type", TYPES)
def test_truncated_gzip_is_rejected_whole(record_type, fmt, write_rows, fresh_warehouse):
    rows = [dict(VALID_ROWS[record_type], record_id=f"r{i}") for i in range(300)]
    path = write_rows(record_type, rows, fmt=fmt, gz=True)
    path.write_bytes(path.read_bytes()[:-30])
    problems = rejection(path, fresh_warehouse).errors
    assert "gzip data is truncated or corrupt" in problems[-1].message
    assert count(fresh_warehouse, record_type) == 0


@pytest.mark.parametrize("record_type", TYPES)
def test_row_with_more_fields_than_header_is_named(record_type, write_rows, fresh_warehouse):
    path = write_rows(record_type, two_rows(record_type))
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].rstrip(b"\r\n") + b",surplus\r\n"
    path.write_bytes(b"".join(lines))
    problem = rejection(path, fresh_warehouse).errors[0]
    width = len(VALID_ROWS[record_type])
    assert (problem.line, problem.message) == (3, f"row has {width + 1} fields but the header has {width}")


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("record_type", STORED_TYPES)
def test_formula_cell_is_stored_as_plain_text(record_type, fmt, write_rows, fresh_warehouse):
    formula = '=HYPERLINK("http://attacker.example/x","click")'
    rows = two_rows(record_type)
    field = TEXT_FIELDS[record_type]
    rows[0][field] = formula
    load(write_rows(record_type, rows, fmt=fmt), fresh_warehouse)
    stored = fresh_warehouse.rows(f"SELECT {field} FROM {record_type} WHERE record_id = ?", [rows[0]["record_id"]])
    assert stored == [(formula,)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("record_type", STORED_TYPES)
def test_megabyte_text_field_loads_intact(record_type, fmt, write_rows, fresh_warehouse):
    big = "long text " * 104_858  # just over 1 MB
    rows = two_rows(record_type)
    field = TEXT_FIELDS[record_type]
    rows[1][field] = big
    load(write_rows(record_type, rows, fmt=fmt), fresh_warehouse)
    stored = fresh_warehouse.rows(f"SELECT length({field}) FROM {record_type} WHERE record_id = ?", [rows[1]["record_id"]])
    assert stored == [(len(big),)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("record_type", TYPES)
def test_duplicate_record_in_one_file_names_both_lines(record_type, fmt, write_rows, fresh_warehouse):
    rows = [*two_rows(record_type), dict(VALID_ROWS[record_type])]
    problem = rejection(write_rows(record_type, rows, fmt=fmt), fresh_warehouse).errors[0]
    first, dup = (2, 4) if fmt == "csv" else (1, 3)
    assert (problem.line, problem.field) == (dup, "record_id")
    assert f"on line {first}" in problem.message
    assert count(fresh_warehouse, record_type) == 0


@pytest.mark.parametrize("record_type", STORED_TYPES)
def test_unknown_columns_are_kept_as_extra_data(record_type, write_rows, fresh_warehouse):
    rows = two_rows(record_type)
    rows[0]["county"] = "Miami-Dade"
    load(write_rows(record_type, rows), fresh_warehouse)
    extra = fresh_warehouse.rows(
        f"SELECT extra->>'county' FROM {record_type} WHERE record_id = ?", [rows[0]["record_id"]]
    )
    assert extra == [("Miami-Dade",)]


def test_every_bad_line_is_reported_up_to_a_cap(write_rows, fresh_warehouse):
    rows = [dict(VALID_ROWS["filings"], record_id=f"r{i}", status="bogus") for i in range(120)]
    rejected = rejection(write_rows("filings", rows), fresh_warehouse)
    assert rejected.total == 120
    assert len(rejected.errors) == 50
    assert [p.line for p in rejected.errors] == list(range(2, 52))


def test_utf16_file_is_refused_by_its_byte_order_mark(tmp_path, fresh_warehouse):
    path = tmp_path / "filings.csv"
    text = "source,record_id,entity_name\r\nfl,1,Lotus\r\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    problem = rejection(path, fresh_warehouse).errors[0]
    assert (problem.line, problem.message) == (1, "file is UTF-16-encoded; save it as UTF-8")


def test_utf8_byte_order_mark_is_skipped(tmp_path, fresh_warehouse):
    path = tmp_path / "filings.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"source,record_id,entity_name\r\nfl,1,Lotus\r\n")
    assert load(path, fresh_warehouse).records == 1


def test_nul_byte_is_named(tmp_path, fresh_warehouse):
    path = tmp_path / "filings.csv"
    path.write_bytes(b"source,record_id,entity_name\nfl,1,Lo\x00tus\n")
    problem = rejection(path, fresh_warehouse).errors[0]
    assert (problem.line, problem.field, problem.message) == (2, "entity_name", "contains a NUL character")


def test_unclosed_quote_at_end_of_file_is_reported(tmp_path, fresh_warehouse):
    path = tmp_path / "filings.csv"
    path.write_bytes(b'source,record_id,entity_name\nfl,1,Lotus\nfl,2,"Lotus and the rest was cut')
    problem = rejection(path, fresh_warehouse).errors[0]
    assert problem.line == 3
    assert "malformed CSV" in problem.message


def test_empty_csv_file_is_refused(tmp_path, fresh_warehouse):
    path = tmp_path / "tips.csv"
    path.write_bytes(b"")
    assert rejection(path, fresh_warehouse).errors[0].message == "file is empty: expected a header row"


def test_header_only_csv_loads_nothing(tmp_path, fresh_warehouse):
    path = tmp_path / "tips.csv"
    path.write_bytes(b"source,record_id,received_at,channel,text\n")
    assert load(path, fresh_warehouse).records == 0


def test_header_naming_a_column_twice_is_refused(tmp_path, fresh_warehouse):
    path = tmp_path / "filings.csv"
    path.write_bytes(b"source,record_id,entity_name,Entity_Name\nfl,1,a,b\n")
    problem = rejection(path, fresh_warehouse).errors[0]
    assert (problem.line, problem.field) == (1, "entity_name")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json at all", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object, found list"),
        (b'{"source": "s", "record_id": "1", "source": "t"}', "appears twice"),
        (b'{"source": "s", "record_id": "1", "entity_name": NaN}', "not valid JSON"),
        (b'{"source": "s", "record_id": "1", "entity_name": {"nested": true}}', "must be a single value"),
        (b'{"source": "s", "record_id": "1", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    ],
    ids=["garbage", "array", "duplicate-key", "nan", "nested", "deep-nesting"],
)
def test_hostile_jsonl_lines_are_named(tmp_path, fresh_warehouse, line, message):
    path = tmp_path / "filings.jsonl"
    path.write_bytes(b'{"source": "s", "record_id": "0", "entity_name": "ok"}\n' + line + b"\n")
    problem = rejection(path, fresh_warehouse).errors[0]
    assert problem.line == 2
    assert message in problem.message


def test_jsonl_numbers_and_lists_are_accepted_where_they_mean_the_same(tmp_path, fresh_warehouse):
    path = tmp_path / "providers.jsonl"
    path.write_bytes(
        b'{"source": "p", "record_id": 7, "name": "Coalition", "services": ["Shelter", "legal"],'
        b' "languages": "en; ko", "accepts_referrals": true}\n'
    )
    load(path, fresh_warehouse)
    assert fresh_warehouse.rows("SELECT record_id, services, languages, accepts_referrals FROM providers") == [
        ("7", ["shelter", "legal"], ["en", "ko"], True)
    ]


def test_error_messages_never_echo_free_text(write_rows, fresh_warehouse):
    rows = two_rows("tips")
    rows[0]["text"] = "Survivor Mei Example at 12 Secret Lane"
    rows[0]["channel"] = "pigeon"
    rejected = rejection(write_rows("tips", rows), fresh_warehouse)
    rendered = "\n".join(str(p) for p in rejected.errors)
    assert "Mei Example" not in rendered and "Secret Lane" not in rendered
    assert "'pigeon' is not one of" in rendered


def test_gzip_file_that_is_not_gzip_is_reported(tmp_path, fresh_warehouse):
    path = tmp_path / "filings.csv.gz"
    path.write_bytes(b"source,record_id,entity_name\nfl,1,Lotus\n")
    assert "gzip data is truncated or corrupt" in rejection(path, fresh_warehouse).errors[0].message


def test_timestamps_are_read_in_utc_so_a_tip_late_in_the_evening_west_of_greenwich_is_dated_the_next_day(
        write_rows, fresh_warehouse):
    rows = two_rows("tips")
    rows[0]["received_at"] = "2022-01-01T20:05:00-05:00"
    rows[1]["received_at"] = "2022-01-02"
    load(write_rows("tips", rows), fresh_warehouse)
    days = [str(r[0]) for r in fresh_warehouse.rows("SELECT received_on FROM hotline_signals ORDER BY record_id")]
    assert days == ["2022-01-02", "2022-01-02"]


def test_gzip_and_plain_files_give_the_same_records(write_rows, fresh_warehouse, tmp_path):
    rows = two_rows("listings")
    load(write_rows("listings", rows, gz=True, folder=tmp_path / "a"), fresh_warehouse)
    packed = fresh_warehouse.rows("SELECT * EXCLUDE (batch_id) FROM listings ORDER BY record_id")
    load(write_rows("listings", rows, folder=tmp_path / "b"), fresh_warehouse)
    assert fresh_warehouse.rows("SELECT * EXCLUDE (batch_id) FROM listings ORDER BY record_id") == packed
    assert gzip.decompress((tmp_path / "a" / "listings.csv.gz").read_bytes()) == (tmp_path / "b" / "listings.csv").read_bytes()
