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
# person_protection's resolve_run is the run id it was decided for (checked apart: protection is current).
CIRCUMSTANTIAL = {"batch_id", "loaded_at", "run_at", "applied_at", "last_batch_id", "run_id", "case_ref",
                  "resolve_run"}
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
    # By name: Splink's pair columns come in an order that varies from run to run (Python's string hashing).
    columns = sorted(row[0] for row in warehouse.rows(f"DESCRIBE {name}") if row[0] not in CIRCUMSTANTIAL)
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

    def of(self, stage: str, every_table: bool = True, leaving: tuple[str, ...] = ()) -> dict[str, str | None]:
        return {name: self.digests[name] for name in written_by(stage)
                if (every_table or name not in PER_RUN) and name not in leaving}


def written_by(stage: str) -> list[str]:
    """The tables a stage writes: those it owns, and for networks who is protected (refine_protection)."""
    return [t.name for t in tables_of(stage)] + (["person_protection"] if stage == "networks" else [])


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
    networked: Path  # the data dir after every stage


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
    return Baseline(world, before, after, empty, work, cases, data_dir)


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
        def read_stderr() -> None:
            for chunk in iter(lambda: process.stderr.read1(256), b""):
                seen.extend(chunk)

        threading.Thread(target=read_stderr, daemon=True).start()
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
    """The stage run again, through the library functions the command calls (in this process: a command's
    start-up costs seconds on a shared machine, and the kill above already exercised the command)."""
    from harborlight.ingest import ingest
    from harborlight.indicators.scoring import score
    from harborlight.network.detect import find_networks
    from harborlight.resolve.stage import resolve

    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        if stage == "ingest":
            assert ingest(world, warehouse).ok
        else:
            {"resolve": resolve, "score": score, "networks": find_networks}[stage](warehouse)


def assert_current(data_dir: Path, stage: str) -> None:
    """The stage and every one before it are current, and who is protected was decided for these entities."""
    from harborlight.protection import protection_is_current
    from harborlight.stages.freshness import require_fresh

    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir), read_only=True) as warehouse:
        require_fresh(warehouse, *[s for s in BEFORE[stage] + (stage,) if s != "ingest"], what="the test")
        assert protection_is_current(warehouse)


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
            mine = tuple(written_by(stage))
            assert after_kill.of(upstream, leaving=mine) == old.of(upstream, leaving=mine), (point, upstream)
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
        print(f"{stage} {point}: exit {status}, {'new' if after_kill.of(stage) == new.of(stage) else 'not new'}")
        rerun(stage, baseline.world, data_dir)
        again = read_state(data_dir)
        for done in BEFORE[stage] + (stage,):
            assert again.of(done, False) == new.of(done, False), (point, done)
        assert again.runs[-1] == stage
        if stage != "ingest":
            assert_current(data_dir, stage)
        if stage == "ingest":
            # tips: each case once in the store, and every signal points at one of them
            refs = case_refs(data_dir)
            assert len(refs) == len(set(refs)) == baseline.cases, point
            assert set(signal_refs(data_dir)) <= set(refs), point
    assert interrupted, f"no kill landed before {stage} finished: the kill points missed the work"


# -- the served workspace, killed during a packet release ---------------------------------------------
ANALYST, INVESTIGATOR, AGENCY = "fault-analyst", "fault-investigator", "Bay County Task Force"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    process: subprocess.Popen
    base: str

    def signed_in(self) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=120)
        signed = client.post("/api/session", json={"handle": ANALYST, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        return client


def serve(data_dir: Path, store_url: str) -> Served:
    """A real `harborlight serve`, started and answering."""
    port = free_port()
    env = cli_env() | {"HARBORLIGHT_DATA_DIR": str(data_dir), "HARBORLIGHT_DATABASE_URL": store_url}
    process = subprocess.Popen(HARBORLIGHT + ["serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    while True:  # it either starts answering or exits with the reason on stderr
        assert process.poll() is None, process.stderr.read()
        try:
            httpx.get(f"{base}/login")
            return Served(process, base)
        except httpx.TransportError:
            time.sleep(0.05)


def store_state(data_dir: Path, store_url: str) -> tuple[list[int], list[str], int]:
    """(release ids, subjects of packet_release audit entries, audit problems), read as a restarted server
    reads the store: opened (and migrated) afresh."""
    from sqlalchemy import select

    from harborlight.config import Settings
    from harborlight.store import open_store
    from harborlight.store.audit import verify
    from harborlight.store.models import AuditEntry, PacketRelease

    store = open_store(Settings(data_dir=data_dir, database_url=store_url))
    try:
        with store.session() as session:
            releases = sorted(session.execute(select(PacketRelease.id)).scalars())
            subjects = sorted(session.execute(
                select(AuditEntry.subject).where(AuditEntry.action == "packet_release")).scalars())
            _checked, problems = verify(session)
    finally:
        store.close()
    return releases, subjects, len(problems)


def prepared_workspace(baseline: Baseline, tmp_path: Path, store_url: str) -> tuple[Path, int]:
    """A copy of the networked data dir, its store holding an analyst and an investigator's agency;
    returns the data dir and the agency's id."""
    from harborlight.config import Settings
    from harborlight.store import open_store
    from harborlight.store.accounts import add_user, agency_named

    data_dir = tmp_path / "data"
    shutil.copytree(baseline.networked, data_dir)
    store = open_store(Settings(data_dir=data_dir, database_url=store_url))
    try:
        with store.writing() as session:
            add_user(session, ANALYST, PASSWORD, "analyst", by_actor="test")
            add_user(session, INVESTIGATOR, PASSWORD, "investigator", AGENCY, by_actor="test")
            agency_id = agency_named(session, AGENCY).id
    finally:
        store.close()
    return data_dir, agency_id


def test_a_server_killed_during_a_release_keeps_it_with_its_audit_entry_or_not_at_all(baseline, tmp_path, store_url):
    data_dir, agency_id = prepared_workspace(baseline, tmp_path, store_url)
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir), read_only=True) as warehouse:
        networks = [r[0] for r in warehouse.rows("SELECT network_id FROM networks ORDER BY risk_score DESC NULLS LAST, "
                                                  "network_id")]
    # An uninterrupted release first: which network may be released, and how long a release takes.
    served = serve(data_dir, store_url)
    try:
        client = served.signed_in()
        for network_id in networks:
            started = time.monotonic()
            made = client.post("/api/packets", json={"network_id": network_id, "agency_id": agency_id})
            took = time.monotonic() - started
            if made.status_code == 201:
                break
        assert made.status_code == 201, made.text
    finally:
        served.process.send_signal(signal.SIGKILL)
        served.process.wait()
    body = {"network_id": network_id, "agency_id": agency_id, "note": "released under test"}
    lost_replies = 0
    for fraction in (0.0, 0.5, 0.85, 0.95, 1.05):  # the later ones near the commit at the end
        before = store_state(data_dir, store_url)
        served = serve(data_dir, store_url)  # a restart after the last kill
        client = served.signed_in()
        reply: list[object] = []

        def send(client: httpx.Client = client, reply: list[object] = reply) -> None:
            try:
                reply.append(client.post("/api/packets", json=body))
            except httpx.TransportError as exc:
                reply.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(fraction * took)
        served.process.send_signal(signal.SIGKILL)
        served.process.wait()
        sender.join()
        client.close()
        releases, subjects, problems = store_state(data_dir, store_url)
        assert problems == 0, fraction
        assert subjects == sorted(f"release:{i}" for i in releases), fraction  # each release with its entry
        assert len(releases) - len(before[0]) in (0, 1), fraction
        answered = reply and isinstance(reply[0], httpx.Response)
        print(f"release killed at {fraction:.2f} x {took:.2f}s: answered {bool(answered)}, "
              f"recorded {len(releases) - len(before[0])}")
        if answered:  # a release the server confirmed is kept
            assert reply[0].status_code == 201, reply[0].text
            assert len(releases) == len(before[0]) + 1, fraction
        else:
            lost_replies += 1
    assert lost_replies, "every release was answered before the kill: none landed during a request"
    verified = subprocess.run(HARBORLIGHT + ["audit", "verify", "--data-dir", str(data_dir)],
                              env=cli_env() | {"HARBORLIGHT_DATABASE_URL": store_url}, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit chain intact" in verified.stdout
