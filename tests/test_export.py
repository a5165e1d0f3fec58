"""The CSV export: the contract's four files, stable ids, no formulas, and no protected person named."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import VALID_ROWS

from harborlight.export.csv_export import EXPORT_COLUMNS, export_csv, safe_cell
from harborlight.errors import Stale
from harborlight.ingest import ingest
from harborlight.protection import pseudonym
from harborlight.resolve.stage import resolve


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_export_writes_the_four_contract_files_with_every_column(resolved_warehouse, tmp_path):
    export_csv(resolved_warehouse, tmp_path / "out")
    for name, columns in EXPORT_COLUMNS.items():
        with (tmp_path / "out" / name).open(encoding="utf-8") as f:
            assert next(csv.reader(f)) == columns


def test_every_record_that_names_a_business_or_person_has_one_row(resolved_warehouse, tmp_path):
    fresh_warehouse = resolved_warehouse
    export_csv(fresh_warehouse, tmp_path / "out")
    rows = read(tmp_path / "out" / "record_entities.csv")
    expected = {"filings", "fictitious_names", "listings", "officers", "licenses"}
    assert {r["record_type"] for r in rows} == expected
    keys = [(r["record_type"], r["source"], r["record_id"]) for r in rows]
    assert len(keys) == len(set(keys))
    n_expected = sum(
        fresh_warehouse.rows(f"SELECT count(*) FROM {t}")[0][0] for t in ("filings", "fictitious_names", "listings", "officers", "licenses")
    )
    assert len(rows) == n_expected
    businesses = {r["entity_id"] for r in read(tmp_path / "out" / "businesses.csv")}
    persons = {r["entity_id"] for r in read(tmp_path / "out" / "persons.csv")}
    # Every record's entity is listed; persons known only as registered agents are listed too.
    assert {r["entity_id"] for r in rows} <= businesses | persons
    assert {r["entity_id"] for r in rows if r["record_type"] in ("filings", "listings")} <= businesses


def test_entity_ids_are_stable_between_runs(small_world, resolved_warehouse, fresh_warehouse, tmp_path):
    export_csv(resolved_warehouse, tmp_path / "a")
    ingest(small_world, fresh_warehouse)
    resolve(fresh_warehouse)
    export_csv(fresh_warehouse, tmp_path / "b")
    for name in EXPORT_COLUMNS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_therapists_are_protected_and_never_named(resolved_warehouse, tmp_path):
    fresh_warehouse = resolved_warehouse
    export_csv(fresh_warehouse, tmp_path / "out")
    persons = read(tmp_path / "out" / "persons.csv")
    therapists = [p for p in persons if p["roles"] == "therapist"]
    assert therapists and all(p["protected"] == "true" for p in therapists)
    assert all(p["display_name"] == pseudonym(p["entity_id"]) for p in therapists)
    names = {r[0] for r in fresh_warehouse.rows("SELECT licensee_name FROM licenses WHERE license_type = 'therapist'")}
    numbers = {r[0] for r in fresh_warehouse.rows("SELECT license_number FROM licenses WHERE license_type = 'therapist'")}
    cells = {cell for name in EXPORT_COLUMNS for row in read(tmp_path / "out" / name) for cell in row.values()}
    assert (names | numbers) & cells == set()


def test_a_therapist_name_and_license_number_appear_in_no_export_file(write_rows, fresh_warehouse, tmp_path):
    folder = tmp_path / "in"
    worker = dict(
        VALID_ROWS["licenses"], licensee_name="Quintessa Vallombrosa", license_number="LIC-UNIQUE-4711",
        business_name="Lotus Spa", address="100 Main St", phone="305-555-0199",
    )
    write_rows("licenses", [worker], folder=folder)
    write_rows("filings", [VALID_ROWS["filings"]], folder=folder)
    ingest(folder, fresh_warehouse)
    resolve(fresh_warehouse)
    export_csv(fresh_warehouse, tmp_path / "out")
    exported = "".join((tmp_path / "out" / name).read_text(encoding="utf-8") for name in EXPORT_COLUMNS)
    for secret in ("Quintessa", "Vallombrosa", "LIC-UNIQUE-4711", "305-555-0199"):
        assert secret not in exported
    (person,) = read(tmp_path / "out" / "persons.csv")
    assert (person["protected"], person["display_name"]) == ("true", pseudonym(person["entity_id"]))


def test_pseudonyms_are_stable_and_distinct():
    assert pseudonym("per-1") == pseudonym("per-1")
    assert pseudonym("per-1") != pseudonym("per-2")
    assert pseudonym("per-1").startswith("worker-")


def test_formula_cells_are_escaped_in_the_export(write_rows, fresh_warehouse, tmp_path):
    formula = '=HYPERLINK("http://attacker.example","open")'
    ingest(write_rows("filings", [dict(VALID_ROWS["filings"], entity_name=formula)]), fresh_warehouse)
    resolve(fresh_warehouse)
    export_csv(fresh_warehouse, tmp_path / "out")
    (row,) = read(tmp_path / "out" / "businesses.csv")
    assert row["name"] == "'" + formula


def test_safe_cell_leaves_ordinary_values_alone():
    assert safe_cell("Lotus Spa") == "Lotus Spa"
    assert safe_cell(-80.19) == -80.19
    assert [safe_cell(v) for v in ("+1 305", "@cmd", "-2+3", "\tx")] == ["'+1 305", "'@cmd", "'-2+3", "'\tx"]


def test_export_of_a_warehouse_with_no_entities_writes_headers_only(write_rows, fresh_warehouse, tmp_path):
    ingest(write_rows("tips", [VALID_ROWS["tips"]]), fresh_warehouse)  # a record that names no entity
    resolve(fresh_warehouse)
    result = export_csv(fresh_warehouse, tmp_path / "out")
    assert set(result.rows.values()) == {0}
    assert all((tmp_path / "out" / name).exists() for name in EXPORT_COLUMNS)


def test_export_refuses_before_resolution(write_rows, fresh_warehouse, tmp_path):
    ingest(write_rows("filings", [VALID_ROWS["filings"]]), fresh_warehouse)
    with pytest.raises(Stale, match="run `harborlight resolve` first"):
        export_csv(fresh_warehouse, tmp_path / "out")


def test_export_refuses_when_records_arrived_after_resolution(write_rows, fresh_warehouse, tmp_path):
    ingest(write_rows("filings", [VALID_ROWS["filings"]], folder=tmp_path / "a"), fresh_warehouse)
    resolve(fresh_warehouse)
    ingest(write_rows("officers", [VALID_ROWS["officers"]], folder=tmp_path / "b"), fresh_warehouse)
    with pytest.raises(Stale, match="run `harborlight resolve` again"):
        export_csv(fresh_warehouse, tmp_path / "out")


@pytest.mark.parametrize("fmt", ["csv", "ftm", "gexf", "i2", "geojson"])
def test_a_business_named_after_its_worker_is_exported_with_her_name_redacted(fmt, write_rows, fresh_warehouse, tmp_path):
    from harborlight.export import export
    from harborlight.protection import REDACTED

    folder = tmp_path / "in"
    worker = dict(VALID_ROWS["licenses"], licensee_name="Vallombrosa, Quintessa", license_number="LIC-UNIQUE-4711")
    listing = dict(VALID_ROWS["listings"], business_name="QUINTESSA VALLOMBROSA Bodywork",
                   address="12 Quintessa Vallombrosa Way")
    filing = dict(VALID_ROWS["filings"], entity_name="HARBOR TEST BODYWORK LLC",
                  principal_address="14 Quintessa Vallombrosa Way")  # her name in another business's address
    write_rows("licenses", [worker], folder=folder)
    write_rows("listings", [listing], folder=folder)
    write_rows("filings", [filing], folder=folder)
    ingest(folder, fresh_warehouse)
    resolve(fresh_warehouse)
    written = export(fresh_warehouse, fmt, tmp_path / "out")
    text = "".join((tmp_path / "out" / name).read_text(encoding="utf-8") for name in written)
    assert "QUINTESSA" not in text.upper() and "VALLOMBROSA" not in text.upper() and "LIC-UNIQUE-4711" not in text
    assert f"{REDACTED} Bodywork" in text
