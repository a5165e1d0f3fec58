"""Typed errors. The CLI prints each one on a line of its own, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field


class HarborlightError(Exception):
    """Base class for every error harborlight reports to its user."""


@dataclass
class ContractError(HarborlightError):
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
class FileRejected(HarborlightError):
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
    """The warehouse could not be opened or a statement failed; carries the SQL."""

    def __init__(self, message: str, sql: str | None = None):
        self.sql = sql
        super().__init__(message if sql is None else f"{message}\n  while running: {sql.strip()}")


class UsageError(HarborlightError):
    """The user asked for something that cannot be done as asked."""
