"""Why an entity's records were joined: its mentions, and for each join the levels and weights.

This is Splink's waterfall in data: for each scored pair that joined two mentions, the
prior, then each comparison's level (its label) and match weight, with any
term-frequency adjustment, summing to the pair's match weight. The CLI prints it as
text; the web UI can render the same `Explanation`.

A protected person's mentions are listed by record reference only: the names,
addresses and license numbers that the records hold are never part of an explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harborlight.errors import UsageError
from harborlight.protection import protected_sql_for, pseudonym
from harborlight.resolve.stage import PREFIXES
from harborlight.warehouse import Warehouse


@dataclass
class MentionLine:
    unique_id: str
    record_type: str
    source: str
    record_id: str
    name: str | None
    address: str | None


@dataclass
class Step:
    comparison: str
    label: str
    weight: float  # log2 Bayes factor, term-frequency adjustment included


@dataclass
class Join:
    left: str
    right: str
    match_weight: float
    match_probability: float
    prior_weight: float
    steps: list[Step] = field(default_factory=list)


@dataclass
class Explanation:
    entity_id: str
    kind: str
    shown_name: str
    protected: bool
    mentions: list[MentionLine]
    joins: list[Join]
    premises: list[tuple[str, str]] = field(default_factory=list)  # premises_id, street


def _model_of(entity_id: str) -> str:
    for model, prefix in PREFIXES.items():
        if entity_id.startswith(prefix):
            return model
    raise UsageError(f"{entity_id!r} is not an entity id (they start with {', '.join(PREFIXES.values())})")


def explain_entity(warehouse: Warehouse, entity_id: str) -> Explanation:
    model = _model_of(entity_id)
    if not warehouse.table_exists(f"{model}_mentions"):
        raise UsageError("entities are not resolved yet: run `harborlight resolve` first")
    rows = warehouse.dicts(
        f"SELECT unique_id, record_type, source, record_id, raw_name, raw_address FROM {model}_mentions "
        "WHERE entity_id = ? ORDER BY priority, unique_id",
        [entity_id],
    )
    if not rows:
        raise UsageError(f"no entity {entity_id}")
    protected = model == "person" and bool(
        warehouse.rows(f"SELECT 1 FROM ({protected_sql_for(warehouse)}) WHERE entity_id = ?", [entity_id])
    )
    mentions = [
        MentionLine(
            r["unique_id"], r["record_type"], r["source"], r["record_id"],
            None if protected else r["raw_name"], None if protected else r["raw_address"],
        )
        for r in rows
    ]
    shown = pseudonym(entity_id) if protected else (mentions[0].name or entity_id)
    joins = _joins(warehouse, model, entity_id)
    premises = []
    if model == "business":
        premises = warehouse.rows(
            "SELECT bp.premises_id, p.street FROM business_premises bp JOIN premises p USING (premises_id) "
            "WHERE bp.entity_id = ? ORDER BY bp.premises_id",
            [entity_id],
        )
    return Explanation(entity_id, model, shown, protected, mentions, joins, premises)


def _joins(warehouse: Warehouse, model: str, entity_id: str) -> list[Join]:
    levels = {
        (c, g): label
        for c, g, label in warehouse.rows(
            "SELECT comparison, gamma, label FROM resolution_levels WHERE model = ?", [model]
        )
    }
    comparisons = sorted({c for c, _ in levels})
    columns = {d[0] for d in warehouse.run(f"SELECT * FROM {model}_edges LIMIT 0").description}
    edges = warehouse.dicts(
        f"""SELECT e.* FROM {model}_edges e
        JOIN {model}_mentions l ON l.unique_id = e.unique_id_l
        JOIN {model}_mentions r ON r.unique_id = e.unique_id_r
        WHERE l.entity_id = ? AND r.entity_id = ?
        ORDER BY e.match_weight DESC, e.unique_id_l, e.unique_id_r""",
        [entity_id, entity_id],
    )
    joins = []
    for edge in edges:
        steps = []
        for c in comparisons:
            if f"gamma_{c}" not in columns:
                continue
            weight = (edge.get(f"mw_{c}") or 0.0) + (edge.get(f"mw_tf_adj_{c}") or 0.0)
            steps.append(Step(c, levels.get((c, edge[f"gamma_{c}"]), "?"), weight))
        prior = edge["match_weight"] - sum(s.weight for s in steps)
        joins.append(Join(edge["unique_id_l"], edge["unique_id_r"], edge["match_weight"], edge["match_probability"], prior, steps))
    return joins


def _ref(unique_id: str) -> str:
    return unique_id.replace("\x1f", ":")


def explanation_text(ex: Explanation) -> list[str]:
    """The explanation as lines of text, for the terminal."""
    head = f"{ex.entity_id}  {ex.kind}  {ex.shown_name}"
    lines = [head + ("  (protected: identity withheld)" if ex.protected else ""), "", f"records ({len(ex.mentions)}):"]
    for m in ex.mentions:
        detail = "" if ex.protected else "  " + " | ".join(x for x in (m.name, m.address) if x)
        lines.append(f"  {_ref(m.unique_id)}{detail}")
    for premises_id, street in ex.premises:
        lines.append(f"premises: {premises_id}  {street}")
    if not ex.joins:
        lines += ["", "joins: none (a single record)"]
    for j in ex.joins:
        lines += ["", f"join {_ref(j.left)} ~ {_ref(j.right)}: match weight {j.match_weight:+.2f}, probability {j.match_probability:.4f}"]
        lines.append(f"  {'prior (two random records match)':<58} {j.prior_weight:+7.2f}")
        for s in j.steps:
            lines.append(f"  {s.comparison + ': ' + s.label:<58} {s.weight:+7.2f}")
    return lines
