"""`harborlight import ftm`: FollowTheMoney entities into contract files.

Every entity here is invented for the test (names, ids and the dataset `xx_sanctions_demo`).
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from harborlight.errors import FileRejected, UsageError
from harborlight.sources.ftm import import_ftm

DATASET = "xx_sanctions_demo"


def entity(eid: str, schema: str, datasets: list[str] | None = None, **props) -> dict:
    value = {"id": eid, "schema": schema,
             "properties": {k: v if isinstance(v, list) else [v] for k, v in props.items()}}
    if datasets is not None:
        value["datasets"] = datasets
    return value


def sanctioned_front() -> list[dict]:
    """An OpenSanctions-style slice: a sanctioned person who owns and directs a front company,
    their addresses as Address entities, a registered agent, and links that come before the
    entities they name (as in real exports, which are sorted by id, not by dependency)."""
    ds = [DATASET]
    return [
        entity("osx-own-1", "Ownership", ds, owner="osx-person-1", asset="osx-co-1", role="Shareholder"),
        entity("osx-dir-1", "Directorship", ds, director="osx-person-1", organization="osx-co-1",
               role="Managing Director"),
        entity("osx-rep-1", "Representation", ds, agent="osx-agent-1", client="osx-co-1", role="Registered Agent"),
        entity("osx-person-1", "Person", ds, name="Quillon Varrick", birthDate="1971-04-09",
               topics="sanction", addressEntity="osx-addr-home", nationality="us"),
        entity("osx-person-2", "Person", ds, name="Orla Denmoor", topics="sanction"),
        entity("osx-addr-home", "Address", ds, full="88 Tamarind Ct, Tampa, FL 33602", street="88 Tamarind Ct",
               city="Tampa", region="FL", postalCode="33602"),
        entity("osx-co-1", "Company", ds, name="VARRICK WELLNESS HOLDINGS LLC", incorporationDate="2018-05-02",
               status="Active", jurisdiction="us_fl", legalForm="Limited Liability Company",
               addressEntity="osx-addr-co", topics="sanction"),
        entity("osx-addr-co", "Address", ds, full="410 Harbor Blvd, Suite 3, Tampa, FL 33606",
               street="410 Harbor Blvd Suite 3", city="Tampa", region="FL", postalCode="33606"),
        entity("osx-agent-1", "Company", ds, name="GULFSIDE AGENT SERVICES INC",
               address="9 Bay St, Tampa, FL, 33602"),
        entity("osx-sanction-1", "Sanction", ds, entity="osx-person-1", authority="Invented Office"),
    ]


def write_jsonl(path: Path, values: list, raw_lines: tuple[str, ...] = ()) -> Path:
    text = "".join(json.dumps(v) + "\n" for v in values) + "".join(line + "\n" for line in raw_lines)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_companies_become_filings_and_links_become_officers_and_registered_agents(tmp_path):
    source = write_jsonl(tmp_path / "slice.ftm.json.gz", sanctioned_front())
    result = import_ftm([source], tmp_path / "out")

    (filing,) = read_csv(tmp_path / "out" / "filings.csv")
    assert filing["source"] == DATASET and filing["record_id"] == "osx-co-1"
    assert filing["entity_name"] == "VARRICK WELLNESS HOLDINGS LLC" and filing["entity_type"] == "llc"
    assert (filing["status"], filing["filed_date"], filing["jurisdiction"]) == ("active", "2018-05-02", "us")
    assert (filing["principal_address"], filing["principal_city"], filing["principal_state"],
            filing["principal_zip"]) == ("410 Harbor Blvd Suite 3", "Tampa", "FL", "33606")
    # The agent company is an agent only: it fills the filing's fields and is no filing itself.
    assert (filing["registered_agent_name"], filing["registered_agent_type"], filing["registered_agent_address"],
            filing["registered_agent_city"], filing["registered_agent_zip"]) == (
        "GULFSIDE AGENT SERVICES INC", "company", "9 Bay St", "Tampa", "33602")

    officers = {o["record_id"]: o for o in read_csv(tmp_path / "out" / "officers.csv")}
    assert set(officers) == {"osx-own-1", "osx-dir-1"}
    assert officers["osx-own-1"]["role"] == "owner" and officers["osx-dir-1"]["role"] == "manager"
    for officer in officers.values():
        assert officer["filing_record_id"] == "osx-co-1" and officer["name"] == "Quillon Varrick"
        assert officer["name_type"] == "person" and officer["birth_date"] == "1971-04-09"
        assert (officer["address"], officer["city"], officer["zip"]) == ("88 Tamarind Ct", "Tampa", "33602")
    # The person with no company in the file has no contract record; the Sanction is no record.
    assert result.skipped_persons == 1
    assert result.skipped_schemata == {"Sanction": 1}
    assert result.rows == {"filings.csv": 1, "officers.csv": 2, "licenses.csv": 0}


def test_a_company_owning_another_is_an_officer_of_name_type_company(tmp_path):
    ds = ["xx_registry"]
    source = write_jsonl(tmp_path / "owners.json", [
        entity("c1", "Company", ds, name="ALDER HOLDINGS INC"),
        entity("c2", "Organization", ds, name="ALDER SPA LLC"),
        entity("o1", "Ownership", ds, owner="c1", asset="c2"),
        entity("d1", "Directorship", ds, director="c1", organization="c2", role="Chief Executive Officer"),
    ])
    import_ftm([source], tmp_path / "out")
    officers = {o["record_id"]: o for o in read_csv(tmp_path / "out" / "officers.csv")}
    assert (officers["o1"]["role"], officers["o1"]["name_type"], officers["o1"]["name"]) == (
        "owner", "company", "ALDER HOLDINGS INC")
    assert officers["d1"]["role"] == "officer"
    assert {f["record_id"] for f in read_csv(tmp_path / "out" / "filings.csv")} == {"c1", "c2"}


def test_an_agent_company_with_directors_of_its_own_is_a_business_and_keeps_its_filing(tmp_path):
    ds = ["xx_registry"]
    source = write_jsonl(tmp_path / "agent.json", [
        entity("spa", "Company", ds, name="TERN SPA LLC"),
        entity("agent", "Company", ds, name="TERN FILINGS INC"),
        entity("pure-agent", "Company", ds, name="ONLY AN AGENT INC"),
        entity("r1", "Representation", ds, agent="agent", client="spa"),
        entity("r2", "Representation", ds, agent="pure-agent", client="agent"),
        entity("p1", "Person", ds, name="Wick Arbeth"),
        entity("d1", "Directorship", ds, director="p1", organization="agent"),
    ])
    report = import_ftm([source], tmp_path / "out")
    filings = {f["record_id"]: f for f in read_csv(tmp_path / "out" / "filings.csv")}
    assert set(filings) == {"spa", "agent"}  # the agent that is only an agent fills fields
    assert filings["spa"]["registered_agent_name"] == "TERN FILINGS INC"
    assert filings["agent"]["registered_agent_name"] == "ONLY AN AGENT INC"
    (director,) = read_csv(tmp_path / "out" / "officers.csv")
    assert (director["filing_record_id"], director["name"]) == ("agent", "Wick Arbeth")
    assert report.skipped_links == 0


def test_a_year_or_month_alone_is_kept_as_given_and_leaves_the_contract_date_empty(tmp_path):
    ds = ["xx_registry"]
    source = write_jsonl(tmp_path / "dates.json", [
        entity("c1", "Company", ds, name="YEARLY LLC", incorporationDate="2005", dissolutionDate="2019-03"),
        entity("c2", "Company", ds, name="DAILY LLC", incorporationDate="2005-06-07T00:00:00"),
    ])
    import_ftm([source], tmp_path / "out")
    filings = {f["record_id"]: f for f in read_csv(tmp_path / "out" / "filings.csv")}
    assert (filings["c1"]["filed_date"], filings["c1"]["status_date"]) == ("", "")
    assert (filings["c1"]["incorporation_date_given"], filings["c1"]["dissolution_date_given"]) == ("2005", "2019-03")
    assert filings["c2"]["filed_date"] == "2005-06-07"


def test_damaged_gzip_data_is_one_line_and_nothing_is_written(tmp_path):
    data = bytearray(gzip.compress(b'{"id": "c1", "schema": "Company", "properties": {}}\n' * 500))
    data[30] ^= 0xFF
    (tmp_path / "entities.json.gz").write_bytes(bytes(data))
    with pytest.raises(UsageError, match="damaged or truncated") as raised:
        import_ftm([tmp_path / "entities.json.gz"], tmp_path / "out", source="s")
    assert "Traceback" not in str(raised.value)
    assert not (tmp_path / "out" / "filings.csv").exists()


def test_a_json_array_and_the_source_option_for_entities_without_datasets(tmp_path):
    source = tmp_path / "aleph.json"
    source.write_text(json.dumps([entity("c1", "Company", name="BIRCH CO"),
                                  entity("p1", "Person", name="Ansel Brightwater"),
                                  entity("d1", "Directorship", director="p1", organization="c1")]), encoding="utf-8")
    import_ftm([source], tmp_path / "out", source="aleph_collection_7")
    assert {r["source"] for r in read_csv(tmp_path / "out" / "officers.csv")} == {"aleph_collection_7"}
    assert read_csv(tmp_path / "out" / "officers.csv")[0]["role"] == "director"  # no role: director


def test_an_entity_without_a_dataset_and_no_source_option_is_refused(tmp_path):
    source = write_jsonl(tmp_path / "aleph.json", [entity("c1", "Company", name="BIRCH CO")])
    with pytest.raises(FileRejected) as refused:
        import_ftm([source], tmp_path / "out")
    assert str(refused.value.errors[0]) == f"{source}:1: datasets: no dataset named: give --source"
    assert not (tmp_path / "out" / "filings.csv").exists()


BAD_LINES = ('{"id": "x1", "schema": "Company", "properties": {"name": ["CUT',
             '["not", "an", "object"]',
             '{"id": "x2", "schema": "Spaceship", "properties": {}}',
             '{"schema": "Company", "properties": {"name": ["NO ID CO"]}}')


def test_bad_lines_name_the_file_and_line_and_nothing_is_written(tmp_path):
    source = write_jsonl(tmp_path / "bad.jsonl", sanctioned_front(), BAD_LINES)
    first_bad = len(sanctioned_front()) + 1
    with pytest.raises(FileRejected) as refused:
        import_ftm([source], tmp_path / "out")
    messages = [str(e) for e in refused.value.errors]
    assert messages[0].startswith(f"{source}:{first_bad}: not valid JSON")
    assert messages[1:] == [f"{source}:{first_bad + 1}: not a JSON object",
                            f"{source}:{first_bad + 2}: schema: unknown schema 'Spaceship'",
                            f"{source}:{first_bad + 3}: id: missing: every entity needs an id"]
    assert refused.value.total == 4
    assert list((tmp_path / "out").iterdir()) == [] if (tmp_path / "out").exists() else True


def test_skip_bad_writes_the_good_lines_and_counts_the_rest(tmp_path):
    source = write_jsonl(tmp_path / "bad.jsonl", sanctioned_front(), BAD_LINES)
    result = import_ftm([source], tmp_path / "out", skip_bad=True)
    assert result.bad_lines == 4
    assert result.rows["filings.csv"] == 1 and result.rows["officers.csv"] == 2


def test_the_command_writes_the_files_and_says_what_it_skipped(tmp_path):
    from test_cli import harborlight

    write_jsonl(tmp_path / "slice.jsonl", sanctioned_front())
    result = harborlight("import", "ftm", "slice.jsonl", "--out", "records", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote filings.csv: 1 rows" in result.stdout and "wrote officers.csv: 2 rows" in result.stdout
    assert "skipped 1 person(s) tied to no company in the files" in result.stdout
    assert "skipped 1 Sanction entity" in result.stdout


def test_the_command_refuses_a_bad_file_in_one_line_per_problem(tmp_path):
    from test_cli import harborlight

    write_jsonl(tmp_path / "bad.jsonl", sanctioned_front(), BAD_LINES[:1])
    result = harborlight("import", "ftm", "bad.jsonl", "--out", "records", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"bad.jsonl:{len(sanctioned_front()) + 1}: not valid JSON" in result.stderr
    assert not (tmp_path / "records" / "filings.csv").exists()


def test_a_link_to_an_entity_not_in_the_files_is_a_warning_not_an_error(tmp_path):
    values = sanctioned_front() + [entity("osx-dir-9", "Directorship", [DATASET], director="osx-nobody",
                                          organization="osx-co-1")]
    source = write_jsonl(tmp_path / "slice.jsonl", values)
    result = import_ftm([source], tmp_path / "out")
    assert result.dangling_links == 1
    assert result.warnings == [f"{source}:{len(values)}: Directorship names an entity not in the files: skipped"]
    assert result.rows["officers.csv"] == 2


def test_a_sanctioned_person_and_the_same_person_as_an_officer_resolve_to_one_person(tmp_path, load_resolved,
                                                                                     fresh_warehouse):
    """The join the import is for: a person on a sanctions list is the officer of a massage business
    in a state registry. The sanctions entry holds what real ones do: a name, a home address and a
    date of birth (the import keeps it as the officer row's extra column `birth_date`, which
    resolution compares). The registry's officer row gives the name (family name first), the home
    address and, like some registries' exports, a date of birth. What makes the link: the person
    model joins the records on the name with the same street address (tried: the address alone
    is enough), or with the same date of birth (the date alone is enough too); the name alone is
    not (two people may share a name), and the records stay two persons."""
    import_ftm([write_jsonl(tmp_path / "sanctions.jsonl", sanctioned_front())], tmp_path / "imported")
    imported = {name: read_csv(tmp_path / "imported" / name) for name in ("filings.csv", "officers.csv")}
    registry = {
        "filings": [{"source": "xx_registry", "record_id": "L20000001", "entity_name": "PALM GLOW SPA LLC",
                     "entity_type": "llc", "status": "active", "principal_address": "77 Gulf Dr",
                     "principal_city": "Tampa", "principal_state": "FL", "principal_zip": "33607"}],
        "officers": [{"source": "xx_registry", "record_id": "L20000001-1", "filing_record_id": "L20000001",
                      "role": "manager", "name": "VARRICK, QUILLON", "name_type": "person",
                      "address": "88 Tamarind Court", "city": "Tampa", "state": "FL", "zip": "33602",
                      "birth_date": "1971-04-09"}],
    }
    load_resolved({"filings": imported["filings.csv"] + registry["filings"],
                   "officers": imported["officers.csv"] + registry["officers"]})
    persons = fresh_warehouse.rows(
        "SELECT source, record_id, entity_id FROM person_mentions WHERE record_type = 'officers' ORDER BY 1, 2")
    assert sorted((s, r) for s, r, _ in persons) == [("xx_registry", "L20000001-1"), (DATASET, "osx-dir-1"),
                                                     (DATASET, "osx-own-1")]
    assert len({entity_id for _, _, entity_id in persons}) == 1
