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
from harborlight.synth.calibration import DEFAULT, MASSAGE_CATEGORIES
from harborlight.synth.measure import _name_key, measure_world, network_sizes
from harborlight.synth.variants import VARIANTS
from harborlight.synth.world import BRIDGE_SIZE, generate

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


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_same_seed_and_variant_give_identical_files(tmp_path, variant):
    generate(tmp_path / "a", seed=5, scale=0.3, variant=variant, prevalence=0.2)
    generate(tmp_path / "b", seed=5, scale=0.3, variant=variant, prevalence=0.2)
    names = all_files(tmp_path / "a")
    assert names == all_files(tmp_path / "b")
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_variant_b_is_another_world_with_the_same_truth_columns(tmp_path):
    generate(tmp_path / "standard", seed=5, scale=0.5)
    generate(tmp_path / "b", seed=5, scale=0.5, variant="b")
    for name in ("businesses", "persons", "records"):
        header = (tmp_path / "standard" / "truth" / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header == (tmp_path / "b" / "truth" / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
    cities = {name: {x["city"].title() for x in records(tmp_path / name, "listings")} for name in ("standard", "b")}
    assert not cities["standard"] & cities["b"]
    officers = {name: {o["name"] for o in records(tmp_path / name, "officers")} for name in ("standard", "b")}
    assert len(officers["standard"] & officers["b"]) < 0.05 * len(officers["b"])
    roles = {name: {p["role"] for p in truth(tmp_path / name, "persons")} for name in ("standard", "b")}
    assert roles["standard"] == roles["b"]


def test_variant_b_draws_on_its_own_parameter_set():
    standard, b = VARIANTS["standard"], VARIANTS["b"]
    assert standard.style.pools.family["chinese"] != b.style.pools.family["chinese"]
    assert standard.style.pools.common != b.style.pools.common
    assert standard.style.addresses.metros != b.style.addresses.metros
    assert standard.style.names.typo_rate != b.style.names.typo_rate
    assert standard.calibration.network_size_weights != b.calibration.network_size_weights
    for field in ("missing", "casing", "layout"):
        assert getattr(standard.style, field) != getattr(b.style, field)
    assert b.calibration.value("colocated_share") > standard.calibration.value("colocated_share")
    assert b.calibration.value("legit_turnover_share") > standard.calibration.value("legit_turnover_share")


def test_an_unknown_variant_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown variant"):
        generate(tmp_path, seed=1, scale=0.1, variant="nope")


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
    expected = {k: f.value for k, f in DEFAULT.figures.items()}
    assert set(measured) == set(expected)
    off = {k: (round(m.value, 3), expected[k], m.n) for k, m in measured.items() if not m.agrees_with(expected[k])}
    assert off == {}


def _doc_table(heading: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def test_documented_figures_match_the_calibration():
    table = _doc_table("## Calibration")
    documented = {k: float(v) for k, v in re.findall(r"^\| `(\w+)` \| ([0-9.]+) \|", table, re.MULTILINE)}
    assert documented == {k: f.value for k, f in DEFAULT.figures.items()}
    sources = dict(re.findall(r"^\| `(\w+)` \| [0-9.]+ \|(?: [0-9.]+ \|)? (.+) \|$", table, re.MULTILINE))
    assert sources == {k: f.source for k, f in DEFAULT.figures.items()}
    variant_b = {k: float(v) for k, v in re.findall(r"^\| `(\w+)` \| [0-9.]+ \| ([0-9.]+) \|", table, re.MULTILINE)}
    assert variant_b == {k: f.value for k, f in VARIANTS["b"].calibration.figures.items()}
    assert {k: f.source for k, f in VARIANTS["b"].calibration.figures.items()} == sources
    shares = dict(re.findall(r"^\| `(\w+)` \| (\d+)% \|", _doc_table("## What is in it"), re.MULTILINE))
    assert {k: int(v) / 100 for k, v in shares.items()} == DEFAULT.legit_shares


def test_networks_have_one_to_fifteen_businesses_and_one_to_three_controllers(small_world):
    sizes = network_sizes(small_world)
    assert min(sizes.values()) >= 1 and max(sizes.values()) <= 15
    assert any(s == 1 for s in sizes.values()) and any(s >= 8 for s in sizes.values())
    controllers = Counter(p["network_id"] for p in truth(small_world, "persons") if p["role"] == "controller")
    assert set(controllers) == set(sizes)
    assert set(controllers.values()) <= {1, 2, 3}


def test_imb_networks_show_the_control_patterns_of_the_field(phenomena_world):
    small_world = phenomena_world[1]  # at 10% prevalence a scale-1 world has too few networks for every pattern
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


# -- the phenomena of issue 10, on a larger world of each variant ---------------------------------

@pytest.fixture(scope="module", params=sorted(VARIANTS))
def phenomena_world(request, tmp_path_factory) -> tuple[str, Path]:
    """A world at scale 3 (about 3,000 businesses, 40 networks) of each variant, seed 23."""
    out = tmp_path_factory.mktemp(f"phenomena-{request.param}")
    generate(out, seed=23, scale=3.0, variant=request.param)
    return request.param, out


class WorldView:
    """The truth and records of a world, indexed the way these tests ask about them."""

    def __init__(self, folder: Path):
        self.businesses = {b["true_entity_id"]: b for b in truth(folder, "businesses")}
        self.persons = {p["true_entity_id"]: p for p in truth(folder, "persons")}
        self.true_id = {(r["record_type"], r["source"], r["record_id"]): r["true_entity_id"] for r in truth(folder, "records")}
        self.records = {name: records(folder, name) for name in ("filings", "officers", "licenses", "listings", "reviews")}

    def about(self, record_type: str, rec: dict) -> str:
        return self.true_id[(record_type, rec["source"], rec["record_id"])]

    def by_entity(self, record_type: str) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = defaultdict(list)
        for rec in self.records[record_type]:
            out[self.about(record_type, rec)].append(rec)
        return out


@pytest.fixture(scope="module")
def view(phenomena_world) -> WorldView:
    return WorldView(phenomena_world[1])


def test_every_figure_holds_on_each_variant(phenomena_world):
    name, folder = phenomena_world
    calibration = VARIANTS[name].calibration
    measured = measure_world(folder, calibration, VARIANTS[name].style)
    expected = {k: f.value for k, f in calibration.figures.items()}
    off = {k: (round(m.value, 3), expected[k], m.n) for k, m in measured.items() if not m.agrees_with(expected[k])}
    assert off == {}
    assert all(m.n >= 20 for m in measured.values()), {k: m.n for k, m in measured.items()}


def _street(address: str) -> str:
    """The street line up to the unit: what co-located businesses share."""
    return re.split(r",? (?:suite|ste\.?|unit|#)", address, flags=re.IGNORECASE)[0].strip().lower()


def test_colocated_businesses_share_a_street_address_and_phone_but_not_a_name_or_unit(view):
    buildings = defaultdict(list)
    for b in view.businesses.values():
        buildings[b["building_id"]].append(b)
    groups = [g for g in buildings.values() if len({b["premises_id"] for b in g}) >= 2]
    assert len(groups) >= 10
    listings = view.by_entity("listings")
    for group in groups:
        assert 2 <= len(group) <= 4
        assert len({b["phone"] for b in group}) == 1  # one switchboard
        assert all(b["is_imb"] == "false" for b in group)
        canonical = [x["address"] for b in group for x in listings[b["true_entity_id"]] if x["address"][0].isdigit()]
        names = {b["true_entity_id"]: {x["business_name"].lower() for x in listings[b["true_entity_id"]]} for b in group}
        named = [n for n in names.values() if n]
        assert all(not (a & c) for i, a in enumerate(named) for c in named[i + 1 :]), names
        streets = {_street(a) for a in canonical if a == a.title() or "Suite" in a or a[-1].isalpha()}
        assert len({s.split()[0] for s in streets}) <= 1  # one street number for the whole building


def test_colocated_businesses_are_open_at_the_same_time(view):
    filed = {view.about("filings", f): f for f in view.records["filings"]}
    buildings = defaultdict(list)
    for b in view.businesses.values():
        buildings[b["building_id"]].append(b)
    groups = [g for g in buildings.values() if len({b["premises_id"] for b in g}) >= 2]
    assert groups
    for group in groups:
        assert all(filed[b["true_entity_id"]]["status"] == "active" for b in group)


def test_successor_with_the_same_phone_is_a_different_business_with_a_new_name(view):
    by_premises = defaultdict(list)
    for b in view.businesses.values():
        by_premises[b["premises_id"]].append(b)
    filings = view.by_entity("filings")
    kept = {"imb": 0, "legit": 0}
    for group in by_premises.values():
        group.sort(key=lambda b: b["true_entity_id"])
        for before, after in zip(group, group[1:]):
            assert before["true_entity_id"] != after["true_entity_id"]
            if before["phone"] != after["phone"]:
                continue
            kept["imb" if after["is_imb"] == "true" else "legit"] += 1
            old, new = filings.get(before["true_entity_id"]), filings.get(after["true_entity_id"])
            if old and new:
                assert old[0]["record_id"] != new[0]["record_id"]
                assert old[0]["status"] != "active" and old[0]["status_date"] <= new[0]["filed_date"]
    assert kept["imb"] >= 3 and kept["legit"] >= 3


def test_one_booking_phone_is_advertised_by_several_locations_of_a_network(view):
    owners = defaultdict(set)
    for x in view.records["listings"]:
        b = view.businesses[view.about("listings", x)]
        digits = re.sub(r"\D", "", x.get("phone") or "")[-10:]
        if b["is_imb"] == "true" and digits and digits not in (b["phone"], "0000000000"):
            owners[digits].add((b["network_id"], b["premises_id"]))
    shared = [v for v in owners.values() if len({p for _, p in v}) > 1]
    assert shared and all(len({n for n, _ in v}) == 1 for v in shared)


def test_false_board_reviews_fall_on_legitimate_spas_more_often_when_east_asian_owned(view, phenomena_world):
    name, folder = phenomena_world
    measured = measure_world(folder, VARIANTS[name].calibration, VARIANTS[name].style)
    east, other = measured["false_board_review_share_east_asian"], measured["false_board_review_share_other"]
    assert 0 < other.value < east.value < 0.15
    boards = {x["record_id"]: view.about("listings", x) for x in view.records["listings"] if x["site_kind"] == "review_board"}
    posts = defaultdict(list)
    for r in view.records["reviews"]:
        if r["listing_record_id"] in boards:
            posts[boards[r["listing_record_id"]]].append(r["text"])
    legit = {b: texts for b, texts in posts.items() if view.businesses[b]["is_imb"] == "false"}
    assert legit and all(1 <= len(t) <= 2 for t in legit.values())
    assert {view.businesses[b]["category"] for b in legit} <= {"chain", "independent", "reflexology"}
    jargon = re.compile(r"\b(HJ|HE|FS|GFE|extras|happy ending|table shower|mamasan)\b", re.IGNORECASE)
    assert all(jargon.search(t) for texts in legit.values() for t in texts)


def test_a_worker_named_officer_on_several_filings_is_a_nominee_written_apart_from_her_license(view):
    filing_network = {(f["source"], f["record_id"]): view.businesses[view.about("filings", f)]["network_id"]
                      for f in view.records["filings"]}
    on_filings = defaultdict(set)
    officer_names = defaultdict(set)
    for o in view.records["officers"]:
        who = view.about("officers", o)
        if view.persons.get(who, {}).get("role") == "worker":
            on_filings[who].add((o["source"], o["filing_record_id"]))
            officer_names[who].add(o["name"])
    several = {w: f for w, f in on_filings.items() if len(f) >= 2}
    assert len(several) >= 3
    licenses = view.by_entity("licenses")
    apart = 0
    for w, filings in several.items():
        assert len(filings) <= 3
        assert view.persons[w]["is_nominee"] == "true"
        assert {filing_network[f] for f in filings} == {view.persons[w]["network_id"]}
        licensed_as = {x["licensee_name"] for x in licenses.get(w, [])}
        apart += bool(licensed_as) and not (licensed_as & officer_names[w])
    assert apart >= 1


def test_some_networks_show_controllers_only_as_agent_or_holding_manager(view):
    controllers = {p for p, v in view.persons.items() if v["role"] == "controller"}
    storefront_officers = set()
    filing_business = {(f["source"], f["record_id"]): view.about("filings", f) for f in view.records["filings"]}
    for o in view.records["officers"]:
        b = view.businesses[filing_business[(o["source"], o["filing_record_id"])]]
        if b["is_imb"] == "true":
            storefront_officers.add((b["network_id"], view.about("officers", o)))
    filed_networks = {view.businesses[b]["network_id"] for b in filing_business.values() if view.businesses[b]["is_imb"] == "true"}
    named = {n for n, who in storefront_officers if who in controllers}
    hidden = filed_networks - named
    assert hidden
    holdings = {b["network_id"] for b in view.businesses.values() if b["category"] == "holding"}
    person_agents = {view.businesses[view.about("filings", f)]["network_id"] for f in view.records["filings"]
                     if f.get("registered_agent_type") == "person" and view.businesses[view.about("filings", f)]["network_id"]}
    assert hidden <= holdings | person_agents


def test_a_worker_who_moved_keeps_her_first_network_and_bridges_two_large_networks(view):
    sizes = Counter(b["network_id"] for b in view.businesses.values() if b["is_imb"] == "true")
    moved = {p: v for p, v in view.persons.items() if v["also_network_id"]}
    assert moved
    licenses = view.by_entity("licenses")
    for p, v in moved.items():
        assert v["role"] == "worker" and v["network_id"] and v["also_network_id"] != v["network_id"]
        assert len(licenses[p]) >= 2
    assert any(sizes[v["network_id"]] >= BRIDGE_SIZE and sizes[v["also_network_id"]] >= BRIDGE_SIZE for v in moved.values())


def test_unrelated_people_share_very_common_names(view):
    by_key = defaultdict(set)
    for o in view.records["officers"]:
        if o.get("name_type") != "company":
            by_key[_name_key(o["name"])].add(view.about("officers", o))
    for x in view.records["licenses"]:
        if x["license_type"] == "therapist":
            by_key[_name_key(x["licensee_name"])].add(view.about("licenses", x))
    def context(p):
        return view.persons[p]["network_id"] or p
    shared = [ps for ps in by_key.values() if len({context(p) for p in ps}) >= 2]
    assert len(shared) >= 5
    groups_sharing = {view.persons[p]["role"] for ps in shared for p in ps}
    assert {"worker", "legit_owner"} <= groups_sharing


@pytest.mark.parametrize("prevalence", [0.05, 0.25])
def test_prevalence_sets_the_share_of_imbs_among_massage_businesses(tmp_path, prevalence):
    summary = generate(tmp_path, seed=9, scale=2.0, prevalence=prevalence)
    businesses = truth(tmp_path, "businesses")
    massage = [b for b in businesses if b["category"] in MASSAGE_CATEGORIES]
    share = sum(b["is_imb"] == "true" for b in massage) / len(massage)
    assert share == pytest.approx(prevalence, abs=0.01)
    counted = [b for b in businesses if b["category"] not in ("holding", "franchisor")]
    assert len(counted) == pytest.approx(2000, rel=0.03)
    assert summary.prevalence == prevalence


def test_default_prevalence_is_one_in_ten_massage_businesses(small_world):
    businesses = truth(small_world, "businesses")
    massage = [b for b in businesses if b["category"] in MASSAGE_CATEGORIES]
    assert sum(b["is_imb"] == "true" for b in massage) / len(massage) == pytest.approx(0.10, abs=0.01)
    legit = Counter(b["category"] for b in businesses if b["is_imb"] == "false" and b["category"] in DEFAULT.legit_shares)
    total = sum(legit.values())
    for category, share in DEFAULT.legit_shares.items():
        assert legit[category] / total == pytest.approx(share, abs=0.02), category


def test_the_synth_command_takes_a_variant_and_a_prevalence(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "HARBORLIGHT_DATA_DIR"}
    command = [sys.executable, "-c", "from harborlight.cli import main; main()", "synth", "--out", "world",
               "--seed", "3", "--scale", "1", "--variant", "b", "--prevalence", "0.3"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "variant b" in result.stdout and "prevalence 30%" in result.stdout
    massage = [b for b in truth(tmp_path / "world", "businesses") if b["category"] in MASSAGE_CATEGORIES]
    assert sum(b["is_imb"] == "true" for b in massage) / len(massage) == pytest.approx(0.3, abs=0.01)
    refused = subprocess.run([*command[:-4], "--variant", "nope"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "--variant must be one of" in refused.stderr
