"""Measure harborlight's conclusions against a synthetic world's ground truth.

`evaluate_export(export_dir, truth_dir)` reads only files, as an outside evaluator would:
the four CSV files of `harborlight export --format csv` (record_entities.csv,
businesses.csv, persons.csv, networks.csv) and the world's truth folder
(truth/records.csv, businesses.csv, persons.csv). `harborlight evaluate` prints the result.

Pairwise scores: two records are a predicted pair when they share an entity, a true pair
when the truth gives them the same entity; precision = true predicted pairs / predicted
pairs, recall = true predicted pairs / true pairs, F1 their harmonic mean. Counting runs
over the table of (predicted, true) cluster intersections, so it never lists the pairs.
Only records that both sides know are counted; with no pair at all a score is 1.

The figures (targets from issue 10 in brackets; "info" has no target):

- Business resolution [precision >= 0.97, F1 >= 0.97]: pairwise scores over the
  record_entities rows whose entity id starts `biz-` (filings, fictitious names,
  establishment licenses, listings, and officers that are companies).
- Person resolution [precision >= 0.98, F1 >= 0.95]: the same over rows whose entity id
  starts `per-` (officers that are people, therapist licenses).
- An entity's truth is the true entity of most of its records (a tie goes to the
  smallest true id). A true business's predicted network is the `network_id` (from
  businesses.csv) of the entities holding most of its business records; a tie goes to
  a network over none, then to the smallest id.
- Networks [pair F1 >= 0.95]: pairwise scores over the true businesses that belong to a
  true IMB network (truth businesses.csv network_id not empty, holding companies
  included). A true pair is two of them in the same true network, a predicted pair two
  of them with the same predicted network; one in no predicted network pairs with
  nothing. Legitimate businesses pulled into networks are counted by the next figure.
- Legitimate businesses in IMB networks [0]: true businesses that are not IMBs and
  belong to no true network, whose predicted network is also the predicted network of
  at least one true IMB. Such a predicted network is an "IMB network" below.
- Protected among controllers [0]: person entities listed in any network's
  controller_ids (networks.csv) whose truth is a worker or a nominee (role worker or
  nominee, or is_nominee true).
- Protected named in clear [0]: person entities of persons.csv with protected = false
  whose truth is a worker or a nominee.
- Controllers holding a protected person's record (info): listed controllers with at
  least one record whose truth is a worker or nominee, even if most records are not.
- Controller precision and recall (info): over the controllers of IMB networks whose
  truth is known (a controller known only as a registered agent has no record, so no
  truth; they are counted apart). Precision is the share whose truth is a controller or
  a manager; recall the share of true controllers and managers with at least one record
  in record_entities that are the truth of some listed controller.
- Risk [AUC >= 0.97, precision at k >= 0.90]: over scored business entities whose truth
  is a storefront business (not a holding company or franchisor), each labelled with its
  truth's is_imb: ROC AUC, average precision and the Brier score (scikit-learn), and
  precision at k with k = the number of true IMBs among them. Ties at the k-th score are
  shared out in proportion (the precision expected from a random order within the tie).
- Fairness [ratio <= 1.25]: among the same entities whose truth is not an IMB, the
  false-positive rate (the share in band high) per owner_group, with counts and a 95%
  Wilson interval, and the ratio of the east_asian rate to the rate of the rest, with a
  95% Katz log interval (zero counts: see indicators/fairness.py, whose statistics this uses).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from harborlight.errors import ContractError, UsageError
from harborlight.export.csv_export import safe_cell
from harborlight.indicators.fairness import MAX_RATIO, AuditResult, compare_groups
from harborlight.truth import Row, Truth, majority, read_checked_csv, read_truth, truth_folder, truth_record_entities
from harborlight.warehouse import Warehouse

__all__ = [
    "Evaluation", "evaluate_export", "pairwise_scores", "resolution_scores", "truth_record_entities",
]

BUSINESS_PREFIX, PERSON_PREFIX = "biz-", "per-"
FAIRNESS_GROUP = "east_asian"
CONTROL_ROLES = ("controller", "manager")
EXPORT_FILES = {  # the columns an evaluation reads from each export file
    "record_entities.csv": ("source", "record_id", "record_type", "entity_id"),
    "businesses.csv": ("entity_id", "risk_score", "risk_band", "network_id"),
    "persons.csv": ("entity_id", "protected"),
    "networks.csv": ("network_id", "controller_ids"),
}
BANDS = ("low", "elevated", "high")


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


# -- the figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkFigures:
    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    true_pairs: int
    businesses: int  # true businesses of true IMB networks
    true_networks: int
    imb_networks: int  # predicted networks holding at least one true IMB
    legit_in_imb_networks: int
    legit_in_imb_network_ids: list[str]  # their true ids


@dataclass(frozen=True)
class ProtectionFigures:
    protected_among_controllers: int
    protected_named: int
    controllers_holding_protected_records: int
    controllers: int  # distinct person entities among the controller_ids of IMB networks
    controllers_without_truth: int  # of those, with no record to take a truth from
    controller_precision: float | None
    controller_recall: float | None
    true_controllers: int  # true controllers and managers with a record in record_entities
    # The true ids (never names) of the workers and nominees counted above, to look into.
    protected_among_controllers_ids: list[str] = field(default_factory=list)
    protected_named_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RiskFigures:
    businesses: int
    imbs: int
    auc: float | None
    average_precision: float | None
    precision_at_k: float | None
    brier: float


@dataclass(frozen=True)
class FairnessFigures:
    audit: AuditResult
    group: str  # the group compared with the rest
    ratio: float | None  # its rate / the rest's rate; None when it has no legitimate business
    ratio_low: float | None
    ratio_high: float | None


@dataclass(frozen=True)
class Check:
    """One line of the evaluation table: a figure, its value and, when it has one, its target."""

    key: str
    figure: str
    value: float | None
    detail: str = ""
    target: str = ""
    met: bool | None = None


@dataclass(frozen=True)
class Evaluation:
    export_dir: str
    truth_dir: str
    business: PairwiseScore
    person: PairwiseScore
    networks: NetworkFigures
    protection: ProtectionFigures
    risk: RiskFigures | None  # None when the export holds no risk scores
    fairness: FairnessFigures | None  # None when there are no scored legitimate businesses
    notes: list[str] = field(default_factory=list)

    def checks(self) -> list[Check]:
        """Every figure in a fixed order, with its target and whether it is met."""
        b, p, n, pr = self.business, self.person, self.networks, self.protection
        checks = [
            _at_least("business.precision", "business resolution precision", b.precision, 0.97),
            Check("business.recall", "business resolution recall", b.recall),
            _at_least("business.f1", "business resolution F1", b.f1, 0.97),
            _at_least("person.precision", "person resolution precision", p.precision, 0.98),
            Check("person.recall", "person resolution recall", p.recall),
            _at_least("person.f1", "person resolution F1", p.f1, 0.95),
            Check("networks.precision", "network pair precision", n.precision),
            Check("networks.recall", "network pair recall", n.recall),
            _at_least("networks.f1", "network pair F1", n.f1, 0.95),
            _none("networks.legit_in_imb_networks", "legitimate businesses in IMB networks", n.legit_in_imb_networks),
            _none("protection.protected_among_controllers", "workers or nominees among controllers",
                  pr.protected_among_controllers),
            _none("protection.protected_named", "workers or nominees named in clear", pr.protected_named),
            Check("protection.controllers_holding_protected_records",
                  "controllers holding a worker's or nominee's record", pr.controllers_holding_protected_records),
            Check("protection.controller_precision", "controller precision (IMB networks)", pr.controller_precision,
                  f"{pr.controllers - pr.controllers_without_truth} with a truth, {pr.controllers_without_truth} without"),
            Check("protection.controller_recall", "controller recall (IMB networks)", pr.controller_recall,
                  f"of {pr.true_controllers} true controllers and managers with a record"),
        ]
        if self.risk is None:
            checks.append(Check("risk", "risk", None, "not scored", "AUC >= 0.97, P@k >= 0.90", False))
        else:
            r = self.risk
            checks += [
                _at_least("risk.auc", "risk ROC AUC", r.auc, 0.97, f"{r.imbs} IMBs of {r.businesses}"),
                Check("risk.average_precision", "risk average precision", r.average_precision),
                _at_least("risk.precision_at_k", "risk precision at k", r.precision_at_k, 0.90, f"k = {r.imbs}"),
                Check("risk.brier", "risk Brier score", r.brier),
            ]
        if self.fairness is None:
            checks.append(Check("fairness", "fairness", None, "no scored legitimate business", "ratio <= 1.25", False))
        else:
            f = self.fairness
            for g in f.audit.groups:
                checks.append(Check(
                    f"fairness.rate.{g.group}", f"false-positive rate, {g.group}", _finite(g.rate),
                    f"{g.false_positives} of {g.businesses}; 95% {_interval(g.rate_low, g.rate_high)}",
                ))
            met = f.ratio is not None and f.ratio <= MAX_RATIO
            detail = f"95% {_interval(f.ratio_low, f.ratio_high)}" if f.ratio is not None else f"no {f.group} group"
            checks.append(Check("fairness.ratio", f"false-positive rate ratio, {f.group} / rest", f.ratio, detail,
                                f"<= {MAX_RATIO}", met))
        return checks

    @property
    def targets_met(self) -> bool:
        return all(c.met for c in self.checks() if c.met is not None)

    def to_dict(self) -> dict:
        """Every figure, JSON-ready: non-finite numbers become null (an infinite fairness ratio, the
        group flagged while the rest is not, also sets ratio_is_infinite)."""
        fairness = None
        if self.fairness is not None:
            f = self.fairness
            fairness = {
                "group": f.group, "ratio": f.ratio, "ratio_low": f.ratio_low, "ratio_high": f.ratio_high,
                "ratio_is_infinite": f.ratio is not None and math.isinf(f.ratio),
                "max_ratio": f.audit.max_ratio, "confidence": f.audit.confidence,
                "groups": [
                    {"group": g.group, "businesses": g.businesses, "false_positives": g.false_positives,
                     "rate": g.rate, "rate_low": g.rate_low, "rate_high": g.rate_high}
                    for g in f.audit.groups
                ],
            }
        out = {
            "export": self.export_dir,
            "truth": self.truth_dir,
            "business_resolution": asdict(self.business),
            "person_resolution": asdict(self.person),
            "networks": asdict(self.networks),
            "protection": asdict(self.protection),
            "risk": asdict(self.risk) if self.risk is not None else None,
            "fairness": fairness,
            "targets": [
                {"key": c.key, "figure": c.figure, "value": c.value, "target": c.target, "met": c.met}
                for c in self.checks() if c.target
            ],
            "all_targets_met": self.targets_met,
            "notes": list(self.notes),
        }
        return _json_ready(out)


def _at_least(key: str, figure: str, value: float | None, target: float, detail: str = "") -> Check:
    return Check(key, figure, value, detail, f">= {target}", value is not None and value >= target)


def _none(key: str, figure: str, count: int) -> Check:
    return Check(key, figure, count, "", "0", count == 0)


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _interval(low: float | None, high: float | None) -> str:
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "interval undefined"
    return f"{low:.3f} to {high:.3f}"


def _json_ready(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


# -- reading the export ---------------------------------------------------------------------------


def _cell(value: str) -> str:
    """Undo the export's spreadsheet guard: a leading apostrophe the export added before =, +, -, @."""
    if value.startswith("'") and safe_cell(value[1:]) == value:
        return value[1:]
    return value


@dataclass
class _Export:
    records: dict[tuple[str, str, str], str]  # (record_type, source, record_id) -> entity id
    business_network: dict[str, str]  # business entity -> network id ('' for none)
    business_score: dict[str, float]  # scored business entities only
    business_band: dict[str, str]
    person_protected: dict[str, bool]
    controllers: dict[str, list[str]]  # network id -> controller person entity ids


def _read_export(folder: Path) -> _Export:
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder (an export: `harborlight export --format csv --out DIR`)")
    rows = {name: read_checked_csv(folder / name, columns) for name, columns in EXPORT_FILES.items()}
    clean = {name: [_clean_row(r) for r in table] for name, table in rows.items()}
    export = _Export({}, {}, {}, {}, {}, {})
    path = folder / "businesses.csv"
    for r in clean["businesses.csv"]:
        entity = r["entity_id"]
        export.business_network[entity] = r["network_id"]
        if r["risk_band"] and r["risk_band"] not in BANDS:
            raise ContractError(str(path), r.line, "risk_band", f"{r['risk_band'][:20]!r} is not one of {', '.join(BANDS)}")
        if r["risk_score"]:
            export.business_score[entity] = _probability(path, r, "risk_score")
            export.business_band[entity] = r["risk_band"]
    path = folder / "persons.csv"
    for r in clean["persons.csv"]:
        if r["protected"] not in ("true", "false"):
            raise ContractError(str(path), r.line, "protected", f"{r['protected'][:20]!r} is not true or false")
        export.person_protected[r["entity_id"]] = r["protected"] == "true"
    for r in clean["networks.csv"]:
        export.controllers[r["network_id"]] = [c.strip() for c in r["controller_ids"].split(";") if c.strip()]
    path = folder / "record_entities.csv"
    for r in clean["record_entities.csv"]:
        entity = r["entity_id"]
        known = export.business_network if entity.startswith(BUSINESS_PREFIX) else export.person_protected
        if entity.startswith((BUSINESS_PREFIX, PERSON_PREFIX)) and entity not in known:
            where = "businesses.csv" if entity.startswith(BUSINESS_PREFIX) else "persons.csv"
            raise ContractError(str(path), r.line, "entity_id", f"{entity[:40]!r} is not in {where}")
        export.records[(r["record_type"], r["source"], r["record_id"])] = entity
    return export


def _clean_row(row: Row) -> Row:
    out = Row((k, _cell(v)) for k, v in row.items())
    out.line = row.line
    return out


def _probability(path: Path, row: Row, column: str) -> float:
    try:
        value = float(row[column])
    except ValueError:
        raise ContractError(str(path), row.line, column, f"{row[column][:20]!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise ContractError(str(path), row.line, column, f"{value} is not between 0 and 1")
    return value


# -- computing the figures ------------------------------------------------------------------------


def evaluate_export(export_dir: Path, truth_dir: Path) -> Evaluation:
    """Every figure of the module docstring, from an export folder and a world (or truth) folder."""
    truth = read_truth(truth_dir)
    export = _read_export(export_dir)
    notes = []
    business_records = {k: e for k, e in export.records.items() if e.startswith(BUSINESS_PREFIX)}
    person_records = {k: e for k, e in export.records.items() if e.startswith(PERSON_PREFIX)}
    unknown = sum(1 for k in export.records if k not in truth.records)
    if unknown:
        notes.append(f"{unknown:,} exported records have no truth and are left out")
    business_truth = _entity_truth(business_records, truth.records, truth.businesses)
    person_truth = _entity_truth(person_records, truth.records, truth.persons)
    networks, imb_networks = _network_figures(business_records, export, truth)
    return Evaluation(
        export_dir=str(export_dir),
        truth_dir=str(truth_folder(truth_dir)),
        business=pairwise_scores(business_records, truth.records),
        person=pairwise_scores(person_records, truth.records),
        networks=networks,
        protection=_protection_figures(person_records, person_truth, export, truth, imb_networks),
        risk=_risk_figures(business_truth, export, truth, notes),
        fairness=_fairness_figures(business_truth, export, truth),
        notes=notes,
    )


def _entity_truth(records: dict, true_ids: dict, kind: Mapping[str, object]) -> dict[str, str]:
    """Each entity's truth: the true entity (of the given kind) of most of its records."""
    votes: dict[str, Counter] = {}
    for key, entity in records.items():
        true_id = true_ids.get(key)
        if true_id in kind:
            votes.setdefault(entity, Counter())[true_id] += 1
    return {entity: majority(counter) for entity, counter in votes.items()}


def _predicted_networks(business_records: dict, export: _Export, truth: Truth) -> dict[str, str]:
    """Each true business -> the network of the entities holding most of its records ('' for none)."""
    votes: dict[str, Counter] = {}
    for key, entity in business_records.items():
        true_id = truth.records.get(key)
        if true_id in truth.businesses:
            votes.setdefault(true_id, Counter())[export.business_network.get(entity, "")] += 1
    # A tie goes to a network over none, then to the smallest network id.
    return {t: min(c.items(), key=lambda kv: (-kv[1], kv[0] == "", kv[0]))[0] for t, c in votes.items()}


def _network_figures(business_records: dict, export: _Export, truth: Truth) -> tuple[NetworkFigures, set[str]]:
    predicted = _predicted_networks(business_records, export, truth)
    members = {t: b.network_id for t, b in truth.businesses.items() if b.network_id}
    # A business in no predicted network is a cluster of its own.
    clusters = {t: predicted.get(t) or f"none:{t}" for t in members}
    score = pairwise_scores(clusters, members)
    imb_networks = {predicted[t] for t, b in truth.businesses.items() if b.is_imb and predicted.get(t)}
    legit = sorted(
        t for t, b in truth.businesses.items()
        if not b.is_imb and not b.network_id and predicted.get(t) in imb_networks
    )
    figures = NetworkFigures(
        score.precision, score.recall, score.f1, score.predicted_pairs, score.true_pairs,
        len(members), len(set(members.values())), len(imb_networks), len(legit), legit,
    )
    return figures, imb_networks


def _protection_figures(
    person_records: dict, person_truth: dict[str, str], export: _Export, truth: Truth, imb_networks: set[str]
) -> ProtectionFigures:
    def protected(entity: str) -> bool:
        true_id = person_truth.get(entity)
        return true_id is not None and truth.persons[true_id].protected

    def true_ids(entities) -> list[str]:
        return sorted(person_truth[e] for e in entities if protected(e))

    listed = {c for ids in export.controllers.values() for c in ids}
    holding_protected = {
        e for k, e in person_records.items()
        if e in listed and truth.records.get(k) in truth.persons and truth.persons[truth.records[k]].protected
    }
    in_imb = {c for n, ids in export.controllers.items() if n in imb_networks for c in ids}
    with_truth = {c for c in in_imb if c in person_truth}
    right = {c for c in with_truth if truth.persons[person_truth[c]].role in CONTROL_ROLES}
    traceable = {
        truth.records[k] for k in person_records
        if truth.records.get(k) in truth.persons and truth.persons[truth.records[k]].role in CONTROL_ROLES
    }
    found = {person_truth[c] for c in right}
    named = [e for e, shown_protected in export.person_protected.items() if not shown_protected]
    return ProtectionFigures(
        protected_among_controllers=len(true_ids(listed)),
        protected_named=len(true_ids(named)),
        controllers_holding_protected_records=len(holding_protected),
        controllers=len(in_imb),
        controllers_without_truth=len(in_imb - with_truth),
        controller_precision=len(right) / len(with_truth) if with_truth else None,
        controller_recall=len(found & traceable) / len(traceable) if traceable else None,
        true_controllers=len(traceable),
        protected_among_controllers_ids=true_ids(listed),
        protected_named_ids=true_ids(named),
    )


def _storefront_entities(business_truth: dict[str, str], export: _Export, truth: Truth) -> list[tuple[str, bool]]:
    """(entity, is IMB) for scored entities whose truth is a storefront business, in id order."""
    return [
        (e, truth.businesses[t].is_imb) for e, t in sorted(business_truth.items())
        if truth.businesses[t].storefront and e in export.business_score
    ]


def _risk_figures(business_truth: dict[str, str], export: _Export, truth: Truth, notes: list[str]) -> RiskFigures | None:
    entities = _storefront_entities(business_truth, export, truth)
    if not entities:
        notes.append("the export holds no risk scores: run `harborlight score` before exporting")
        return None
    y = np.array([imb for _, imb in entities], dtype=int)
    p = np.array([export.business_score[e] for e, _ in entities])
    both = 0 < y.sum() < len(y)
    if not both:
        notes.append("every scored business has the same truth: AUC, AP and precision at k are undefined")
    return RiskFigures(
        businesses=len(y),
        imbs=int(y.sum()),
        auc=float(roc_auc_score(y, p)) if both else None,
        average_precision=float(average_precision_score(y, p)) if both else None,
        precision_at_k=precision_at_k(y, p) if y.sum() else None,
        brier=float(brier_score_loss(y, p)),
    )


def precision_at_k(y, p, k: int | None = None) -> float:
    """Share of true positives among the k highest scores (k = the number of positives by default).

    Scores tied with the k-th are taken in proportion: the expected precision over a random
    order within the tie, so the answer does not depend on how ties happen to be sorted.
    """
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    k = int(y.sum()) if k is None else k
    if k <= 0:
        raise ValueError("k must be positive")
    kth = np.sort(p)[::-1][k - 1]
    above, tied = p > kth, p == kth
    from_tie = k - int(above.sum())
    return float((y[above].sum() + from_tie * y[tied].mean()) / k)


def _fairness_figures(business_truth: dict[str, str], export: _Export, truth: Truth) -> FairnessFigures | None:
    counts: dict[str, list[int]] = {}
    for entity, is_imb in _storefront_entities(business_truth, export, truth):
        group = truth.businesses[business_truth[entity]].owner_group
        if is_imb or not group or not export.business_band.get(entity):
            continue
        cell = counts.setdefault(group, [0, 0])
        cell[0] += 1
        cell[1] += export.business_band[entity] == "high"
    if not counts:
        return None
    result = compare_groups({g: (n, x) for g, (n, x) in counts.items()})
    focus = result.group(FAIRNESS_GROUP)
    if focus is None or focus.rest_businesses == 0:
        return FairnessFigures(result, FAIRNESS_GROUP, None, None, None)
    return FairnessFigures(result, FAIRNESS_GROUP, focus.ratio_to_rest, focus.ratio_low, focus.ratio_high)
