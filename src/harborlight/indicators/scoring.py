"""Combine indicators into a risk probability that decomposes into per-indicator contributions.

The model is logistic: log-odds = intercept + sum(weight x strength), where a business's
strength for an indicator is the strongest of its evidence (0..1). Each term is that
indicator's contribution, so every score can be read back indicator by indicator.

Default weights need no labels (`catalog.py` gives each one and why). `fit_from_labels`
learns weights from known outcomes instead: it treats businesses missing from the label
file as unlabelled, not as negatives, and calibrates the probabilities.

No single source can put a business in the high band: `corroboration.py` holds a
business whose evidence comes from fewer than two independent kinds of source just
below it.

Tables written: `indicator_evidence` (every triggering record), `business_scores`
(risk_score, risk_band, top_indicators, log-odds, whether the evidence is corroborated
and by which kinds of source) and `score_model` (the weights used).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from harborlight.errors import ContractError, UsageError
from harborlight.indicators.catalog import CO_LOCATED, CO_LOCATED_FROM_LOG_ODDS, Indicator, all_indicators, co_located_sql
from harborlight.indicators.corroboration import HELD_BELOW_HIGH, Corroboration, corroboration
from harborlight.stages import latest_run_id, record_run, records_fingerprint, require_fresh
from harborlight.stages.runs import fingerprint
from harborlight.warehouse import Warehouse

DEFAULT_INTERCEPT = -3.0  # about 5% before any evidence
TOP_INDICATORS = 3


@dataclass(frozen=True)
class Bands:
    """risk_band thresholds on risk_score: elevated from `elevated`, high from `high`."""

    elevated: float = 0.3
    high: float = 0.7

    def __post_init__(self) -> None:
        if not 0 < self.elevated < self.high < 1:
            raise UsageError(f"bands must satisfy 0 < elevated < high < 1, not {self.elevated}, {self.high}")

    def band(self, score: float) -> str:
        return "high" if score >= self.high else "elevated" if score >= self.elevated else "low"


@dataclass
class Model:
    intercept: float
    weights: dict[str, float]
    calibration: tuple[float, float] | None = None  # Platt: p = sigmoid(a * logit + b)
    fitted: bool = False

    def probability(self, logit: float) -> float:
        if self.calibration:
            a, b = self.calibration
            logit = a * logit + b
        return 1 / (1 + math.exp(-logit))


@dataclass
class ScoreReport:
    businesses: int
    bands: dict[str, int]
    evidence_rows: int
    model: Model
    notes: list[str] = field(default_factory=list)
    held_below_high: int = 0  # businesses whose score alone reached high, on one kind of source


def default_model(indicators: tuple[Indicator, ...] | None = None) -> Model:
    return Model(DEFAULT_INTERCEPT, {i.id: i.weight for i in indicators or all_indicators()})


EVIDENCE_SCHEMA = pa.schema([
    ("entity_id", pa.string()), ("indicator_id", pa.string()), ("strength", pa.float64()),
    ("record_type", pa.string()), ("source", pa.string()), ("record_id", pa.string()), ("excerpt", pa.string()),
])
SCORES_SCHEMA = pa.schema([
    ("entity_id", pa.string()), ("risk_score", pa.float64()), ("risk_band", pa.string()),
    ("top_indicators", pa.string()), ("log_odds", pa.float64()),
    ("corroborated", pa.bool_()), ("source_kinds", pa.string()), ("held_below_high", pa.bool_()),
])
MODEL_SCHEMA = pa.schema([("indicator_id", pa.string()), ("weight", pa.float64()), ("fitted", pa.bool_())])


def _table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(c, type=t) for c, t in zip(columns, schema.types)], schema=schema)


def collect_evidence(warehouse: Warehouse, indicators: tuple[Indicator, ...]) -> int:
    """Run every indicator and write `indicator_evidence`."""
    rows = [
        (r[0], indicator.id, float(r[1]), *r[2:]) for indicator in indicators for r in indicator.evidence(warehouse)
    ]
    rows.sort(key=lambda r: (r[0], r[1], r[3], r[4], r[5]))
    warehouse.write_arrow("indicator_evidence", _table(rows, EVIDENCE_SCHEMA))
    return len(rows)


def strengths(warehouse: Warehouse) -> dict[str, dict[str, float]]:
    """Each business entity's strongest evidence per indicator (businesses with none included)."""
    out: dict[str, dict[str, float]] = {e: {} for (e,) in warehouse.rows(
        "SELECT entity_id FROM entities WHERE kind = 'business' ORDER BY entity_id")}
    for entity_id, indicator_id, strength in warehouse.rows(
        "SELECT entity_id, indicator_id, max(strength) FROM indicator_evidence GROUP BY ALL"
    ):
        if entity_id in out:
            out[entity_id][indicator_id] = strength
    return out


def add_co_located_evidence(warehouse: Warehouse, features: dict[str, dict[str, float]], model: Model) -> int:
    """Second pass: a business active at the same premises and time as one the first pass flags."""
    first_pass = {e: log_odds(model, contributions(model, f)) for e, f in features.items()}
    rows = []
    for entity_id, neighbour, premises_id in warehouse.rows(co_located_sql()):
        if first_pass.get(neighbour, -math.inf) >= CO_LOCATED_FROM_LOG_ODDS and entity_id in features:
            note = f"at premises {premises_id} at the same time as {neighbour}"
            rows.append((entity_id, CO_LOCATED.id, 1.0, "premises", "premises", premises_id, note))
    for entity_id, *_ in rows:
        features[entity_id][CO_LOCATED.id] = 1.0
    if rows:
        warehouse.con.register("co_located", _table(sorted(set(rows)), EVIDENCE_SCHEMA))
        warehouse.run("INSERT INTO indicator_evidence SELECT * FROM co_located")
        warehouse.con.unregister("co_located")
    return len(set(rows))


def contributions(model: Model, features: dict[str, float]) -> dict[str, float]:
    return {i: model.weights.get(i, 0.0) * s for i, s in features.items() if model.weights.get(i, 0.0) * s}


def read_labels(path: Path) -> dict[str, bool]:
    """A CSV with columns entity_id and is_imb (true/false). Anything else is a clear error."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"entity_id", "is_imb"} <= set(reader.fieldnames):
                raise ContractError(path.name, 1, None, "a label file needs the columns entity_id and is_imb")
            labels = {}
            for line, row in enumerate(reader, start=2):
                value = (row["is_imb"] or "").strip().lower()
                if value not in ("true", "false"):
                    raise ContractError(path.name, line, "is_imb", f"{value[:20]!r} is not true or false")
                entity_id = (row["entity_id"] or "").strip()
                if not entity_id.startswith("biz-"):
                    raise ContractError(path.name, line, "entity_id", "not a business entity id (biz-...)")
                labels[entity_id] = value == "true"
    except UnicodeDecodeError:
        raise ContractError(path.name, 0, None, "is not valid UTF-8") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None
    return labels


def fit_from_labels(features: dict[str, dict[str, float]], labels: dict[str, bool], ids: list[str]) -> tuple[Model, list[str]]:
    """Logistic weights from known outcomes, positive-unlabelled, then Platt calibration.

    With known negatives, the model is fitted on the labelled businesses only. With
    positives alone, it is fitted positives against unlabelled and corrected by the
    Elkan-Noto constant c = mean score of the known positives (Elkan & Noto, KDD 2008).
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    notes = []
    known = [e for e in labels if e in features]
    if len(known) < len(labels):
        notes.append(f"{len(labels) - len(known)} labelled id(s) are not business entities here; ignored")
    positives = [e for e in known if labels[e]]
    negatives = [e for e in known if not labels[e]]
    if not positives:
        raise UsageError("the label file has no is_imb = true business that is in the warehouse: nothing to learn from")

    def matrix(entities):
        return np.array([[features[e].get(i, 0.0) for i in ids] for e in entities])

    if negatives:
        train = positives + negatives
        y = np.array([1] * len(positives) + [0] * len(negatives))
        c = 1.0
    else:
        unlabelled = [e for e in features if e not in labels]
        train = positives + unlabelled
        y = np.array([1] * len(positives) + [0] * len(unlabelled))
        notes.append("no known negatives: fitted positives against unlabelled (Elkan-Noto)")
    classifier = LogisticRegression(C=1.0, max_iter=1000)
    classifier.fit(matrix(train), y)
    if not negatives:
        c = float(np.mean(classifier.predict_proba(matrix(positives))[:, 1])) or 1.0
    weights = dict(zip(ids, (float(w) for w in classifier.coef_[0])))
    intercept = float(classifier.intercept_[0]) - math.log(c) if c < 1 else float(classifier.intercept_[0])
    model = Model(intercept, weights, fitted=True)
    if negatives and len(positives) >= 5 and len(negatives) >= 5:
        logits = np.array([[_logit(model, features[e])] for e in train])
        platt = LogisticRegression(C=1e6, max_iter=1000).fit(logits, y)
        model.calibration = (float(platt.coef_[0][0]), float(platt.intercept_[0]))
    else:
        notes.append("fewer than 5 known positives or negatives: probabilities are not Platt-calibrated")
    return model, notes


def _logit(model: Model, features: dict[str, float]) -> float:
    return log_odds(model, contributions(model, features))


def log_odds(model: Model, parts: dict[str, float]) -> float:
    """Intercept plus contributions, summed in indicator order so the result never depends on row order."""
    return model.intercept + sum(parts[k] for k in sorted(parts))


def _record_score_run(warehouse: Warehouse, labels_path: Path | None, bands: Bands) -> int:
    """The run reads the latest resolve, the records the indicators read, and when given the label
    file (recorded by its sha256)."""
    labels = fingerprint([labels_path.read_text(encoding="utf-8")]) if labels_path is not None else None
    return record_run(
        warehouse, "score",
        {"labels": labels_path.name if labels_path is not None else None, "labels_sha256": labels,
         "elevated": bands.elevated, "high": bands.high},
        records_fingerprint(warehouse, "score"), {"resolve": latest_run_id(warehouse, "resolve")},
    )


def score(
    warehouse: Warehouse, labels_path: Path | None = None, bands: Bands = Bands()
) -> ScoreReport:
    """Score every resolved business. Running it twice gives the same result."""
    require_fresh(warehouse, "resolve", what="score")
    indicators = all_indicators()
    notes: list[str] = []
    with warehouse.transaction():
        n_evidence = collect_evidence(warehouse, indicators)
        features = strengths(warehouse)
        model = default_model(indicators)
        n_evidence += add_co_located_evidence(warehouse, features, model)
        if labels_path is not None:
            model, notes = fit_from_labels(features, read_labels(labels_path), [i.id for i in indicators])
        sources = corroboration(warehouse, model.weights)
        rows = []
        counts = {"low": 0, "elevated": 0, "high": 0}
        held = 0
        for entity_id, feats in features.items():
            parts = contributions(model, feats)
            logit = log_odds(model, parts)
            probability = model.probability(logit)
            found = sources.get(entity_id, Corroboration({}))
            is_held = probability >= bands.high and not found.corroborated
            if is_held:
                probability = bands.high - HELD_BELOW_HIGH
                held += 1
            band = bands.band(probability)
            counts[band] += 1
            top = [i for i, c in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0])) if c > 0][:TOP_INDICATORS]
            rows.append((entity_id, probability, band, ";".join(top), logit,
                         found.corroborated, ";".join(found.counted), is_held))
        warehouse.write_arrow("business_scores", _table(rows, SCORES_SCHEMA))
        weights = [("(intercept)", model.intercept, model.fitted)] + [(i, w, model.fitted) for i, w in model.weights.items()]
        warehouse.write_arrow("score_model", _table(weights, MODEL_SCHEMA))
        _record_score_run(warehouse, labels_path, bands)
    return ScoreReport(len(rows), counts, n_evidence, model, notes, held)
