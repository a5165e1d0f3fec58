"""Resolution at scale: wall time and peak memory for about 10k, 100k and 1M records.

Each size runs in a child process of its own, so its peak resident memory (RSS) is its
own. Worlds are cached in benchmarks/.cache. The baseline is the smallest size, run in
the same `make bench` on the same machine: the table prints each size's time ratio to the
size before it, next to the ratio of their record counts and of n log n.

Targets on a 2-core, 24 GiB machine: 1M records in under 10 minutes and 8 GiB; the
1M/100k time ratio at most 12.

    python benchmarks/resolve_scale.py            # scales 1, 10, 100
    python benchmarks/resolve_scale.py 1 10       # chosen scales
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def measure(scale: float) -> dict:
    """In the child: ingest the cached world (not timed), then time resolve()."""
    from ingest_throughput import world

    from harborlight.config import installation_key
    from harborlight.ingest import ingest
    from harborlight.resolve.stage import resolve
    from harborlight.warehouse import Warehouse

    folder = world(scale)
    with tempfile.TemporaryDirectory() as tmp, Warehouse(Path(tmp) / "w.duckdb", installation_key(Path(tmp))) as warehouse:
        records = sum(f.records for f in ingest(folder, warehouse).loaded)
        start = time.perf_counter()
        report = resolve(warehouse)
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"records": records, "seconds": seconds, "peak_mb": peak_mb, "mentions": sum(report.mentions.values())}


def main(scales: list[float]) -> None:
    print(f"{'scale':>6} {'records':>10} {'mentions':>9} {'seconds':>8} {'peak RSS MB':>11} {'time ratio':>10} {'n ratio':>8} {'n log n ratio':>13}")
    previous = None
    for scale in scales:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(scale)], capture_output=True, text=True, check=True
        ).stdout.strip().splitlines()[-1]
        result = json.loads(out)
        ratios = ("", "", "")
        if previous:
            n0, n1 = previous["records"], result["records"]
            ratios = (
                f"{result['seconds'] / previous['seconds']:.2f}",
                f"{n1 / n0:.2f}",
                f"{(n1 * math.log(n1)) / (n0 * math.log(n0)):.2f}",
            )
        print(
            f"{scale:>6g} {result['records']:>10,} {result['mentions']:>9,} {result['seconds']:>8.1f} "
            f"{result['peak_mb']:>11,.0f} {ratios[0]:>10} {ratios[1]:>8} {ratios[2]:>13}",
            flush=True,
        )
        previous = result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure(float(sys.argv[2]))))
    else:
        main([float(a) for a in sys.argv[1:]] or [1.0, 10.0, 100.0])
