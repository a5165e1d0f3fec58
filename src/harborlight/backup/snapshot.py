"""`harborlight backup DEST`: consistent copies of a data directory's state, then the manifest.

- the warehouse: a CHECKPOINT under a writable connection, then a copy while that connection holds
  DuckDB's lock; when the server holds the file open read-only, a read-only connection's shared lock
  keeps writers out instead, and the write-ahead log (if any) is copied with the file;
- the store: SQLite's online backup API (never a raw copy of a live WAL database), or pg_dump;
- the installation key and the case key file, kept at mode 0600.

Every file is written at mode 0600 in a folder at 0700: a backup holds the keys and personal data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy.engine import make_url

from harborlight.backup import postgres
from harborlight.backup.manifest import BackupError, Entry, Manifest, entry_for, write_manifest
from harborlight.config import SECRET_FILE, Settings
from harborlight.errors import file_error

WAREHOUSE = "warehouse.duckdb"
WAREHOUSE_WAL = "warehouse.duckdb.wal"
INSTALLATION_KEY = SECRET_FILE
STORE_SQLITE = "workspace.sqlite"
STORE_DUMP = "store.pgdump"
CASE_KEYS = "keys/case-keys.json"


@dataclass(frozen=True)
class BackedUp:
    dest: Path
    manifest: Manifest


def checkpoint_sql() -> str:
    return "CHECKPOINT"


def private_copy(source: Path, target: Path) -> None:
    """Copy `source` to a new file `target` readable by its owner only, synced to disk."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as src, os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())


def copy_warehouse(path: Path, dest: Path) -> list[str]:
    """Copy the warehouse (and its WAL, when a read-only holder keeps one) under DuckDB's lock."""
    try:
        connection = duckdb.connect(str(path))
        connection.execute(checkpoint_sql())
    except duckdb.Error:
        try:  # the workspace holds it read-only: a shared lock, and no writer can hold it meanwhile
            connection = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            raise BackupError(f"{path}: the warehouse is open in a writing command; "
                              "back up when it has finished") from None
    try:
        copied = [WAREHOUSE]
        private_copy(path, dest / WAREHOUSE)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            private_copy(wal, dest / WAREHOUSE_WAL)
            copied.append(WAREHOUSE_WAL)
        return copied
    finally:
        connection.close()


def copy_sqlite(path: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while the server writes (its WAL included)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    source = sqlite3.connect(path)  # exists (checked): connecting makes nothing
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: SQLite's backup of the store failed: {exc}") from None
    finally:
        source.close()


def _check_dest(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest}: exists and is not an empty folder; back up into a new one")
    try:
        dest.mkdir(parents=True, exist_ok=True, mode=0o700)
        dest.chmod(0o700)
    except OSError as exc:
        raise file_error(exc) from None


def _empty(dest: Path) -> None:
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def make_backup(settings: Settings, dest: Path) -> BackedUp:
    """Back up `settings`' data directory into `dest` (new, or an empty folder). A failure leaves
    `dest` empty: no manifest, so nothing could restore from a half-made backup."""
    _check_dest(dest)
    try:
        entries = _copy_all(settings, dest)
        if not entries:
            raise BackupError(f"{settings.data_dir}: no warehouse, store or key to back up")
        manifest = write_manifest(dest, entries)
    except BaseException:
        _empty(dest)
        raise
    return BackedUp(dest, manifest)


def _copy_all(settings: Settings, dest: Path) -> list[Entry]:
    made: list[tuple[str, str]] = []
    try:
        if settings.warehouse_path.is_file():
            made += zip(copy_warehouse(settings.warehouse_path, dest), ("warehouse", "warehouse-wal"))
        key = settings.data_dir / SECRET_FILE
        if key.is_file():
            private_copy(key, dest / INSTALLATION_KEY)
            made.append((INSTALLATION_KEY, "installation-key"))
        url = settings.store_url
        if url.startswith("sqlite"):  # the data directory's, or one HARBORLIGHT_DATABASE_URL puts elsewhere
            store = Path(make_url(url).database or "")
            if store.is_file():
                copy_sqlite(store, dest / STORE_SQLITE)
                made.append((STORE_SQLITE, "store-sqlite"))
        elif url.startswith("postgresql"):
            os.close(os.open(dest / STORE_DUMP, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            postgres.dump(url, dest / STORE_DUMP)
            made.append((STORE_DUMP, "store-pg_dump"))
        else:
            raise BackupError(f"the store at {postgres.shown(url)} is neither SQLite nor PostgreSQL: "
                              "back it up with its own tools")
        if settings.keys_path.is_file():
            private_copy(settings.keys_path, dest / CASE_KEYS)
            made.append((CASE_KEYS, "case-keys"))
        return [entry_for(dest, relative, what) for relative, what in made]
    except OSError as exc:
        raise file_error(exc, action="back up") from None
