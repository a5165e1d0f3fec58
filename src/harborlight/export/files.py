"""Export files are written under a temporary name and moved into place: never half-written.

A place that cannot be written (a folder where a file should go, a file where a folder
should, a read-only place) is a one-line `BadRequest` naming it, never a traceback. Commands
that work long before they write (a report, a packet) check the place first with
`writable_file` / `writable_folder`, so the work is not done only to be thrown away.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from harborlight.errors import file_error


@contextmanager
def atomic_text_file(path: Path) -> Iterator[IO[str]]:
    """A text handle whose contents replace `path` whole when the block ends without error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise file_error(exc) from None  # names the folder that could not be made
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise file_error(exc, path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # writing or moving into place: a full disk, a folder at `path`
            raise file_error(exc, path) from None
        raise


def _refuse(code: int, path: Path) -> None:
    raise file_error(OSError(code, os.strerror(code)), path)


def _check_can_make(path: Path) -> None:
    """`path` does not exist: its nearest existing ancestor must be a folder we may write in."""
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        _refuse(errno.ENOTDIR, ancestor)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        _refuse(errno.EACCES, ancestor)


def writable_folder(path: Path) -> Path:
    """`path` when files can be written into it (it is a folder, or can be made); else a
    BadRequest naming it. A place that only fails at writing time is still caught there."""
    if path.exists():
        if not path.is_dir():
            _refuse(errno.ENOTDIR, path)
        if not os.access(path, os.W_OK | os.X_OK):
            _refuse(errno.EACCES, path)
    else:
        _check_can_make(path)
    return path


def writable_file(path: Path) -> Path:
    """`path` when a file can be written there (not a folder, in a folder that is or can be
    made); else a BadRequest naming it."""
    if path.is_dir():
        _refuse(errno.EISDIR, path)
    if path.parent.exists():
        writable_folder(path.parent)
    else:
        _check_can_make(path)
    return path


def make_folder(path: Path) -> Path:
    """Make `path` and its parents now, or say in one line why it cannot be made there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise file_error(exc) from None  # names the folder that could not be made
    return path
