"""The whole pipeline at scale: wall time and peak memory of every stage at about 10k, 100k and 1M records.

Stages, in order: synth, ingest, resolve, score, networks, report (with the fairness audit, as
the demo writes it), packet for the top network, and export in every format. Each stage runs
in a child process of its own on one data directory, so its peak resident memory (RSS, the
child's ru_maxrss from os.wait4) is its own and peaks do not accumulate. A stage's time is
measured inside its child around the library call (imports and opening the warehouse are
not counted). Worlds are cached in benchmarks/.cache; a cached world's synth time and peak
are the ones measured when it was generated.

For each size it prints a table, then the growth ratio of each stage's time between sizes
next to the ratio of their record counts, then the total time and the largest peak.

Targets on this 2-core machine at 1M records: whole pipeline at most 10 minutes and 8 GiB;
no stage's 100k -> 1M time ratio above 12.

    python benchmarks/pipeline_scale.py                  # 10k, 100k and 1M records
    python benchmarks/pipeline_scale.py 10000 100000     # chosen sizes, in records
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
CACHE = HERE / ".cache"
SEED = 1
RECORDS_AT_SCALE_1 = 9312  # records in the synthetic world at scale 1 (seed 1)
SIZES = (10_000, 100_000, 1_000_000)
EXPORT_FORMATS = ("csv", "ftm", "gexf", "i2", "geojson")
STAGES = ("synth", "ingest", "resolve", "score", "networks", "report", "packet") + tuple(
    f"export {f}" for f in EXPORT_FORMATS
)
TARGET_SECONDS = 600
TARGET_MB = 8 * 1024
TARGET_RATIO = 12


def world_folder(scale: float) -> Path:
    sys.path.insert(0, str(HERE))
    from ingest_throughput import _generator_version

    return CACHE / f"pipeline-world-{_generator_version()}-seed{SEED}-scale{scale:.4g}"


# ---- in the child: one stage ------------------------------------------------------------------


def _warehouse(data: Path):
    from harborlight.config import installation_key
    from harborlight.warehouse import Warehouse

    return Warehouse(data / "warehouse.duckdb", installation_key(data))


def run_stage(stage: str, scale: float, data: Path) -> dict:
    """Run one stage on `data` and return its seconds (and what it made, as a count)."""
    folder = world_folder(scale)
    if stage == "synth":
        timing = folder / ".synth.json"
        if timing.exists():
            return json.loads(timing.read_text()) | {"cached": True}
        from harborlight.synth.world import generate

        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        generate(folder, seed=SEED, scale=scale)
        seconds = time.perf_counter() - start
        import resource

        result = {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        timing.write_text(json.dumps(result))
        return result
    _import_stage_modules()
    with _warehouse(data) as warehouse:
        start = time.perf_counter()
        made = _stage_call(stage, warehouse, folder, data)
        return {"seconds": time.perf_counter() - start, "made": made}


def _import_stage_modules() -> None:
    """Import what the stages use before the clock starts: a stage's time is its work, not Python's imports."""
    import harborlight.export  # noqa: F401
    import harborlight.export.csv_export  # noqa: F401
    import harborlight.export.ftm  # noqa: F401
    import harborlight.export.geojson  # noqa: F401
    import harborlight.export.gexf  # noqa: F401
    import harborlight.export.i2  # noqa: F401
    import harborlight.indicators.fairness  # noqa: F401
    import harborlight.indicators.scoring  # noqa: F401
    import harborlight.ingest  # noqa: F401
    import harborlight.network.detect  # noqa: F401
    import harborlight.report.overview  # noqa: F401
    import harborlight.resolve.stage  # noqa: F401
    import harborlight.respond.packet  # noqa: F401


def _stage_call(stage: str, warehouse, folder: Path, data: Path) -> int:
    if stage == "ingest":
        from harborlight.ingest import ingest

        report = ingest(folder, warehouse)
        assert report.ok, "the synthetic world did not load"
        return sum(f.records for f in report.loaded)
    if stage == "resolve":
        from harborlight.resolve.stage import resolve

        return sum(resolve(warehouse).mentions.values())
    if stage == "score":
        from harborlight.indicators.scoring import score

        score(warehouse)
        return warehouse.rows("SELECT count(*) FROM business_scores")[0][0]
    if stage == "networks":
        from harborlight.network.detect import find_networks

        return find_networks(warehouse).networks
    if stage == "report":
        from harborlight.indicators.fairness import groups_from_truth
        from harborlight.report.overview import write_report

        path = write_report(warehouse, data / "report.html", groups_from_truth(warehouse, folder))
        return path.stat().st_size
    if stage == "packet":
        from harborlight.report.overview import top_network_ids
        from harborlight.respond.packet import write_packet

        top = top_network_ids(warehouse, 1)
        if not top:
            return 0
        _, html = write_packet(warehouse, top[0], data / "packet")
        return html.stat().st_size
    if stage.startswith("export "):
        from harborlight.export import export

        fmt = stage.split()[1]
        return sum(export(warehouse, fmt, data / "export" / fmt).values())
    raise ValueError(f"unknown stage {stage!r}")


# ---- in the parent -----------------------------------------------------------------------------


def measure(stage: str, scale: float, data: Path) -> dict:
    """One stage in a child process: its own time, and its peak RSS from os.wait4."""
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", stage, repr(scale), str(data)], stdout=out, stderr=subprocess.PIPE,
            text=True,
        )
        errors = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"stage {stage} failed at scale {scale:g}:\n{errors}")
        out.seek(0)
        result = json.loads(out.read().strip().splitlines()[-1])
    if not result.get("cached"):
        result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def run_size(records: int) -> dict:
    scale = records / RECORDS_AT_SCALE_1
    CACHE.mkdir(exist_ok=True)
    print(f"\n## about {records:,} records (scale {scale:.4g})", flush=True)
    print(f"{'stage':<15} {'seconds':>9} {'peak RSS MB':>12}  made", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="pipeline-scale-") as tmp:
        data = Path(tmp)
        for stage in STAGES:
            r = measure(stage, scale, data)
            results[stage] = r
            note = " (cached world: measured when generated)" if r.get("cached") else ""
            made = f"{r['made']:,}" if "made" in r else ""
            print(f"{stage:<15} {r['seconds']:>9.1f} {r['peak_mb']:>12,.0f}  {made}{note}", flush=True)
    total = sum(r["seconds"] for r in results.values())
    peak = max(r["peak_mb"] for r in results.values())
    loaded = results["ingest"]["made"]
    print(f"{'total':<15} {total:>9.1f} {peak:>12,.0f}  ({loaded:,} records loaded)", flush=True)
    return {"records": loaded, "stages": results, "total": total, "peak": peak}


def print_ratios(runs: list[dict]) -> None:
    if len(runs) < 2:
        return
    pairs = list(zip(runs, runs[1:]))
    print("\n## time ratio per stage (larger size / smaller size)")
    heads = [f"{a['records'] // 1000:,}k->{b['records'] // 1000:,}k" for a, b in pairs]
    print(f"{'stage':<15} " + " ".join(f"{h:>16}" for h in heads))
    for stage in STAGES + ("total",):
        cells = []
        for a, b in pairs:
            ta = a["total"] if stage == "total" else a["stages"][stage]["seconds"]
            tb = b["total"] if stage == "total" else b["stages"][stage]["seconds"]
            cells.append(f"{tb / ta:>16.1f}" if ta > 0 else f"{'-':>16}")
        print(f"{stage:<15} " + " ".join(cells))
    print(f"{'records':<15} " + " ".join(f"{b['records'] / a['records']:>16.1f}" for a, b in pairs))


def main(sizes: list[int]) -> int:
    runs = [run_size(n) for n in sizes]
    print_ratios(runs)
    largest = runs[-1]
    print(f"\ntargets at the largest size ({largest['records']:,} records): total {largest['total']:.0f} s "
          f"(<= {TARGET_SECONDS}), peak {largest['peak']:,.0f} MB (<= {TARGET_MB:,})")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        stage, scale, data = sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])
        print(json.dumps(run_stage(stage, scale, data)))
    else:
        sys.exit(main([int(float(a)) for a in sys.argv[1:]] or list(SIZES)))
