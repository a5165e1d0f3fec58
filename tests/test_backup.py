"""`harborlight backup` and `harborlight restore`: a round trip gives back the same state (every export
byte for byte, the store's rows and audit chain, the keys), and a damaged backup is refused before
anything is touched."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from harborlight.backup import BackupError, make_backup, restore_backup
from harborlight.cases.keys import open_keyring
from harborlight.cli import app
from harborlight.config import Settings, installation_key
from harborlight.export import FORMATS, export
from harborlight.store import open_store
from harborlight.store import audit
from harborlight.store.accounts import add_user, agency_named
from harborlight.store.models import AuditEntry, PacketRelease, User
from harborlight.warehouse import Warehouse

PASSWORD = "correct horse battery"
SEALED_CONTEXT = "contact:backup-test:caller_name"


def build_data_dir(networked_world: Path, data_dir: Path, database_url: str | None) -> str:
    """A data directory holding the networked scale-1 world, a store with accounts and a packet release
    (each audited), and the case key file. Returns a value sealed under the case key."""
    shutil.copytree(networked_world, data_dir)
    settings = Settings(data_dir=data_dir, database_url=database_url)
    store = open_store(settings)
    try:
        with store.writing() as session:
            agency = agency_named(session, "Bay County Task Force", create=True)
            analyst = add_user(session, "analyst", PASSWORD, "analyst", by_actor="test")
            add_user(session, "investigator", PASSWORD, "investigator", "Bay County Task Force", by_actor="test")
            packet_json = json.dumps({"network": "N1", "controllers": 2})
            release = PacketRelease(network_id="N1", agency_id=agency.id, released_by=analyst.id, note="",
                                    networks_run="run-1", packet_json=packet_json,
                                    packet_digest=hashlib.sha256(packet_json.encode()).hexdigest())
            session.add(release)
            session.flush()
            audit.append(session, "packet_release", "analyst", f"release:{release.id}", {"network": "N1"})
    finally:
        store.close()
    return open_keyring(settings).seal("a survivor's name", SEALED_CONTEXT)


def exports_of(data_dir: Path, out: Path) -> dict[str, bytes]:
    """Every export format of the data directory's warehouse: relative path -> bytes."""
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir), read_only=True) as warehouse:
        for fmt in FORMATS:
            export(warehouse, fmt, out / fmt)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def store_state(settings: Settings) -> dict:
    store = open_store(settings, migrate=False)
    try:
        with store.session() as session:
            checked, problems = audit.verify(session)
            return {
                "users": sorted(session.execute(select(User.handle, User.role)).all()),
                "releases": session.execute(select(PacketRelease.network_id, PacketRelease.packet_digest)).all(),
                "audit": session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq)).all(),
                "checked": checked, "problems": problems,
            }
    finally:
        store.close()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_restore_gives_back_byte_identical_exports_store_and_keys(store_kind, networked_world, tmp_path, request):
    source_url = request.getfixturevalue("postgres_url") if store_kind == "postgresql" else None
    original = tmp_path / "original"
    sealed = build_data_dir(networked_world, original, source_url)
    source = Settings(data_dir=original, database_url=source_url)
    before = store_state(source)
    assert before["problems"] == [] and before["checked"] >= 3  # two accounts and the release, at least

    made = make_backup(source, tmp_path / "backup")
    kinds = {entry.what for entry in made.manifest.entries}
    assert {"warehouse", "installation-key", "case-keys",
            "store-sqlite" if store_kind == "sqlite" else "store-pg_dump"} <= kinds
    assert mode_of(tmp_path / "backup") == 0o700
    assert all(mode_of(tmp_path / "backup" / e.path) == 0o600 for e in made.manifest.entries)

    target_url = _second_database(request) if store_kind == "postgresql" else None
    restored_dir = tmp_path / "restored"
    target = Settings(data_dir=restored_dir, database_url=target_url)
    restore_backup(target, tmp_path / "backup")

    assert exports_of(restored_dir, tmp_path / "after") == exports_of(original, tmp_path / "before")
    after = store_state(target)
    assert after == before
    assert (restored_dir / "secret.key").read_bytes() == (original / "secret.key").read_bytes()
    assert mode_of(restored_dir / "secret.key") == 0o600
    keys = restored_dir / "keys" / "case-keys.json"
    assert keys.read_bytes() == (original / "keys" / "case-keys.json").read_bytes() and mode_of(keys) == 0o600
    assert open_keyring(target, create=False).unseal(sealed, SEALED_CONTEXT) == "a survivor's name"
    assert not list(tmp_path.glob(".restored.*")), "the staging folder beside the data directory is left over"


def _second_database(request) -> str:
    """Another empty database (postgres_url gives one per test), made and dropped like that fixture's."""
    import uuid

    from sqlalchemy import create_engine, text

    from conftest import POSTGRES_SERVER

    name = f"hl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    return f"{POSTGRES_SERVER}/{name}"


# -- a small data directory for the refusals: a warehouse, a SQLite store and keys, no pipeline ----
@pytest.fixture
def backed_up(tmp_path) -> tuple[Path, Path]:
    """(the backup folder, the data directory it was made from)."""
    data_dir = tmp_path / "data"
    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir)) as warehouse:
        warehouse.run("CREATE TABLE notes_for_backup AS SELECT 42 AS answer")
    settings = Settings(data_dir=data_dir)
    store = open_store(settings)
    try:
        with store.writing() as session:
            add_user(session, "admin", PASSWORD, "admin", by_actor="test")
    finally:
        store.close()
    open_keyring(settings)
    make_backup(settings, tmp_path / "backup")
    return tmp_path / "backup", data_dir


def _refused(backup: Path, target: Path, naming: str) -> str:
    with pytest.raises(BackupError) as refused:
        restore_backup(Settings(data_dir=target), backup)
    message = str(refused.value)
    assert naming in message and "\n" not in message
    return message


def test_a_flipped_byte_is_refused_and_the_target_is_untouched(backed_up, tmp_path):
    backup, _ = backed_up
    warehouse = backup / "warehouse.duckdb"
    data = bytearray(warehouse.read_bytes())
    data[len(data) // 2] ^= 0x01
    warehouse.write_bytes(bytes(data))
    target = tmp_path / "target"
    assert "SHA-256" in _refused(backup, target, str(warehouse))
    assert not target.exists()
    assert not list(tmp_path.glob(".target.*"))


def test_a_deleted_file_is_refused(backed_up, tmp_path):
    backup, _ = backed_up
    (backup / "keys" / "case-keys.json").unlink()
    target = tmp_path / "target"
    assert "missing" in _refused(backup, target, "case-keys.json")
    assert not target.exists()


def test_a_truncated_manifest_is_refused(backed_up, tmp_path):
    backup, _ = backed_up
    manifest = backup / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:40])
    target = tmp_path / "target"
    target.mkdir()
    assert "not valid JSON" in _refused(backup, target, str(manifest))
    assert list(target.iterdir()) == []


def test_a_file_the_manifest_does_not_list_is_refused(backed_up, tmp_path):
    backup, _ = backed_up
    (backup / "extra.sql").write_text("DROP TABLE users;")
    assert "not listed" in _refused(backup, tmp_path / "target", "extra.sql")


def test_a_manifest_entry_removed_is_refused(backed_up, tmp_path):
    backup, _ = backed_up
    manifest = backup / "manifest.json"
    data = json.loads(manifest.read_text())
    data["files"] = [f for f in data["files"] if f["what"] != "installation-key"]
    manifest.write_text(json.dumps(data))
    assert "not listed" in _refused(backup, tmp_path / "target", "secret.key")


def test_a_backup_without_its_manifest_is_refused(backed_up, tmp_path):
    backup, _ = backed_up
    (backup / "manifest.json").unlink()
    assert "missing" in _refused(backup, tmp_path / "target", "manifest.json")


def test_a_non_empty_data_dir_is_kept_unless_forced(backed_up, tmp_path):
    backup, _ = backed_up
    target = tmp_path / "target"
    target.mkdir()
    (target / "warehouse.duckdb").write_bytes(b"the data already here")
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(Settings(data_dir=target), backup)
    assert (target / "warehouse.duckdb").read_bytes() == b"the data already here"

    restored = restore_backup(Settings(data_dir=target), backup, force=True)
    assert restored.replaced
    with Warehouse(target / "warehouse.duckdb", installation_key(target), read_only=True) as warehouse:
        assert warehouse.rows("SELECT answer FROM notes_for_backup") == [(42,)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".target")) == []


def test_backup_refuses_a_destination_that_is_not_empty(backed_up, tmp_path):
    _, data_dir = backed_up
    dest = tmp_path / "used"
    dest.mkdir()
    (dest / "keep.txt").write_text("keep me")
    with pytest.raises(BackupError, match="not an empty folder"):
        make_backup(Settings(data_dir=data_dir), dest)
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_the_sqlite_store_backup_is_one_file_holding_what_the_live_wal_held(backed_up, tmp_path):
    """The store is written while its connection stays open (WAL not checkpointed); the backup still holds it."""
    _, data_dir = backed_up
    settings = Settings(data_dir=data_dir)
    store = open_store(settings)
    try:
        with store.writing() as session:
            add_user(session, "late-analyst", PASSWORD, "analyst", by_actor="test")
        assert (data_dir / "workspace.sqlite-wal").exists()
        made = make_backup(settings, tmp_path / "second")
    finally:
        store.close()
    assert not (tmp_path / "second" / "workspace.sqlite-wal").exists()
    assert "store-sqlite" in {e.what for e in made.manifest.entries}
    target = Settings(data_dir=tmp_path / "restored")
    restore_backup(target, tmp_path / "second")
    restored = open_store(target, migrate=False)
    try:
        with restored.session() as session:
            assert session.execute(select(func.count()).select_from(User).where(User.handle == "late-analyst")).scalar() == 1
    finally:
        restored.close()


def test_the_commands_back_up_and_restore_and_print_no_secret(backed_up, tmp_path):
    _, data_dir = backed_up
    runner = CliRunner()
    made = runner.invoke(app, ["backup", str(tmp_path / "cli-backup"), "--data-dir", str(data_dir)])
    assert made.exit_code == 0, made.output
    assert "manifest.json written last" in made.output
    key = (data_dir / "secret.key").read_bytes()
    assert key.hex() not in made.output and "keys" in made.output  # names the key file, never its bytes
    restored = runner.invoke(app, ["restore", str(tmp_path / "cli-backup"), "--data-dir", str(tmp_path / "cli-data")])
    assert restored.exit_code == 0, restored.output
    assert (tmp_path / "cli-data" / "secret.key").read_bytes() == key
    again = runner.invoke(app, ["restore", str(tmp_path / "cli-backup"), "--data-dir", str(tmp_path / "cli-data")])
    assert isinstance(again.exception, BackupError) and "not empty" in str(again.exception)  # main() prints it, exit 2


def test_a_postgresql_store_is_replaced_only_when_forced(postgres_url, tmp_path, request):
    source = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    store = open_store(source)
    try:
        with store.writing() as session:
            add_user(session, "admin", PASSWORD, "admin", by_actor="test")
    finally:
        store.close()
    make_backup(source, tmp_path / "backup")
    target_url = _second_database(request)
    occupied = open_store(Settings(data_dir=tmp_path / "other", database_url=target_url))
    try:
        with occupied.writing() as session:
            add_user(session, "someone-else", PASSWORD, "analyst", by_actor="test")
    finally:
        occupied.close()
    target = Settings(data_dir=tmp_path / "restored", database_url=target_url)
    with pytest.raises(BackupError, match="already holds a workspace") as refused:
        restore_backup(target, tmp_path / "backup")
    assert "postgres@127.0.0.1" in str(refused.value) and not (tmp_path / "restored").exists()

    restore_backup(target, tmp_path / "backup", force=True)
    state = store_state(target)
    assert [handle for handle, _ in state["users"]] == ["admin"] and state["problems"] == []


def test_a_sqlite_backup_is_not_restored_over_a_configured_postgresql_store(backed_up, tmp_path):
    backup, _ = backed_up
    target = Settings(data_dir=tmp_path / "target", database_url="postgresql+psycopg://u:hunter2@127.0.0.1/none")
    with pytest.raises(BackupError, match="SQLite store") as refused:
        restore_backup(target, backup)
    assert "hunter2" not in str(refused.value) and not (tmp_path / "target").exists()


def test_the_warehouse_is_backed_up_while_another_process_holds_it_read_only(backed_up, tmp_path):
    """As while the workspace serves it: the writable open fails, and a shared read-only lock is taken instead."""
    import subprocess
    import sys

    _, data_dir = backed_up
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
                               "print('open', flush=True); sys.stdin.read()", str(data_dir / "warehouse.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        made = make_backup(Settings(data_dir=data_dir), tmp_path / "while-served")
    finally:
        holder.communicate("")
    assert made.manifest.entry("warehouse") is not None
    restore_backup(Settings(data_dir=tmp_path / "restored"), tmp_path / "while-served")
    with Warehouse(tmp_path / "restored" / "warehouse.duckdb", installation_key(tmp_path / "restored"),
                   read_only=True) as warehouse:
        assert warehouse.rows("SELECT answer FROM notes_for_backup") == [(42,)]
