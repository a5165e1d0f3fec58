"""Why an entity's records were joined: its mentions, and for each join the levels and weights.

This is Splink's waterfall in data: for each scored pair that joined two mentions, the
prior, then each comparison's level (its label) and match weight, with any
term-frequency adjustment, summing to the pair's match weight. The CLI prints it as
text; the web UI can render the same `Explanation`.

Protection (protection.py) decides what an explanation may hold, before and after the
network stage alike: a protected person (anyone not decided `shown`) is named by pseudonym
and their mentions are listed by record reference only, with no name, address or license
number. Every other text (business names, addresses, streets, record references) is
redacted of protected names in any case, order or romanization, and the finished text is
checked once more (`Protection.refuse`) before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harborlight.errors import NotFound, Stale, UsageError
from harborlight.protection import Protection
from harborlight.resolve.mentions import SEP, record_key_parts
from harborlight.resolve.stage import PREFIXES
from harborlight.stages import require_fresh
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
class ContextJoin:
    """A join made by the person context pass (resolve/context.py): compatible names, a shared tie."""

    left: str
    right: str
    name_rule: str
    tie_kind: str  # license, business, premises, address, agent, mailing or phone
    tie_node: str | None  # None when withheld (a protected person's license number or address)
    tie_businesses: int
    left_tie: str  # how the left mention is tied: "officer named on the filing filings:fl_sunbiz:P1 -> biz-..."
    right_tie: str


@dataclass
class Explanation:
    entity_id: str
    kind: str
    shown_name: str
    protected: bool
    mentions: list[MentionLine]
    joins: list[Join]
    premises: list[tuple[str, str]] = field(default_factory=list)  # premises_id, street
    context_joins: list[ContextJoin] = field(default_factory=list)


def _model_of(entity_id: str) -> str:
    for model, prefix in PREFIXES.items():
        if entity_id.startswith(prefix):
            return model
    raise UsageError(f"{entity_id!r} is not an entity id (they start with {', '.join(PREFIXES.values())})")


def explain_entity(warehouse: Warehouse, entity_id: str, protection: Protection | None = None) -> Explanation:
    """Why `entity_id`'s records were joined. A caller that holds the warehouse's `Protection` passes it."""
    model = _model_of(entity_id)
    if not warehouse.table_exists(f"{model}_mentions"):
        raise Stale("entities are not resolved yet: run `harborlight resolve` first")
    # Joins explained for records that changed since are no longer the joins: refuse, as every reader does.
    require_fresh(warehouse, "resolve", what="explain")
    rows = warehouse.dicts(
        f"SELECT unique_id, record_type, source, record_id, raw_name, raw_address FROM {model}_mentions "
        "WHERE entity_id = ? ORDER BY priority, unique_id",
        [entity_id],
    )
    if not rows:
        raise NotFound(f"no entity {entity_id}: ids come from `harborlight export` or `harborlight network`")
    protection = protection or Protection(warehouse)
    protected = model == "person" and protection.is_protected(entity_id)
    redact = protection.redact
    mentions = [
        MentionLine(
            redact(r["unique_id"]), r["record_type"], redact(r["source"]), redact(r["record_id"]),
            None if protected else redact(r["raw_name"]), None if protected else redact(r["raw_address"]),
        )
        for r in rows
    ]
    shown = protection.label(entity_id, mentions[0].name or entity_id) if model == "person" else (mentions[0].name or entity_id)
    joins = [
        Join(redact(j.left), redact(j.right), j.match_weight, j.match_probability, j.prior_weight, j.steps)
        for j in _joins(warehouse, model, entity_id)
    ]
    premises = []
    if model == "business":
        premises = [(premises_id, redact(street)) for premises_id, street in warehouse.rows(
            "SELECT bp.premises_id, p.street FROM business_premises bp JOIN premises p USING (premises_id) "
            "WHERE bp.entity_id = ? ORDER BY bp.premises_id",
            [entity_id],
        )]
    context = [
        ContextJoin(redact(c.left), redact(c.right), c.name_rule, c.tie_kind, redact(c.tie_node), c.tie_businesses,
                    redact(c.left_tie), redact(c.right_tie))
        for c in (_context_joins(warehouse, entity_id, protected) if model == "person" else [])
    ]
    explanation = Explanation(entity_id, model, shown, protected, mentions, joins, premises, context)
    # The second line of defence: nothing above should have let an identity through.
    protection.refuse(f"explain {entity_id}", [], explanation_text(explanation))
    return explanation


# Nodes that can hold a person's own identifiers or address: withheld for a protected person.
_PRIVATE_TIES = ("license", "mailing", "address")


def context_joins_sql() -> str:
    """The person context pass's joins inside one entity (the entity id, twice)."""
    return """
    SELECT e.* FROM person_context_edges e
    JOIN person_mentions l ON l.unique_id = e.unique_id_l
    JOIN person_mentions r ON r.unique_id = e.unique_id_r
    WHERE l.entity_id = ? AND r.entity_id = ?
    ORDER BY e.unique_id_l, e.unique_id_r"""


def _context_joins(warehouse: Warehouse, entity_id: str, protected: bool) -> list[ContextJoin]:
    if not warehouse.table_exists("person_context_edges"):
        return []
    rows = warehouse.dicts(context_joins_sql(), [entity_id, entity_id])

    def tie(row: dict, side: str) -> str:
        how, business = row[f"how_{side}"], row[f"business_{side}"]
        record = ":".join((row[f"record_type_{side}"], row[f"source_{side}"], row[f"record_id_{side}"]))
        return f"{how} ({record})" + (f" -> {business}" if business else "")

    return [
        ContextJoin(
            r["unique_id_l"], r["unique_id_r"], r["name_rule"], r["tie_kind"],
            None if protected and r["tie_kind"] in _PRIVATE_TIES else r["tie_node"],
            r["tie_businesses"], tie(r, "l"), tie(r, "r"),
        )
        for r in rows
    ]


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
    """A mention's key as `record_type:source:record_id`; a separator inside a record id (from
    hostile input) is shown as the visible text `\\x1f`, never as a control character."""
    return ":".join(part.replace(SEP, "\\x1f") for part in record_key_parts(unique_id))


def explanation_text(ex: Explanation) -> list[str]:
    """The explanation as lines of text, for the terminal."""
    head = f"{ex.entity_id}  {ex.kind}  {ex.shown_name}"
    lines = [head + ("  (protected: identity withheld)" if ex.protected else ""), "", f"records ({len(ex.mentions)}):"]
    for m in ex.mentions:
        detail = "" if ex.protected else "  " + " | ".join(x for x in (m.name, m.address) if x)
        lines.append(f"  {_ref(m.unique_id)}{detail}")
    for premises_id, street in ex.premises:
        lines.append(f"premises: {premises_id}  {street}")
    if not ex.joins and not ex.context_joins:
        lines += ["", "joins: none (a single record)"]
    for j in ex.joins:
        lines += ["", f"join {_ref(j.left)} ~ {_ref(j.right)}: match weight {j.match_weight:+.2f}, probability {j.match_probability:.4f}"]
        lines.append(f"  {'prior (two random records match)':<58} {j.prior_weight:+7.2f}")
        for s in j.steps:
            lines.append(f"  {s.comparison + ': ' + s.label:<58} {s.weight:+7.2f}")
    for c in ex.context_joins:
        node = c.tie_node if c.tie_node is not None else "withheld"
        shared = "" if c.tie_kind in ("license", "business") and c.tie_businesses <= 1 else f", shared by {c.tie_businesses} businesses"
        lines += ["", f"context join {_ref(c.left)} ~ {_ref(c.right)}: {c.name_rule}"]
        lines.append(f"  both tied to the same {c.tie_kind} {node}{shared}")
        lines.append(f"  {_ref(c.left)}: {c.left_tie}")
        lines.append(f"  {_ref(c.right)}: {c.right_tie}")
    return lines
