"""Run one Splink model over its mentions, on DuckDB (default) or Spark.

The engine gets an Arrow table of mentions and gives back Arrow tables: the cluster
of every mention, the scored pairs that joined them, and the labels and weights of
every comparison level. The warehouse never sees Splink's working tables: DuckDB
runs in memory beside it, and Spark in its own session, imported only when asked for.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from harborlight.resolve.models import MODEL_SPECS, ModelSpec

# Splink's working database: bounded, spilling to disk beyond this.
SPLINK_MEMORY_LIMIT = "4GB"
DEFAULT_THRESHOLD = 0.9  # match probability at or above which two mentions are joined
DEFAULT_MAX_BLOCK_KEY = 1000  # a blocking value shared by more mentions than this is skipped
PREDICT_FLOOR = 0.01  # pairs below this probability are not kept at all
MAX_U_PAIRS = 2e6
# Below this many mentions, estimates from the data would be noise: the model runs on its
# shipped starting values instead of training. 200 mentions give about 20,000 pairs for u
# sampling, and EM with the prior held fixed needs only tens of pairs in a block: a few
# hundred records (864 restaurant listings, a county's filings) are trained on.
MIN_TRAINING_MENTIONS = 200
SEED = 42

# Where a model's parameters came from, as reported by `harborlight resolve` and `status`.
TRAINED = "trained on the data"
PARTLY_TRAINED = "partly trained on the data"
STARTING_VALUES = "shipped starting values"
SET_IN_MODEL = "set in the model"
NOTHING_TO_COMPARE = "nothing to compare"


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
    notes: list[str] = field(default_factory=list)  # training steps the data was too small for
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
    con = duckdb.connect()
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
    con = duckdb.connect()
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
    con = duckdb.connect()
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


def settings_for(spec: ModelSpec, n: int):
    """A model's settings for `n` mentions: term frequencies only where there are enough to count."""
    return spec.make_settings(term_frequencies=n >= MIN_TRAINING_MENTIONS)


def _estimate_prior(linker, spec: ModelSpec) -> None:
    """The prior from the deterministic rules. When they find no pair at all (200 unrelated
    filings), the estimate would be 0 and no pair could ever match: keep the starting prior."""
    settings = linker._settings_obj
    before = settings._probability_two_random_records_match
    linker.training.estimate_probability_two_random_records_match(list(spec.prior_rules), recall=spec.prior_recall)
    if not 0 < settings._probability_two_random_records_match < 1:
        settings._probability_two_random_records_match = before
        raise ValueError("the deterministic rules found no matching pair")


def _train(linker, spec: ModelSpec, n: int) -> tuple[list[str], str]:
    """Train what the data allows. A step the data is too small for is skipped and noted;
    its parameters keep the starting values set in the model.

    The prior is estimated once, from deterministic rules, and EM leaves it fixed (Splink
    does not write EM's in-block match rate back). Returns the notes and where the
    parameters came from: trained when u and every EM round were estimated, partly
    trained when some were, the shipped values when none were.
    """
    from splink.internals.exceptions import EMTrainingException, SplinkException

    notes = []
    max_pairs = max(1.0, min(MAX_U_PAIRS, n * (n - 1) / 2))
    steps = [
        ("prior", lambda: _estimate_prior(linker, spec)),
        ("u", lambda: linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=SEED)),
    ] + [
        (f"m by EM, round {i}", lambda rule=rule: linker.training.estimate_parameters_using_expectation_maximisation(rule))
        for i, rule in enumerate(spec.em_blocks, start=1)
    ]
    estimated = 0
    for name, step in steps:
        try:
            step()
            estimated += name != "prior"
        except (EMTrainingException, SplinkException, ValueError, ZeroDivisionError) as exc:
            notes.append(f"{spec.name}: {name} skipped ({str(exc).splitlines()[0][:120]}); starting values kept")
    learnable = len(steps) - 1
    parameters = TRAINED if estimated == learnable else PARTLY_TRAINED if estimated else STARTING_VALUES
    return notes, parameters


def train_and_predict(linker, spec: ModelSpec, n: int, threshold: float):
    if not spec.trained:
        notes, parameters = [], SET_IN_MODEL
    elif n < MIN_TRAINING_MENTIONS:
        notes = [f"{spec.name}: {n} mentions are too few to train on (fewer than {MIN_TRAINING_MENTIONS}); "
                 "shipped starting values used"]
        parameters = STARTING_VALUES
    else:
        notes, parameters = _train(linker, spec, n)
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_FLOOR)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    return predictions, clusters, notes, parameters


def cluster_keys_sql(clusters: str) -> str:
    """Name each cluster by its smallest mention id, so the name does not depend on the engine."""
    return f"""
    SELECT unique_id, min(unique_id) OVER (PARTITION BY cluster_id) AS cluster_key
    FROM {clusters} ORDER BY unique_id"""


def joined_pairs_sql(predictions: str, threshold: float) -> str:
    return f"""
    SELECT * FROM {predictions} WHERE match_probability >= {float(threshold)}
    ORDER BY unique_id_l, unique_id_r"""


def run_duckdb(mentions: pa.Table, spec: ModelSpec, threshold: float) -> tuple[pa.Table, pa.Table, dict, list[str], str]:
    from splink import DuckDBAPI, Linker

    con = duckdb.connect(config={"memory_limit": SPLINK_MEMORY_LIMIT, "temp_directory": tempfile.gettempdir()})
    linker = Linker(DuckDBAPI(con).register(mentions), settings_for(spec, mentions.num_rows), log_level=logging.ERROR)
    predictions, clusters, notes, parameters = train_and_predict(linker, spec, mentions.num_rows, threshold)
    keys = con.sql(cluster_keys_sql(clusters.physical_name)).to_arrow_table()
    edges = con.sql(joined_pairs_sql(predictions.physical_name, threshold)).to_arrow_table()
    model_json = linker.misc.save_model_to_json()
    con.close()
    return keys, edges, model_json, notes, parameters


def resolve_model(
    mentions: pa.Table,
    model: str,
    engine: str = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    max_block_key: int = DEFAULT_MAX_BLOCK_KEY,
) -> ModelResult:
    spec = MODEL_SPECS[model]
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
        if engine == "duckdb":
            keys, edges, model_json, notes, parameters = run_duckdb(prepared, spec, threshold)
        elif engine == "spark":
            from harborlight.resolve.spark_engine import run_spark

            keys, edges, model_json, notes, parameters = run_spark(prepared, spec, threshold)
        else:
            raise ValueError(f"unknown engine {engine!r}: use duckdb or spark")
    if mapping is not None:
        keys = expand_clusters(keys, mapping)
    prior = model_json.get("probability_two_random_records_match")
    levels = _levels(model_json) if model_json else []
    return ModelResult(model, keys, edges, levels, skipped, notes, prior, parameters)
