"""Contract files written by an importer: every file whole, or none of them.

An importer hands rows to `ContractOutput.add` as it reads. Each row is checked against the
contract by the same validator `harborlight ingest` uses, so a mapping that yields a role the
contract does not know fails at import, naming the source file and line, not later at ingest.
Rows go to temporary files beside their final names; `commit` moves them all into place and
`abort` (or leaving the `with` block by an error) removes them, so a failed import leaves the
folder as it was.
"""

from __future__ import annotations

import csv
import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO

from harborlight.contract.readers import Row
from harborlight.contract.schema import RECORD_TYPES
from harborlight.contract.validate import RowValidator
from harborlight.errors import BadRequest, ContractError, UsageError, file_error
from harborlight.export.files import make_folder, writable_folder


def _refuse_overwriting_inputs(folder: Path, record_types: tuple[str, ...], inputs: Iterable[Path]) -> None:
    """An import whose input is one of the files it would write (a state's `filings.csv` imported
    with --out its own folder) would replace the input with its output at commit: refused first,
    naming the file. Compared as files (samefile), so another spelling or a link is caught too."""
    inputs = [p for p in inputs if p.exists()]
    for record_type in record_types:
        final = folder / f"{record_type}.csv"
        if final.exists() and any(os.path.samefile(final, p) for p in inputs):
            raise UsageError(f"{final}: is an input of this import and would be overwritten by its output; "
                             "choose another --out")


class _Pending:
    """One contract file being written under a temporary name."""

    def __init__(self, folder: Path, record_type: str, extra_columns: tuple[str, ...]):
        self.final = folder / f"{record_type}.csv"
        self.columns = RECORD_TYPES[record_type].field_names + extra_columns
        self.column_set = frozenset(self.columns)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.final.name}.", dir=folder)
        self.tmp = Path(tmp)
        self.handle: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(self.columns)
        self.rows = 0

    def write(self, values: dict[str, object]) -> None:
        """One row in column order; a column the row does not give is empty. A key that is no
        column is a bug in the importer, said at once rather than dropped."""
        if not values.keys() <= self.column_set:
            raise UsageError(f"{self.final.name} has no column {sorted(values.keys() - self.column_set)[0]!r}")
        self.writer.writerow([("" if (v := values.get(c)) is None else v) for c in self.columns])
        self.rows += 1


class ContractOutput:
    """Contract record files for `record_types` in `folder`, written all together or not at all.

    `extra_columns` names columns beyond the contract's for a record type (the contract keeps
    unknown columns as extra data): for example the registry's own officer title code.
    """

    def __init__(self, folder: Path, record_types: tuple[str, ...],
                 extra_columns: dict[str, tuple[str, ...]] | None = None, inputs: Iterable[Path] = ()):
        unknown = [t for t in record_types if t not in RECORD_TYPES]
        if unknown:
            raise UsageError(f"not contract record types: {', '.join(unknown)}")
        _refuse_overwriting_inputs(folder, record_types, inputs)
        self.folder = make_folder(writable_folder(folder))
        self._extra = extra_columns or {}
        self._record_types = record_types
        self._refuse_folders_in_the_way()
        self._pending: dict[str, _Pending] = {}
        self._validators: dict[tuple[str, str], RowValidator] = {}
        self._open = True

    def _refuse_folders_in_the_way(self) -> None:
        """A folder where a file is to go would make its move fail after the files before it had
        replaced theirs: the old import half gone, the new one half there. Refused, naming it,
        before the first move (and before any work, when the import starts)."""
        for record_type in self._record_types:
            final = self.folder / f"{record_type}.csv"
            if final.is_dir():
                raise file_error(IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)), final)

    def _file(self, record_type: str) -> _Pending:
        pending = self._pending.get(record_type)
        if pending is None:
            if record_type not in self._record_types:
                raise UsageError(f"this import does not write {record_type}")
            try:
                pending = _Pending(self.folder, record_type, self._extra.get(record_type, ()))
            except OSError as exc:
                raise file_error(exc, self.folder / f"{record_type}.csv") from None
            self._pending[record_type] = pending
        return pending

    def check(self, record_type: str, values: dict[str, object], source_label: str, line: int) -> list[ContractError]:
        """The contract's objections to `values`, located at `source_label`:`line` (none when valid)."""
        key = (record_type, source_label)
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = RowValidator(RECORD_TYPES[record_type], source_label)
        # The validator reads the contract's fields only: a field the row leaves out is empty.
        contract_fields = {n: v for n in validator.record_type.field_names if (v := values.get(n)) is not None}
        checked = validator.check(Row(line, contract_fields))
        return checked if isinstance(checked, list) else []

    def add(self, record_type: str, values: dict[str, object], source_label: str, line: int) -> list[ContractError]:
        """Write one row unless the contract objects; returns the objections (empty when written)."""
        problems = self.check(record_type, values, source_label, line)
        if not problems:
            self.write_checked(record_type, values)
        return problems

    def write_checked(self, record_type: str, values: dict[str, object]) -> None:
        """Write one row that `check` has passed: for an importer that checks a source row's
        records together before writing any of them."""
        pending = self._file(record_type)
        try:
            pending.write(values)
        except OSError as exc:
            raise file_error(exc, pending.final) from None

    def commit(self) -> dict[str, int]:
        """Move every written file into place; returns rows per file name. Files with no rows
        are still written (a header alone), so an import's output always names what it covers."""
        for record_type in self._record_types:
            self._file(record_type)
        try:
            self._refuse_folders_in_the_way()
        except BadRequest:
            self.abort()
            raise
        try:
            for pending in self._pending.values():
                pending.handle.close()
            for pending in self._pending.values():
                os.replace(pending.tmp, pending.final)
        except OSError as exc:
            self.abort()
            raise file_error(exc, self.folder) from None
        self._open = False
        return {p.final.name: p.rows for p in self._pending.values()}

    def abort(self) -> None:
        """Remove every temporary file; the folder keeps whatever it held before."""
        for pending in self._pending.values():
            pending.handle.close()
            pending.tmp.unlink(missing_ok=True)
        self._open = False

    def __enter__(self) -> ContractOutput:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._open:
            self.abort()
