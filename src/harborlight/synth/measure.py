"""Measure a written synthetic world against the figures it was calibrated to.

It reads the world back through the contract readers and the ground truth, so
it measures what a user of the files would see, not what the generator meant.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from harborlight.contract.readers import Row, find_record_files, read_rows
from harborlight.synth.calibration import DEFAULT, Calibration
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


def _share(hits: int, n: int) -> Measured:
    return Measured(hits / n if n else 0.0, n)


def network_sizes(folder: Path) -> dict[str, int]:
    """Businesses per IMB network (holding companies not counted)."""
    sizes: Counter[str] = Counter()
    for b in _truth(folder, "businesses"):
        if b["is_imb"] == "true":
            sizes[b["network_id"]] += 1
    return dict(sizes)


def measure_world(folder: Path, calibration: Calibration = DEFAULT) -> dict[str, Measured]:
    businesses = {b["true_entity_id"]: b for b in _truth(folder, "businesses")}
    persons = {p["true_entity_id"]: p for p in _truth(folder, "persons")}
    true_id = {(r["record_type"], r["source"], r["record_id"]): r["true_entity_id"] for r in _truth(folder, "records")}

    def entity(record_type: str, rec: dict[str, object]) -> str:
        return true_id.get((record_type, str(rec["source"]), str(rec["record_id"])), "")

    imbs = {i for i, b in businesses.items() if b["is_imb"] == "true"}
    counted = [b for b in businesses.values() if b["category"] not in ("holding", "franchisor")]
    officers_by_filing: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for o in _records(folder, "officers"):
        officers_by_filing[(str(o["source"]), str(o["filing_record_id"]))].append((str(o["role"]), entity("officers", o)))
    imb_filings = [(f, entity("filings", f)) for f in _records(folder, "filings")]
    imb_filings = [(f, b) for f, b in imb_filings if b in imbs]
    names_controller = names_owner = 0
    for f, _ in imb_filings:
        officers = officers_by_filing[(str(f["source"]), str(f["record_id"]))]
        names_controller += any(persons.get(who, {}).get("role") == "controller" for _, who in officers)
        names_owner += any(role in ("owner", "member") for role, _ in officers)

    listings = [(entity("listings", x), x) for x in _records(folder, "listings")]
    on_board = {b for b, x in listings if x["site_kind"] == "review_board"}
    licensed = {entity("licenses", x) for x in _records(folder, "licenses") if x["license_type"] == "therapist"}
    imb_workers = [p for p, v in persons.items() if v["role"] == "worker" and v["network_id"]]
    networks = {b["network_id"] for b in businesses.values() if b["network_id"]}
    holding_networks = {b["network_id"] for b in businesses.values() if b["category"] == "holding"}
    sizes = network_sizes(folder)
    premises = Counter(businesses[b]["premises_id"] for b in imbs)
    reflexology = [b for b in businesses.values() if b["category"] == "reflexology"]
    independents = [b for b in businesses.values() if b["category"] == "independent"]
    foot_hours = {b: x.get("hours") for b, x in listings if businesses[b]["category"] == "reflexology" and x.get("hours")}
    network_groups = {b["network_id"]: b["owner_group"] for b in businesses.values() if b["is_imb"] == "true"}

    return {
        "imb_share": _share(len(imbs), len(counted)),
        "imb_filing_names_controller": _share(names_controller, len(imb_filings)),
        "imb_filing_names_owner": _share(names_owner, len(imb_filings)),
        "imb_has_filing": _share(len({b for _, b in imb_filings}), len(imbs)),
        "imb_reopened_share": _share(sum(k - 1 for k in premises.values()), sum(s - 1 for s in sizes.values())),
        "imb_review_board_share": _share(len(on_board & imbs), len(imbs)),
        "network_holding_company_share": _share(len(holding_networks), len(networks)),
        "worker_licensed_share": _share(sum(p in licensed for p in imb_workers), len(imb_workers)),
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
