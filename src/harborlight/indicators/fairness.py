"""The fairness audit: does the score flag legitimate businesses of one group more than the rest?

Among businesses not believed to be IMBs, the false-positive rate is the share in band
high. For each group, the audit reports its rate and the ratio of its rate to the rate of
everyone else; it fails when any ratio exceeds 1.25 (victim-centered rules, section 2).

Groups come from an auditor (a CSV of entity_id, group, and optionally is_imb), or, on
the synthetic world, from its ground truth (`groups_from_truth`). harborlight itself never
holds a group for anyone: the audit reads it for the audit alone.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harborlight.errors import ContractError, UsageError
from harborlight.evaluate import truth_record_entities
from harborlight.warehouse import Warehouse

MAX_RATIO = 1.25


@dataclass(frozen=True)
class GroupRate:
    group: str
    businesses: int  # not believed to be IMBs
    false_positives: int  # of those, in band high
    rate: float
    ratio_to_rest: float  # this group's rate / the rate of all other groups together


@dataclass(frozen=True)
class AuditResult:
    groups: list[GroupRate]
    max_ratio: float = MAX_RATIO

    @property
    def passed(self) -> bool:
        return all(g.ratio_to_rest <= self.max_ratio for g in self.groups)


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
    truth = truth_record_entities(world)
    with (world / "truth" / "businesses.csv").open(encoding="utf-8", newline="") as f:
        businesses = {r["true_entity_id"]: r for r in csv.DictReader(f)}
    votes: dict[str, Counter] = {}
    for record_type, source, record_id, entity_id in warehouse.rows(
        "SELECT record_type, source, record_id, entity_id FROM record_entities WHERE entity_kind = 'business'"
    ):
        true_id = truth.get((record_type, source, record_id))
        if true_id in businesses:
            votes.setdefault(entity_id, Counter())[true_id] += 1
    out = {}
    for entity_id, counter in votes.items():
        row = businesses[counter.most_common(1)[0][0]]
        if row["category"] in ("holding", "franchisor") or not row.get("owner_group"):
            continue  # not storefront businesses: nothing for the score to flag or spare
        out[entity_id] = (row["owner_group"], row["is_imb"] == "true")
    return out


def audit(warehouse: Warehouse, groups: dict[str, tuple[str, bool | None]]) -> AuditResult:
    if not warehouse.table_exists("business_scores"):
        raise UsageError("businesses are not scored yet: run `harborlight score` first")
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
    rates = []
    for group in sorted(totals):
        rate = flagged[group] / totals[group]
        rest_n = sum(n for g, n in totals.items() if g != group)
        rest_rate = sum(n for g, n in flagged.items() if g != group) / rest_n
        ratio = rate / rest_rate if rest_rate else (1.0 if rate == 0 else float("inf"))
        rates.append(GroupRate(group, totals[group], flagged[group], rate, ratio))
    return AuditResult(rates)
