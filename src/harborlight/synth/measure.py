"""Measure a written synthetic world against the figures it was calibrated to.

It reads the world back through the contract readers and the ground truth, so
it measures what a user of the files would see, not what the generator meant.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from harborlight.contract.readers import Row, find_record_files, read_rows
from harborlight.synth.calibration import DEFAULT, MASSAGE_CATEGORIES, Calibration
from harborlight.synth.style import Style
from harborlight.synth.variants import STANDARD_STYLE
from harborlight.synth.text import LATE_LEGIT_HOURS


@dataclass(frozen=True)
class Measured:
    value: float
    n: int  # how many cases the share was measured over

    def agrees_with(self, expected: float, sigmas: float = 4.0) -> bool:
        """Within `sigmas` binomial standard errors (plus a little) of `expected`."""
        spread = math.sqrt(max(expected * (1 - expected), 1e-9) / max(self.n, 1))
        return abs(self.value - expected) <= sigmas * spread + 0.01


def _truth(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "truth" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _records(folder: Path, record_type: str) -> list[dict[str, object]]:
    files, _ = find_record_files(folder)
    rows: list[dict[str, object]] = []
    for rf in files:
        if rf.record_type.name == record_type:
            rows.extend(item.values for item in read_rows(rf) if isinstance(item, Row))
    return rows


SINGLE_CATEGORIES = ("independent", "reflexology", "medical", "other")


def _share(hits: int, n: int) -> Measured:
    return Measured(hits / n if n else 0.0, n)


def network_sizes(folder: Path) -> dict[str, int]:
    """Businesses per IMB network (holding companies not counted)."""
    sizes: Counter[str] = Counter()
    for b in _truth(folder, "businesses"):
        if b["is_imb"] == "true":
            sizes[b["network_id"]] += 1
    return dict(sizes)


def _digits(text: object) -> str:
    return re.sub(r"\D", "", str(text or ""))[-10:]


def _name_key(text: str) -> str:
    """A written person name reduced so that order, case, punctuation, hyphens and middle
    initials do not matter: the sorted letters of its tokens longer than one letter."""
    tokens = [t for t in re.split(r"[\s,.]+", text.upper()) if len(t.replace("-", "")) > 1]
    return "".join(sorted("".join(tokens).replace("-", "")))


def _common_name_keys(style: Style) -> set[str]:
    keys = set()
    for group, names in style.pools.common.items():
        for given, family in names:
            for spelling in [family, *style.pools.family[group].get(family, [])]:
                keys.add(_name_key(f"{given} {spelling}"))
    return keys


def measure_world(folder: Path, calibration: Calibration = DEFAULT, style: Style = STANDARD_STYLE) -> dict[str, Measured]:
    """Every calibration figure as the written world shows it (keys equal calibration.figures)."""
    businesses = {b["true_entity_id"]: b for b in _truth(folder, "businesses")}
    persons = {p["true_entity_id"]: p for p in _truth(folder, "persons")}
    true_id = {(r["record_type"], r["source"], r["record_id"]): r["true_entity_id"] for r in _truth(folder, "records")}

    def entity(record_type: str, rec: dict[str, object]) -> str:
        return true_id.get((record_type, str(rec["source"]), str(rec["record_id"])), "")

    imbs = {i for i, b in businesses.items() if b["is_imb"] == "true"}
    massage = [b for b in businesses.values() if b["category"] in MASSAGE_CATEGORIES]
    officers_by_filing: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    officer_records = _records(folder, "officers")
    for o in officer_records:
        officers_by_filing[(str(o["source"]), str(o["filing_record_id"]))].append((str(o["role"]), entity("officers", o)))
    imb_filings = [(f, entity("filings", f)) for f in _records(folder, "filings")]
    imb_filings = [(f, b) for f, b in imb_filings if b in imbs]
    names_controller = names_owner = 0
    filings_per_network: Counter[str] = Counter()
    controller_named: set[str] = set()
    worker_filings: dict[tuple[str, str], set[str]] = defaultdict(set)  # (network, worker) -> filings
    for f, b in imb_filings:
        net = businesses[b]["network_id"]
        filings_per_network[net] += 1
        officers = officers_by_filing[(str(f["source"]), str(f["record_id"]))]
        has_controller = any(persons.get(who, {}).get("role") == "controller" for _, who in officers)
        names_controller += has_controller
        if has_controller:
            controller_named.add(net)
        names_owner += any(role in ("owner", "member") for role, _ in officers)
        for _, who in officers:
            if persons.get(who, {}).get("role") == "worker":
                worker_filings[(net, who)].add(str(f["record_id"]))
    multi_filing = {n for n, k in filings_per_network.items() if k >= 2}
    worker_officer_networks = {n for (n, _), filings in worker_filings.items() if len(filings) >= 2}

    listings = [(entity("listings", x), x) for x in _records(folder, "listings")]
    on_board = {b for b, x in listings if x["site_kind"] == "review_board"}
    licenses = _records(folder, "licenses")
    licensed = {entity("licenses", x) for x in licenses if x["license_type"] == "therapist"}
    imb_workers = [p for p, v in persons.items() if v["role"] == "worker" and v["network_id"]]
    networks = {b["network_id"] for b in businesses.values() if b["network_id"]}
    holding_networks = {b["network_id"] for b in businesses.values() if b["category"] == "holding"}
    sizes = network_sizes(folder)
    premises = Counter(businesses[b]["premises_id"] for b in imbs)
    reflexology = [b for b in businesses.values() if b["category"] == "reflexology"]
    independents = [b for b in businesses.values() if b["category"] == "independent"]
    foot_hours = {b: x.get("hours") for b, x in listings if businesses[b]["category"] == "reflexology" and x.get("hours")}
    network_groups = {b["network_id"]: b["owner_group"] for b in businesses.values() if b["is_imb"] == "true"}

    # Successors: a business at premises where an earlier one of the same kind (illicit or not) was.
    by_premises: dict[str, list[dict[str, str]]] = defaultdict(list)
    for b in businesses.values():
        by_premises[b["premises_id"]].append(b)
    imb_successors = legit_successors = imb_kept = legit_kept = 0
    for group in by_premises.values():
        if len(group) < 2:
            continue
        group = sorted(group, key=lambda b: b["true_entity_id"])  # ids count up in the order businesses open
        for before, after in zip(group, group[1:]):
            if after["is_imb"] == "true":
                imb_successors += 1
                imb_kept += after["phone"] == before["phone"]
            else:
                legit_successors += 1
                legit_kept += after["phone"] == before["phone"]
    singles = [b for b in businesses.values() if b["category"] in SINGLE_CATEGORIES]
    units_in_building: dict[str, set[str]] = defaultdict(set)
    for b in singles:
        units_in_building[b["building_id"]].add(b["premises_id"])
    colocated = [b for b in singles if len(units_in_building[b["building_id"]]) >= 2]

    # IMBs whose listings advertise a phone that is not their own line.
    listing_phones: dict[str, set[str]] = defaultdict(set)
    for b, x in listings:
        digits = _digits(x.get("phone"))
        if b in imbs and len(digits) == 10 and digits != "0000000000":
            listing_phones[b].add(digits)
    network_phone = sum(any(d != businesses[b]["phone"] for d in ds) for b, ds in listing_phones.items())

    legit_massage = [b for b in massage if b["is_imb"] == "false"]
    boards_east = [b["true_entity_id"] in on_board for b in legit_massage if b["owner_group"] == "east_asian"]
    boards_other = [b["true_entity_id"] in on_board for b in legit_massage if b["owner_group"] != "east_asian"]

    licensed_imb_workers = [p for p in imb_workers if p in licensed]
    moved = [p for p in licensed_imb_workers if persons[p].get("also_network_id")]

    common_keys = _common_name_keys(style)
    written_names: dict[str, list[str]] = defaultdict(list)
    for o in officer_records:
        if o.get("name_type") != "company":
            written_names[entity("officers", o)].append(str(o["name"]))
    for x in licenses:
        if x["license_type"] == "therapist":
            written_names[entity("licenses", x)].append(str(x["licensee_name"]))
    named_people = [p for p in written_names if p in persons and persons[p]["role"] != "agent_service"]
    common = sum(any(_name_key(n) in common_keys for n in written_names[p]) for p in named_people)

    return {
        "imb_prevalence": _share(len(imbs), len(massage)),
        "imb_filing_names_controller": _share(names_controller, len(imb_filings)),
        "imb_filing_names_owner": _share(names_owner, len(imb_filings)),
        "imb_has_filing": _share(len({b for _, b in imb_filings}), len(imbs)),
        "imb_reopened_share": _share(sum(k - 1 for k in premises.values()), sum(s - 1 for s in sizes.values())),
        "imb_successor_keeps_phone": _share(imb_kept, imb_successors),
        "imb_network_phone_share": _share(network_phone, len(listing_phones)),
        "imb_review_board_share": _share(len(on_board & imbs), len(imbs)),
        "network_holding_company_share": _share(len(holding_networks), len(networks)),
        "network_controllers_hidden_share": _share(
            len(set(filings_per_network) - controller_named), len(filings_per_network)
        ),
        "network_worker_officer_share": _share(len(worker_officer_networks & multi_filing), len(multi_filing)),
        "worker_licensed_share": _share(sum(p in licensed for p in imb_workers), len(imb_workers)),
        "worker_moved_share": _share(len(moved), len(licensed_imb_workers)),
        "colocated_share": _share(len(colocated), len(singles)),
        "legit_turnover_share": _share(legit_successors, len(singles)),
        "legit_successor_keeps_phone": _share(legit_kept, legit_successors),
        "false_board_review_share_other": _share(sum(boards_other), len(boards_other)),
        "false_board_review_share_east_asian": _share(sum(boards_east), len(boards_east)),
        "common_name_share": _share(common, len(named_people)),
        "east_asian_reflexology_owner_share": _share(
            sum(b["owner_group"] == "east_asian" for b in reflexology), len(reflexology)
        ),
        "east_asian_independent_owner_share": _share(
            sum(b["owner_group"] == "east_asian" for b in independents), len(independents)
        ),
        "east_asian_imb_controller_share": _share(
            sum(g == "east_asian" for g in network_groups.values()), len(network_groups)
        ),
        "late_hours_legit_foot_share": _share(
            sum(h in LATE_LEGIT_HOURS for h in foot_hours.values()), len(foot_hours)
        ),
    }
