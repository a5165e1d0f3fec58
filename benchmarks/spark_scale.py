"""Spark past one machine: resolution and the graph stage on Spark (local mode), next to DuckDB.

One run times `resolve` and `networks` on the DuckDB engine at one size (the baseline) and
on the Spark engine at each size asked, each size in a child process of its own (its own
peak RSS, its own Spark session). Worlds are the cached ones of ingest_throughput.py (seed
and scale; scale 1 is about 9,300 records). The table gives each run's seconds per stage and
its ratio to the DuckDB baseline's, next to the ratio of record counts.

    python benchmarks/spark_scale.py                          # make bench: DuckDB and Spark at scale 1
    python benchmarks/spark_scale.py --duckdb 107 --spark 540 # 1M records on DuckDB, 5M on Spark (hours here)
    python benchmarks/spark_scale.py --duckdb 107 --spark 540 --max-block-key 300  # both with a lower cap

`--max-block-key` is resolve's own setting (a blocking value shared by more mentions is
skipped), given to every run alike; docs/spark.md says why 5M here needs it lower.

Peak RSS is the Python driver's; Spark's JVM is bounded by HARBORLIGHT_SPARK_DRIVER_MEMORY
(4g by default) in local mode. Ingest is not timed (ingest_throughput.py times it).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harborlight.resolve.engine import DEFAULT_MAX_BLOCK_KEY

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def measure(engine: str, scale: float, max_block_key: int) -> dict:
    """In the child: ingest the cached world, then time resolve and networks on `engine`."""
    from ingest_throughput import world

    from harborlight.config import installation_key
    from harborlight.ingest import ingest
    from harborlight.network.detect import find_networks
    from harborlight.resolve.stage import resolve
    from harborlight.warehouse import Warehouse

    folder = world(scale)
    with tempfile.TemporaryDirectory() as tmp, Warehouse(Path(tmp) / "w.duckdb", installation_key(Path(tmp))) as warehouse:
        records = sum(f.records for f in ingest(folder, warehouse).loaded)
        start = time.perf_counter()
        resolve(warehouse, engine=engine, max_block_key=max_block_key)
        resolved = time.perf_counter()
        report = find_networks(warehouse, engine=engine)
        done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": engine, "scale": scale, "records": records, "resolve": resolved - start,
            "networks": done - resolved, "links": report.links, "networks_found": report.networks, "peak_mb": peak_mb}


def run_child(engine: str, scale: float, max_block_key: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", engine, str(scale), str(max_block_key)],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def main(duckdb_scale: float, spark_scales: list[float], max_block_key: int = DEFAULT_MAX_BLOCK_KEY) -> None:
    print(f"max_block_key {max_block_key}")
    print(f"{'engine':>6} {'scale':>6} {'records':>10} {'resolve s':>9} {'networks s':>10} {'links':>9} "
          f"{'networks':>8} {'peak RSS MB':>11} {'n ratio':>8} {'resolve ratio':>13} {'networks ratio':>14}")
    base = None
    for engine, scale in [("duckdb", duckdb_scale)] + [("spark", s) for s in spark_scales]:
        r = run_child(engine, scale, max_block_key)
        base = base or r
        print(f"{engine:>6} {scale:>6g} {r['records']:>10,} {r['resolve']:>9.1f} {r['networks']:>10.1f} {r['links']:>9,} "
              f"{r['networks_found']:>8,} {r['peak_mb']:>11,.0f} {r['records'] / base['records']:>8.2f} "
              f"{r['resolve'] / base['resolve']:>13.2f} {r['networks'] / base['networks']:>14.2f}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--duckdb", type=float, default=1.0, help="the DuckDB baseline's scale (107 is about 1M records)")
        parser.add_argument("--spark", type=float, nargs="+", default=[1.0],
                            help="the Spark engine's scales (540 is about 5M records)")
        parser.add_argument("--max-block-key", type=int, default=DEFAULT_MAX_BLOCK_KEY,
                            help=f"resolve's cap on a blocking value's mentions, for every run (default {DEFAULT_MAX_BLOCK_KEY})")
        args = parser.parse_args()
        main(args.duckdb, args.spark, args.max_block_key)
