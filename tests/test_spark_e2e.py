"""The Spark path end to end: the graph on Spark equals the graph on DuckDB, and a small world
resolves, finds its networks and exports on Spark, with its controller found and its workers absent.

One Spark session serves the whole process (resolve/spark_engine.py), so these tests pay its start once.
"""

from __future__ import annotations

import csv
import shutil

import pytest

from harborlight.config import installation_key
from harborlight.evaluate import truth_record_entities
from harborlight.export.csv_export import export_csv
from harborlight.indicators.scoring import score
from harborlight.ingest import ingest
from harborlight.network.detect import find_networks
from harborlight.resolve import spark_engine
from harborlight.resolve.stage import resolve
from harborlight.synth.world import generate
from harborlight.warehouse import Warehouse

pytestmark = pytest.mark.spark


def networks_on(resolved_world, folder, engine: str) -> dict[str, list[tuple]]:
    """A copy of the resolved world, scored, its networks found on `engine`: the graph's tables as rows."""
    shutil.copytree(resolved_world, folder)
    with Warehouse(folder / "warehouse.duckdb", installation_key(folder)) as warehouse:
        score(warehouse)
        find_networks(warehouse, engine=engine)
        return {
            "graph_edges": warehouse.rows("SELECT * FROM graph_edges ORDER BY ALL"),
            "graph_nodes": warehouse.rows("SELECT * FROM graph_nodes ORDER BY ALL"),
            "business_links": warehouse.rows("SELECT a, b, kinds, shared_nodes, weight FROM business_links ORDER BY a, b"),
            "network_members": warehouse.rows("SELECT * FROM network_members ORDER BY ALL"),
            "networks": warehouse.rows("SELECT network_id, n_businesses, n_persons FROM networks ORDER BY ALL"),
        }


def test_the_graph_and_networks_on_spark_equal_those_on_duckdb(resolved_world, tmp_path, monkeypatch):
    on_duckdb = networks_on(resolved_world, tmp_path / "duckdb", "duckdb")
    # Fewer mentions a partition than in production, so the graph's shuffles are split finer
    # than the session's starting number and the sizing is seen to take effect.
    monkeypatch.delenv("HARBORLIGHT_SPARK_PARTITIONS", raising=False)
    monkeypatch.setattr(spark_engine, "MENTIONS_PER_PARTITION", 2_000)
    on_spark = networks_on(resolved_world, tmp_path / "spark", "spark")
    copy = tmp_path / "spark"
    with Warehouse(copy / "warehouse.duckdb", installation_key(copy), read_only=True) as warehouse:
        mentions = warehouse.rows(
            "SELECT (SELECT count(*) FROM business_mentions) + (SELECT count(*) FROM person_mentions)")[0][0]
    spark = spark_engine.spark_session()
    starting = spark_engine._partitions(spark.sparkContext.master)
    assert -(-mentions // 2_000) > starting  # the sizing, not the floor, decides
    assert spark.conf.get("spark.sql.shuffle.partitions") == str(-(-mentions // 2_000))
    assert len(on_duckdb["business_links"]) >= 100 and len(on_duckdb["networks"]) >= 10  # not vacuous
    for name in ("graph_edges", "graph_nodes", "network_members", "networks"):
        assert on_spark[name] == on_duckdb[name], name
    assert [row[:4] for row in on_spark["business_links"]] == [row[:4] for row in on_duckdb["business_links"]]
    assert [row[4] for row in on_spark["business_links"]] == pytest.approx([row[4] for row in on_duckdb["business_links"]])


def test_a_small_world_resolves_finds_networks_and_exports_on_spark(tmp_path, monkeypatch):
    storage = tmp_path / "storage"
    monkeypatch.setenv("HARBORLIGHT_SPARK_STORAGE", str(storage))
    world = tmp_path / "world"
    generate(world, seed=11, scale=0.15)  # about 1,400 records; two planted controllers, both ranked on DuckDB
    data_dir = tmp_path / "data"
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        ingest(world, warehouse)
        report = resolve(warehouse, engine="spark")
        assert report.engine == "spark"
        score(warehouse)
        find_networks(warehouse, engine="spark")
        ranked = warehouse.rows(
            """SELECT re.record_type, re.source, re.record_id FROM record_entities re
               JOIN network_persons np ON np.person_id = re.entity_id AND NOT np.protected""")
        exported = export_csv(warehouse, tmp_path / "export")
    # Every run's files, Splink's checkpoints among them, were under the storage folder and are gone.
    assert str(storage) in spark_engine.spark_session().sparkContext.getCheckpointDir()
    assert list(storage.iterdir()) == []
    truth = truth_record_entities(world)
    with (world / "truth" / "persons.csv").open(encoding="utf-8", newline="") as f:
        persons = {r["true_entity_id"]: r for r in csv.DictReader(f)}
    roles = [persons.get(truth.get(tuple(r)), {}) for r in ranked]
    assert any(p.get("role") == "controller" for p in roles)  # a planted controller is found
    assert not [p for p in roles if p.get("role") == "worker" or p.get("is_nominee") == "true"]
    assert exported.rows["networks.csv"] >= 1
    # No protected person's name leaves in the export: every name a worker or nominee was recorded under.
    protected = {i for i, p in persons.items() if p.get("role") == "worker" or p.get("is_nominee") == "true"}
    names = set()
    for path in (world / "licenses.csv", world / "officers.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if truth.get((path.stem, row["source"], row["record_id"])) in protected:
                    names.update(v for k, v in row.items() if k in ("name", "licensee_name") and v and len(v) >= 4)
    assert names  # the world has protected people to look for
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "export").glob("*.csv"))
    assert not [n for n in names if n in text]
