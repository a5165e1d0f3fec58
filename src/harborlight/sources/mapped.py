"""Any state's bulk CSV into contract files, through a YAML mapping (mapping.py).

The file is read as a stream (the csv module over a decoding text stream, gzip accepted), one
row at a time, so a registry's multi-gigabyte export is never held whole. What is kept is each
record_id written (to catch a repeated record: about a hundred bytes each, a few hundred MB for
a state with millions of entities), and, when a mapping asks that a repeated record's last
version win (`dedupe: last`), those records themselves until the end. Each row yields the records its mapping's blocks say;
a row's records are written together or not at all, and every record is checked by the
contract's own validator (ContractOutput), so a bad value is found here, named by the source
file, its physical line and the contract field with the column it came from.

Without `skip_bad`, one bad row rejects the file and nothing is written; with it, bad rows are
skipped and counted. A file the csv module cannot read to its end (an unclosed quote, a
truncated gzip) is always rejected: what follows the break cannot be known.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harborlight.contract.readers import BAD_CHARS, GZIP_ERRORS, MAX_FIELD_BYTES
from harborlight.errors import BadRequest, ContractError, FileRejected, file_error
from harborlight.sources.mapping import Block, Mapping, MappingError, ValueProblem
from harborlight.sources.output import ContractOutput

PROGRESS_EVERY = 2000  # rows between progress callbacks
MAX_SHOWN = 20  # problems kept for the report; the rest are only counted
_GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int, int], None]  # (bytes read, total bytes)


@dataclass
class MappedReport:
    """What an import read and wrote."""

    source_file: str
    mapping: str
    rows_read: int = 0
    written: dict[str, int] = field(default_factory=dict)  # contract file name -> records
    skipped_rows: int = 0
    repeats_dropped: int = 0  # records left out by `dedupe`: the same record_id met again
    problems: list[ContractError] = field(default_factory=list)  # the first MAX_SHOWN
    problem_count: int = 0


class _Fatal(Exception):
    """Reading cannot go on past this point."""

    def __init__(self, problem: ContractError):
        self.problem = problem


def import_mapped(source: Path, mapping: Mapping, out: Path, skip_bad: bool = False,
                  progress: Progress | None = None) -> MappedReport:
    """Read `source` through `mapping` and write contract files into `out`: all, or none."""
    label = source.name
    report = MappedReport(label, mapping.label)
    try:
        raw = source.open("rb")
    except OSError as exc:
        raise file_error(exc, source) from None
    with raw:
        total = _size(raw)
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if raw.peek(2)[:2] == _GZIP_MAGIC else raw
        encoding = "utf-8-sig" if mapping.encoding.lower().replace("_", "-") in ("utf-8", "utf8") else mapping.encoding
        text = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
        csv.field_size_limit(MAX_FIELD_BYTES)
        reader = csv.reader(text, delimiter=mapping.delimiter, strict=True)
        try:
            columns = _header(reader, mapping, label)
            index = _resolve_columns(mapping, columns, label)
            with ContractOutput(out, mapping.record_types, inputs=[source]) as output:
                _Rows(mapping, output, label, index, len(columns), report, skip_bad).run(
                    reader, lambda: progress(raw.tell(), total) if progress else None)
                if report.problem_count and not skip_bad:
                    raise FileRejected(label, report.problems, report.problem_count, report.rows_read)
                report.written = output.commit()
        except _Fatal as fatal:
            shown = report.problems[: MAX_SHOWN - 1] + [fatal.problem]
            raise FileRejected(label, shown, report.problem_count + 1, report.rows_read,
                               notes=["reading stopped at this problem: nothing was written"]) from None
    if progress:
        progress(total, total)
    return report


def _size(raw) -> int:
    try:
        return Path(raw.name).stat().st_size
    except OSError:
        return 0


def _next(reader, label: str, line: int):
    """The next CSV record; a file the csv module cannot split is fatal, naming where it broke."""
    try:
        return next(reader, None)
    except csv.Error as exc:
        raise _Fatal(ContractError(label, line, None, f"malformed CSV, reading stopped here: {exc}")) from None
    except GZIP_ERRORS as exc:
        raise _Fatal(ContractError(label, line, None, f"gzip data is truncated or corrupt ({exc})")) from None
    except UnicodeError as exc:
        # surrogateescape stands in only for bytes of 0x80 and above; a multi-byte codec (UTF-16:
        # a file cut at an odd byte, or without its byte-order mark) raises instead.
        why = f"{exc.encoding}: {exc.reason}" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise _Fatal(ContractError(label, line, None, f"cannot be decoded with the mapping's input.encoding "
                                                      f"({why}), reading stopped here")) from None


def _header(reader, mapping: Mapping, label: str) -> list[str]:
    """The column names: read from the header row, or declared by the mapping."""
    if not mapping.header_row:
        return list(mapping.columns)
    for _ in range(mapping.header_row - 1):  # lines above the header (a title, a date stamp)
        if _next(reader, label, reader.line_num + 1) is None:
            raise BadRequest(f"{label}: the file ends before its header row (line {mapping.header_row})")
    header = _next(reader, label, reader.line_num + 1)
    if not header:
        raise BadRequest(f"{label}: file is empty: expected a header row")
    for position, name in enumerate(header, start=1):
        if BAD_CHARS.search(name):
            raise BadRequest(f"{label}:{reader.line_num}: header column {position} is not valid "
                             f"{mapping.encoding} (check the mapping's input.encoding)")
    return [name.strip() for name in header]


def _resolve_columns(mapping: Mapping, columns: list[str], label: str) -> dict[str, int]:
    """Each column the mapping reads -> its position. Names match ignoring case and surrounding
    space, since the same dataset's exports differ in both (Colorado's entityId / entityid)."""
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(columns):
        positions.setdefault(name.lower(), []).append(i)
    index: dict[str, int] = {}
    for column, path in mapping.column_uses().items():
        found = positions.get(column.lower(), [])
        if not found:
            shown = ", ".join(columns[:40]) + (", ..." if len(columns) > 40 else "")
            raise MappingError(mapping.label, path, f"no column {column!r} in {label}'s header (its columns: {shown})")
        if len(found) > 1:
            raise MappingError(mapping.label, path, f"column {column!r} appears {len(found)} times in {label}'s header")
        index[column] = found[0]
    return index


class _Rows:
    """The row loop: records from each row, checked, deduplicated, written or refused."""

    def __init__(self, mapping: Mapping, output: ContractOutput, label: str, index: dict[str, int],
                 width: int, report: MappedReport, skip_bad: bool):
        self.mapping, self.output, self.label, self.index = mapping, output, label, index
        self.width, self.report, self.skip_bad = width, report, skip_bad
        self.seen: dict[tuple[str, str], int] = {}  # (record type, record_id) -> line first written
        self.held: dict[tuple[str, str], tuple[dict[str, object], int]] = {}  # dedupe: last

    def run(self, reader, tick: Callable[[], None]) -> None:
        start = reader.line_num + 1
        while True:
            fields = _next(reader, self.label, start)
            if fields is None:
                break
            line, start = start, reader.line_num + 1
            if not fields or fields == [""]:
                continue  # a blank line
            self.report.rows_read += 1
            problems = self._row(fields, line)
            if problems:
                self.report.skipped_rows += 1
                self.report.problem_count += len(problems)
                room = MAX_SHOWN - len(self.report.problems)
                self.report.problems.extend(problems[: max(room, 0)])
            if self.report.rows_read % PROGRESS_EVERY == 0:
                tick()
        for (record_type, _), (values, _line) in self.held.items():
            self.output.write_checked(record_type, values)  # checked when read

    def _row(self, fields: list[str], line: int) -> list[ContractError]:
        if len(fields) != self.width:
            return [ContractError(self.label, line, None,
                                  f"row has {len(fields)} fields but the header has {self.width}")]
        values = {column: fields[i].strip() for column, i in self.index.items()}
        for column, value in values.items():
            if BAD_CHARS.search(value):
                what = "contains a NUL character" if "\x00" in value else (
                    f"is not valid {self.mapping.encoding} (check the mapping's input.encoding)")
                return [ContractError(self.label, line, f"column {column}", what)]
        get = values.__getitem__
        records: list[tuple[Block, dict[str, object]]] = []
        problems: list[ContractError] = []
        for block in self.mapping.blocks:
            if block.when is not None and not block.when.holds(get):
                continue
            record: dict[str, object] = {"source": self.mapping.source}
            for name, spec in block.fields.items():
                try:
                    record[name] = spec.value(get)
                except ValueProblem as exc:
                    problems.append(self._error(line, block, name, str(exc)))
            if not problems:
                records.append((block, record))
        if problems:
            return problems
        for block, record in records:
            problems += [self._located(p, block) for p in
                         self.output.check(block.record_type, record, self.label, line)]
        if problems:
            return problems
        problems = self._repeats(records, line)
        if problems:
            return problems
        for block, record in records:
            key = (block.record_type, str(record["record_id"]))
            rule = self.mapping.dedupe.get(block.record_type)
            if key in self.seen:
                self.report.repeats_dropped += 1  # a later version: kept only when the last wins
                if rule == "last":
                    self.held[key] = (record, line)
                continue
            self.seen[key] = line
            if rule == "last":
                self.held[key] = (record, line)
            else:
                self.output.write_checked(block.record_type, record)
        return []

    def _repeats(self, records: list[tuple[Block, dict[str, object]]], line: int) -> list[ContractError]:
        """A record_id met before (in an earlier row or this one) is an error unless the mapping
        says which version wins: a layout that repeats records must say so."""
        problems = []
        in_row: set[tuple[str, str]] = set()
        for block, record in records:
            key = (block.record_type, str(record["record_id"]))
            if block.record_type not in self.mapping.dedupe and (key in self.seen or key in in_row):
                first = f"line {self.seen[key]}" if key in self.seen else "this line"
                problems.append(self._error(line, block, "record_id",
                                            f"repeats the {block.record_type} record at {first}; if the layout "
                                            "repeats records, set `dedupe: first` or `last` in the mapping"))
            in_row.add(key)
        return problems

    def _error(self, line: int, block: Block, name: str, message: str) -> ContractError:
        return ContractError(self.label, line, self._where(block, name), message)

    def _located(self, problem: ContractError, block: Block) -> ContractError:
        """The contract's objection, with the record type and the source column added."""
        if problem.field is None:
            return problem
        return ContractError(problem.file, problem.line, self._where(block, problem.field), problem.message)

    @staticmethod
    def _where(block: Block, name: str) -> str:
        spec = block.fields.get(name)
        columns = ", ".join(dict.fromkeys(spec.source_columns)) if spec else ""
        return f"{block.record_type}.{name}" + (f" (column {columns})" if columns else "")
