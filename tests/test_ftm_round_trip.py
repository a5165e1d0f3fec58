"""The FollowTheMoney export validates, and an Aleph-style round trip (export, `import ftm`,
ingest, resolve, score, networks, export) loses nothing the export holds. What that means
exactly is the docstring of the round-trip test, and docs/cli.md."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from followthemoney import model

from harborlight.config import installation_key
from harborlight.export import export
from harborlight.indicators.scoring import score
from harborlight.ingest import ingest
from harborlight.network.detect import find_networks
from harborlight.resolve.stage import resolve
from harborlight.sources.ftm import LINK_ENDS, import_ftm
from harborlight.warehouse import Warehouse

PSEUDONYM = re.compile(r"^worker-[0-9a-f]{6}$")


def read_export(folder: Path) -> tuple[list[dict], dict[str, dict]]:
    """The export's lines, and its entities with fragments of one id merged (the located-at
    fragment of a company carries only its `addressEntity`)."""
    lines = [json.loads(line) for line in (folder / "entities.ftm.json").read_text(encoding="utf-8").splitlines()]
    merged: dict[str, dict] = {}
    for line in lines:
        entity = merged.setdefault(line["id"], {"schema": line["schema"], "properties": {}})
        for prop, values in line["properties"].items():
            kept = entity["properties"].setdefault(prop, [])
            kept.extend(v for v in values if v not in kept)
    return lines, merged


def assert_valid_followthemoney(lines: list[dict], merged: dict[str, dict]) -> None:
    """Every value valid for its property and schema, every required property present (on the
    entity its fragments make), every reference to an entity in the file."""
    for line in lines:
        schema = model.get(line["schema"])
        assert schema is not None, line["schema"]
        schema.validate(line)
        model.get_proxy(line, cleaned=False)  # raises on a property the schema does not have
    for entity_id, entity in merged.items():
        schema = model.get(entity["schema"])
        assert set(schema.required) <= set(entity["properties"]), (entity_id, schema.required)
        for prop_name, values in entity["properties"].items():
            if schema.properties[prop_name].type.name == "entity":
                assert all(v in merged for v in values), (entity_id, prop_name)


def first_export(networked_world: Path, out: Path) -> Path:
    key = installation_key(networked_world)
    with Warehouse(networked_world / "warehouse.duckdb", key, read_only=True) as warehouse:
        export(warehouse, "ftm", out)
    return out


def second_export(records: Path, data_dir: Path, out: Path) -> Path:
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        assert ingest(records, warehouse).ok
        resolve(warehouse)
        score(warehouse)
        find_networks(warehouse)
        export(warehouse, "ftm", out)
    return out


@pytest.fixture(scope="module")
def round_trip(networked_world, tmp_path_factory):
    """The small world's FtM export, its import and the export of the warehouse made from it."""
    tmp = tmp_path_factory.mktemp("ftm_round_trip")
    first = first_export(networked_world, tmp / "first")
    imported = import_ftm([first / "entities.ftm.json"], tmp / "records")
    second = second_export(tmp / "records", tmp / "data", tmp / "second")
    return read_export(first), imported, read_export(second), tmp / "data"


def withheld_references(data_dir: Path, record_ids) -> dict[str, str]:
    """A protected person's tie names its record by a keyed digest (export/shown.py): the digest,
    with the second warehouse's key, of each record id the import wrote, back to that id."""
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir), read_only=True) as warehouse:
        return {f"withheld-{warehouse.hash_handle(record_id)}": record_id for record_id in record_ids}


def test_every_exported_entity_is_valid_followthemoney(round_trip):
    (first_lines, first), _, (second_lines, second), _ = round_trip
    assert_valid_followthemoney(first_lines, first)
    assert_valid_followthemoney(second_lines, second)
    assert {e["schema"] for e in first.values()} == {
        "Company", "Person", "Address", "Directorship", "Ownership", "Representation", "Employment"}
    assert all(line.get("datasets") == ["harborlight"] for line in first_lines)


def shown(entity: dict) -> tuple:
    """What a company, agent or shown person is compared by: its name and address text."""
    props = entity["properties"]
    return entity["schema"], tuple(props.get("name", ())), tuple(props.get("address", ()))


def place_of_address(company: dict) -> tuple:
    """The street of a company's address text, as a premises names it (upper case)."""
    from harborlight.resolve.normalize import parse_address

    text = (company["properties"].get("address") or [""])[0].split(",")[0]
    parsed = parse_address(text)
    return ((parsed.street or "") + (f" #{parsed.unit}" if parsed.unit else ""),)


def place(entity: dict) -> tuple:
    props = entity["properties"]
    return tuple(tuple(props.get(p, ())) for p in ("full", "city", "region", "country"))


def test_a_round_trip_through_import_ftm_loses_nothing_the_export_holds(round_trip):
    """What is compared, modulo entity ids (harborlight makes its own) and pseudonyms (a pseudonym
    is made from the entity id):

    - **Links.** Every Directorship, Ownership, Representation and Employment of the first export
      comes back as exactly one link of the same schema and role, and no other link appears. The
      second export's `recordId` names the record the import made from the first link (an officer
      or license row whose record id is the link's id, or a filing row for a registered agent),
      which pairs them; for a protected person's tie it names that record by a keyed digest.
    - **Entities, through the links.** The pairs of links pair the entities at their ends. Every
      company (business or agent) and every shown person comes back as exactly one entity, with
      the same name and address text; no two entities of the first export come back as one;
      each company's Address entity comes back with the same street, city, region and country;
      and the Address entities are the same multiset.
    - **Protection.** The persons shown (ranked controllers) are the same names. Every protected
      person comes back protected: a pseudonym and no other property, never a name.

    Two things are not carried, on purpose, and are counted rather than hidden:
    - a Person with no tie in the export (here always a protected pseudonym: a worker whose
      license names no business harborlight found) has no contract record to become; the import
      skips and counts them (`skipped_persons`);
    - a protected person is exported as a pseudonym and nothing else (no address, no license
      number), so resolution has only that one-word name to join their ties by, and a name alone
      never joins two person records. A nominee who is both officer and registered agent of one
      filing (the registered-agent mention has no place at all) and a worker whose license and
      officer row are in different places come back as two pseudonyms, each protected, each tie
      kept. In the small world that is 439 of 2,206 tied protected persons (403 officer and agent
      of one filing). Carrying more would mean exporting what protection withholds.
    - a company's premises in a second building (a business that moved, joined by the first
      resolution on evidence the export does not hold): a filing at the other address would be
      another business to resolution, so it is not written (1 company in the small world).
    Scores and network ids (`notes`, `keywords`) are recomputed from what the warehouse holds and
    are not compared: the listings, reviews and licenses they came from are not in the export.

    This holds on this world (seed 11), not on every world: on variant b, seed 104, workers' ties
    (re-made by matching a license to a business by name or building), some companies' premises,
    and businesses made from the licenses behind ties not re-made, differ (docs/cli.md).
    """
    (_, first), imported, (_, second), data_dir = round_trip
    companies = {i for i, e in first.items() if e["schema"] == "Company"}
    first_links = {i: e for i, e in first.items() if e["schema"] in LINK_ENDS}
    second_links = {i: e for i, e in second.items() if e["schema"] in LINK_ENDS}
    first_agent_link = {}  # a company's first Representation, which went into its own filing row
    for link_id, link in first_links.items():
        if link["schema"] == "Representation":
            first_agent_link.setdefault(link["properties"]["client"][0], link_id)

    withheld = withheld_references(data_dir, set(first_links) | companies)
    pairs = {}
    for link_id, link in second_links.items():
        record_type, source, record_id = link["properties"]["recordId"][0].split(":", 2)
        assert source == "harborlight"
        record_id = withheld.get(record_id, record_id)
        old = first_agent_link.get(record_id, record_id) if record_type == "filings" else record_id
        assert old in first_links, link_id
        pairs[link_id] = old
    assert sorted(pairs.values()) == sorted(first_links), "every link back exactly once"

    same_as: dict[str, set[str]] = defaultdict(set)
    for new_id, old_id in pairs.items():
        new, old = second_links[new_id], first_links[old_id]
        assert (new["schema"], new["properties"].get("role")) == (old["schema"], old["properties"].get("role"))
        for prop in LINK_ENDS[old["schema"]]:
            same_as[old["properties"][prop][0]].add(new["properties"][prop][0])

    came_from: dict[str, set[str]] = defaultdict(set)
    for old_id, new_ids in same_as.items():
        for new_id in new_ids:
            came_from[new_id].add(old_id)
    assert all(len(old_ids) == 1 for old_ids in came_from.values()), "no two entities joined"

    ends = {o: [first_links[o]["properties"][end][0] for end in LINK_ENDS[first_links[o]["schema"]]]
            for o in pairs.values()}
    split_protected = 0
    split_kinds: Counter = Counter()  # the kinds of tie each split protected person had
    moved: list[tuple] = []
    for old_id, new_ids in same_as.items():
        old = first[old_id]
        old_protected = old["schema"] == "Person" and PSEUDONYM.match(old["properties"]["name"][0])
        if old_protected:
            for new_id in new_ids:
                assert second[new_id]["schema"] == "Person"
                assert list(second[new_id]["properties"]) == ["name"]
                assert PSEUDONYM.match(second[new_id]["properties"]["name"][0])
            if len(new_ids) > 1:
                split_protected += 1
                split_kinds[tuple(sorted({first_links[o]["schema"] for o, at in ends.items() if old_id in at}))] += 1
            continue
        assert len(new_ids) == 1, ("split", shown(old))
        (new_id,) = new_ids
        assert shown(second[new_id]) == shown(old)
        old_places = {place(first[p]) for p in old["properties"].get("addressEntity", [])}
        new_places = {place(second[p]) for p in second[new_id]["properties"].get("addressEntity", [])}
        assert new_places <= old_places, shown(old)
        for lost in old_places - new_places:
            # Only premises in another building than the company's address are not carried.
            assert lost[0] != place_of_address(old), shown(old)
            moved.append(lost)

    def places(entities: dict) -> Counter:
        return Counter(place(e) for e in entities.values() if e["schema"] == "Address")

    def shown_persons(entities: dict) -> list[str]:
        return sorted(e["properties"]["name"][0] for e in entities.values()
                      if e["schema"] == "Person" and not PSEUDONYM.match(e["properties"]["name"][0]))

    still_placed = set(places(second))
    assert places(second) == places(first) - Counter(p for p in set(moved) if p not in still_placed)
    assert len(moved) <= len(companies) // 100, "a move is the exception (see the docstring)"
    assert shown_persons(second) == shown_persons(first) != []

    untied = [e for i, e in first.items() if e["schema"] == "Person" and i not in same_as]
    assert imported.skipped_persons == len(untied)
    assert all(PSEUDONYM.match(e["properties"]["name"][0]) for e in untied)
    protected = sum(1 for i in same_as if first[i]["schema"] == "Person"
                    and PSEUDONYM.match(first[i]["properties"]["name"][0]))
    # A company with no tie has no link to pair it by: those are compared as a multiset.
    def untied_companies(entities: dict, tied: set[str]) -> Counter:
        return Counter((shown(e), frozenset(place(entities[p]) for p in e["properties"].get("addressEntity", [])))
                       for i, e in entities.items() if e["schema"] == "Company" and i not in tied)

    assert untied_companies(second, set(came_from)) == untied_companies(first, set(same_as))
    print(f"protected persons split: {split_protected} of {protected}; untied: {len(untied)}; "
          f"premises in a second building: {len(moved)}; {split_kinds}")
    # Every piece is protected (asserted above), and every tie still comes back: what a split loses
    # is that two pseudonymous ties are one person's. It happens only where the export withholds
    # what joined them: a registered-agent mention (no place at all) or a worker's license (no
    # street where premises are shared). A person tied only as an officer never comes back split.
    assert split_protected < protected
    assert all({"Representation", "Employment"} & set(kinds) for kinds in split_kinds), split_kinds
