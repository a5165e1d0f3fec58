"""`harborlight restore SRC --data-dir D`: a verified backup made into D, or nothing changed at all.

The manifest and every checksum are checked first. The data directory is then built in a new folder
beside D and renamed into place; a store on PostgreSQL is restored by pg_restore in one transaction
just before. An existing data directory, store or key file outside it is replaced only with `force`.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from harborlight.backup import postgres
from harborlight.backup.manifest import BackupError, Entry, Manifest, sha256_of, verify_backup
from harborlight.backup.snapshot import CASE_KEYS, private_copy
from harborlight.config import Settings
from harborlight.errors import file_error


@dataclass(frozen=True)
class Restored:
    data_dir: Path
    manifest: Manifest
    replaced: bool  # an existing data directory was replaced (--force)


def _nonempty(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def _keys_outside(settings: Settings) -> Path | None:
    """The case key file's own place when the settings put it outside the data directory."""
    if settings.keys_file is None:
        return None
    keys, data_dir = settings.keys_file.resolve(), settings.data_dir.resolve()
    return None if keys.is_relative_to(data_dir) else settings.keys_file


def _place(settings: Settings, entry: Entry, staging: Path) -> Path | None:
    """Where a backed-up file goes in the staging folder (None: restored elsewhere, or not a file)."""
    if entry.what == "store-pg_dump":
        return None
    if entry.what == "case-keys":
        if _keys_outside(settings) is not None:
            return None
        keys = settings.keys_path.resolve().relative_to(settings.data_dir.resolve()) if settings.keys_file else Path(CASE_KEYS)
        return staging / keys
    return staging / entry.path


def _check_target(settings: Settings, manifest: Manifest, force: bool) -> None:
    data_dir = settings.data_dir
    if data_dir.exists() and not data_dir.is_dir():
        raise BackupError(f"{data_dir}: is a file, not a data directory")
    if _nonempty(data_dir) and not force:
        raise BackupError(f"{data_dir}: the data directory is not empty; restore into a new one, "
                          "or pass --force to replace it")
    if manifest.store == "sqlite" and settings.database_url is not None:
        raise BackupError("the backup holds a SQLite store but HARBORLIGHT_DATABASE_URL names another; "
                          "unset it to restore the SQLite store into the data directory")
    if manifest.store == "postgresql":
        if settings.database_url is None or not settings.database_url.startswith("postgresql"):
            raise BackupError("the backup holds a PostgreSQL store: set HARBORLIGHT_DATABASE_URL to the "
                              "database to restore it into (made beforehand, empty)")
        if not force and postgres.holds_store(settings.database_url):
            raise BackupError(f"the store at {postgres.shown(settings.database_url)} already holds a workspace; "
                              "restore into an empty database, or pass --force to replace it")
    outside = _keys_outside(settings)
    if outside is not None and manifest.entry("case-keys") and outside.exists() and not force:
        raise BackupError(f"{outside}: a case key file is already there; pass --force to replace it")


def _copy_checked(source: Path, target: Path, entry: Entry) -> None:
    """Copy one file at its mode, then check the copy against the manifest (what was verified is what lands)."""
    private_copy(source, target)
    os.chmod(target, entry.mode)
    if sha256_of(target) != entry.sha256:
        raise BackupError(f"{source}: changed while it was being restored; nothing was restored")


def _replace_file(source: Path, target: Path, entry: Entry) -> None:
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.restore")
    try:
        _copy_checked(source, temporary, entry)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def restore_backup(settings: Settings, source: Path, force: bool = False) -> Restored:
    """Restore the backup in `source` into `settings`' data directory (and store, and key file)."""
    manifest = verify_backup(source)  # reads only; refuses a damaged backup before anything is touched
    _check_target(settings, manifest, force)
    data_dir = settings.data_dir
    replaced = _nonempty(data_dir)
    staging = data_dir.parent / f".{data_dir.name}.restore-{secrets.token_hex(6)}"
    try:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir(mode=0o700)
        for entry in manifest.entries:
            target = _place(settings, entry, staging)
            if target is not None:
                _copy_checked(source / entry.path, target, entry)
        dump = manifest.entry("store-pg_dump")
        if dump is not None:
            postgres.restore(settings.database_url, source / dump.path)
        keys, outside = manifest.entry("case-keys"), _keys_outside(settings)
        if keys is not None and outside is not None:
            outside.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _replace_file(source / keys.path, outside, keys)
        _swap(staging, data_dir)
    except OSError as exc:
        raise file_error(exc, action="restore into") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return Restored(data_dir, manifest, replaced)


def _swap(staging: Path, data_dir: Path) -> None:
    """Rename the staged folder into the data directory's place; an old one is moved aside first and
    removed only once the new one is in place."""
    if not data_dir.exists():
        os.rename(staging, data_dir)
        return
    if not any(data_dir.iterdir()):
        data_dir.rmdir()
        os.rename(staging, data_dir)
        return
    old = data_dir.parent / f".{data_dir.name}.replaced-{secrets.token_hex(6)}"
    os.rename(data_dir, old)
    try:
        os.rename(staging, data_dir)
    except OSError:
        os.rename(old, data_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
