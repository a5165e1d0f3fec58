"""How finely a Spark run splits its shuffles: by the model's mentions, so a state's worth of
records is not squeezed into one partition a core, and small worlds keep one a core."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

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


@pytest.mark.spark
def test_a_spark_session_leaves_no_checkpoint_folder_behind(tmp_path):
    """Splink's clustering checkpoints into the session's folder; it is gone when the process ends."""
    script = ("from harborlight.resolve.spark_engine import spark_session\n"
              "print(spark_session().sparkContext.getCheckpointDir())\n")
    env = {**os.environ, "HARBORLIGHT_SPARK_STORAGE": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    named = out.stdout.strip().splitlines()[-1]
    assert str(tmp_path) in named and "harborlight-checkpoints-" in named
    assert list(tmp_path.iterdir()) == []
