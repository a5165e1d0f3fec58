"""Measure harborlight's conclusions against the synthetic world's ground truth.

Pairwise scores: two records are a predicted pair when they share an entity, a true
pair when the truth gives them the same entity. Counting runs over the table of
(predicted, true) cluster intersections, so it never lists the pairs themselves.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harborlight.warehouse import Warehouse


@dataclass(frozen=True)
class PairwiseScore:
    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    true_pairs: int
    records: int


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(predicted: Mapping[object, object], truth: Mapping[object, object]) -> PairwiseScore:
    """Pairwise precision, recall and F1 over the records both mappings cover."""
    keys = [k for k in predicted if k in truth]
    both = Counter((predicted[k], truth[k]) for k in keys)
    tp = sum(_pairs(n) for n in both.values())
    predicted_pairs = sum(_pairs(n) for n in Counter(predicted[k] for k in keys).values())
    true_pairs = sum(_pairs(n) for n in Counter(truth[k] for k in keys).values())
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScore(precision, recall, f1, predicted_pairs, true_pairs, len(keys))


def truth_record_entities(world: Path) -> dict[tuple[str, str, str], str]:
    with (world / "truth" / "records.csv").open(encoding="utf-8", newline="") as f:
        return {(r["record_type"], r["source"], r["record_id"]): r["true_entity_id"] for r in csv.DictReader(f)}


def resolution_scores(warehouse: Warehouse, world: Path) -> dict[str, PairwiseScore]:
    """Business and person resolution of the records loaded from `world`, against its truth."""
    truth = truth_record_entities(world)
    scores = {}
    for kind in ("business", "person"):
        rows = warehouse.rows(
            "SELECT record_type, source, record_id, entity_id FROM record_entities WHERE entity_kind = ?", [kind]
        )
        predicted = {(t, s, r): e for t, s, r, e in rows}
        scores[kind] = pairwise_scores(predicted, truth)
    return scores
