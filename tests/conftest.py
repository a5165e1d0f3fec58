"""Shared fixtures. Each is named for the state it gives."""

from __future__ import annotations

import csv
import fcntl
import gzip
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harborlight.config import installation_key
from harborlight.synth.world import generate
from harborlight.truth import read_truth
from harborlight.warehouse import Warehouse

# One valid record of every contract file.
VALID_ROWS: dict[str, dict[str, str]] = {
    "filings": {
        "source": "fl_sunbiz", "record_id": "P19000000001", "entity_name": "LOTUS WELLNESS LLC",
        "entity_type": "llc", "status": "active", "filed_date": "2019-02-22",
        "principal_address": "100 Main St, Ste 4", "principal_city": "Miami", "principal_state": "FL",
        "principal_zip": "33101", "registered_agent_name": "SUNSTATE AGENTS INC", "registered_agent_type": "company",
    },
    "officers": {
        "source": "fl_sunbiz", "record_id": "P19000000001-1", "filing_record_id": "P19000000001",
        "role": "manager", "name": "ZHANG, WEI", "name_type": "person",
    },
    "fictitious_names": {
        "source": "fl_fictitious", "record_id": "G19000000001", "dba_name": "LOTUS SPA",
        "owner_name": "LOTUS WELLNESS LLC", "owner_filing_record_id": "P19000000001", "filed_date": "2019-03-01",
    },
    "licenses": {
        "source": "fl_massage_board", "record_id": "MA00000001", "license_type": "therapist",
        "license_number": "MA12345", "licensee_name": "Jane Example", "status": "active", "issued_date": "2020-01-05",
    },
    "listings": {
        "source": "reviewhub", "record_id": "re0001", "site_kind": "review_site", "business_name": "Lotus Spa",
        "address": "100 Main Street Suite 4", "city": "Miami", "state": "FL", "phone": "(305) 555-0100",
        "hours": "10am-11pm", "price": "$40/hr", "first_seen": "2021-05-01", "latitude": "25.77", "longitude": "-80.19",
    },
    "reviews": {
        "source": "reviewhub", "record_id": "re0001-r1", "listing_record_id": "re0001",
        "posted_date": "2021-06-01", "reviewer": "handle_one", "rating": "4", "text": "Good pressure, clean room.",
    },
    "tips": {
        "source": "hotline", "record_id": "T0001", "received_at": "2022-01-01T22:05:00Z", "channel": "call",
        "reporter_role": "anonymous", "language": "en", "text": "Women seem to live at the spa.",
    },
    "providers": {
        "source": "provider_directory", "record_id": "PR0001", "name": "Miami Coalition",
        "services": "shelter;legal", "languages": "en;zh", "hours": "24h", "accepts_referrals": "true",
    },
    "outcomes": {
        "source": "court_records", "record_id": "O0001", "operation": "Operation Example", "date": "2023-04-01",
        "person_role": "controller", "action": "arrest",
    },
}

RowsWriter = Callable[..., Path]


def _encode_csv(rows: list[dict[str, object]], header: list[str] | None) -> bytes:
    header = header or list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return buffer.getvalue().encode("utf-8")


def _encode_jsonl(rows: list[dict[str, object]], header: list[str] | None) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8")


@pytest.fixture
def write_rows(tmp_path: Path) -> RowsWriter:
    """Write rows as a contract file: write_rows('filings', rows, fmt='csv', gz=False, folder=None)."""

    def write(
        record_type: str,
        rows: list[dict[str, object]],
        fmt: str = "csv",
        gz: bool = False,
        folder: Path | None = None,
        header: list[str] | None = None,
    ) -> Path:
        folder = folder or tmp_path / "in"
        folder.mkdir(parents=True, exist_ok=True)
        data = (_encode_csv if fmt == "csv" else _encode_jsonl)(rows, header)
        path = folder / f"{record_type}.{fmt}{'.gz' if gz else ''}"
        path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
        return path

    return write


@pytest.fixture
def fresh_warehouse(tmp_path: Path):
    """An empty warehouse in a real DuckDB file."""
    data_dir = tmp_path / "data"
    warehouse = Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir))
    yield warehouse
    warehouse.close()


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder `build` fills, made once per test run even when pytest-xdist runs it in several workers.

    Serially it is a new temporary folder. Under xdist the workers share the run's temporary root (the
    parent of each worker's own); the first worker to get there builds the folder under an exclusive
    lock while the others wait, then all of them read it. Only folders no test writes into are shared
    this way: a test that changes one copies it first (as `networked_world` does)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        out = tmp_path_factory.mktemp(name)
        build(out)
        return out
    root = tmp_path_factory.getbasetemp().parent
    out, done = root / name, root / f"{name}.done"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the lock file closes, even if the build fails
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # what a worker that failed half-way left
            out.mkdir()
            build(out)
            done.touch()
    return out


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Path:
    """A synthetic world at scale 1 (about 1,000 businesses), seed 11, written once per test run
    (shared by the xdist workers; tests only read it)."""
    return built_once(tmp_path_factory, "world", lambda out: generate(out, seed=11, scale=1.0))


@pytest.fixture(scope="session")
def resolved_world(small_world, tmp_path_factory) -> Path:
    """The data directory of a warehouse holding `small_world`, ingested and resolved (shared by the
    xdist workers; tests open it read-only, or copy it)."""
    from harborlight.ingest import ingest
    from harborlight.resolve.stage import resolve

    def build(data_dir: Path) -> None:
        with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
            ingest(small_world, warehouse)
            resolve(warehouse)

    return built_once(tmp_path_factory, "resolved", build)


@pytest.fixture
def resolved_warehouse(resolved_world):
    """`resolved_world`'s warehouse, opened read-only."""
    warehouse = Warehouse(resolved_world / "warehouse.duckdb", installation_key(resolved_world), read_only=True)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def networked_world(resolved_world, tmp_path_factory) -> Path:
    """A copy of `resolved_world` (scale 1, seed 11), scored and with its networks found. One per xdist
    worker, not shared: the workspace's tests write beside it (the case keys, keys/case-keys.json)."""
    from harborlight.indicators.scoring import score
    from harborlight.network.detect import find_networks

    data_dir = tmp_path_factory.mktemp("networked")
    shutil.copytree(resolved_world, data_dir, dirs_exist_ok=True)
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        score(warehouse)
        find_networks(warehouse)
    return data_dir


@pytest.fixture
def networked_warehouse(networked_world):
    """The networked scale-1 world's warehouse, opened read-only."""
    warehouse = Warehouse(networked_world / "warehouse.duckdb", installation_key(networked_world), read_only=True)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def protected_identities(networked_world, small_world) -> dict[str, set[str]]:
    """What must never appear: for each person the world's truth makes a worker or a nominee, every
    name and license number recorded for them, and their entity ids (to check pseudonyms against)."""
    truth = read_truth(small_world)
    protected = {p.id for p in truth.persons.values() if p.protected}
    keys = {key for key, true_id in truth.records.items() if true_id in protected}
    with Warehouse(networked_world / "warehouse.duckdb", installation_key(networked_world), read_only=True) as w:
        rows = w.rows("SELECT record_type, source, record_id, raw_name, license_number, entity_id FROM person_mentions")
    found = [row for row in rows if tuple(row[:3]) in keys]
    return {
        "values": {v for row in found for v in row[3:5] if v and len(v) >= 4},
        "entities": {row[5] for row in found},
    }


@pytest.fixture
def load_resolved(write_rows, fresh_warehouse, tmp_path):
    """Write contract rows into one folder, ingest it and resolve: load_resolved({'filings': [...], ...}).

    Returns the resolve report; the warehouse is `fresh_warehouse`.
    """
    from harborlight.ingest import ingest
    from harborlight.resolve.stage import resolve

    def run(files: dict[str, list[dict]]):
        folder = tmp_path / "records"
        for record_type, rows in files.items():
            write_rows(record_type, rows, folder=folder)
        assert ingest(folder, fresh_warehouse).ok
        return resolve(fresh_warehouse)

    return run


def provider(record_id: str, name: str, state: str, city: str, services: str, languages: str, hours: str) -> dict:
    return {"source": "dir", "record_id": record_id, "name": name, "services": services, "languages": languages,
            "city": city, "state": state, "hours": hours, "accepts_referrals": "true"}


@pytest.fixture
def network_ready(load_resolved, fresh_warehouse):
    """The two-spa network (tests/test_networks.py) loaded, resolved, scored and found, with
    providers and a tip in Korean. Returns its network id; the warehouse is `fresh_warehouse`."""
    from test_networks import two_spa_records

    from harborlight.indicators.scoring import score
    from harborlight.network.detect import find_networks

    files = two_spa_records()
    files["providers"] = [
        provider("P1", "Miami Legal Aid", "FL", "Miami", "legal;immigration", "en;es", "business"),
        provider("P2", "Miami Coalition Shelter", "FL", "Miami", "shelter;hotline;interpretation;medical", "en;ko", "24h"),
        provider("P3", "Houston Shelter", "TX", "Houston", "shelter", "en;ko", "24h"),
    ]
    files["tips"] = [{"source": "hotline", "record_id": "T1", "received_at": "2022-03-01T09:00:00Z", "channel": "call",
                      "reporter_role": "survivor", "language": "ko", "text": "I cannot leave the spa.",
                      "business_name": "Lucky Star Spa"}]
    load_resolved(files)
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    (network_id,) = fresh_warehouse.rows("SELECT network_id FROM networks")[0]
    return network_id


# -- the workspace: its operational store on SQLite or PostgreSQL, and signed-in clients --------
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_url() -> str:
    """A new, empty PostgreSQL database on the machine's server, dropped after the test."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"hl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """The operational store's URL, once for each database the workspace supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workspace.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def workspace(networked_world, tmp_path):
    """A factory of open workspaces over `networked_world` (scale 1, seed 11) with the accounts of
    web_support.ACCOUNTS; each gets its own store (SQLite unless a URL is given)."""
    from web_support import open_workspace

    opened = []

    def make(store_url: str | None = None):
        ws = open_workspace(networked_world, store_url or f"sqlite:///{tmp_path / f'store{len(opened)}.sqlite'}")
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


# -- Debian's Chromium, driven by Playwright (the report, packets and the workspace) ----------------
CHROMIUM = Path(os.environ.get("HARBORLIGHT_CHROMIUM", "/usr/bin/chromium"))
# Headless, and quiet: without the background-networking flags Chromium tries to reach
# Google's hosts at every start, which a closed network refuses.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, launched for each test file that drives it (Playwright's own browser is
    never used). Per file, so Playwright's event loop never outlives the tests that need it."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make install` installs Debian's chromium package")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
