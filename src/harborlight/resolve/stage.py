"""The resolve stage: mentions in, entities out.

`resolve(warehouse)` runs the business, person and agent models, then writes:

| table | one row is |
|---|---|
| `business_mentions`, `person_mentions`, `agent_mentions` | a normalized mention with its `entity_id` |
| `business_edges`, `person_edges`, `agent_edges` | a scored pair that joined two mentions |
| `person_context_edges` | a join of the person context pass (`context.py`), run after the three models |
| `resolution_levels` | a comparison level: its label and weight, per model |
| `blocking_skips` | a blocking value too common to block on |
| `record_entities` | an input record and the entity it names (the export's file) |
| `entities` | an entity, with the name and address of its most authoritative mention |
| `premises`, `business_premises` | an address, and which businesses it hosted when |
| `resolution_runs` | one run: engine, threshold, and the last load it saw |
| `person_protection` | a person's protection status, decided for this run (protection.py) |

Each table is created from its declaration in the stage contract (stages/tables.py), and
each run is recorded in `stage_runs` with a fingerprint of the loads it read.

Entity ids are `biz-`, `per-` or `agt-` and a hash of the smallest mention id in the
entity, so the same input gives the same ids, and a one-mention entity keeps its id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from harborlight.errors import BadRequest, UsageError
from harborlight.protection import decide_protection
from harborlight.resolve.context import link_persons_by_context
from harborlight.resolve.engine import DEFAULT_MAX_BLOCK_KEY, DEFAULT_THRESHOLD, ModelResult, resolve_model
from harborlight.resolve.mentions import build_mentions
from harborlight.stages import create_kept_tables, create_table_sql, latest_run_id, record_run, records_fingerprint, replace_table
from harborlight.warehouse import Warehouse

PREFIXES = {"business": "biz-", "person": "per-", "agent": "agt-"}
MODELS = tuple(PREFIXES)


@dataclass
class ResolveReport:
    engine: str
    threshold: float
    mentions: dict[str, int] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str, str, int]] = field(default_factory=list)  # model, column, value, mentions
    notes: list[str] = field(default_factory=list)
    # model -> where its parameters came from: trained on the data, or shipped starting values
    parameters: dict[str, str] = field(default_factory=dict)


def mentions_with_entities_sql(model: str) -> str:
    return f"""
    SELECT m.*, '{PREFIXES[model]}' || substr(sha256(c.cluster_key), 1, 16) AS entity_id
    FROM stage_mentions m JOIN stage_clusters c USING (unique_id)
    ORDER BY m.unique_id"""


def record_entities_sql() -> str:
    """Input records that name a business or a person. Registered agents are fields, not records."""
    return """
    SELECT source, record_id, record_type, 'business' AS entity_kind, entity_id, NULL AS person_role
    FROM business_mentions
    UNION ALL
    SELECT source, record_id, record_type, 'person', entity_id, person_role
    FROM person_mentions WHERE record_type <> 'registered_agent'
    ORDER BY record_type, source, record_id"""


def entities_sql() -> str:
    """One row per entity, shown by its most authoritative mention (filings first, listings last)."""
    parts = []
    for model in MODELS:
        role = "person_role" if model == "person" else "NULL"
        parts.append(f"""
      SELECT entity_id, '{model}' AS kind, raw_name AS name, raw_address AS address, raw_city AS city,
             raw_state AS state, raw_zip AS zip, priority, unique_id, {role} AS role
      FROM {model}_mentions""")
    union = "\n      UNION ALL".join(parts)
    return f"""
    WITH mentions AS ({union}
    )
    SELECT entity_id, kind, name, address, city, state, zip,
           list_sort(list_distinct(list(role) OVER (PARTITION BY entity_id))) AS roles,
           count(*) OVER (PARTITION BY entity_id) AS mentions
    FROM mentions
    QUALIFY row_number() OVER (PARTITION BY entity_id ORDER BY priority, unique_id) = 1
    ORDER BY entity_id"""


def business_premises_sql() -> str:
    """Addresses as premises. A mention without a unit takes the building's only known unit."""
    return """
    WITH placed AS (
      SELECT entity_id, unique_id, street, unit, city, state, zip5, date_from, date_to,
             street || '|' || coalesce(city, '') || '|' || coalesce(state, '') AS building
      FROM business_mentions WHERE street IS NOT NULL
    ),
    units AS (
      SELECT building, min(unit) AS only_unit FROM placed WHERE unit IS NOT NULL
      GROUP BY building HAVING count(DISTINCT unit) = 1
    ),
    keyed AS (
      SELECT p.*, p.building || '|' || coalesce(p.unit, u.only_unit, '') AS premises_key
      FROM placed p LEFT JOIN units u USING (building)
    )
    SELECT 'prm-' || substr(sha256(premises_key), 1, 16) AS premises_id, entity_id,
           min(date_from) AS first_seen,
           max(CASE WHEN date_to < DATE '9999-12-31' THEN date_to END) AS last_seen,
           count(*) AS mentions,
           any_value(premises_key) AS premises_key
    FROM keyed GROUP BY premises_id, entity_id ORDER BY premises_id, entity_id"""


def premises_sql() -> str:
    """Each premises once, from the businesses placed there."""
    return """
    SELECT premises_id,
           split_part(any_value(premises_key), '|', 1) AS street,
           nullif(split_part(any_value(premises_key), '|', 4), '') AS unit,
           split_part(any_value(premises_key), '|', 2) AS city,
           split_part(any_value(premises_key), '|', 3) AS state,
           count(DISTINCT entity_id) AS businesses,
           min(first_seen) AS first_seen
    FROM business_premises GROUP BY premises_id ORDER BY premises_id"""


def premises_history_sql() -> str:
    """Businesses at one premises, oldest first: 'this address has hosted four businesses since 2016'."""
    return """
    SELECT bp.entity_id, e.name, bp.first_seen, bp.last_seen
    FROM business_premises bp JOIN entities e USING (entity_id)
    WHERE bp.premises_id = ? ORDER BY bp.first_seen NULLS LAST, bp.entity_id"""


def _write_model(warehouse: Warehouse, mentions: pa.Table, result: ModelResult) -> None:
    model = result.model
    warehouse.con.register("stage_mentions", mentions)
    warehouse.con.register("stage_clusters", result.clusters)
    try:
        replace_table(warehouse, f"{model}_mentions", mentions_with_entities_sql(model))
    finally:
        warehouse.con.unregister("stage_mentions")
        warehouse.con.unregister("stage_clusters")
    if result.edges.num_columns:
        warehouse.write_arrow(f"{model}_edges", result.edges)
    else:
        warehouse.run(create_table_sql(f"{model}_edges"))
    warehouse.run("DELETE FROM resolution_levels WHERE model = ?", [model])
    for lv in result.levels:
        warehouse.run(
            "INSERT INTO resolution_levels VALUES (?, ?, ?, ?, ?, ?, ?)",
            [model, lv["comparison"], lv["gamma"], lv["label"], lv["m"], lv["u"], lv["log2_bayes_factor"]],
        )
    warehouse.run("DELETE FROM blocking_skips WHERE model = ?", [model])
    for key in result.skipped:
        warehouse.run("INSERT INTO blocking_skips VALUES (?, ?, ?, ?)", [model, key.column, key.value, key.mentions])


def parameters_text(parameters: dict[str, str]) -> str:
    """`business: trained on the data; person: shipped starting values; agent: set in the model`."""
    return "; ".join(f"{model}: {source}" for model, source in parameters.items())


def resolve(
    warehouse: Warehouse,
    engine: str = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    max_block_key: int = DEFAULT_MAX_BLOCK_KEY,
    on_step: Callable[[str], None] = lambda step: None,
) -> ResolveReport:
    """Resolve every loaded record into entities. Running it twice gives the same result."""
    if not 0 < threshold < 1:
        raise UsageError(f"threshold must be between 0 and 1, not {threshold}")
    if not warehouse.record_count():
        raise BadRequest("no records loaded: run `harborlight ingest DIR` first")
    report = ResolveReport(engine, threshold)
    results = {}
    for model in MODELS:
        on_step(f"{model}: normalizing mentions")
        mentions = build_mentions(warehouse, model)
        on_step(f"{model}: matching {mentions.num_rows:,} mentions on {engine}")
        results[model] = (mentions, resolve_model(mentions, model, engine, threshold, max_block_key))
    on_step("writing entities")
    with warehouse.transaction():
        create_kept_tables(warehouse, "resolve")
        for model, (mentions, result) in results.items():
            _write_model(warehouse, mentions, result)
            report.mentions[model] = mentions.num_rows
            report.skipped += [(model, k.column, k.value, k.mentions) for k in result.skipped]
            report.notes += result.notes
            report.parameters[model] = result.parameters
        replace_table(warehouse, "business_premises", business_premises_sql())
        replace_table(warehouse, "premises", premises_sql())
        on_step("person: joining by context from the businesses")
        report.notes.append(link_persons_by_context(warehouse).note())
        replace_table(warehouse, "record_entities", record_entities_sql())
        replace_table(warehouse, "entities", entities_sql())
        last_batch = warehouse.rows("SELECT max(batch_id) FROM batches")[0][0]
        warehouse.run(
            "INSERT INTO resolution_runs (engine, threshold, last_batch_id, parameters) VALUES (?, ?, ?, ?)",
            [engine, threshold, last_batch, parameters_text(report.parameters)],
        )
        record_run(
            warehouse, "resolve",
            {"engine": engine, "threshold": threshold, "max_block_key": max_block_key,
             "model_parameters": report.parameters},
            records_fingerprint(warehouse, "resolve"), {"ingest": latest_run_id(warehouse, "ingest")},
        )
        decide_protection(warehouse)  # who is protected, decided with the entities it covers
    for model in MODELS:
        report.entities[model] = warehouse.rows(f"SELECT count(DISTINCT entity_id) FROM {model}_mentions")[0][0]
    return report
