"""The Spark engine: the same models on Splink's Spark backend.

Imported only through `engines.engine_named("spark")`, after it has checked that pyspark
and Java are there, so a user without Spark never pays for it. By default it starts Spark
in local mode on this machine; to use a cluster, set `HARBORLIGHT_SPARK_MASTER` (for
example `spark://host:7077`), as docs/spark.md explains. Splink's similarity
functions come from the jar that Splink ships.

Mentions go to Spark, and predictions and clusters come back, as Parquet files under
`storage_root()` (`HARBORLIGHT_SPARK_STORAGE`, else the temporary directory), never as one
pandas frame in the driver's memory; each run's files, Splink's checkpoints among them, are
removed when it ends.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harborlight.resolve.engines import EngineRun, scratch_connection
from harborlight.resolve.models import ModelSpec
from harborlight.resolve.training import (
    cluster_keys_sql,
    joined_pairs_sql,
    settings_for,
    train_and_predict,
    training_mentions,
)

DEFAULT_MASTER = "local[2]"
# On a cluster, as many shuffle partitions as before; see `_partitions`.
CLUSTER_PARTITIONS = 8
# Mentions per shuffle partition for a model's run. Splink's blocked pairs and comparison
# vectors grow with the mentions, and Splink repartitions them into as many partitions as it
# is told (half the shuffle partitions unless told): with one per core, 1.9 million business
# mentions put every EM round's comparison vectors in a single partition on one core, which
# spilled 24 GB and had not finished an EM round after 40 minutes of CPU. 10,000 mentions
# a partition keeps each task's share of the pairs in memory, and leaves small worlds (the
# tests') at one partition a core.
MENTIONS_PER_PARTITION = 10_000

_session = None


def _partitions(master: str) -> int:
    """Shuffle partitions to start with: in local mode one per core, because small worlds fit in
    memory and each extra partition is a task to schedule (Spark's default is 200); on a
    cluster, 8. `run_partitions` raises it for a model with many mentions."""
    local = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\d+)?\])?", master)
    if local is None:
        return CLUSTER_PARTITIONS
    cores = local.group(1)
    if cores in (None, "*"):
        return os.cpu_count() or 1
    return max(1, int(cores))


def run_partitions(mentions: int, master: str) -> int:
    """Partitions for one model's run on `mentions` mentions: HARBORLIGHT_SPARK_PARTITIONS when
    set, else the session's starting number or one per MENTIONS_PER_PARTITION mentions,
    whichever is more."""
    chosen = os.environ.get("HARBORLIGHT_SPARK_PARTITIONS")
    if chosen:
        return int(chosen)
    return max(_partitions(master), -(-mentions // MENTIONS_PER_PARTITION))


def storage_root() -> Path:
    """Where the Parquet files Spark reads and writes go: HARBORLIGHT_SPARK_STORAGE (on a cluster,
    a path the driver and every executor see), else the temporary directory."""
    return Path(os.environ.get("HARBORLIGHT_SPARK_STORAGE") or tempfile.gettempdir())


@contextmanager
def run_folder(kind: str):
    """A folder of its own for one run under `storage_root()`, removed when the run ends."""
    folder = storage_root() / f"harborlight-{kind}-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def parquet_files(folder: Path) -> str:
    """The files of a Parquet directory Spark wrote, as a glob for DuckDB's read_parquet (bound as a parameter)."""
    return str(folder / "*.parquet")


def spark_session():
    """One Spark session per process: local mode unless HARBORLIGHT_SPARK_MASTER names a cluster.
    HARBORLIGHT_SPARK_PARTITIONS, _DRIVER_MEMORY and _LOCAL_DIR override the shuffle partitions,
    the driver's memory and Spark's scratch folder (docs/spark.md); these are set on the session,
    so they win over spark-submit's flags for the same settings."""
    global _session
    if _session is None:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        master = os.environ.get("HARBORLIGHT_SPARK_MASTER", DEFAULT_MASTER)
        partitions = os.environ.get("HARBORLIGHT_SPARK_PARTITIONS") or str(_partitions(master))
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
            .config("spark.local.dir", os.environ.get("HARBORLIGHT_SPARK_LOCAL_DIR") or tempfile.gettempdir())
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        _session.sparkContext.setLogLevel("ERROR")
    return _session


class SparkEngine:
    """Splink on Spark; results come back as Arrow, clusters named as the DuckDB engine names them."""

    name = "spark"

    def train_and_predict(self, mentions: pa.Table, spec: ModelSpec, threshold: float) -> EngineRun:
        from splink import Linker, SparkAPI

        spark = spark_session()
        with run_folder("resolve") as folder:
            # Splink persists its tables (blocked pairs, comparison vectors, predictions, clusters)
            # as checkpoints: into this run's folder, so they go when the run ends, as its other
            # files do, and one model's gigabytes are gone before the next model starts.
            spark.sparkContext.setCheckpointDir(str(folder / "checkpoints"))
            pq.write_table(training_mentions(mentions), folder / "mentions.parquet")
            frame = spark.read.parquet(str(folder / "mentions.parquet"))
            # Set per run, so a large model's shuffles are split as finely as its pairs need and
            # Splink repartitions its blocked pairs and comparison vectors to match.
            partitions = run_partitions(mentions.num_rows, spark.sparkContext.master)
            spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
            api = SparkAPI(spark_session=spark, num_partitions_on_repartition=partitions)
            linker = Linker(api.register(frame), settings_for(spec, mentions.num_rows), log_level=logging.ERROR)
            predictions, clusters, notes, parameters = train_and_predict(linker, spec, mentions.num_rows, threshold)
            clusters.as_spark_dataframe().select("unique_id", "cluster_id").write.parquet(str(folder / "clusters"))
            predictions.as_spark_dataframe().write.parquet(str(folder / "predictions"))
            con = scratch_connection()
            try:
                keys = con.sql(cluster_keys_sql("read_parquet(?)"),
                               params=[parquet_files(folder / "clusters")]).to_arrow_table()
                edges = con.sql(joined_pairs_sql("read_parquet(?)", threshold),
                                params=[parquet_files(folder / "predictions")]).to_arrow_table()
            finally:
                con.close()
        return EngineRun(keys, edges, linker.misc.save_model_to_json(), notes, parameters)
