"""The synthetic world: deterministic, fully accounted for in its ground truth, and calibrated as documented."""

from __future__ import annotations

import csv
import filecmp
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from harborlight.contract.readers import Row, find_record_files, read_rows
from harborlight.contract.schema import RECORD_TYPES
from harborlight.synth.calibration import DEFAULT
from harborlight.synth.measure import measure_world, network_sizes
from harborlight.synth.world import generate

DOC = Path(__file__).parent.parent / "docs" / "synthetic-world.md"


def truth(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "truth" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def records(folder: Path, record_type: str) -> list[dict]:
    files, _ = find_record_files(folder)
    (rf,) = [f for f in files if f.record_type.name == record_type]
    return [item.values for item in read_rows(rf) if isinstance(item, Row)]


def all_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_same_seed_gives_identical_files(tmp_path):
    generate(tmp_path / "a", seed=3, scale=0.3)
    generate(tmp_path / "b", seed=3, scale=0.3)
    names = all_files(tmp_path / "a")
    assert names == all_files(tmp_path / "b")
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_same_seed_gives_identical_gzip_files(tmp_path):
    generate(tmp_path / "a", seed=3, scale=0.1, fmt="jsonl", compressed=True)
    generate(tmp_path / "b", seed=3, scale=0.1, fmt="jsonl", compressed=True)
    for name in all_files(tmp_path / "a"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_another_seed_gives_another_world(tmp_path):
    generate(tmp_path / "a", seed=3, scale=0.1)
    generate(tmp_path / "b", seed=4, scale=0.1)
    assert (tmp_path / "a" / "filings.csv").read_bytes() != (tmp_path / "b" / "filings.csv").read_bytes()


def test_every_record_written_appears_in_the_truth_once(small_world):
    written = Counter()
    for record_type in RECORD_TYPES:
        for rec in records(small_world, record_type):
            written[(record_type, rec["source"], rec["record_id"])] += 1
    in_truth = Counter((r["record_type"], r["source"], r["record_id"]) for r in truth(small_world, "records"))
    assert written == in_truth
    assert max(written.values()) == 1


def test_truth_names_only_entities_it_describes(small_world):
    known = {b["true_entity_id"] for b in truth(small_world, "businesses")}
    known |= {p["true_entity_id"] for p in truth(small_world, "persons")}
    named = {r["true_entity_id"] for r in truth(small_world, "records") if r["true_entity_id"]}
    assert named <= known


def test_every_record_type_and_site_kind_is_present(small_world):
    for record_type in RECORD_TYPES:
        assert records(small_world, record_type), record_type
    kinds = Counter(x["site_kind"] for x in records(small_world, "listings"))
    assert set(kinds) == {"review_site", "review_board", "ad_site", "directory"}


def test_calibration_figures_hold_in_a_generated_world(small_world):
    measured = measure_world(small_world)
    expected = {"imb_share": DEFAULT.category_shares["imb"], **{k: f.value for k, f in DEFAULT.figures.items()}}
    assert set(measured) == set(expected)
    off = {k: (round(m.value, 3), expected[k], m.n) for k, m in measured.items() if not m.agrees_with(expected[k])}
    assert off == {}


def test_documented_figures_match_the_calibration():
    documented = dict(re.findall(r"^\| `(\w+)` \| ([0-9.]+) \|", DOC.read_text(encoding="utf-8"), re.MULTILINE))
    expected = {"imb_share": DEFAULT.category_shares["imb"], **{k: f.value for k, f in DEFAULT.figures.items()}}
    assert {k: float(v) for k, v in documented.items() if k in expected} == expected
    categories = dict(re.findall(r"^\| `(\w+)` \| (\d+)% \|", DOC.read_text(encoding="utf-8"), re.MULTILINE))
    assert {k: int(v) / 100 for k, v in categories.items()} == DEFAULT.category_shares


def test_networks_have_one_to_fifteen_businesses_and_one_to_three_controllers(small_world):
    sizes = network_sizes(small_world)
    assert min(sizes.values()) >= 1 and max(sizes.values()) <= 15
    assert any(s == 1 for s in sizes.values()) and any(s >= 8 for s in sizes.values())
    controllers = Counter(p["network_id"] for p in truth(small_world, "persons") if p["role"] == "controller")
    assert set(controllers) == set(sizes)
    assert set(controllers.values()) <= {1, 2, 3}


def test_imb_networks_show_the_control_patterns_of_the_field(small_world):
    persons = {p["true_entity_id"]: p for p in truth(small_world, "persons")}
    businesses = {b["true_entity_id"]: b for b in truth(small_world, "businesses")}
    true_id = {(r["record_type"], r["source"], r["record_id"]): r["true_entity_id"] for r in truth(small_world, "records")}
    # Workers signed up as officers (nominees).
    officer_ids = {true_id[("officers", o["source"], o["record_id"])] for o in records(small_world, "officers")}
    worker_nominees = [p for p in officer_ids if persons.get(p, {}).get("role") == "worker"]
    assert worker_nominees and all(persons[p]["is_nominee"] == "true" for p in worker_nominees)
    # Workers licensed at more than one business of their network (rotation).
    places = defaultdict(set)
    for lic in records(small_world, "licenses"):
        if lic["license_type"] == "therapist" and lic.get("business_name"):
            places[lic["license_number"]].add(lic["business_name"])
    assert any(len(v) > 1 for v in places.values())
    # Holding companies named as company officers of IMB filings.
    holdings = {b for b, v in businesses.items() if v["category"] == "holding"}
    assert holdings & officer_ids
    # Shared booking phones across listings of different businesses of one network.
    phone_owners = defaultdict(set)
    for x in records(small_world, "listings"):
        b = businesses[true_id[("listings", x["source"], x["record_id"])]]
        if b["network_id"] and x.get("phone"):
            phone_owners[re.sub(r"\D", "", x["phone"])[-10:]].add(b["true_entity_id"])
    assert any(len(v) > 1 for v in phone_owners.values())


def test_chains_share_a_brand_an_agent_and_a_franchisor(small_world):
    businesses = {b["true_entity_id"]: b for b in truth(small_world, "businesses")}
    true_id = {(r["record_type"], r["source"], r["record_id"]): r["true_entity_id"] for r in truth(small_world, "records")}
    franchisors = {b for b, v in businesses.items() if v["category"] == "franchisor"}
    chain_filings = {}
    for f in records(small_world, "filings"):
        b = true_id[("filings", f["source"], f["record_id"])]
        if businesses[b]["category"] == "chain":
            chain_filings[(f["source"], f["record_id"])] = f
    members = defaultdict(set)
    for o in records(small_world, "officers"):
        if (o["source"], o["filing_record_id"]) in chain_filings and o.get("name_type") == "company":
            members[true_id[("officers", o["source"], o["record_id"])]].add((o["source"], o["filing_record_id"]))
    assert set(members) <= franchisors and len(members) >= 2
    for filings in members.values():
        agents = {chain_filings[k]["registered_agent_name"] for k in filings}
        assert len(agents) == 1 and len(filings) >= 5


def test_commercial_agents_serve_many_unrelated_businesses(small_world):
    served = Counter(
        f["registered_agent_name"] for f in records(small_world, "filings") if f.get("registered_agent_type") == "company"
    )
    assert served.most_common(1)[0][1] >= 100


def test_legitimate_reviews_mention_styles_of_massage(small_world):
    businesses = {b["true_entity_id"]: b for b in truth(small_world, "businesses")}
    true_id = {(r["record_type"], r["source"], r["record_id"]): r["true_entity_id"] for r in truth(small_world, "records")}
    legit_texts = [
        r["text"] for r in records(small_world, "reviews")
        if businesses[true_id[("reviews", r["source"], r["record_id"])]]["is_imb"] == "false"
    ]
    for word in ("Chinese", "Thai", "Korean"):
        assert any(word in t for t in legit_texts), word


def test_names_carry_romanization_order_and_typo_noise(small_world):
    names = [o["name"] for o in records(small_world, "officers") if o.get("name_type") != "company"]
    assert any("," in n for n in names)  # LAST, FIRST
    assert any("," not in n for n in names)
    joined = " ".join(names).upper()
    assert re.search(r"\b(CHANG|CHEUNG)\b", joined) and re.search(r"\bZHANG\b", joined)
    assert any("-" in n for n in names)


def test_the_world_loads_cleanly_through_the_contract(small_world, fresh_warehouse):
    from harborlight.ingest import ingest

    report = ingest(small_world, fresh_warehouse)
    assert report.ok, [str(e) for r in report.rejected for e in r.errors[:3]]
    assert report.ignored == []


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_size_grows_linearly_with_scale(tmp_path, scale):
    base = generate(tmp_path / "one", seed=5, scale=1.0)
    other = generate(tmp_path / "other", seed=5, scale=scale)
    ratio = sum(other.records.values()) / sum(base.records.values())
    assert ratio == pytest.approx(scale, rel=0.15)
    assert other.businesses == pytest.approx(scale * base.businesses, rel=0.1)
