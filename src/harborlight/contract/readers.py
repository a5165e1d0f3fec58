"""Read contract files (CSV or JSON lines, plain or gzip) into raw rows with line numbers.

Readers only split a file into rows; `validate.py` decides whether a row is
acceptable. A reader yields `Row` objects and, for problems it can step past
(a malformed JSON line, a CSV row with the wrong number of fields), a
`ContractError` in its place. Problems it cannot step past (truncated gzip, an
unclosed quote at the end of a file) end the iteration with a final
`ContractError`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from harborlight.contract.schema import RECORD_TYPES, RecordType
from harborlight.errors import ContractError, UsageError

# A field may be long (review and tip texts), but not unboundedly so.
MAX_FIELD_BYTES = 8 * 1024 * 1024
# Characters no record may carry: NUL, and the stand-ins for undecodable bytes.
BAD_CHARS = re.compile("[\x00\udc80-\udcff]")
# What reading gzip data that is truncated or corrupt raises (every reader of .gz input catches these).
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
# In a JSON string the same characters come as escapes (\u0000, \ud800) on a clean line; a lone
# surrogate cannot even be written as UTF-8, so the warehouse could not store it.
_BAD_IN_JSON = re.compile("[\x00\ud800-\udfff]")
_FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl"}
PROGRESS_EVERY = 2000  # rows between progress callbacks


@dataclass(frozen=True)
class RecordFile:
    """One input file and what the contract says it holds."""

    path: Path
    record_type: RecordType
    format: str  # "csv" or "jsonl"
    compressed: bool

    @property
    def label(self) -> str:
        return self.path.name


@dataclass
class Row:
    line: int  # 1-based physical line where the record starts
    values: dict[str, object]


def record_file(path: Path) -> RecordFile:
    """Describe `path` from its name: `NAME.csv`, `NAME.jsonl`, optionally `.gz`."""
    name = path.name
    compressed = name.endswith(".gz")
    stem = name[:-3] if compressed else name
    base, dot, ext = stem.rpartition(".")
    fmt = _SUFFIXES.get(dot + ext)
    if fmt is None or base not in RECORD_TYPES:
        known = ", ".join(RECORD_TYPES)
        raise UsageError(
            f"{name}: not a contract file name; expected NAME.csv or NAME.jsonl "
            f"(optionally .gz) with NAME one of: {known}"
        )
    return RecordFile(path, RECORD_TYPES[base], fmt, compressed)


def find_record_files(folder: Path) -> tuple[list[RecordFile], list[Path]]:
    """The contract files directly inside `folder`, and the other files it ignored."""
    found: list[RecordFile] = []
    ignored: list[Path] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        try:
            found.append(record_file(path))
        except UsageError:
            ignored.append(path)
    order = list(RECORD_TYPES)
    found.sort(key=lambda rf: (order.index(rf.record_type.name), rf.path.name))
    return found, ignored


ProgressFn = Callable[[int], None]


def read_rows(rf: RecordFile, progress: ProgressFn | None = None) -> Iterator[Row | ContractError]:
    """Yield the rows of `rf`, and a ContractError for each problem found while splitting it."""
    with rf.path.open("rb") as raw:
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if rf.compressed else raw
        reader = _read_csv if rf.format == "csv" else _read_jsonl
        line = 0
        try:
            problem = _skip_encoding_mark(rf, stream)
            if problem:
                yield problem
                return
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
            for item in reader(rf, text):
                if isinstance(item, Row):
                    line = item.line
                    if progress and line % PROGRESS_EVERY == 0:
                        progress(raw.tell())
                yield item
        except GZIP_ERRORS as exc:
            yield ContractError(
                rf.label, line + 1 if line else 0, None, f"gzip data is truncated or corrupt ({exc})"
            )
        if progress:
            progress(raw.tell())


def _skip_encoding_mark(rf: RecordFile, stream: BinaryIO) -> ContractError | None:
    """Refuse UTF-16/32 files by their byte-order mark; step over a UTF-8 mark."""
    head = stream.peek(4)[:4]
    for bom, name in _FOREIGN_BOMS:
        if head.startswith(bom):
            return ContractError(rf.label, 1, None, f"file is {name}-encoded; save it as UTF-8")
    if head.startswith(codecs.BOM_UTF8):
        stream.read(len(codecs.BOM_UTF8))
    return None


def shown_name(name: str) -> str:
    """A column or key name as an error shows it: as it is, or with escapes when it holds a line break
    or another unprintable character (a quoted CSV name may), which would split the one-line error."""
    return name if name.isprintable() else ascii(name)


def _bad_char_message(value: str) -> str:
    match = BAD_CHARS.search(value)
    assert match is not None
    if match.group() == "\x00":
        return "contains a NUL character"
    return "is not valid UTF-8 (save the file as UTF-8)"


def _read_csv(rf: RecordFile, text: io.TextIOWrapper) -> Iterator[Row | ContractError]:
    csv.field_size_limit(MAX_FIELD_BYTES)
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield ContractError(rf.label, 1, None, f"header row cannot be read: {exc}")
        return
    if not header:
        yield ContractError(rf.label, 1, None, "file is empty: expected a header row")
        return
    columns = yield from _csv_columns(rf, header)
    if columns is None:
        return
    width = len(columns)
    start = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ContractError(rf.label, start, None, f"malformed CSV, reading stopped here: {exc}")
            return
        line, start = start, reader.line_num + 1
        if not fields:
            continue  # a blank line
        if len(fields) != width:
            yield ContractError(
                rf.label, line, None, f"row has {len(fields)} fields but the header has {width}"
            )
            continue
        if BAD_CHARS.search("\x1f".join(fields)):  # one search per row; find the field only if needed
            bad = next(i for i, v in enumerate(fields) if BAD_CHARS.search(v))
            yield ContractError(rf.label, line, shown_name(columns[bad]), _bad_char_message(fields[bad]))
            continue
        yield Row(line, dict(zip(columns, fields)))


def _csv_columns(rf: RecordFile, header: list[str]):
    """Match header names to contract fields (case and surrounding space ignored)."""
    known = {name.lower(): name for name in rf.record_type.field_names}
    columns: list[str] = []
    problems = False
    for position, raw_name in enumerate(header, start=1):
        if BAD_CHARS.search(raw_name):
            yield ContractError(rf.label, 1, None, f"header column {position} {_bad_char_message(raw_name)}")
            problems = True
            continue
        name = raw_name.strip()
        if not name:
            yield ContractError(rf.label, 1, None, f"header column {position} has no name")
            problems = True
            continue
        name = known.get(name.lower(), name)
        if name in columns:
            yield ContractError(rf.label, 1, shown_name(name), "column appears twice in the header")
            problems = True
        columns.append(name)
    for required in rf.record_type.required:
        if required not in columns:
            yield ContractError(rf.label, 1, required, "required column is missing from the header")
            problems = True
    return None if problems else columns


def csv_columns(rf: RecordFile, header: list[str]) -> list[str] | None:
    """The header's column names matched to contract fields, or None when the header has any problem."""
    try:
        next(_csv_columns(rf, header))
    except StopIteration as done:
        return done.value
    return None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number harborlight accepts")


def _no_duplicate_keys(pairs):
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def _read_jsonl(rf: RecordFile, text: io.TextIOWrapper) -> Iterator[Row | ContractError]:
    known = {name.lower(): name for name in rf.record_type.field_names}
    for line_no, line in enumerate(text, start=1):
        if len(line) > MAX_FIELD_BYTES:
            yield ContractError(rf.label, line_no, None, f"line is longer than {MAX_FIELD_BYTES} characters")
            continue
        if not line.strip():
            continue
        if BAD_CHARS.search(line):
            yield ContractError(rf.label, line_no, None, "line " + _bad_char_message(line))
            continue
        try:
            obj = json.loads(line, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
        except ValueError as exc:
            yield ContractError(rf.label, line_no, None, f"not valid JSON: {exc}")
            continue
        except RecursionError:
            yield ContractError(rf.label, line_no, None, "JSON nested too deeply")
            continue
        if not isinstance(obj, dict):
            yield ContractError(rf.label, line_no, None, f"expected a JSON object, found {type(obj).__name__}")
            continue
        values = {known.get(k.strip().lower(), k): v for k, v in obj.items()}
        if "\\u" in line:  # only an escape can bring a bad character past the line's own check
            problem = _escaped_bad_char(rf, line_no, values)
            if problem:
                yield problem
                continue
        yield Row(line_no, values)


def _escaped_bad_char(rf: RecordFile, line_no: int, values: dict[str, object]) -> ContractError | None:
    """A NUL or lone surrogate that a JSON escape put in a key or a value (at any depth)."""
    for key, value in values.items():
        if _BAD_IN_JSON.search(key):
            return ContractError(rf.label, line_no, None, "a key holds a NUL or a lone surrogate escape")
        pending = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                bad = _BAD_IN_JSON.search(item)
                if bad:
                    nul = bad.group() == "\x00"
                    what = "a NUL character" if nul else "a lone surrogate escape (not text)"
                    return ContractError(rf.label, line_no, shown_name(key), f"contains {what}")
            elif isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
    return None
