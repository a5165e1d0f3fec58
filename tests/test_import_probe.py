"""Hostile inputs to the importers and exports (issue 14): each test is a defect found by probing,
kept so it stays fixed. Every importer gives a complete write or a one-line error naming the file
(and line and field where there is one), never a traceback, and never destroys an input or a
file already in the output folder."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sunbiz_support import record, write_records, write_zip
from test_cli import harborlight

from harborlight.errors import BadRequest, FileRejected
from harborlight.ingest import ingest
from harborlight.sources.ftm import import_ftm
from harborlight.sources.mapped import import_mapped
from harborlight.sources.mapping import parse_mapping
from harborlight.sources.sunbiz import import_sunbiz

FILINGS_MAPPING = """
source: st
records:
  filings:
    fields:
      record_id: id
      entity_name: name
"""


def run_cli(*args: str, cwd: Path):
    """The CLI as the user runs it, in a process of its own: what it prints is what they see."""
    result = harborlight(*args, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result


# -- 1. any bytes: a complete write or a one-line error -------------------------------------------

def encrypted_zip(path: Path) -> Path:
    """A zip whose one .txt member is flagged as encrypted (ZipCrypto), as a password-protected
    download is: the standard library refuses to read it without a password."""
    write_zip(path, {"records.txt": [record()]})
    data = bytearray(path.read_bytes())
    data[6] |= 1  # the local header's general-purpose flags: bit 0, encrypted
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1  # and the central directory's
    path.write_bytes(bytes(data))
    return path


def test_an_encrypted_zip_member_is_a_one_line_rejection_naming_the_member_not_a_traceback(tmp_path):
    archive = encrypted_zip(tmp_path / "daily.zip")
    result = run_cli("import", "sunbiz", str(archive), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert "daily.zip:records.txt" in result.stderr and "password-protected" in result.stderr
    assert not (tmp_path / "out" / "filings.csv").exists()


def test_a_sunbiz_record_of_1440_utf8_characters_is_told_the_file_must_be_latin_1(tmp_path):
    """1440 characters with accented letters are more than 1440 bytes in UTF-8: `this line has
    1490` alone contradicts what the user's editor counts."""
    line = record(entity_name="CAFÉ " * 20)  # 20 É: 1440 characters, 1460 bytes as UTF-8
    source = tmp_path / "daily.txt"
    source.write_bytes(line.encode("utf-8") + b"\n")
    with pytest.raises(FileRejected) as rejected:
        import_sunbiz([source], tmp_path / "out")
    (problem,) = rejected.value.errors
    assert problem.line == 1
    assert "1460 bytes" in problem.message and "UTF-8" in problem.message and "Latin-1" in problem.message


def test_the_sunbiz_command_says_why_an_archive_was_rejected(tmp_path):
    """A damaged archive is a FileRejected with its reason in the problem list: the command must
    print the reason, not only `rejected: 1 problem(s)`."""
    archive = tmp_path / "daily.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("inner.zip", b"PK\x05\x06" + b"\x00" * 18)
    result = run_cli("import", "sunbiz", str(archive), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert "holds no .txt file" in result.stderr


@pytest.mark.parametrize("text", ["[" * 100_000, '{"id": "x", "schema": "Company", "properties": {"name": [' + "9" * 5000 + "]}}"],
                         ids=["deep-nesting", "huge-integer"])
def test_ftm_json_python_cannot_parse_is_a_bad_line_naming_file_and_line_not_a_traceback(tmp_path, text):
    good = json.dumps({"id": "c1", "schema": "Company", "properties": {"name": ["Harbor Test LLC"]}})
    path = tmp_path / "entities.json"
    path.write_text(good + "\n" + text + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as rejected:
        import_ftm([path], tmp_path / "out", source="st")
    assert [(e.file, e.line) for e in rejected.value.errors] == [(str(path), 2)]
    result = run_cli("import", "ftm", str(path), "--out", str(tmp_path / "out"), "--source", "st", cwd=tmp_path)
    assert result.returncode == 2 and f"{path}:2" in result.stderr
    assert not (tmp_path / "out" / "filings.csv").exists()


UTF16_MAPPING = FILINGS_MAPPING.replace("records:", "input: {encoding: utf-16}\nrecords:")


@pytest.mark.parametrize("data", ["id,name\n1,Harbor Test LLC\n".encode("utf-16") + b"A", b"id,name\n1,Harbor Test LLC\n"],
                         ids=["odd-trailing-byte", "no-byte-order-mark"])
def test_a_utf16_file_the_codec_cannot_decode_is_a_one_line_rejection_not_a_traceback(tmp_path, data):
    """surrogateescape stands in for bytes of 0x80 and above only: a UTF-16 file cut at an odd
    byte, or without its byte-order mark, makes the codec raise instead."""
    source = tmp_path / "entities.csv"
    source.write_bytes(data)
    (tmp_path / "m.yaml").write_text(UTF16_MAPPING, encoding="utf-8")
    result = run_cli("import", "mapped", str(source), "--mapping", str(tmp_path / "m.yaml"),
                     "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert "entities.csv:" in result.stderr and "utf-16" in result.stderr.lower()
    assert not (tmp_path / "out" / "filings.csv").exists()


@pytest.mark.parametrize("properties", [[], "Harbor Test LLC", 5])
def test_ftm_properties_that_are_not_an_object_are_a_bad_line_as_documented(tmp_path, properties):
    path = tmp_path / "entities.json"
    path.write_text(json.dumps({"id": "c1", "schema": "Company", "properties": properties}) + "\n", encoding="utf-8")
    with pytest.raises(FileRejected) as rejected:
        import_ftm([path], tmp_path / "out", source="st")
    assert [(e.line, e.field) for e in rejected.value.errors] == [(1, "properties")]


def test_an_ftm_file_beginning_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "entities.json"
    line = json.dumps({"id": "c1", "schema": "Company", "properties": {"name": ["Harbor Test LLC"]}})
    path.write_bytes(b"\xef\xbb\xbf" + line.encode("utf-8") + b"\n")
    assert import_ftm([path], tmp_path / "out", source="st").rows["filings.csv"] == 1


# -- 2. the output folder never destroys an input -------------------------------------------------

def test_a_mapped_input_named_like_an_output_file_in_the_out_folder_is_never_overwritten(tmp_path):
    source = tmp_path / "filings.csv"
    original = b"id,name\n1,Harbor Test LLC\n"
    source.write_bytes(original)
    with pytest.raises(BadRequest) as refused:
        import_mapped(source, parse_mapping(FILINGS_MAPPING, "m.yaml"), tmp_path)
    assert "filings.csv" in str(refused.value)
    assert source.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["filings.csv"]  # no temporary file left


def test_a_sunbiz_input_named_like_an_output_file_in_the_out_folder_is_never_overwritten(tmp_path):
    source = write_records(tmp_path / "officers.csv", [record()])
    original = source.read_bytes()
    with pytest.raises(BadRequest):
        import_sunbiz([source], tmp_path)
    assert source.read_bytes() == original
    assert not (tmp_path / "filings.csv").exists()


def test_an_ftm_input_named_like_an_output_file_in_the_out_folder_is_never_overwritten(tmp_path):
    source = tmp_path / "licenses.csv"  # JSON lines under a contract file's name
    original = json.dumps({"id": "c1", "schema": "Company", "properties": {"name": ["Harbor Test LLC"]}}) + "\n"
    source.write_text(original, encoding="utf-8")
    with pytest.raises(BadRequest):
        import_ftm([source], tmp_path, source="st")
    assert source.read_text(encoding="utf-8") == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["licenses.csv"]


def test_an_output_name_taken_by_a_folder_refuses_the_import_and_keeps_the_files_already_there(tmp_path):
    """`officers.csv` is a folder in --out: filings.csv was moved into place before officers.csv
    failed, so the old filings.csv was lost and the folder held a half import."""
    out = tmp_path / "out"
    (out / "officers.csv").mkdir(parents=True)
    (out / "filings.csv").write_text("earlier import\n", encoding="utf-8")
    source = write_records(tmp_path / "daily.txt", [record()])
    with pytest.raises(BadRequest) as refused:
        import_sunbiz([source], out)
    assert "officers.csv" in str(refused.value)
    assert (out / "filings.csv").read_text(encoding="utf-8") == "earlier import\n"
    assert sorted(p.name for p in out.iterdir()) == ["filings.csv", "officers.csv"]


# -- 3. formulas: contract files are data, kept exactly ---------------------------------------------

FORMULA_NAMES = ['=HYPERLINK("http://attacker.example","x")', "-5 TEST SPA", "@SUM(A1)", "+1 TEST LLC"]


def test_contract_files_an_importer_writes_keep_formula_like_names_exactly_through_ingest(tmp_path, fresh_warehouse):
    """The contract CSVs are data for `ingest`, not sheets for a person: escaping a name there
    would change the record. (Exports meant to be opened in a spreadsheet escape instead.)"""
    source = tmp_path / "entities.csv"
    rows = "".join(f'{i},"{name.replace(chr(34), chr(34) * 2)}"\n' for i, name in enumerate(FORMULA_NAMES, 1))
    source.write_text("id,name\n" + rows, encoding="utf-8")
    import_mapped(source, parse_mapping(FILINGS_MAPPING, "m.yaml"), tmp_path / "records")
    assert ingest(tmp_path / "records", fresh_warehouse).ok
    assert sorted(r[0] for r in fresh_warehouse.rows("SELECT entity_name FROM filings")) == sorted(FORMULA_NAMES)


# -- 4. protection in every export ----------------------------------------------------------------

# The worker's name in a business's address, in every export format: tests/test_export.py.


# -- 5. the mapped importer's dates ---------------------------------------------------------------

DAY_OR_MONTH_FIRST = FILINGS_MAPPING + """      filed_date: {column: filed, date: ["%m/%d/%Y", "%d/%m/%Y"]}
"""


def test_a_date_two_of_the_mapping_formats_read_differently_is_refused_naming_line_and_column(tmp_path):
    """03/04/2020 is 4 March under %m/%d/%Y and 3 April under %d/%m/%Y: taking the first format
    would write a wrong date without a word. 25/12/2020 reads one way only and is kept."""
    source = tmp_path / "entities.csv"
    source.write_text("id,name,filed\n1,Harbor Test LLC,25/12/2020\n2,Bay Test LLC,03/04/2020\n", encoding="utf-8")
    mapping = parse_mapping(DAY_OR_MONTH_FIRST, "m.yaml")
    with pytest.raises(FileRejected) as rejected:
        import_mapped(source, mapping, tmp_path / "out")
    (problem,) = rejected.value.errors
    assert (problem.line, problem.field) == (3, "filings.filed_date (column filed)")
    assert "2020-03-04" in problem.message and "2020-04-03" in problem.message
    report = import_mapped(source, mapping, tmp_path / "out", skip_bad=True)
    assert report.written == {"filings.csv": 1}
    assert "2020-12-25" in (tmp_path / "out" / "filings.csv").read_text(encoding="utf-8")


def test_a_date_every_mapping_format_reads_the_same_way_is_not_ambiguous(tmp_path):
    source = tmp_path / "entities.csv"
    source.write_text("id,name,filed\n1,Harbor Test LLC,04/04/2020\n", encoding="utf-8")
    import_mapped(source, parse_mapping(DAY_OR_MONTH_FIRST, "m.yaml"), tmp_path / "out")
    assert "2020-04-04" in (tmp_path / "out" / "filings.csv").read_text(encoding="utf-8")
