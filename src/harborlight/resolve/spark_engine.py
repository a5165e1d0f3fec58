"""The Spark engine: the same models on Splink's Spark backend.

Imported only through `engines.engine_named("spark")`, after it has checked that pyspark
and Java are there, so a user without Spark never pays for it. By default it starts Spark
in local mode on this machine; to use a cluster, set `HARBORLIGHT_SPARK_MASTER` (for
example `spark://host:7077`), as docs/resolution.md explains. Splink's similarity
functions come from the jar that Splink ships.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile

import pyarrow as pa

from harborlight.resolve.engines import EngineRun, scratch_connection
from harborlight.resolve.models import ModelSpec
from harborlight.resolve.training import cluster_keys_sql, joined_pairs_sql, settings_for, train_and_predict

DEFAULT_MASTER = "local[2]"
# On a cluster, as many shuffle partitions as before; see `_partitions`.
CLUSTER_PARTITIONS = 8

_session = None


def _partitions(master: str) -> int:
    """Shuffle partitions: in local mode one per core, because the models' data fits in memory
    and each extra partition is a task to schedule (Spark's default is 200); on a cluster, 8."""
    local = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\d+)?\])?", master)
    if local is None:
        return CLUSTER_PARTITIONS
    cores = local.group(1)
    if cores in (None, "*"):
        return os.cpu_count() or 1
    return max(1, int(cores))


def spark_session():
    """One Spark session per process: local mode unless HARBORLIGHT_SPARK_MASTER names a cluster."""
    global _session
    if _session is None:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        master = os.environ.get("HARBORLIGHT_SPARK_MASTER", DEFAULT_MASTER)
        partitions = str(_partitions(master))
        _session = (
            SparkSession.builder.master(master)
            .appName("harborlight-resolve")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", partitions)
            .config("spark.default.parallelism", partitions)
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


class SparkEngine:
    """Splink on Spark; results come back as Arrow, clusters named as the DuckDB engine names them."""

    name = "spark"

    def train_and_predict(self, mentions: pa.Table, spec: ModelSpec, threshold: float) -> EngineRun:
        from splink import Linker, SparkAPI

        spark = spark_session()
        frame = spark.createDataFrame(mentions.to_pandas())
        api = SparkAPI(spark_session=spark)
        linker = Linker(api.register(frame), settings_for(spec, mentions.num_rows), log_level=logging.ERROR)
        predictions, clusters, notes, parameters = train_and_predict(linker, spec, mentions.num_rows, threshold)
        con = scratch_connection()
        try:
            con.register("clusters", pa.Table.from_pandas(clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]))
            keys = con.sql(cluster_keys_sql("clusters")).to_arrow_table()
            con.register("predictions", pa.Table.from_pandas(predictions.as_pandas_dataframe(), preserve_index=False))
            edges = con.sql(joined_pairs_sql("predictions", threshold)).to_arrow_table()
        finally:
            con.close()
        return EngineRun(keys, edges, linker.misc.save_model_to_json(), notes, parameters)
