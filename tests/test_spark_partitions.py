"""How finely a Spark run splits its shuffles: by the model's mentions, so a state's worth of
records is not squeezed into one partition a core, and small worlds keep one a core."""

from __future__ import annotations

from harborlight.resolve.spark_engine import CLUSTER_PARTITIONS, MENTIONS_PER_PARTITION, run_partitions


def test_a_small_model_keeps_one_partition_per_local_core(monkeypatch):
    monkeypatch.delenv("HARBORLIGHT_SPARK_PARTITIONS", raising=False)
    assert run_partitions(9_000, "local[2]") == 2
    assert run_partitions(0, "local[4]") == 4


def test_a_large_model_gets_a_partition_per_ten_thousand_mentions(monkeypatch):
    monkeypatch.delenv("HARBORLIGHT_SPARK_PARTITIONS", raising=False)
    assert MENTIONS_PER_PARTITION == 10_000
    assert run_partitions(1_874_809, "local[2]") == 188
    assert run_partitions(1_874_809, "spark://host:7077") == 188


def test_a_cluster_starts_from_its_own_floor(monkeypatch):
    monkeypatch.delenv("HARBORLIGHT_SPARK_PARTITIONS", raising=False)
    assert run_partitions(5_000, "spark://host:7077") == CLUSTER_PARTITIONS


def test_the_environment_setting_wins(monkeypatch):
    monkeypatch.setenv("HARBORLIGHT_SPARK_PARTITIONS", "300")
    assert run_partitions(9_000, "local[2]") == 300
    assert run_partitions(1_874_809, "local[2]") == 300
