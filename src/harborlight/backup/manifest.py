"""The backup's manifest: what each file is, its size and SHA-256; and checking a backup against it.

The manifest is written last, so a backup cut short has none and is refused like a damaged one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from harborlight import __version__
from harborlight.errors import BadRequest, file_error

MANIFEST = "manifest.json"
FORMAT = "harborlight-backup"
VERSION = 1
# What a file in a backup may be. The store is one of the two kinds, or neither (no workspace yet).
WHAT = {
    "warehouse": "the DuckDB warehouse",
    "warehouse-wal": "the warehouse's write-ahead log (taken under the same lock as the warehouse)",
    "installation-key": "the key for pseudonyms and handle hashes (secret.key)",
    "store-sqlite": "the operational store, SQLite (online backup)",
    "store-pg_dump": "the operational store, PostgreSQL (pg_dump, custom format)",
    "case-keys": "the keys that seal survivor fields in hotline cases",
}
STORE_KINDS = {"store-sqlite": "sqlite", "store-pg_dump": "postgresql"}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class BackupError(BadRequest):
    """A backup that cannot be made where asked, or one that is damaged, incomplete or not a backup."""


@dataclass(frozen=True)
class Entry:
    path: str  # relative, with forward slashes
    what: str
    size: int
    sha256: str
    mode: int


@dataclass(frozen=True)
class Manifest:
    created_at: str
    harborlight_version: str
    entries: tuple[Entry, ...]

    def entry(self, what: str) -> Entry | None:
        return next((e for e in self.entries if e.what == what), None)

    @property
    def store(self) -> str | None:
        """'sqlite', 'postgresql', or None when the backup holds no store."""
        return next((STORE_KINDS[e.what] for e in self.entries if e.what in STORE_KINDS), None)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise file_error(exc, action="read") from None
    return digest.hexdigest()


def entry_for(root: Path, relative: str, what: str) -> Entry:
    path = root / relative
    return Entry(relative, what, path.stat().st_size, sha256_of(path), path.stat().st_mode & 0o777)


def write_manifest(root: Path, entries: list[Entry]) -> Manifest:
    """Write the manifest into `root` under a temporary name and move it into place: the last step."""
    manifest = Manifest(datetime.now(timezone.utc).isoformat(timespec="seconds"), __version__, tuple(entries))
    data = {"format": FORMAT, "version": VERSION, "created_at": manifest.created_at,
            "harborlight_version": manifest.harborlight_version,
            "files": [{"path": e.path, "what": e.what, "size": e.size, "sha256": e.sha256,
                       "mode": f"{e.mode:04o}"} for e in entries]}
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{MANIFEST}.", dir=root)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, root / MANIFEST)
    except OSError as exc:
        raise file_error(exc, path=root / MANIFEST) from None
    return manifest


def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(f"damaged backup: {path}: {why}; nothing was restored")


def read_manifest(root: Path) -> Manifest:
    """The manifest of the backup in `root`, its shape checked; any fault is one line naming the file."""
    path = root / MANIFEST
    if not root.is_dir():
        raise BackupError(f"{root}: no such backup folder")
    if not path.is_file():
        raise _damaged(path, "missing (not a harborlight backup, or one cut short)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise file_error(exc, action="read") from None
    except UnicodeDecodeError:
        raise _damaged(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _damaged(path, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _damaged(path, f"not a {FORMAT} manifest")
    if data.get("version") != VERSION:
        raise _damaged(path, f"version {data.get('version')!r}; this harborlight reads version {VERSION}")
    files = data.get("files")
    if not isinstance(files, list) or not isinstance(data.get("created_at"), str):
        raise _damaged(path, "field 'files' or 'created_at' is missing or of the wrong kind")
    entries, seen, kinds = [], set(), set()
    for number, item in enumerate(files, start=1):
        entries.append(_entry(path, number, item))
        if entries[-1].path in seen:
            raise _damaged(path, f"file entry {number}: {entries[-1].path} is listed twice")
        if entries[-1].what in kinds:
            raise _damaged(path, f"file entry {number}: a second {entries[-1].what}")
        seen.add(entries[-1].path)
        kinds.add(entries[-1].what)
    if len(kinds & set(STORE_KINDS)) > 1:
        raise _damaged(path, "it lists both a SQLite and a PostgreSQL store")
    return Manifest(data["created_at"], str(data.get("harborlight_version", "")), tuple(entries))


def _entry(path: Path, number: int, item: object) -> Entry:
    if not isinstance(item, dict):
        raise _damaged(path, f"file entry {number} is not an object")
    relative, what, size, digest, mode = (item.get(k) for k in ("path", "what", "size", "sha256", "mode"))
    if not isinstance(relative, str) or not _safe_relative(relative):
        raise _damaged(path, f"file entry {number}: field 'path' must be a relative path inside the backup")
    if what not in WHAT:
        raise _damaged(path, f"file entry {number} ({relative}): field 'what' is {what!r}, not one of {', '.join(WHAT)}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _damaged(path, f"file entry {number} ({relative}): field 'size' must be a whole number")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise _damaged(path, f"file entry {number} ({relative}): field 'sha256' must be 64 hex digits")
    if not isinstance(mode, str) or not re.fullmatch(r"0[0-7]{3}", mode):
        raise _damaged(path, f"file entry {number} ({relative}): field 'mode' must be like 0600")
    return Entry(relative, what, size, digest, int(mode, 8))


def _safe_relative(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    return (bool(parts) and not relative.startswith("/") and "\\" not in relative
            and all(p not in ("", ".", "..") for p in parts) and relative != MANIFEST)


def files_in(root: Path) -> set[str]:
    """Every file under `root` but the manifest, as relative paths with forward slashes."""
    found = set()
    for folder, _dirs, names in os.walk(root):
        for name in names:
            relative = Path(folder, name).relative_to(root).as_posix()
            if relative != MANIFEST:
                found.add(relative)
    return found


def verify_backup(root: Path) -> Manifest:
    """Check the backup in `root` before anything is restored from it: the manifest, then that the
    files present are exactly those listed, each with its size and SHA-256. Reads only."""
    manifest = read_manifest(root)
    listed = {e.path for e in manifest.entries}
    present = files_in(root)
    for extra in sorted(present - listed):
        raise _damaged(root / extra, "not listed in the manifest")
    for entry in manifest.entries:
        path = root / entry.path
        if entry.path not in present:
            raise _damaged(path, "listed in the manifest but missing")
        if path.stat().st_size != entry.size:
            raise _damaged(path, f"{path.stat().st_size:,} bytes where the manifest says {entry.size:,}")
        if sha256_of(path) != entry.sha256:
            raise _damaged(path, "its SHA-256 does not match the manifest (changed or corrupted)")
    return manifest
