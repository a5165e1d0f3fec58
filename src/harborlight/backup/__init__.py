"""Backups of a data directory: the warehouse, the operational store and the keys, with a manifest.

`make_backup` (snapshot.py) writes consistent copies and, last, a manifest of every file's size and
SHA-256; `restore_backup` (restore.py) checks the manifest and every checksum before it touches
anything, then builds the data directory beside its place and renames it in.
"""

from harborlight.backup.manifest import BackupError, Manifest, verify_backup
from harborlight.backup.restore import Restored, restore_backup
from harborlight.backup.snapshot import BackedUp, make_backup

__all__ = ["BackedUp", "BackupError", "Manifest", "Restored", "make_backup", "restore_backup", "verify_backup"]
