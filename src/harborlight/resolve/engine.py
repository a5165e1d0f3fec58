"""Run one Splink model over its mentions, on DuckDB (default) or Spark.

`resolve_model` gets an Arrow table of mentions and gives back Arrow tables: the cluster
of every mention, the scored pairs that joined them, and the labels and weights of
every comparison level. It prepares the mentions (blocking keys, identical mentions
collapsed) and hands them to an engine from resolve/engines.py; the warehouse never sees
Splink's working tables. This module never imports Spark: engines.engine_named does, and
only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from harborlight.resolve.engines import Engine, engine_named, scratch_connection
from harborlight.resolve.models import MODEL_SPECS, ModelSpec
from harborlight.resolve.training import NOTHING_TO_COMPARE

DEFAULT_THRESHOLD = 0.9  # match probability at or above which two mentions are joined
DEFAULT_MAX_BLOCK_KEY = 1000  # a blocking value shared by more mentions than this is skipped


@dataclass
class SkippedKey:
    column: str
    value: str
    mentions: int


@dataclass
class ModelResult:
    model: str
    clusters: pa.Table  # unique_id, cluster_key (the smallest unique_id in its cluster)
    edges: pa.Table  # unique_id_l, unique_id_r, match_weight, match_probability, gamma_*/mw_* columns
    levels: list[dict]  # comparison, gamma, label, m, u, log2_bayes_factor
    skipped: list[SkippedKey] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # training steps the data was too small for, and samples trained on
    prior: float | None = None  # probability that two random mentions match, as used
    parameters: str = NOTHING_TO_COMPARE  # TRAINED, PARTLY_TRAINED, STARTING_VALUES or SET_IN_MODEL


def blocking_keys_sql(table: str, column: str, cap: int) -> str:
    """Values of `column` that more than `cap` mentions share: blocking on them would explode."""
    return f"""
    SELECT CAST("{column}" AS VARCHAR) AS value, count(*) AS n FROM {table}
    WHERE "{column}" IS NOT NULL GROUP BY 1 HAVING count(*) > {int(cap)} ORDER BY n DESC, value"""


def with_blocking_keys_sql(table: str, columns: tuple[str, ...], cap: int) -> str:
    """The mentions with a `<column>_bk` copy of each blocking column, over-common values left out."""
    copies = ",\n".join(
        f'CASE WHEN count(*) OVER (PARTITION BY "{c}") <= {int(cap)} THEN "{c}" END AS "{c}_bk"' for c in columns
    )
    return f"SELECT *, {copies} FROM {table} ORDER BY unique_id"


def prepare_mentions(mentions: pa.Table, spec: ModelSpec, cap: int) -> tuple[pa.Table, list[SkippedKey]]:
    con = scratch_connection()
    con.register("mentions", mentions)
    skipped = [
        SkippedKey(column, value, n)
        for column in spec.blocking_columns
        for value, n in con.execute(blocking_keys_sql("mentions", column, cap)).fetchall()
    ]
    prepared = con.sql(with_blocking_keys_sql("mentions", spec.blocking_columns, cap)).to_arrow_table()
    con.close()
    return prepared, skipped


def representatives_sql(table: str, columns: tuple[str, ...]) -> str:
    """Each mention with the smallest id among mentions identical to it in `columns`."""
    keys = ", ".join(f'"{c}"' for c in columns)
    return f"SELECT unique_id, min(unique_id) OVER (PARTITION BY {keys}) AS representative FROM {table}"


def collapse_identical(mentions: pa.Table, columns: tuple[str, ...]) -> tuple[pa.Table, pa.Table]:
    """The representative mentions, and the map from every mention to its representative."""
    con = scratch_connection()
    con.register("mentions", mentions)
    mapping = con.sql(representatives_sql("mentions", columns)).to_arrow_table()
    con.register("mapping", mapping)
    kept = con.sql(
        "SELECT m.* FROM mentions m JOIN mapping USING (unique_id) WHERE unique_id = representative ORDER BY unique_id"
    ).to_arrow_table()
    con.close()
    return kept, mapping


def expand_clusters(keys: pa.Table, mapping: pa.Table) -> pa.Table:
    """Give every collapsed mention its representative's cluster."""
    con = scratch_connection()
    con.register("keys", keys)
    con.register("mapping", mapping)
    out = con.sql(
        "SELECT m.unique_id, k.cluster_key FROM mapping m JOIN keys k ON k.unique_id = m.representative ORDER BY m.unique_id"
    ).to_arrow_table()
    con.close()
    return out


def _levels(model_json: dict) -> list[dict]:
    """Each comparison level with the gamma value Splink gives it, its label and its weight."""
    import math

    out = []
    for comparison in model_json["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        gamma = len(non_null) - 1
        for lv in levels:
            m, u = lv.get("m_probability"), lv.get("u_probability")
            if lv.get("is_null_level"):
                g, weight = -1, 0.0
            else:
                g, gamma = gamma, gamma - 1
                weight = math.log2(m / u) if m and u else None
            out.append({
                "comparison": comparison["output_column_name"],
                "gamma": g,
                "label": lv.get("label_for_charts", ""),
                "m": m,
                "u": u,
                "log2_bayes_factor": weight,
            })
    return out


def resolve_model(
    mentions: pa.Table,
    model: str,
    engine: str | Engine = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    max_block_key: int = DEFAULT_MAX_BLOCK_KEY,
) -> ModelResult:
    spec = MODEL_SPECS[model]
    # Asked for first, so a missing engine is said before any work is done.
    runner = engine_named(engine) if isinstance(engine, str) else engine
    mapping = None
    if spec.collapse_on and mentions.num_rows:
        mentions, mapping = collapse_identical(mentions, spec.collapse_on)
    skipped: list[SkippedKey] = []
    if mentions.num_rows < 2:  # nothing to compare
        ids = mentions.column("unique_id")
        keys, edges, model_json, notes = pa.table({"unique_id": ids, "cluster_key": ids}), pa.table({}), {}, []
        parameters = NOTHING_TO_COMPARE
    else:
        prepared, skipped = prepare_mentions(mentions, spec, max_block_key)
        run = runner.train_and_predict(prepared, spec, threshold)
        keys, edges, model_json, notes, parameters = run.clusters, run.edges, run.model_json, run.notes, run.parameters
    if mapping is not None:
        keys = expand_clusters(keys, mapping)
    prior = model_json.get("probability_two_random_records_match")
    levels = _levels(model_json) if model_json else []
    return ModelResult(model, keys, edges, levels, skipped, notes, prior, parameters)
