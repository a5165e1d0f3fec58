"""The engines that run a Splink model: one protocol, DuckDB built in, Spark on request.

An engine takes the prepared mentions of one model and gives back an `EngineRun`: the
cluster of every mention, the joined pairs with their weights, and the trained model.
Training and the SQL that names clusters live in resolve/training.py, shared by both, so
neither engine imports the other and resolve/engine.py imports only this module.

`engine_named("spark")` is the only way in to Spark: it checks that pyspark (the `spark`
extra) and a Java runtime are there, and says in one line what is missing, before
importing resolve/spark_engine.py. A user without Spark never imports it.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Protocol

import duckdb
import pyarrow as pa

from harborlight.errors import BadRequest
from harborlight.resolve.models import ModelSpec
from harborlight.resolve.training import (
    cluster_keys_sql,
    joined_pairs_sql,
    settings_for,
    train_and_predict,
    training_mentions,
)

ENGINES = ("duckdb", "spark")
# Splink's working database: bounded, spilling to disk beyond this.
SPLINK_MEMORY_LIMIT = "4GB"


@dataclass
class EngineRun:
    clusters: pa.Table  # unique_id, cluster_key (the smallest unique_id in its cluster)
    edges: pa.Table  # the joined pairs: unique_id_l, unique_id_r, match_weight, match_probability, ...
    model_json: dict  # the trained model as Splink saves it
    notes: list[str]  # training steps the data was too small for, and samples trained on
    parameters: str  # where the parameters came from (resolve/training.py's labels)


def scratch_connection(config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for working tables. Its progress bar, on by default, would draw over
    the command's own output on the analyst's terminal: it is turned off."""
    con = duckdb.connect(config=config or {})
    con.execute("SET enable_progress_bar = false")
    return con


class Engine(Protocol):
    name: str

    def train_and_predict(self, mentions: pa.Table, spec: ModelSpec, threshold: float) -> EngineRun:
        """Train `spec` on `mentions` as far as they allow and join the pairs at `threshold`."""
        ...


class DuckDBEngine:
    """Splink on an in-memory DuckDB beside the warehouse: the warehouse never sees its tables."""

    name = "duckdb"

    def train_and_predict(self, mentions: pa.Table, spec: ModelSpec, threshold: float) -> EngineRun:
        from splink import DuckDBAPI, Linker

        con = scratch_connection({"memory_limit": SPLINK_MEMORY_LIMIT, "temp_directory": tempfile.gettempdir()})
        try:
            linker = Linker(DuckDBAPI(con).register(training_mentions(mentions)), settings_for(spec, mentions.num_rows),
                            log_level=logging.ERROR)
            predictions, clusters, notes, parameters = train_and_predict(linker, spec, mentions.num_rows, threshold)
            keys = con.sql(cluster_keys_sql(clusters.physical_name)).to_arrow_table()
            edges = con.sql(joined_pairs_sql(predictions.physical_name, threshold)).to_arrow_table()
            return EngineRun(keys, edges, linker.misc.save_model_to_json(), notes, parameters)
        finally:
            con.close()


def _java_missing() -> str | None:
    """Why Spark could not start a JVM here, or None. Spark's launcher uses $JAVA_HOME/bin/java
    when JAVA_HOME is set, and `java` on the PATH otherwise; so does this check."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        java = os.path.join(java_home, "bin", "java")
        if not os.access(java, os.X_OK):
            return f"JAVA_HOME is {java_home}, but it has no bin/java"
        return None
    if shutil.which("java") is None:
        return "no Java runtime: install one (java on the PATH, or JAVA_HOME)"
    return None


def spark_missing() -> str | None:
    """What the Spark engine lacks on this machine, in words, or None when it can run."""
    for module in ("pyspark", "pandas"):
        try:
            importlib.import_module(module)
        except ImportError:
            return f"{module} is not installed: pip install 'harborlight[spark]'"
    return _java_missing()


def engine_named(name: str) -> Engine:
    """The engine called `name`; a BadRequest naming what is missing when it cannot run here."""
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        missing = spark_missing()
        if missing:
            raise BadRequest(f"the Spark engine cannot run: {missing}; or use --engine duckdb")
        from harborlight.resolve.spark_engine import SparkEngine  # only now: Spark is heavy

        return SparkEngine()
    raise BadRequest(f"--engine must be one of {', '.join(ENGINES)}, not {name!r}")
