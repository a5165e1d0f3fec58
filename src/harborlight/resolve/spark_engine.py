"""The Spark engine: the same models on Splink's Spark backend.

Imported only when `--engine spark` is asked for, so a user without Spark never pays
for it. By default it starts Spark in local mode on this machine; to use a cluster,
set `HARBORLIGHT_SPARK_MASTER` (for example `spark://host:7077`), as
docs/resolution.md explains. Splink's similarity functions come from the jar that
Splink ships.
"""

from __future__ import annotations

import logging
import os
import tempfile

import duckdb
import pyarrow as pa

from harborlight.resolve.engine import train_and_predict, cluster_keys_sql, joined_pairs_sql, settings_for
from harborlight.resolve.models import ModelSpec

_session = None


def spark_session():
    """One Spark session per process: local mode unless HARBORLIGHT_SPARK_MASTER names a cluster."""
    global _session
    if _session is None:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        master = os.environ.get("HARBORLIGHT_SPARK_MASTER", "local[2]")
        _session = (
            SparkSession.builder.master(master)
            .appName("harborlight-resolve")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.default.parallelism", "8")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.log.level", "ERROR")
            .config("spark.driver.memory", os.environ.get("HARBORLIGHT_SPARK_DRIVER_MEMORY", "4g"))
            .config("spark.local.dir", tempfile.gettempdir())
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        _session.sparkContext.setLogLevel("ERROR")
        _session.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="harborlight-spark-"))
    return _session


def run_spark(mentions: pa.Table, spec: ModelSpec, threshold: float) -> tuple[pa.Table, pa.Table, dict, list[str], str]:
    from splink import Linker, SparkAPI

    spark = spark_session()
    frame = spark.createDataFrame(mentions.to_pandas())
    api = SparkAPI(spark_session=spark)
    linker = Linker(api.register(frame), settings_for(spec, mentions.num_rows), log_level=logging.ERROR)
    predictions, clusters, notes, parameters = train_and_predict(linker, spec, mentions.num_rows, threshold)
    # Bring the results back as Arrow and name clusters as the DuckDB engine does.
    con = duckdb.connect()
    con.register("clusters", pa.Table.from_pandas(clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]))
    keys = con.sql(cluster_keys_sql("clusters")).to_arrow_table()
    edges_frame = predictions.as_pandas_dataframe()
    con.register("predictions", pa.Table.from_pandas(edges_frame, preserve_index=False))
    edges = con.sql(joined_pairs_sql("predictions", threshold)).to_arrow_table()
    con.close()
    return keys, edges, linker.misc.save_model_to_json(), notes, parameters
