"""Crashes (issue 15, item 3): `kill -9` of the real command line during ingest, resolve, score and networks,
and of the served workspace during a packet release.

After every kill the warehouse opens; what the stages before wrote is as it was; what the killed stage writes
is either as it was before the run or as a whole run leaves it, never a mix; and running the stage again gives
exactly what an uninterrupted run gives (every table the stage owns, compared row by row through an ordered
hash). The kills are placed by watching the process, not by the clock alone: when it opens the warehouse (plus
fractions of how long the uninterrupted run worked after that), when DuckDB's write-ahead log appears (a commit
under way), and for resolve when it says it is writing its entities. The world is small (scale 0.3, seed 5).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from harborlight.config import installation_key
from harborlight.stages.tables import TABLES, tables_of
from harborlight.warehouse import Warehouse

HARBORLIGHT = [sys.executable, "-c",
               "import sys; from harborlight.cli import main; sys.argv[0] = 'harborlight'; sys.exit(main())"]
STAGES = ("ingest", "resolve", "score", "networks")
BEFORE = {"ingest": (), "resolve": ("ingest",), "score": ("ingest", "resolve"),
          "networks": ("ingest", "resolve", "score")}
# Columns that say when or in which numbered load something happened, not what it holds: a load made
# again after a crash gets new batch numbers and times, with the same records.
# A hotline signal's case_ref is random per case (its pairing with the store's cases is checked apart).
CIRCUMSTANTIAL = {"batch_id", "loaded_at", "run_at", "applied_at", "last_batch_id", "run_id", "case_ref"}
# Tables that keep a row per run: a stage run again after a kill that landed after its commit adds one.
PER_RUN = {"stage_runs", "resolution_runs", "batches", "schema_migrations"}
PASSWORD = "correct horse battery"


def stage_command(stage: str, world: Path, data_dir: Path) -> list[str]:
    return HARBORLIGHT + ([stage, str(world)] if stage == "ingest" else [stage]) + ["--data-dir", str(data_dir)]


def cli_env() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}


# -- what a warehouse holds, table by table -------------------------------------------------------
def _canonical(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.9g}"  # the last bits of a float sum depend on DuckDB's thread order
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


def table_digest(warehouse: Warehouse, name: str) -> str | None:
    """An ordered hash of a table's rows, without its circumstantial columns; None when it does not exist."""
    if not warehouse.table_exists(name):
        return None
    columns = [row[0] for row in warehouse.rows(f"DESCRIBE {name}") if row[0] not in CIRCUMSTANTIAL]
    if name == "batches":  # the loads that changed something, whichever run made them
        sql = f"SELECT {', '.join(columns)} FROM batches WHERE inserted > 0 OR updated > 0 ORDER BY ALL"
    else:
        sql = f"SELECT {', '.join(columns)} FROM {name} ORDER BY ALL"
    digest = hashlib.sha256()
    for row in warehouse.rows(sql):
        digest.update(("\t".join(_canonical(v) for v in row) + "\n").encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class State:
    """What a data dir's warehouse holds: each declared table's digest, and the stage runs recorded."""

    digests: dict[str, str | None]
    runs: tuple[str, ...]  # the stage of each run, in order

    def of(self, stage: str, every_table: bool = True) -> dict[str, str | None]:
        return {t.name: self.digests[t.name] for t in tables_of(stage) if every_table or t.name not in PER_RUN}


def read_state(data_dir: Path) -> State:
    """Open the warehouse writable, as the next command would after the crash, and read what it holds."""
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        digests = {name: table_digest(warehouse, name) for name in TABLES}
        runs = tuple(r[0] for r in warehouse.rows("SELECT stage FROM stage_runs ORDER BY run_id")) \
            if warehouse.table_exists("stage_runs") else ()
    return State(digests, runs)


def case_refs(data_dir: Path) -> list[str]:
    """The refs of the hotline cases in the data dir's SQLite store (a tips file goes into cases)."""
    import sqlite3

    path = data_dir / "workspace.sqlite"
    if not path.exists():
        return []
    con = sqlite3.connect(path)
    try:
        if not con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'hotline_cases'").fetchone()[0]:
            return []
        return [r[0] for r in con.execute("SELECT ref FROM hotline_cases")]
    finally:
        con.close()


def signal_refs(data_dir: Path) -> list[str]:
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir), read_only=True) as warehouse:
        return [r[0] for r in warehouse.rows("SELECT case_ref FROM hotline_signals")]


# -- the uninterrupted pipeline, once ---------------------------------------------------------------
@dataclass(frozen=True)
class Baseline:
    world: Path
    before: dict[str, Path]  # stage -> a data dir as it was before the stage ran
    after: dict[str, State]  # stage -> what the warehouse held after it
    empty: State  # a fresh warehouse, before any load
    work: dict[str, float]  # stage -> seconds from opening the warehouse to exiting
    cases: int  # hotline cases after ingest


def warehouse_opened(pid: int, warehouse: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(warehouse) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def run_watched(command: list[str], data_dir: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run a command to its end; returns it and how long it ran after it opened the warehouse."""
    warehouse = (data_dir / "warehouse.duckdb").resolve()
    process = subprocess.Popen(command, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    opened = None
    while process.poll() is None:
        if opened is None and warehouse_opened(process.pid, warehouse):
            opened = time.monotonic()
        time.sleep(0.005)
    out, err = process.communicate()
    ended = time.monotonic()
    return subprocess.CompletedProcess(command, process.returncode, out, err), ended - (opened or ended)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Baseline:
    root = tmp_path_factory.mktemp("faults")
    world = root / "world"
    made = subprocess.run(HARBORLIGHT + ["synth", "--out", str(world), "--scale", "0.3", "--seed", "5"],
                          env=cli_env(), capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    data_dir = root / "data"
    data_dir.mkdir()
    installation_key(data_dir)  # the key is made before any load, so every copy shares it
    Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)).close()
    empty = read_state(data_dir)
    before, after, work = {}, {}, {}
    for stage in STAGES:
        before[stage] = root / f"before-{stage}"
        shutil.copytree(data_dir, before[stage])
        done, work[stage] = run_watched(stage_command(stage, world, data_dir), data_dir)
        assert done.returncode == 0, done.stderr
        after[stage] = read_state(data_dir)
        if stage == "ingest":
            cases = len(case_refs(data_dir))
    return Baseline(world, before, after, empty, work, cases)


# -- kills ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kill:
    """Where to kill: `after` seconds past the moment `when` (opened: the process holds the warehouse open;
    wal: the write-ahead log exists; a text: that line is on stderr)."""

    when: str
    after: float = 0.0


def kill_points(stage: str, work: float) -> list[Kill]:
    points = [Kill("opened"), Kill("opened", 0.4 * work), Kill("opened", 0.8 * work), Kill("wal")]
    if stage == "resolve":
        points.append(Kill("- writing entities"))
    return points


def kill_during(command: list[str], data_dir: Path, point: Kill) -> int:
    """Start `command`, wait for `point`, kill -9 it; returns its exit status (-9 when the kill landed)."""
    warehouse = (data_dir / "warehouse.duckdb").resolve()
    wal = warehouse.with_name(warehouse.name + ".wal")
    watch_stderr = point.when not in ("opened", "wal")
    process = subprocess.Popen(command, env=cli_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE if watch_stderr else subprocess.DEVNULL)
    seen = bytearray()
    if watch_stderr:
        threading.Thread(target=lambda: seen.extend(iter(lambda: process.stderr.read(1), b"")), daemon=True).start()
    while process.poll() is None:
        if point.when == "opened":
            reached = warehouse_opened(process.pid, warehouse)
        elif point.when == "wal":
            reached = wal.exists()
        else:
            reached = point.when.encode() in bytes(seen)
        if reached:
            time.sleep(point.after)
            break
        time.sleep(0.002)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()
    return process.returncode


def rerun(stage: str, world: Path, data_dir: Path) -> None:
    done = subprocess.run(stage_command(stage, world, data_dir), env=cli_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_killed_at_any_point_leaves_the_old_or_the_new_and_runs_again_to_the_same(stage, baseline, tmp_path):
    old = read_state(baseline.before[stage]) if stage != "ingest" else baseline.empty
    new = baseline.after[stage]
    interrupted = 0
    for i, point in enumerate(kill_points(stage, baseline.work[stage])):
        data_dir = tmp_path / f"kill-{i}"
        shutil.copytree(baseline.before[stage], data_dir)
        status = kill_during(stage_command(stage, baseline.world, data_dir), data_dir, point)
        after_kill = read_state(data_dir)  # the warehouse opens
        for upstream in BEFORE[stage]:  # what earlier stages wrote is untouched
            assert after_kill.of(upstream) == old.of(upstream), (point, upstream)
        if stage == "ingest":
            # Each file loads in its own transaction: each record table is empty or holds its whole file.
            for name, digest in after_kill.of("ingest", every_table=False).items():
                assert digest in (old.digests[name], new.digests[name]), (point, name)
        else:
            written = after_kill.of(stage)
            assert written in (old.of(stage), new.of(stage)), (point, stage)
            complete = written == new.of(stage)
            assert after_kill.runs == (new.runs if complete else old.runs), (point, after_kill.runs)
        if status == -signal.SIGKILL and after_kill.of(stage) != new.of(stage):
            interrupted += 1
        rerun(stage, baseline.world, data_dir)
        again = read_state(data_dir)
        for done in BEFORE[stage] + (stage,):
            assert again.of(done, every_table=False) == new.of(done, every_table=False), (point, done)
        assert again.runs[-1] == stage
        if stage == "ingest":
            # tips: each case once in the store, and every signal points at one of them
            refs = case_refs(data_dir)
            assert len(refs) == len(set(refs)) == baseline.cases, point
            assert set(signal_refs(data_dir)) <= set(refs), point
    assert interrupted, f"no kill landed before {stage} finished: the kill points missed the work"
