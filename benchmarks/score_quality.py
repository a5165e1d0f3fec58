"""Risk-score quality on synthetic worlds, against a text-classifier baseline on the same run.

For two seeds that are not the default (7), at scale 1: resolve and score, then compare
each business's risk_score with the truth (a business entity takes the truth of most of
its records; holding companies and franchisors are left out). Reported for all
businesses, and separately for those with and without a review-board listing, since a
model that only sees review boards has the easy case.

Baseline, in the style of Diaz & Panangadan (2020): TF-IDF over all of a business's
review and post text, logistic regression, 5-fold cross-validated predictions on the
same businesses (it is trained on half the truth it is scored on, which flatters it).

Targets: AUC >= 0.95, precision at k >= 0.85 (k = the number of true IMBs), the Brier
score reported, and the fairness ratio <= 1.25.

    python benchmarks/score_quality.py [seed ...]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import cross_val_predict

from harborlight.config import installation_key
from harborlight.indicators.fairness import audit, groups_from_truth
from harborlight.indicators.scoring import score
from harborlight.ingest import ingest
from harborlight.resolve.stage import resolve
from harborlight.synth.world import generate
from harborlight.warehouse import Warehouse


def precision_at_k(y: np.ndarray, p: np.ndarray) -> float:
    k = int(y.sum())
    return float(y[np.argsort(-p, kind="stable")[:k]].mean()) if k else float("nan")


def metrics(y: np.ndarray, p: np.ndarray) -> str:
    if len(set(y)) < 2:
        return f"{'n/a':>7} {'n/a':>7} {'n/a':>7} {brier_score_loss(y, p):>7.3f}"
    return f"{roc_auc_score(y, p):>7.3f} {average_precision_score(y, p):>7.3f} {precision_at_k(y, p):>7.3f} {brier_score_loss(y, p):>7.3f}"


def run(seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate(world, seed=seed, scale=1.0)
        with Warehouse(Path(tmp) / "w.duckdb", installation_key(Path(tmp))) as warehouse:
            ingest(world, warehouse)
            resolve(warehouse)
            score(warehouse)
            truth = groups_from_truth(warehouse, world)
            fairness = audit(warehouse, truth)
            ids = sorted(truth)
            scores = dict(warehouse.rows("SELECT entity_id, risk_score FROM business_scores"))
            on_board = {e for (e,) in warehouse.rows(
                "SELECT DISTINCT entity_id FROM indicator_evidence WHERE indicator_id = 'sex_buyer_board_listing'")}
            texts = dict(warehouse.rows(
                """SELECT bm.entity_id, string_agg(r.text, ' ' ORDER BY r.source, r.record_id) FROM reviews r
                   JOIN business_mentions bm ON bm.record_type = 'listings' AND bm.source = r.source
                    AND bm.record_id = r.listing_record_id GROUP BY 1"""))
    y = np.array([truth[e][1] for e in ids], dtype=int)
    ours = np.array([scores[e] for e in ids])
    corpus = [texts.get(e, "") for e in ids]
    features = TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit_transform(corpus)
    baseline = cross_val_predict(LogisticRegression(max_iter=2000), features, y, cv=5, method="predict_proba")[:, 1]
    board = np.array([e in on_board for e in ids])
    print(f"seed {seed}: {len(ids)} businesses, {int(y.sum())} IMBs; fairness ratios "
          + ", ".join(f"{g.group} {g.ratio_to_rest:.2f}" for g in fairness.groups)
          + f" ({'passed' if fairness.passed else 'FAILED'})")
    print(f"  {'subset / model':<42} {'AUC':>7} {'AP':>7} {'P@k':>7} {'Brier':>7}")
    for label, mask in (("all", np.ones_like(board)), ("with a review-board listing", board), ("without one", ~board)):
        n = int(mask.sum())
        print(f"  {label + f' ({n}), harborlight':<42} {metrics(y[mask], ours[mask])}")
        print(f"  {label + f' ({n}), TF-IDF + LR baseline':<42} {metrics(y[mask], baseline[mask])}")


def main(seeds: list[int]) -> None:
    for seed in seeds:
        run(seed)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [21, 22])
