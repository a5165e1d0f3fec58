"""The graph stage on Spark: `graph_edges` and `business_links` computed past one machine.

The tables the graph reads leave the warehouse as Parquet (`export_inputs`), one directory
per table under a storage directory; Spark reads them, runs the same logic as
network/graph.py (`graph_edges_sql`, `link_weights_sql`) in Spark SQL, and writes its two
results as Parquet beside them; the warehouse then loads those back through `replace_table`
(its declared columns, checked as for the DuckDB engine). `graph_nodes` and community
detection stay where they were: the first is a union of keys, the second reads only the links
at or above the threshold.

The storage directory is resolve/spark_engine.py's `storage_root()`: `HARBORLIGHT_SPARK_STORAGE`
when set (on a cluster, a path every executor can read, docs/spark.md), else the temporary
directory; either way this run's subdirectory is removed when it ends. Business names of licenses are normalized here, in the
warehouse, with the same function the DuckDB engine uses, so no Python runs in Spark.

Imported only after `engines.spark_missing()` has said Spark can run.
"""

from __future__ import annotations

from pathlib import Path

from harborlight.network.graph import (
    BASE_WEIGHTS, DEFAULT_HUB_SIZE, DEFAULT_MAX_DEGREE, HUB_FACTOR, SUCCESSION_WEIGHT, graph_nodes_sql,
)
from harborlight.resolve.normalize import register_sql_functions
from harborlight.stages import replace_table
from harborlight.warehouse import Warehouse

# What the graph reads from the warehouse, as Spark sees it: only the columns it uses.
# `licenses` carries the normalized business name (hl_business_name), computed in the warehouse.
INPUTS = {
    "business_mentions": "SELECT record_type, source, record_id, entity_id, phone, name, city, street, unit "
                         "FROM business_mentions",
    "person_mentions": "SELECT record_type, source, record_id, entity_id, city, street, unit FROM person_mentions",
    "agent_mentions": "SELECT source, record_id, entity_id FROM agent_mentions",
    "officers": "SELECT source, record_id, filing_record_id FROM officers",
    "licenses": "SELECT source, record_id, hl_business_name(business_name) AS workplace FROM licenses "
                "WHERE business_name IS NOT NULL",
    "business_premises": "SELECT entity_id, premises_id, first_seen, last_seen FROM business_premises",
    "premises": "SELECT premises_id, street, city FROM premises",
}


def _literal(path: Path) -> str:
    """A path as a SQL string literal (COPY takes no parameter for its file); quotes doubled."""
    return "'" + str(path).replace("'", "''") + "'"


def export_inputs(warehouse: Warehouse, folder: Path) -> None:
    """Write each table the graph reads as `folder/<table>.parquet`."""
    register_sql_functions(warehouse.con)
    folder.mkdir(parents=True, exist_ok=True)
    for name, select in INPUTS.items():
        warehouse.run(f"COPY ({select}) TO {_literal(folder / (name + '.parquet'))} (FORMAT parquet)")


def spark_graph_edges_sql() -> str:
    """network/graph.py's `graph_edges_sql` in Spark SQL, over the exported tables."""
    return """
    WITH filing_business AS (
      SELECT source, record_id, entity_id AS business_id FROM business_mentions WHERE record_type = 'filings'
    )
    SELECT pm.entity_id AS node_id, 'person' AS node_kind, fb.business_id, 'officer' AS kind,
           'officers' AS record_type, o.source, o.record_id
    FROM officers o
    JOIN person_mentions pm ON pm.record_type = 'officers' AND pm.source = o.source AND pm.record_id = o.record_id
    JOIN filing_business fb ON fb.source = o.source AND fb.record_id = o.filing_record_id
    UNION ALL
    SELECT bm.entity_id, 'business', fb.business_id, 'officer', 'officers', o.source, o.record_id
    FROM officers o
    JOIN business_mentions bm ON bm.record_type = 'officers' AND bm.source = o.source AND bm.record_id = o.record_id
    JOIN filing_business fb ON fb.source = o.source AND fb.record_id = o.filing_record_id
    WHERE bm.entity_id <> fb.business_id
    UNION ALL
    SELECT am.entity_id, 'agent', fb.business_id, 'registered_agent', 'filings', fb.source, fb.record_id
    FROM agent_mentions am JOIN filing_business fb ON fb.source = am.source AND fb.record_id = am.record_id
    UNION ALL
    SELECT pm.entity_id, 'person', fb.business_id, 'registered_agent', 'filings', fb.source, fb.record_id
    FROM person_mentions pm
    JOIN filing_business fb ON fb.source = pm.source AND fb.record_id = pm.record_id
    WHERE pm.record_type = 'registered_agent'
    UNION ALL
    SELECT concat('tel:', phone), 'phone', entity_id, 'uses_phone', record_type, source, record_id
    FROM business_mentions WHERE phone IS NOT NULL
    UNION ALL
    SELECT DISTINCT entity_id, 'person', business_id, 'licensed_to_work_at', 'licenses', source, record_id FROM (
      SELECT lic.entity_id, bm.business_id, lic.source, lic.record_id
      FROM (SELECT pm.entity_id, pm.city, pm.source, pm.record_id, l.workplace
            FROM person_mentions pm
            JOIN licenses l ON pm.record_type = 'licenses' AND l.source = pm.source AND l.record_id = pm.record_id) lic
      JOIN (SELECT name, city, min(entity_id) AS business_id FROM business_mentions WHERE name IS NOT NULL
            GROUP BY name, city HAVING count(DISTINCT entity_id) = 1) bm
        ON bm.name = lic.workplace AND bm.city <=> lic.city
      UNION ALL
      SELECT pm.entity_id, bm.entity_id, pm.source, pm.record_id
      FROM person_mentions pm
      JOIN business_mentions bm ON bm.street = pm.street AND bm.unit <=> pm.unit AND bm.city <=> pm.city
      WHERE pm.record_type = 'licenses'
    ) worked
    """


def spark_link_weights_sql(hub_size: int = DEFAULT_HUB_SIZE, max_degree: int = DEFAULT_MAX_DEGREE) -> str:
    """network/graph.py's `link_weights_sql` in Spark SQL: the same pairs, weights and kinds
    (see its docstring for why each part is there). Weights are doubles throughout."""
    cases = " ".join(f"WHEN '{k}' THEN CAST({float(w)!r} AS DOUBLE)" for k, w in BASE_WEIGHTS.items())
    factors = " ".join(f"WHEN '{k}' THEN {int(f)}" for k, f in HUB_FACTOR.items())
    return f"""
    WITH placed AS (
      SELECT g.*, CASE WHEN pm.street IS NOT NULL THEN concat(pm.street, '|', coalesce(pm.city, '')) END AS place
      FROM graph_edges g
      LEFT JOIN person_mentions pm
        ON g.node_kind = 'person' AND g.kind IN ('officer', 'registered_agent') AND pm.entity_id = g.node_id
       AND pm.record_type = CASE g.kind WHEN 'registered_agent' THEN 'registered_agent' ELSE 'officers' END
       AND pm.source = g.source AND pm.record_id = g.record_id AND pm.street IS NOT NULL
    ),
    ties AS (
      SELECT node_id, node_kind, business_id, array_sort(collect_set(kind)) AS kinds,
             max(CASE kind {cases} ELSE CAST(0 AS DOUBLE) END) AS base,
             max(CASE node_kind {factors} ELSE 1 END) AS factor,
             collect_set(place) AS places
      FROM placed GROUP BY node_id, node_kind, business_id
    ),
    degree AS (
      SELECT node_id, count(*) AS n FROM ties GROUP BY node_id
      HAVING count(*) BETWEEN 2 AND {int(max_degree)}
    ),
    projected AS (
      SELECT t.*, d.n FROM ties t JOIN degree d ON d.node_id = t.node_id
    ),
    through_nodes AS (
      SELECT a.business_id AS a, b.business_id AS b, a.node_id, a.node_kind,
             array_distinct(concat(a.kinds, b.kinds)) AS kinds,
             greatest(a.base, b.base)
               * least(CAST(1 AS DOUBLE), CAST({int(hub_size)} * a.factor AS DOUBLE) / CAST(a.n - 1 AS DOUBLE))
               * CASE WHEN size(a.places) > 0 AND size(b.places) > 0 AND NOT arrays_overlap(a.places, b.places)
                      THEN CAST(0 AS DOUBLE) ELSE CAST(1 AS DOUBLE) END AS weight
      FROM projected a
      JOIN projected b ON b.node_id = a.node_id AND b.business_id > a.business_id
    ),
    switchboard AS (
      SELECT DISTINCT p.a, p.b
      FROM (SELECT DISTINCT a, b FROM through_nodes WHERE node_kind = 'phone') p
      JOIN business_premises x ON x.entity_id = p.a JOIN premises px ON px.premises_id = x.premises_id
      JOIN business_premises y ON y.entity_id = p.b JOIN premises py ON py.premises_id = y.premises_id
      WHERE py.street = px.street AND py.city <=> px.city
        AND coalesce(x.first_seen, DATE '0001-01-01') <= coalesce(y.last_seen, DATE '9999-12-31')
        AND coalesce(y.first_seen, DATE '0001-01-01') <= coalesce(x.last_seen, DATE '9999-12-31')
    ),
    hosted AS (
      SELECT premises_id FROM business_premises GROUP BY premises_id
      HAVING count(DISTINCT entity_id) BETWEEN 2 AND {int(max_degree)}
    ),
    shared AS (
      SELECT t.a, t.b, t.node_id, t.node_kind, t.kinds, t.weight FROM through_nodes t
      LEFT ANTI JOIN switchboard s ON t.node_kind = 'phone' AND s.a = t.a AND s.b = t.b
      UNION ALL
      SELECT least(x.entity_id, y.entity_id), greatest(x.entity_id, y.entity_id), x.premises_id, 'premises',
             array('succeeded_at_same_premises'), CAST({float(SUCCESSION_WEIGHT)!r} AS DOUBLE)
      FROM business_premises x JOIN hosted h ON h.premises_id = x.premises_id
      JOIN business_premises y
        ON y.premises_id = x.premises_id AND y.entity_id <> x.entity_id
       AND x.last_seen IS NOT NULL AND x.last_seen <= y.first_seen AND datediff(y.first_seen, x.last_seen) <= 5 * 365
    )
    SELECT a, b, sum(weight) AS weight, array_sort(array_distinct(flatten(collect_list(kinds)))) AS kinds,
           count(DISTINCT node_id) AS shared_nodes
    FROM shared GROUP BY a, b"""


def parquet_rows_sql(order: str = "") -> str:
    """The rows of the Parquet files Spark wrote (their glob bound as the parameter)."""
    return f"SELECT * FROM read_parquet(?) {order}"


def run_on_spark(spark, folder: Path, hub_size: int, max_degree: int) -> None:
    """Read the exported tables, compute the two results, write them as folder/graph_edges and
    folder/business_links (Parquet directories)."""
    for name in INPUTS:
        spark.read.parquet(str(folder / (name + ".parquet"))).createOrReplaceTempView(name)
    spark.sql(spark_graph_edges_sql()).write.mode("overwrite").parquet(str(folder / "graph_edges"))
    # The links read the edges as written, not recomputed from the plan.
    spark.read.parquet(str(folder / "graph_edges")).createOrReplaceTempView("graph_edges")
    spark.sql(spark_link_weights_sql(hub_size, max_degree)).write.mode("overwrite").parquet(
        str(folder / "business_links"))


def graph_partitions(warehouse: Warehouse, master: str) -> int:
    """Shuffle partitions for the graph, sized to its mentions as a model's run is sized to its
    own (`run_partitions`). Set here, or the graph would run with whatever the shared session
    last had: after resolve in the same process, the agent model's number; in a process of its
    own, the starting number (one per core in local mode)."""
    from harborlight.resolve.spark_engine import run_partitions

    mentions = warehouse.rows(
        "SELECT (SELECT count(*) FROM business_mentions) + (SELECT count(*) FROM person_mentions)")[0][0]
    return run_partitions(mentions, master)


def build_graph_on_spark(
    warehouse: Warehouse, hub_size: int = DEFAULT_HUB_SIZE, max_degree: int = DEFAULT_MAX_DEGREE
) -> tuple[int, int]:
    """`network.graph.build_graph` with the edges and links computed by Spark; same tables, same
    counts returned. The caller's transaction covers the loads back, as for DuckDB."""
    from harborlight.resolve.spark_engine import parquet_files, run_folder, spark_session

    spark = spark_session()
    spark.conf.set("spark.sql.shuffle.partitions", str(graph_partitions(warehouse, spark.sparkContext.master)))
    with run_folder("graph") as folder:
        export_inputs(warehouse, folder)
        run_on_spark(spark, folder, hub_size, max_degree)
        replace_table(warehouse, "graph_edges", parquet_rows_sql(), [parquet_files(folder / "graph_edges")])
        replace_table(warehouse, "graph_nodes", graph_nodes_sql())
        replace_table(warehouse, "business_links", parquet_rows_sql("ORDER BY a, b"),
                      [parquet_files(folder / "business_links")])
    edges = warehouse.rows("SELECT count(*) FROM graph_edges")[0][0]
    links = warehouse.rows("SELECT count(*) FROM business_links")[0][0]
    return edges, links
