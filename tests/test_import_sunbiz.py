"""Florida's corporate data file into contract filings and officers: the mapping, daily files
replacing snapshot records, bad records located by file, line and layout field, all-or-nothing."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from sunbiz_support import officer, record, write_records, write_zip
from typer.testing import CliRunner

from harborlight.cli import app
from harborlight.errors import FileRejected
from harborlight.ingest import ingest
from harborlight.sources.sunbiz import ImportRejected, import_sunbiz, title_roles


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def six_officer_record() -> str:
    return record(
        "P21000000042", "CAFÉ ÉTOILE HOLDINGS INC", filing_type="DOMP",
        principal_address_2="Suite 4", registered_agent_name="SEAGRAPE REGISTERED AGENTS LLC",
        registered_agent_type="C", registered_agent_address="9 Agent Way", registered_agent_city="Tampa",
        registered_agent_state="FL", registered_agent_zip5="33602", registered_agent_zip4="1234",
        officers=[
            officer("P", "QUILLON, ANDRÉ", address="5 Heron Ct", city="Miami", zip5="33101", zip4="0042"),
            officer("DS", "Maribel Otterly", address="6 Heron Ct", city="Miami", zip5="33101"),
            officer("MGR", "PELICAN MANAGEMENT GROUP LLC", kind="C", address="7 Heron Ct", city="Miami"),
            officer("T", "VANTREE, JOLENE"),
            officer("AMBR", "NORWICK, TOBIAS"),
            officer("ZZ", "ESTRAVEN, LIO"),
        ])


def test_a_record_becomes_a_filing_with_one_officer_row_per_role(tmp_path):
    source = write_records(tmp_path / "snapshot.txt", [six_officer_record()], ending="\r\n")
    summary = import_sunbiz([source], tmp_path / "out")
    (filing,) = read_csv(tmp_path / "out" / "filings.csv")
    assert filing["record_id"] == "P21000000042" and filing["source"] == "fl_sunbiz"
    assert filing["entity_name"] == "CAFÉ ÉTOILE HOLDINGS INC"  # Latin-1 decoded, \r\n stripped
    assert (filing["entity_type"], filing["status"], filing["filed_date"]) == ("corporation", "active", "2019-02-22")
    assert filing["principal_address"] == "100 Example Ave, Suite 4"
    assert filing["registered_agent_type"] == "company" and filing["registered_agent_zip"] == "33602-1234"
    assert filing["filing_type"] == "DOMP" and filing["last_transaction_date"] == "2021-03-01"
    officers = {o["record_id"]: o for o in read_csv(tmp_path / "out" / "officers.csv")}
    assert {k: (o["role"], o["title_code"]) for k, o in officers.items()} == {
        "P21000000042-1": ("president", "P"),
        "P21000000042-2-director": ("director", "DS"), "P21000000042-2-secretary": ("secretary", "DS"),
        "P21000000042-3": ("manager", "MGR"), "P21000000042-4": ("treasurer", "T"),
        "P21000000042-5": ("manager", "AMBR"), "P21000000042-6": ("other", "ZZ"),
    }
    assert officers["P21000000042-1"]["name"] == "QUILLON, ANDRÉ"  # kept as written
    assert officers["P21000000042-1"]["zip"] == "33101-0042"
    assert officers["P21000000042-3"]["name_type"] == "company"
    assert all(o["filing_record_id"] == "P21000000042" for o in officers.values())
    assert (summary.records_read, summary.filings, summary.officers, summary.skipped) == (1, 1, 7, 0)


def at_positions(values: dict[int, str]) -> str:
    """A record written from the published layout's 1-based positions themselves, not from the
    importer's table, so a table that is wrong but gap-free cannot agree with itself."""
    line = [" "] * 1440
    for start, text in values.items():
        line[start - 1:start - 1 + len(text)] = text
    return "".join(line)


def test_fields_are_read_at_the_positions_the_division_publishes(tmp_path):
    sixth = 669 + 128 * 5  # officer block k starts at 669 + 128(k - 1)
    raw = at_positions({
        1: "L20000000777", 13: "POSITION CHECK LLC", 205: "I", 206: "FLAL",
        221: "1 First St", 263: "Unit 2", 305: "Tampa", 333: "FL", 335: "33602",
        347: "2 Mail Rd", 431: "Ocala", 459: "FL", 461: "34470",
        473: "07041999", 481: "59-1234567", 495: "Y", 496: "12312020", 504: "FL",
        545: "PLOVER, ADA", 587: "P", 588: "3 Agent Ln", 630: "Sarasota", 658: "FL", 660: "34236", 665: "0001",
        669: "MGR", 673: "P", 674: "FIRSTBLOCK, CASS", 716: "4 Officer Way", 758: "Naples", 786: "FL", 788: "34102",
        sixth: "T", sixth + 4: "C", sixth + 5: "SIXTH BLOCK HOLDINGS LLC", sixth + 47: "5 Last Ave",
        sixth + 89: "Destin", sixth + 117: "FL", sixth + 119: "32541", sixth + 124: "7777",
    })
    import_sunbiz([write_records(tmp_path / "snapshot.txt", [raw])], tmp_path / "out")
    (filing,) = read_csv(tmp_path / "out" / "filings.csv")
    assert (filing["record_id"], filing["entity_name"], filing["status"], filing["entity_type"]) == (
        "L20000000777", "POSITION CHECK LLC", "inactive", "llc")
    assert (filing["principal_address"], filing["principal_city"], filing["principal_state"], filing["principal_zip"]) == (
        "1 First St, Unit 2", "Tampa", "FL", "33602")
    assert (filing["mailing_address"], filing["mailing_city"], filing["mailing_zip"]) == ("2 Mail Rd", "Ocala", "34470")
    assert (filing["filed_date"], filing["ein"], filing["last_transaction_date"]) == ("1999-07-04", "59-1234567", "2020-12-31")
    assert filing["more_than_six_officers"] == "Y"
    assert (filing["registered_agent_name"], filing["registered_agent_type"], filing["registered_agent_address"],
            filing["registered_agent_city"], filing["registered_agent_zip"]) == (
        "PLOVER, ADA", "person", "3 Agent Ln", "Sarasota", "34236-0001")
    officers = {o["record_id"]: o for o in read_csv(tmp_path / "out" / "officers.csv")}
    assert set(officers) == {"L20000000777-1", "L20000000777-6"}
    first, last = officers["L20000000777-1"], officers["L20000000777-6"]
    assert (first["role"], first["name_type"], first["name"], first["address"], first["city"], first["zip"]) == (
        "manager", "person", "FIRSTBLOCK, CASS", "4 Officer Way", "Naples", "34102")
    assert (last["role"], last["name_type"], last["name"], last["address"], last["city"], last["state"], last["zip"]) == (
        "treasurer", "company", "SIXTH BLOCK HOLDINGS LLC", "5 Last Ave", "Destin", "FL", "32541-7777")


@pytest.mark.parametrize("code, roles", [
    ("P", ["president"]), ("MGR", ["manager"]), ("MGRM", ["manager"]), ("MBR", ["member"]), ("VP", ["officer"]),
    ("CEO", ["officer"]), ("PTD", ["president", "treasurer", "director"]), ("PD", ["president", "director"]),
    ("PTSD", ["president", "treasurer", "secretary", "director"]), ("QX", ["other"]), ("", ["other"]),
])
def test_title_codes_are_tried_whole_then_split_into_single_letters(code, roles):
    assert title_roles(code) == roles


def test_a_zipped_daily_file_replaces_the_snapshot_record_and_its_officers(tmp_path):
    snapshot = write_records(tmp_path / "snapshot.txt", [
        record("L1", "OLD NAME LLC", filing_type="FLAL",
               officers=[officer("MGR", "ALDER, RUNE"), officer("MBR", "BIRCH, SAL")]),
        record("L2", "STEADY LLC", filing_type="FLAL", officers=[officer("MGR", "CEDAR, ONA")]),
    ])
    daily = write_zip(tmp_path / "daily.zip", {"20240102c.txt": [
        record("L1", "NEW NAME LLC", filing_type="FLAL", status="I", officers=[officer("AMBR", "DOGWOOD, PIA")])]})
    summary = import_sunbiz([snapshot, daily], tmp_path / "out")
    filings = {f["record_id"]: f for f in read_csv(tmp_path / "out" / "filings.csv")}
    assert sorted(filings) == ["L1", "L2"]
    assert (filings["L1"]["entity_name"], filings["L1"]["status"], filings["L1"]["entity_type"]) == \
        ("NEW NAME LLC", "inactive", "llc")
    officers = [(o["record_id"], o["name"]) for o in read_csv(tmp_path / "out" / "officers.csv")]
    assert sorted(officers) == [("L1-1", "DOGWOOD, PIA"), ("L2-1", "CEDAR, ONA")]
    assert (summary.records_read, summary.replaced, summary.filings) == (3, 1, 2)


def test_bad_records_are_located_by_file_line_and_layout_field_and_nothing_is_written(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "filings.csv").write_text("what was here before\n", encoding="utf-8")
    source = write_records(tmp_path / "snapshot.txt", [
        record("G1", "GOOD ONE INC"),
        record("G2", "BAD DATE INC", file_date="02302019"),
        record("G3", "SHORT INC")[:1400],
        record("G4", "ODD STATUS INC", status="X"),
        record("", "NO NUMBER INC"),
    ])
    with pytest.raises(ImportRejected) as caught:
        import_sunbiz([source], out)
    shown = [str(e) for e in caught.value.errors]
    assert shown[0] == f"{source}:2: file date (473-480): '02302019' is not a date (MMDDYYYY)"
    assert shown[1] == f"{source}:3: a record is 1440 characters; this line has 1400"
    assert shown[2].startswith(f"{source}:4: status (205): 'X'")
    assert shown[3] == f"{source}:5: document number (1-12): required field is empty"
    assert caught.value.total == 4
    assert sorted(p.name for p in out.iterdir()) == ["filings.csv"]
    assert (out / "filings.csv").read_text(encoding="utf-8") == "what was here before\n"


def test_skip_bad_leaves_bad_records_out_and_counts_them(tmp_path):
    source = write_records(tmp_path / "snapshot.txt", [
        record("G1", "GOOD ONE INC"), record("G2", "BAD DATE INC", last_transaction_date="13012020"),
        record("G3", "GOOD TWO INC")])
    summary = import_sunbiz([source], tmp_path / "out", skip_bad=True)
    assert [f["record_id"] for f in read_csv(tmp_path / "out" / "filings.csv")] == ["G1", "G3"]
    assert (summary.records_read, summary.filings, summary.skipped) == (3, 2, 1)
    assert "last transaction date (496-503)" in str(summary.problems[0])


def test_a_bad_daily_update_keeps_the_snapshot_record_and_says_so(tmp_path):
    snapshot = write_records(tmp_path / "snapshot.txt", [record("G1", "OLD NAME INC"), record("G2", "STEADY INC")])
    daily = write_records(tmp_path / "daily.txt", [record("G1", "NEW NAME INC", file_date="02302024")])
    summary = import_sunbiz([snapshot, daily], tmp_path / "out", skip_bad=True)
    assert {f["record_id"]: f["entity_name"] for f in read_csv(tmp_path / "out" / "filings.csv")} == {
        "G1": "OLD NAME INC", "G2": "STEADY INC"}
    assert (summary.skipped, summary.kept_earlier, summary.replaced) == (1, 1, 0)
    result = CliRunner().invoke(app, ["import", "sunbiz", str(snapshot), str(daily), "--out", str(tmp_path / "cli"),
                                      "--skip-bad"])
    assert result.exit_code == 0 and "1 filings are written from an earlier record" in result.output


def test_a_bad_record_in_a_zip_is_named_by_archive_and_member(tmp_path):
    daily = write_zip(tmp_path / "daily.zip", {"a.txt": [record("Z1", "FINE INC")],
                                                "b.txt": [record("Z2", "FINE TOO INC"), record("Z3", "")]})
    with pytest.raises(ImportRejected) as caught:
        import_sunbiz([daily], tmp_path / "out")
    assert str(caught.value.errors[0]) == f"{daily}:b.txt:2: entity name (13-204): required field is empty"


def test_a_truncated_zip_is_rejected_and_nothing_is_written(tmp_path):
    whole = write_zip(tmp_path / "whole.zip", {"d.txt": [record(f"T{i}", f"TRUNCATED {i} INC") for i in range(50)]})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(FileRejected) as caught:
        import_sunbiz([cut], tmp_path / "out")
    assert str(cut) in str(caught.value) and "zip" in str(caught.value.errors[0])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_binary_garbage_is_rejected_as_records_that_are_not_latin_1_text(tmp_path):
    garbage = tmp_path / "garbage.txt"
    rng = random.Random(7)
    garbage.write_bytes(rng.randbytes(6000) + b"\n" + b"\x00\x01" * 720 + b"\n")
    with pytest.raises(ImportRejected) as caught:
        import_sunbiz([garbage], tmp_path / "out")
    messages = [str(e) for e in caught.value.errors]
    assert messages and all(m.startswith(f"{garbage}:") for m in messages)
    assert any("not Latin-1 text (byte 0x00 at position 1)" in m and "document number (1-12)" in m for m in messages)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_import_ingests_cleanly(tmp_path, fresh_warehouse):
    source = write_records(tmp_path / "snapshot.txt", [six_officer_record(), record("P2", "SECOND INC")])
    import_sunbiz([source], tmp_path / "out")
    report = ingest(tmp_path / "out", fresh_warehouse)
    assert report.ok and [(lf.file, lf.records) for lf in report.loaded] == [("filings.csv", 2), ("officers.csv", 7)]
    (extra,) = fresh_warehouse.rows("SELECT extra FROM officers WHERE record_id = 'P21000000042-2-director'")[0]
    assert json.loads(extra)["title_code"] == "DS"


def test_the_command_lists_problems_and_exits_non_zero_or_prints_a_summary(tmp_path):
    bad = write_records(tmp_path / "bad.txt", [record("B1", "BAD INC", file_date="99999999")])
    good = write_records(tmp_path / "good.txt", [record("G1", "GOOD INC", officers=[officer("P", "LARCH, EDDA")])])
    runner = CliRunner()
    failed = runner.invoke(app, ["import", "sunbiz", str(bad), "--out", str(tmp_path / "out")])
    assert failed.exit_code == 2
    assert "nothing written" in failed.output and "file date (473-480)" in failed.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    done = runner.invoke(app, ["import", "sunbiz", str(good), str(bad), "--out", str(tmp_path / "out"),
                               "--skip-bad", "--source", "fl_test"])
    assert done.exit_code == 0, done.output
    assert "records read: 2; filings: 1; officers: 1" in done.output and "bad records skipped: 1" in done.output
    assert read_csv(tmp_path / "out" / "filings.csv")[0]["source"] == "fl_test"


# -- end to end: an imported registry file through to an investigation packet -----------------
SPAS = (("F24000000101", "MOONGATE SPA LLC", "201 Coral Way"), ("F24000000102", "JADE LANTERN SPA LLC", "455 Palm Ave"),
        ("F24000000103", "SILK RIVER SPA LLC", "78 Bayshore Dr"))
CONTROLLER = "HALVERSEN, DORIAN"  # invented: the manager of all three spas
WORKER = "WREN, ISOLDE"  # invented: a licensed therapist signed up as president of one spa
REVIEW = "Rubbed and tugged, ask for the special. Door is locked, ring the bell. $40 tip expected."


def planted_network_registry() -> list[str]:
    """Three spas managed by one person, who shares a mailing address and a registered agent
    across them; a worker is signed up as president of one; an unrelated business elsewhere."""
    lines = []
    for i, (doc, name, address) in enumerate(SPAS):
        officers = [officer("MGR", CONTROLLER, address="12 Quarry Ln", city="Miami", zip5="33130")]
        if i == 0:
            officers.append(officer("P", WORKER, address=address, city="Miami", zip5="33131"))
        lines.append(record(
            doc, name, filing_type="FLAL", principal_address_1=address, principal_zip="33131",
            mailing_address_1="12 Quarry Ln", mailing_city="Miami", mailing_state="FL", mailing_zip="33130",
            registered_agent_name="TIDEMARK AGENT SERVICES LLC", registered_agent_type="C",
            registered_agent_address="12 Quarry Ln", registered_agent_city="Miami", registered_agent_state="FL",
            registered_agent_zip5="33130", officers=officers))
    lines.append(record("P24000000200", "ORCHARD DENTAL PA", principal_address_1="9 Elm St", principal_city="Orlando",
                        officers=[officer("P", "FENWICK, ODALYS", address="3 Birch Rd", city="Orlando")]))
    return lines


def test_an_imported_registry_file_names_the_planted_manager_as_a_network_controller(tmp_path, write_rows,
                                                                                     fresh_warehouse):
    from harborlight.indicators.scoring import score
    from harborlight.network.detect import find_networks
    from harborlight.resolve.stage import resolve
    from harborlight.respond.packet import write_packet

    registry = write_records(tmp_path / "snapshot.txt", planted_network_registry())
    import_sunbiz([registry], tmp_path / "records")
    listings = [{"source": "site", "record_id": f"L{i}", "site_kind": "review_board", "business_name": name.removesuffix(" LLC"),
                 "address": address, "city": "Miami", "state": "FL", "zip": "33131", "phone": f"305-555-01{i}0"}
                for i, (_, name, address) in enumerate(SPAS)]
    reviews = [{"source": "site", "record_id": f"L{i}-r{j}", "listing_record_id": f"L{i}", "posted_date": "2023-05-01",
                "reviewer": f"handle{i}{j}", "text": REVIEW} for i in range(len(SPAS)) for j in range(2)]
    licenses = [{"source": "board", "record_id": f"M{i}", "license_type": "therapist", "licensee_name": WORKER,
                 "license_number": "MA4242", "business_name": name.removesuffix(" LLC"), "address": address,
                 "city": "Miami", "state": "FL"} for i, (_, name, address) in enumerate(SPAS)]
    for record_type, rows in (("listings", listings), ("reviews", reviews), ("licenses", licenses)):
        write_rows(record_type, rows, folder=tmp_path / "records")
    assert ingest(tmp_path / "records", fresh_warehouse).ok
    resolve(fresh_warehouse)
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    (network_id,) = fresh_warehouse.rows("SELECT network_id FROM networks ORDER BY n_businesses DESC LIMIT 1")[0]
    json_path, html_path = write_packet(fresh_warehouse, network_id, tmp_path / "packet")
    packet = json.loads(json_path.read_text(encoding="utf-8"))
    assert any("HALVERSEN" in c["name"].upper() for c in packet["controllers"]), packet["controllers"]
    planted = {entity for (entity,) in fresh_warehouse.rows(
        "SELECT entity_id FROM record_entities WHERE record_type = 'officers' AND record_id LIKE 'F24%-1'")}
    assert len(planted) == 1 and planted <= {c["entity_id"] for c in packet["controllers"]}
    assert packet["potential_victims"] >= 1
    for text in (json_path.read_text(encoding="utf-8"), html_path.read_text(encoding="utf-8")):
        for secret in ("WREN", "Wren", "ISOLDE", "Isolde", "MA4242"):
            assert secret not in text
