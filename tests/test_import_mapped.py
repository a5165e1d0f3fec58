"""`harborlight import mapped`: a state's bulk CSV through a YAML mapping into contract files.

Every input here is invented: small CSV files in the two shipped layouts (New York's active
corporations, Colorado's business entities) and in made-up layouts for each mapping feature.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harborlight.errors import BadRequest, ContractError, FileRejected
from harborlight.ingest import ingest
from harborlight.sources.mapped import import_mapped
from harborlight.sources.mapping import MappingError, load_mapping, parse_mapping, shipped_mappings

NY_COLUMNS = [
    "DOS ID", "Current Entity Name", "Initial DOS Filing Date", "County", "Jurisdiction", "Entity Type",
    *(f"DOS Process {p}" for p in ("Name", "Address 1", "Address 2", "City", "State", "Zip")),
    *(f"CEO {p}" for p in ("Name", "Address 1", "Address 2", "City", "State", "Zip")),
    *(f"Registered Agent {p}" for p in ("Name", "Address 1", "Address 2", "City", "State", "Zip")),
    *(f"Location {p}" for p in ("Name", "Address 1", "Address 2", "City", "State", "Zip")),
]
CO_COLUMNS = [
    "entityid", "entityname", "principaladdress1", "principaladdress2", "principalcity", "principalstate",
    "principalzipcode", "principalcountry", "mailingaddress1", "mailingaddress2", "mailingcity", "mailingstate",
    "mailingzipcode", "mailingcountry", "entitystatus", "jurisdictonofformation", "entitytype", "agentfirstname",
    "agentmiddlename", "agentlastname", "agentsuffix", "agentorganizationname", "agentprincipaladdress1",
    "agentprincipaladdress2", "agentprincipalcity", "agentprincipalstate", "agentprincipalzipcode",
    "agentprincipalcountry", "agentmailingaddress1", "agentmailingaddress2", "agentmailingcity",
    "agentmailingstate", "agentmailingzipcode", "agentmailingcountry", "entityformdate",
]

# A made-up layout, one row per business with two people blocks, for the mapping features.
SMALL_MAPPING = """
source: test_registry
records:
  filings:
    fields:
      record_id: ID
      entity_name: NAME
      status:
        column: STATUS
        map: {A: active, D: dissolved}
      filed_date:
        column: FILED
        date: ["%m/%d/%Y", "%Y%m%d"]
      principal_address:
        join: [ADDR1, ADDR2]
        sep: ", "
  officers:
    - when: {present: PRES_LAST}
      fields:
        record_id: {template: "{ID}-P"}
        filing_record_id: ID
        role: {constant: president}
        name: {join: [PRES_FIRST, PRES_LAST]}
        name_type: {constant: person}
    - when: {present: SEC_NAME}
      fields:
        record_id: {template: "{ID}-S"}
        filing_record_id: ID
        role:
          column: SEC_ROLE
          map: {SEC: secretary, TRE: treasurer}
          default: other
        name: SEC_NAME
"""
SMALL_COLUMNS = ["ID", "NAME", "STATUS", "FILED", "ADDR1", "ADDR2", "PRES_FIRST", "PRES_LAST", "SEC_ROLE", "SEC_NAME"]


def small_row(**values: str) -> dict[str, str]:
    base = {"ID": "F1", "NAME": "Example Spa LLC", "STATUS": "A", "FILED": "03/31/2015",
            "ADDR1": "1 Test St", "ADDR2": "Suite 2", "PRES_FIRST": "Alex", "PRES_LAST": "Sample",
            "SEC_ROLE": "SEC", "SEC_NAME": "Sam Example"}
    return base | values


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def read_out(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def mapping_file(tmp_path: Path, text: str = SMALL_MAPPING, name: str = "test.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_small(tmp_path: Path, rows: list[dict[str, str]], text: str = SMALL_MAPPING, **options):
    source = write_csv(tmp_path / "registry.csv", SMALL_COLUMNS, rows)
    return import_mapped(source, load_mapping(mapping_file(tmp_path, text)), tmp_path / "out", **options)


def rejection(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.errors]


# --- the two shipped layouts ------------------------------------------------------------


def harborlight(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HARBORLIGHT_DATA_DIR"}
    return subprocess.run([sys.executable, "-c", "from harborlight.cli import main; main()", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_new_york_layout_yields_filings_and_ceo_officers_that_ingest_cleanly(tmp_path):
    rows = [
        {"DOS ID": "9000001", "Current Entity Name": "EXAMPLE SPA LLC", "Initial DOS Filing Date": "03/31/2015",
         "County": "KINGS", "Jurisdiction": "NEW YORK", "Entity Type": "DOMESTIC LIMITED LIABILITY COMPANY",
         "DOS Process Name": "EXAMPLE SPA LLC", "DOS Process Address 1": "1 TEST ST", "DOS Process City": "BROOKLYN",
         "DOS Process State": "NY", "DOS Process Zip": "11201", "CEO Name": "ALEX SAMPLE",
         "CEO Address 1": "1 TEST ST", "CEO Address 2": "APT 3", "CEO City": "BROOKLYN", "CEO State": "NY",
         "CEO Zip": "11201", "Location Address 1": "1 TEST ST", "Location Address 2": "SUITE 2",
         "Location City": "BROOKLYN", "Location State": "NY", "Location Zip": "11201"},
        {"DOS ID": "9000002", "Current Entity Name": "OTHER HOLDINGS INC", "Initial DOS Filing Date": "1/2/2020",
         "Entity Type": "DOMESTIC RELIGIOUS CORPORATION", "Registered Agent Name": "AGENT SERVICES CO",
         "Registered Agent Address 1": "9 AGENT RD", "Registered Agent City": "ALBANY",
         "Registered Agent State": "NY", "Registered Agent Zip": "12207"},
    ]
    write_csv(tmp_path / "ny.csv", NY_COLUMNS, rows)
    imported = harborlight("import", "mapped", "ny.csv", "--mapping", "new_york", "--out", "contract", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "filings.csv: 2 records" in imported.stdout and "officers.csv: 1 records" in imported.stdout

    filings = read_out(tmp_path / "contract", "filings")
    assert [(f["record_id"], f["entity_type"], f["status"], f["filed_date"]) for f in filings] == [
        ("9000001", "llc", "active", "2015-03-31"), ("9000002", "other", "active", "2020-01-02")]
    assert filings[0]["principal_address"] == "1 TEST ST, SUITE 2"
    assert filings[0]["source"] == "ny_dos_active"
    assert filings[1]["registered_agent_name"] == "AGENT SERVICES CO"
    officers = read_out(tmp_path / "contract", "officers")
    assert [(o["record_id"], o["filing_record_id"], o["role"], o["name"], o["address"]) for o in officers] == [
        ("9000001-ceo", "9000001", "officer", "ALEX SAMPLE", "1 TEST ST, APT 3")]

    loaded = harborlight("ingest", "contract", "--data-dir", "data", cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded filings.csv: 2 records" in loaded.stdout
    assert "loaded officers.csv: 1 records" in loaded.stdout
    assert "rejected" not in loaded.stderr


def test_colorado_layout_names_the_agent_as_a_company_or_a_person_and_ingests_cleanly(tmp_path, fresh_warehouse):
    rows = [
        {"entityId": "20201000001", "entityName": "Example Wellness LLC", "principalAddress1": "1 Test Ave",
         "principalCity": "Denver", "principalState": "CO", "principalZipCode": "80202",
         "entityStatus": "Good Standing", "entityType": "DLLC", "agentOrganizationName": "Agent Services Inc",
         "agentPrincipalAddress1": "5 Agent Way", "agentPrincipalCity": "Denver", "agentPrincipalState": "CO",
         "agentPrincipalZipCode": "80203", "entityFormDate": "06/16/2020"},
        {"entityId": "20201000002", "entityName": "Other Corp", "entityStatus": "Administratively Dissolved",
         "entityType": "DPC", "agentFirstName": "Robin", "agentMiddleName": "Q", "agentLastName": "Example",
         "entityFormDate": "2019-02-03T00:00:00.000"},
        {"entityId": "20201000003", "entityName": "Third Trade Co", "entityStatus": "Some New Status",
         "entityType": "XYZ", "entityFormDate": ""},
    ]
    # The CSV export's header is camelCase, the API's lower case: names match ignoring case.
    camel = {key.lower(): key for row in rows for key in row}
    columns = [camel.get(c, c) for c in CO_COLUMNS]
    source = write_csv(tmp_path / "co.csv", columns, rows)
    report = import_mapped(source, load_mapping("colorado"), tmp_path / "contract")
    assert report.written == {"filings.csv": 3}

    filings = read_out(tmp_path / "contract", "filings")
    assert [(f["entity_type"], f["status"], f["filed_date"]) for f in filings] == [
        ("llc", "active", "2020-06-16"), ("corporation", "dissolved", "2019-02-03"), ("other", "", "")]
    assert [(f["registered_agent_name"], f["registered_agent_type"]) for f in filings] == [
        ("Agent Services Inc", "company"), ("Robin Q Example", "person"), ("", "")]
    assert filings[0]["registered_agent_zip"] == "80203"

    loaded = ingest(tmp_path / "contract", fresh_warehouse)
    assert loaded.ok and [f.records for f in loaded.loaded] == [3]


def test_shipped_mappings_are_listed_and_a_wrong_name_says_which_exist():
    assert shipped_mappings() == ["colorado", "new_york"]
    with pytest.raises(BadRequest, match="shipped: colorado, new_york"):
        load_mapping("oregon")


# --- what a mapping can say ---------------------------------------------------------------


def test_one_row_yields_a_filing_and_only_the_officers_whose_names_are_present(tmp_path):
    report = run_small(tmp_path, [small_row(), small_row(ID="F2", PRES_LAST="", SEC_ROLE="XX"),
                                  small_row(ID="F3", SEC_NAME="")])
    assert report.written == {"filings.csv": 3, "officers.csv": 4}
    officers = read_out(tmp_path / "out", "officers")
    assert [(o["record_id"], o["role"], o["name"]) for o in officers] == [
        ("F1-P", "president", "Alex Sample"), ("F1-S", "secretary", "Sam Example"),
        ("F2-S", "other", "Sam Example"), ("F3-P", "president", "Alex Sample")]


def test_joins_leave_out_empty_parts_and_dates_take_any_listed_format(tmp_path):
    run_small(tmp_path, [small_row(ADDR2=""), small_row(ID="F2", ADDR1="", FILED="20200102"),
                         small_row(ID="F3", ADDR1="", ADDR2="", FILED="")])
    filings = read_out(tmp_path / "out", "filings")
    assert [(f["principal_address"], f["filed_date"]) for f in filings] == [
        ("1 Test St", "2015-03-31"), ("Suite 2", "2020-01-02"), ("", "")]


def test_value_maps_match_codes_ignoring_case_and_space(tmp_path):
    run_small(tmp_path, [small_row(STATUS=" d ")])
    assert read_out(tmp_path / "out", "filings")[0]["status"] == "dissolved"


def test_an_equals_condition_selects_rows_by_a_code(tmp_path):
    text = SMALL_MAPPING.replace("    - when: {present: SEC_NAME}", "    - when: {present: SEC_NAME, equals: {SEC_ROLE: [sec, tre]}}")
    run_small(tmp_path, [small_row(), small_row(ID="F2", SEC_ROLE="DIR")], text)
    assert [o["record_id"] for o in read_out(tmp_path / "out", "officers")] == ["F1-P", "F1-S", "F2-P"]


ONE_ROW_PER_NAME = """
source: per_name_registry
records:
  filings:
    dedupe: {rule}
    fields:
      record_id: REG
      entity_name: BUSINESS
  officers:
    fields:
      record_id: {{template: "{{REG}}-{{SEQ}}"}}
      filing_record_id: REG
      role: {{constant: other}}
      name: PERSON
"""


@pytest.mark.parametrize("rule, name", [("first", "First Name Co"), ("last", "Renamed Co")])
def test_a_layout_with_one_row_per_name_keeps_one_filing_first_or_last(tmp_path, rule, name):
    source = write_csv(tmp_path / "or.csv", ["REG", "BUSINESS", "SEQ", "PERSON"], [
        {"REG": "R1", "BUSINESS": "First Name Co", "SEQ": "1", "PERSON": "Alex Sample"},
        {"REG": "R2", "BUSINESS": "Another Co", "SEQ": "1", "PERSON": "Sam Example"},
        {"REG": "R1", "BUSINESS": "Renamed Co", "SEQ": "2", "PERSON": "Robin Example"},
    ])
    mapping = load_mapping(mapping_file(tmp_path, ONE_ROW_PER_NAME.format(rule=rule)))
    report = import_mapped(source, mapping, tmp_path / "out")
    assert report.written == {"filings.csv": 2, "officers.csv": 3} and report.repeats_dropped == 1
    assert {f["record_id"]: f["entity_name"] for f in read_out(tmp_path / "out", "filings")}["R1"] == name


def test_a_repeated_record_id_without_a_dedupe_rule_is_an_error_naming_both_lines(tmp_path):
    with pytest.raises(FileRejected) as excinfo:
        run_small(tmp_path, [small_row(), small_row(NAME="Again LLC")])
    assert rejection(excinfo)[0].startswith("registry.csv:3: filings.record_id (column ID): repeats the filings record at line 2")


def test_a_file_without_a_header_a_title_line_or_tabs_is_read_as_the_mapping_says(tmp_path):
    text = """
source: t
input: {encoding: latin-1, delimiter: "\\t", header_row: 0, columns: [ID, NAME]}
records:
  filings:
    fields: {record_id: ID, entity_name: NAME}
"""
    (tmp_path / "plain.tsv").write_bytes("F1\tCaf\xe9 Example\nF2\tSpa Two\n".encode("latin-1"))
    import_mapped(tmp_path / "plain.tsv", load_mapping(mapping_file(tmp_path, text)), tmp_path / "out")
    assert [f["entity_name"] for f in read_out(tmp_path / "out", "filings")] == ["Café Example", "Spa Two"]

    titled = "source: t\ninput: {header_row: 2}\nrecords:\n  filings:\n    fields: {record_id: ID, entity_name: NAME}\n"
    (tmp_path / "titled.csv").write_text("Registry export 2024-01-01\nID,NAME\nF1,One\nF2,\n", encoding="utf-8")
    with pytest.raises(FileRejected) as excinfo:
        import_mapped(tmp_path / "titled.csv", load_mapping(mapping_file(tmp_path, titled)), tmp_path / "out2")
    assert len(rejection(excinfo)) == 1
    assert rejection(excinfo)[0].startswith("titled.csv:4: filings.entity_name (column NAME): ")


def test_gzipped_input_is_read_like_plain(tmp_path):
    plain = write_csv(tmp_path / "registry.csv", SMALL_COLUMNS, [small_row()])
    (tmp_path / "registry.csv.gz").write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    report = import_mapped(tmp_path / "registry.csv.gz", load_mapping(mapping_file(tmp_path)), tmp_path / "out")
    assert report.written == {"filings.csv": 1, "officers.csv": 2}


# --- a wrong mapping ------------------------------------------------------------------------

FILINGS_ONLY = "source: t\nrecords:\n  filings:\n    fields:\n      record_id: ID\n      entity_name: NAME\n"


@pytest.mark.parametrize("text, message", [
    ("source: t\nrecords:\n  filings:\n    fields: {record_id: ID, entity_name: NAME, colour: X}\n",
     "m.yaml: records.filings.fields.colour: not a field of filings"),
    ("source: t\nrecords:\n  filings:\n    fields: {record_id: ID}\n",
     "m.yaml: records.filings.fields: missing required contract field(s) of filings: entity_name"),
    (SMALL_MAPPING.replace("TRE: treasurer", "TRE: chief"),
     "m.yaml: records.officers[1].fields.role.map.TRE: 'chief' is not a role the contract allows"),
    (SMALL_MAPPING.replace("      principal_address:\n        join: [ADDR1, ADDR2]",
                           "      principal_address:\n        column: ADDR1\n        join: [ADDR1, ADDR2]"),
     "m.yaml: records.filings.fields.principal_address: give exactly one of: column, constant"),
    (FILINGS_ONLY.replace("entity_name: NAME", "entity_name: {column: NAME, date: '%Y'}"),
     "m.yaml: records.filings.fields.entity_name.date: entity_name is not a date field"),
    (FILINGS_ONLY.replace("entity_name: NAME", "entity_name: {column: NAME, default: x}"),
     "m.yaml: records.filings.fields.entity_name.default: applies only with map"),
    (FILINGS_ONLY + "      source: X\n", "m.yaml: records.filings.fields.source: is set from the mapping's top-level"),
    (FILINGS_ONLY.replace("  filings:", "  tips:"), "m.yaml: records.tips: not a record type a mapping can write"),
    (FILINGS_ONLY.replace("    fields:", "    dedupe: newest\n    fields:"), "m.yaml: records.filings.dedupe: must be one of: first, last"),
    (FILINGS_ONLY.replace("source: t", "source: t\ninput: {encoding: klingon}"), "m.yaml: input.encoding: 'klingon' is not an encoding"),
    (FILINGS_ONLY.replace("source: t", "source: t\nextra: 1"), "m.yaml: extra: unknown key"),
    (FILINGS_ONLY.replace("source: t\n", ""), "m.yaml: source: required"),
    (FILINGS_ONLY.replace("record_id: ID", "record_id: {template: plain}"), "m.yaml: records.filings.fields.record_id.template: names no column"),
    ("source: t\nrecords: [unclosed\n", "m.yaml: not valid YAML (line 3)"),
])
def test_a_wrong_mapping_is_refused_naming_the_file_and_key_path(tmp_path, text, message):
    with pytest.raises(MappingError) as excinfo:
        load_mapping(mapping_file(tmp_path, text, "m.yaml"))
    assert str(excinfo.value).startswith(message), str(excinfo.value)


def test_a_column_missing_from_the_header_is_refused_before_anything_is_written(tmp_path):
    text = SMALL_MAPPING.replace("name: SEC_NAME", "name: SECRETARY")
    with pytest.raises(MappingError) as excinfo:
        run_small(tmp_path, [small_row()], text)
    assert str(excinfo.value).startswith(
        "test.yaml: records.officers[1].fields.name: no column 'SECRETARY' in registry.csv's header")
    assert not (tmp_path / "out").exists()


# --- bad data -------------------------------------------------------------------------------


def test_an_unmapped_code_names_the_file_line_field_and_column(tmp_path):
    with pytest.raises(FileRejected) as excinfo:
        run_small(tmp_path, [small_row(), small_row(ID="F2", STATUS="Q")])
    assert rejection(excinfo) == [
        "registry.csv:3: filings.status (column STATUS): 'Q' is not in the mapping's map "
        "(records.filings.fields.status.map) and it gives no default"]


def test_a_date_in_no_listed_format_names_the_line_and_column(tmp_path):
    with pytest.raises(FileRejected) as excinfo:
        run_small(tmp_path, [small_row(FILED="31.03.2015")])
    assert rejection(excinfo) == [
        "registry.csv:2: filings.filed_date (column FILED): '31.03.2015' matches none of the date formats %m/%d/%Y, %Y%m%d"]


def test_the_contract_validators_objections_carry_the_source_column(tmp_path):
    with pytest.raises(FileRejected) as excinfo:
        run_small(tmp_path, [small_row(NAME="")])
    assert rejection(excinfo)[0].startswith("registry.csv:2: filings.entity_name (column NAME): ")


def test_bytes_the_declared_encoding_cannot_read_name_the_line_and_column(tmp_path):
    source = write_csv(tmp_path / "registry.csv", SMALL_COLUMNS, [small_row(), small_row(ID="F2")])
    source.write_bytes(source.read_bytes().replace(b"Sam Example\r\nF2", b"Sam Ex\xe9mple\r\nF2"))
    with pytest.raises(FileRejected) as excinfo:
        import_mapped(source, load_mapping(mapping_file(tmp_path)), tmp_path / "out")
    assert rejection(excinfo) == [
        "registry.csv:2: column SEC_NAME: is not valid utf-8 (check the mapping's input.encoding)"]


def test_a_ragged_row_is_refused_and_with_skip_bad_skipped_and_counted(tmp_path):
    source = write_csv(tmp_path / "registry.csv", SMALL_COLUMNS, [small_row(), small_row(ID="F2")])
    source.write_text(source.read_text(encoding="utf-8") + "F3,Short Row LLC\r\n", encoding="utf-8", newline="")
    mapping = load_mapping(mapping_file(tmp_path))
    with pytest.raises(FileRejected) as excinfo:
        import_mapped(source, mapping, tmp_path / "out")
    assert rejection(excinfo) == ["registry.csv:4: row has 2 fields but the header has 10"]
    assert not (tmp_path / "out" / "filings.csv").exists()

    report = import_mapped(source, mapping, tmp_path / "out", skip_bad=True)
    assert report.written == {"filings.csv": 2, "officers.csv": 4}
    assert (report.rows_read, report.skipped_rows) == (3, 1)


def test_a_row_with_an_unclosed_quote_stops_the_import_even_with_skip_bad(tmp_path):
    source = write_csv(tmp_path / "registry.csv", SMALL_COLUMNS, [small_row()])
    source.write_text(source.read_text(encoding="utf-8") + 'F2,"Unclosed LLC,A,03/31/2015\r\nF3,x\r\n',
                      encoding="utf-8", newline="")
    with pytest.raises(FileRejected) as excinfo:
        import_mapped(source, load_mapping(mapping_file(tmp_path)), tmp_path / "out", skip_bad=True)
    assert rejection(excinfo)[0].startswith("registry.csv:3: malformed CSV, reading stopped here")
    assert not (tmp_path / "out" / "filings.csv").exists()


def test_a_failed_import_leaves_the_output_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "filings.csv").write_text("kept\n", encoding="utf-8")
    with pytest.raises(FileRejected):
        run_small(tmp_path, [small_row(), small_row(ID="F2", FILED="never")])
    assert sorted(p.name for p in out.iterdir()) == ["filings.csv"]
    assert (out / "filings.csv").read_text(encoding="utf-8") == "kept\n"


def test_skip_bad_writes_good_rows_whole_and_leaves_bad_rows_out_whole(tmp_path):
    # F2's filing is fine but its secretary's role is mapped to nothing allowed: the whole
    # row goes, so no officer is written for a filing that is not.
    text = SMALL_MAPPING.replace("default: other", "")
    report = run_small(tmp_path, [small_row(), small_row(ID="F2", SEC_ROLE="XX"), small_row(ID="F3", FILED="bad")],
                       text, skip_bad=True)
    assert report.written == {"filings.csv": 1, "officers.csv": 2}
    assert (report.skipped_rows, report.problem_count) == (2, 2)
    assert [p.line for p in report.problems] == [3, 4]
    assert all(isinstance(p, ContractError) for p in report.problems)
    assert {o["filing_record_id"] for o in read_out(tmp_path / "out", "officers")} == {"F1"}


def test_the_command_prints_each_problem_and_exits_with_the_bad_request_code(tmp_path):
    write_csv(tmp_path / "registry.csv", SMALL_COLUMNS, [small_row(STATUS="Q")])
    mapping_file(tmp_path)
    result = harborlight("import", "mapped", "registry.csv", "--mapping", "test.yaml", "--out", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert "registry.csv:2: filings.status (column STATUS): 'Q' is not in the mapping's map" in result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "filings.csv").exists()

    skipped = harborlight("import", "mapped", "registry.csv", "--mapping", "test.yaml", "--out", "out",
                          "--skip-bad", cwd=tmp_path)
    assert skipped.returncode == 0, skipped.stderr
    assert "wrote out/filings.csv: 0 records" in skipped.stdout
    assert "skipped 1 bad rows (1 problems)" in skipped.stderr
    assert "registry.csv:2: filings.status (column STATUS)" in skipped.stderr


def test_the_example_in_the_mapping_reference_is_a_valid_mapping():
    doc = (Path(__file__).parent.parent / "docs" / "mappings.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    mapping = parse_mapping(example, "mappings.md")
    assert mapping.record_types == ("filings", "officers") and mapping.dedupe == {"filings": "first"}


def test_a_truncated_gzip_is_rejected_whole_even_with_skip_bad(tmp_path):
    plain = write_csv(tmp_path / "registry.csv", SMALL_COLUMNS, [small_row(ID=f"F{i}") for i in range(200)])
    packed = gzip.compress(plain.read_bytes(), mtime=0)
    (tmp_path / "registry.csv.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(FileRejected) as excinfo:
        import_mapped(tmp_path / "registry.csv.gz", load_mapping(mapping_file(tmp_path)), tmp_path / "out", skip_bad=True)
    assert "gzip data is truncated or corrupt" in rejection(excinfo)[-1]
    assert not (tmp_path / "out" / "filings.csv").exists()


def test_an_empty_file_is_refused_as_having_no_header(tmp_path):
    (tmp_path / "registry.csv").write_bytes(b"")
    with pytest.raises(BadRequest, match="registry.csv: file is empty: expected a header row"):
        import_mapped(tmp_path / "registry.csv", load_mapping(mapping_file(tmp_path)), tmp_path / "out")
