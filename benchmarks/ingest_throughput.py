"""Ingest throughput: harborlight's validated, atomic load against DuckDB's own read_csv.

For each scale, one synthetic world is generated (and cached in benchmarks/.cache),
then loaded twice in this process on the same files:
- baseline: DuckDB `read_csv` of every file into a fresh DuckDB file, all columns as text,
  with no validation, no typed columns, no upsert and no per-line errors;
- harborlight: `ingest()` into a fresh warehouse, with everything the contract asks for.
It prints records per second for both and the ratio harborlight / baseline, then the same ratio
without tips.csv: a tips file does not go into the warehouse but into cases in the operational store
(cases/intake.py: each tip a case with its fields sealed, written set-based), so its cost is case
intake, not validation.

Neither clock counts what a process pays once: before any timing, a small world (scale 0.1) is loaded
both ways, untimed. That imports what ingest imports only when it first needs it (the operational
store's modules for tips, the phone-number library, pandas, which DuckDB imports for its first Arrow
result) and opens the first connections, as `import duckdb` before the baseline's clock always did.
What the warm-up took is printed first.

    python benchmarks/ingest_throughput.py            # scales 1, 10 and 100
    python benchmarks/ingest_throughput.py 1 10       # chosen scales
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

from harborlight.config import installation_key
from harborlight.contract.readers import find_record_files
from harborlight.ingest import ingest
from harborlight.synth.world import generate
from harborlight.warehouse import Warehouse

CACHE = Path(__file__).parent / ".cache"
SEED = 1


def _generator_version() -> str:
    """A digest of the generator's source, so a changed generator never reuses an old world."""
    import hashlib

    import harborlight.synth as synth

    digest = hashlib.sha256()
    for path in sorted(Path(synth.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def world(scale: float) -> Path:
    folder = CACHE / f"world-{_generator_version()}-seed{SEED}-scale{scale:g}"
    done = folder / ".complete"
    if not done.exists():
        generate(folder, seed=SEED, scale=scale)
        done.touch()
    return folder


def without_tips(folder: Path) -> Path:
    """A sibling folder of links to every contract file of `folder` but tips.csv."""
    out = folder.with_name(folder.name + "-without-tips")
    out.mkdir(exist_ok=True)
    for path in folder.glob("*.csv"):
        link = out / path.name
        if path.name != "tips.csv" and not link.exists():
            link.symlink_to(path.resolve())
    return out


def baseline_read_csv(folder: Path, db: Path) -> int:
    con = duckdb.connect(str(db))
    total = 0
    files, _ = find_record_files(folder)
    for rf in files:
        con.execute(
            f"CREATE TABLE {rf.record_type.name} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
            [str(rf.path)],
        )
        total += con.execute(f"SELECT count(*) FROM {rf.record_type.name}").fetchone()[0]
    con.close()
    return total


def harborlight_ingest(folder: Path, data_dir: Path) -> int:
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        report = ingest(folder, warehouse)
    assert report.ok
    return sum(f.records for f in report.loaded)


def timed(fn, *args) -> tuple[int, float]:
    start = time.perf_counter()
    n = fn(*args)
    return n, time.perf_counter() - start


def rates(folder: Path) -> tuple[int, float, float]:
    """(records, read_csv rec/s, harborlight rec/s) on the files of `folder`."""
    with tempfile.TemporaryDirectory() as tmp:
        n_base, t_base = timed(baseline_read_csv, folder, Path(tmp) / "baseline.duckdb")
        n_ours, t_ours = timed(harborlight_ingest, folder, Path(tmp) / "data")
    assert n_base == n_ours, (n_base, n_ours)
    return n_ours, n_base / t_base, n_ours / t_ours


WARM_UP_SCALE = 0.1


def warm_up() -> float:
    """Load a small world both ways, untimed by the table, and return the seconds it took."""
    start = time.perf_counter()
    rates(world(WARM_UP_SCALE))
    return time.perf_counter() - start


def main(scales: list[float]) -> None:
    print(f"warm-up (a scale-{WARM_UP_SCALE:g} world loaded both ways, untimed below) took {warm_up():.2f} s")
    print(f"{'scale':>6} {'records':>10} {'read_csv rec/s':>15} {'harborlight rec/s':>18} {'ratio':>6}"
          f" {'ratio without tips':>19}")
    for scale in scales:
        folder = world(scale)
        n, base_rate, our_rate = rates(folder)
        _, base_rest, our_rest = rates(without_tips(folder))
        print(f"{scale:>6g} {n:>10,} {base_rate:>15,.0f} {our_rate:>18,.0f} {our_rate / base_rate:>6.2f}"
              f" {our_rest / base_rest:>19.2f}")


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [1.0, 10.0, 100.0])
