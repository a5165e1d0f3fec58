"""Typed errors. The CLI prints each one on a line of its own, never a traceback.

Every error belongs to one kind, and the kind decides the command's exit code and, for
the API, the HTTP status:

| kind | class | exit code | HTTP |
|---|---|---|---|
| the request cannot be done as asked | `BadRequest` (`UsageError`, input rejected) | 2 | 400 |
| what it names does not exist | `NotFound` | 3 | 404 |
| the data it would read is stale, or conflicts | `Stale` | 4 | 409 |
| it would break protection or the viewer's role | `Forbidden` (`ProtectionViolation`) | 5 | 403 |
| the warehouse or the machine failed | `HarborlightError` itself, `WarehouseError` | 1 | 500 |

A file that cannot be written where the user pointed (an existing folder in place of a file,
a file in place of a folder, a read-only place) is a `BadRequest` naming the path, made by
`file_error`; a disk that fails or fills up is the machine failing (exit 1). Messages are
one line and never hold personal data: they name the file, the id or the command to run.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field


class HarborlightError(Exception):
    """Base class for every error harborlight reports to its user: something failed inside."""

    exit_code = 1
    http_status = 500


class BadRequest(HarborlightError):
    """The request cannot be done as asked: a wrong option, a bad file, a missing folder."""

    exit_code = 2
    http_status = 400


class NotFound(BadRequest):
    """The entity, network or business id the request names does not exist. (A missing input
    file or folder is a plain `BadRequest`, as it always was: exit code 2.)"""

    exit_code = 3
    http_status = 404


class Stale(HarborlightError):
    """What the request would read is older than what it depends on; the message names the
    command that brings it up to date."""

    exit_code = 4
    http_status = 409


class Forbidden(HarborlightError):
    """The request would name a protected person, list one as a target, or show the viewer
    what their role may not see. Nothing was written or shown."""

    exit_code = 5
    http_status = 403


@dataclass
class ContractError(BadRequest):
    """One problem with one input file, located as precisely as the input allows.

    `line` is the 1-based physical line where the record starts (0 when the
    problem is with the file as a whole); `field` is the contract field, or
    None when the problem is not with one field.
    """

    file: str
    line: int
    field: str | None
    message: str

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


@dataclass
class FileRejected(BadRequest):
    """A file that was not loaded at all, with every problem found in it (up to a cap)."""

    file: str
    errors: list[ContractError]
    total: int  # how many problems were found; `errors` may hold fewer
    records_read: int = 0
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = len(self.errors)
        more = f" ({self.total - shown} more not shown)" if self.total > shown else ""
        return f"{self.file}: rejected, nothing loaded: {self.total} problem(s){more}"


class WarehouseError(HarborlightError):
    """The warehouse could not be opened or a statement failed; carries the SQL.

    The message is one line: DuckDB's own message and the statement, each folded onto one
    line, the statement cut at `SHOWN_SQL` characters; `sql` keeps it whole.
    """

    SHOWN_SQL = 300

    def __init__(self, message: str, sql: str | None = None):
        self.sql = sql
        message = " ".join(message.split())
        if sql is not None:
            statement = " ".join(sql.split())
            if len(statement) > self.SHOWN_SQL:
                statement = statement[: self.SHOWN_SQL] + " ..."
            message = f"{message} (while running: {statement})"
        super().__init__(message)


class UsageError(BadRequest):
    """The user asked for something that cannot be done as asked."""


# What the user can fix by pointing elsewhere: the place exists as the wrong kind, may not be
# used, or is missing. Anything else (a full disk, an I/O error) is the machine failing.
_USER_FIXABLE = {errno.EEXIST, errno.EISDIR, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT}
# In words, where the usual strerror misleads: "File exists" is said when a file is in the way
# of a folder to be made.
_WHY = {
    errno.EEXIST: "a file is in the way (a folder is needed there)",
    errno.ENOTDIR: "a file is in the way (a folder is needed there)",
    errno.EISDIR: "it is a folder (a file is needed there)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
}
_WHY_NOT_MADE = "no such folder, and it cannot be made there"


def file_error(exc: OSError, path: os.PathLike | str | None = None, action: str = "write") -> HarborlightError:
    """One line for an OSError met while doing `action` ("write", "read", "use") to `path`
    (when given: a temporary file's name in the error would mean nothing to the user), or to
    the path the error names.

    A wrong, missing or read-only place is a `BadRequest`; any other failure is the machine's
    (`HarborlightError`, exit 1). Raise the result `from None`: the traceback says nothing the
    line does not.
    """
    where = path if path is not None else exc.filename
    code = exc.errno or 0
    reason = _WHY.get(code) or (_WHY_NOT_MADE if code == errno.ENOENT and action == "write" else None)
    reason = reason or (exc.strerror or type(exc).__name__).lower()
    if where is None:
        message = f"cannot {action}: {reason}"
    else:
        shown = os.fsdecode(where) if isinstance(where, (str, bytes, os.PathLike)) else str(where)
        message = f"cannot {action} {shown}: {reason}"
    kind = BadRequest if code in _USER_FIXABLE else HarborlightError
    return kind(message)
