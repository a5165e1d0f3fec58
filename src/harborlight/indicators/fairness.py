"""The fairness audit: does the score flag legitimate businesses of one group more than the rest?

Among businesses not believed to be IMBs, the false-positive rate is the share in band
high. For each group, the audit reports its rate and the ratio of its rate to the rate of
everyone else; it fails when any point ratio exceeds 1.25 (victim-centered rules, section 2).

Groups come from an auditor (a CSV of entity_id, group, and optionally is_imb), or, on
the synthetic world, from its ground truth (`groups_from_truth`). harborlight itself never
holds a group for anyone: the audit reads it for the audit alone.

Each rate comes with its counts and a 95% interval, because a ratio of two small counts
is noisy and a pass on 3 flagged businesses out of 400 says less than it seems:
- a rate's interval is Wilson's score interval (it stays inside 0..1 and is sensible at
  0 or n flagged, where the textbook normal interval collapses to a point);
- a ratio's interval is Katz's log method: log(ratio) is about normal with standard error
  sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2). It needs a flagged business on both sides, so when
  either count of false positives is 0, half a business is added to each of the four
  cells of the 2x2 table (x + 0.5 flagged out of n + 1; Haldane and Anscombe's correction)
  for the interval only. With no false positive in either group the point ratio is 1 (no
  difference was seen) and the interval is wide, which is the honest answer: zero against
  zero says little about a ratio.
The same statistics serve `harborlight evaluate` (`compare_groups`), so they live here once.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

from harborlight.errors import ContractError, Stale, UsageError
from harborlight.truth import majority, read_truth
from harborlight.warehouse import Warehouse

MAX_RATIO = 1.25
CONFIDENCE = 0.95


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(flagged: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval for a proportion flagged / n; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = flagged / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_ratio(x1: int, n1: int, x2: int, n2: int) -> float:
    """(x1/n1) / (x2/n2): 1 when neither side has a flagged business, infinite when only the first has."""
    if n1 == 0 or n2 == 0:
        return math.nan
    if x2 == 0:
        return 1.0 if x1 == 0 else math.inf
    return (x1 / n1) / (x2 / n2)


def rate_ratio_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Katz's log interval for (x1/n1) / (x2/n2), with 0.5 added to each cell when a count is 0."""
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan
    a, m1, b, m2 = float(x1), float(n1), float(x2), float(n2)
    if x1 == 0 or x2 == 0:
        a, m1, b, m2 = a + 0.5, m1 + 1, b + 0.5, m2 + 1
    ratio = (a / m1) / (b / m2)
    spread = _z(confidence) * math.sqrt(1 / a - 1 / m1 + 1 / b - 1 / m2)
    return ratio * math.exp(-spread), ratio * math.exp(spread)


@dataclass(frozen=True)
class GroupRate:
    group: str
    businesses: int  # not believed to be IMBs
    false_positives: int  # of those, in band high
    rate: float
    ratio_to_rest: float  # this group's rate / the rate of all other groups together
    rate_low: float  # the rate's 95% Wilson interval
    rate_high: float
    rest_businesses: int  # the same counts for all other groups together
    rest_false_positives: int
    ratio_low: float  # the ratio's 95% Katz interval (nan when the rest is empty)
    ratio_high: float


@dataclass(frozen=True)
class AuditResult:
    groups: list[GroupRate]
    max_ratio: float = MAX_RATIO
    confidence: float = CONFIDENCE

    @property
    def passed(self) -> bool:
        """The rule is on the point ratios; the intervals say how much the verdict can be trusted."""
        return all(g.ratio_to_rest <= self.max_ratio for g in self.groups)

    def group(self, name: str) -> GroupRate | None:
        return next((g for g in self.groups if g.group == name), None)


def compare_groups(counts: Mapping[str, tuple[int, int]]) -> AuditResult:
    """Rates and ratios from group -> (businesses, false positives), each group against the rest."""
    total_n = sum(n for n, _ in counts.values())
    total_x = sum(x for _, x in counts.values())
    rates = []
    for group in sorted(counts):
        n, x = counts[group]
        rest_n, rest_x = total_n - n, total_x - x
        low, high = wilson_interval(x, n)
        ratio_low, ratio_high = rate_ratio_interval(x, n, rest_x, rest_n)
        rates.append(GroupRate(
            group, n, x, x / n if n else math.nan, rate_ratio(x, n, rest_x, rest_n), low, high,
            rest_n, rest_x, ratio_low, ratio_high,
        ))
    return AuditResult(rates)


def read_groups(path: Path) -> dict[str, tuple[str, bool | None]]:
    """entity_id -> (group, is_imb or None). Columns: entity_id, group, optional is_imb."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"entity_id", "group"} <= set(reader.fieldnames):
                raise ContractError(path.name, 1, None, "a groups file needs the columns entity_id and group")
            out: dict[str, tuple[str, bool | None]] = {}
            for line, row in enumerate(reader, start=2):
                group = (row["group"] or "").strip()
                if not group:
                    raise ContractError(path.name, line, "group", "group is empty")
                flag = (row.get("is_imb") or "").strip().lower()
                if flag not in ("", "true", "false"):
                    raise ContractError(path.name, line, "is_imb", f"{flag[:20]!r} is not true or false")
                out[(row["entity_id"] or "").strip()] = (group, None if not flag else flag == "true")
            return out
    except UnicodeDecodeError:
        raise ContractError(path.name, 0, None, "is not valid UTF-8") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None


def groups_from_truth(warehouse: Warehouse, world: Path) -> dict[str, tuple[str, bool | None]]:
    """On a synthetic world: each business entity's owner group and IMB status, from its records' truth."""
    truth = read_truth(world)
    votes: dict[str, Counter] = {}
    for record_type, source, record_id, entity_id in warehouse.rows(
        "SELECT record_type, source, record_id, entity_id FROM record_entities WHERE entity_kind = 'business'"
    ):
        true_id = truth.records.get((record_type, source, record_id))
        if true_id in truth.businesses:
            votes.setdefault(entity_id, Counter())[true_id] += 1
    out = {}
    for entity_id, counter in votes.items():
        business = truth.businesses[majority(counter)]
        if not business.storefront or not business.owner_group:
            continue  # not storefront businesses: nothing for the score to flag or spare
        out[entity_id] = (business.owner_group, business.is_imb)
    return out


def audit(warehouse: Warehouse, groups: dict[str, tuple[str, bool | None]]) -> AuditResult:
    if not warehouse.table_exists("business_scores"):
        raise Stale("businesses are not scored yet: run `harborlight score` first")
    bands = dict(warehouse.rows("SELECT entity_id, risk_band FROM business_scores"))
    totals: Counter = Counter()
    flagged: Counter = Counter()
    for entity_id, (group, is_imb) in groups.items():
        if is_imb or entity_id not in bands:
            continue  # only businesses not believed to be IMBs count
        totals[group] += 1
        flagged[group] += bands[entity_id] == "high"
    if len(totals) < 2:
        raise UsageError("the audit needs at least two groups of businesses not believed to be IMBs")
    return compare_groups({group: (totals[group], flagged[group]) for group in totals})
