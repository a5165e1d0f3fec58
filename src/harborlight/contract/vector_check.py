"""Validate a whole CSV file at once in DuckDB: the fast path of ingest.

`checked_csv` reads a CSV contract file with DuckDB's `read_csv` (every column as text, in a private
in-memory database), checks every field with SQL and returns the typed rows with their physical line
numbers as one Arrow table. It returns None whenever the file needs the row-by-row path of
readers.py and validate.py: when anything is wrong with it (that path then names every problem with
its file, line and field), and when the file holds something only that path reads exactly (a blank
line, a lone carriage return, a byte-order mark, a quote next to a space, a value that is valid but
not in the plain form checked here). So the fast path is sound, never merely close: whatever it
accepts, the row-by-row path accepts too, with the same values, lines and extra data.

Line numbers: DuckDB cannot give them, so they are computed. Row k (0-based, in file order) starts on
line header_lines + 1 + k + (line breaks inside the fields of the rows before it). The file's own
count of line breaks, taken from its bytes, must equal header_lines + rows + line breaks in fields;
otherwise (a blank line, say) the row-by-row path takes over.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from harborlight.contract.readers import GZIP_ERRORS, MAX_FIELD_BYTES, RecordFile, csv_columns
from harborlight.contract.schema import HASHED_FIELDS, Field, Kind, RecordType

_SCAN_BYTES = 16 << 20
# Python's str.isspace() characters (what validate.py's strip() and isspace() see), as an RE2 class.
_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x110000)) if c.isspace()) + "]"
_WS_CODES = ", ".join(str(ord(c)) for c in map(chr, range(0x110000)) if c.isspace())
# Where DuckDB and Python's csv module part ways: DuckDB drops spaces between a quote and a delimiter.
_QUOTE_BESIDE_SPACE = re.compile(rb'"[ \t]+[,\r\n]|[,\r\n][ \t]+"')
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
VECTOR_KINDS = frozenset({Kind.TEXT, Kind.CHOICE, Kind.DATE, Kind.NUMBER, Kind.BOOL})
_TRIMMED = {"source", "record_id"}  # as validate.py: keys are compared after trimming


@dataclass
class _Scan:
    lines: int  # physical lines, as Python's csv module counts them
    header_lines: int
    columns: list[str]


def vectorizable(record_type: RecordType) -> bool:
    """Whether every field of `record_type` has a vectorized check (lists and timestamps do not)."""
    return all(f.kind in VECTOR_KINDS for f in record_type.fields)


def checked_csv(rf: RecordFile, stage_columns: list[str], hash_handle: Callable[[str], str]) -> pa.Table | None:
    """The typed rows of `rf` (columns `stage_columns`: the fields, extra, line), or None for the
    row-by-row path."""
    if rf.format != "csv" or not vectorizable(rf.record_type):
        return None
    scan = _scan(rf)
    if scan is None:
        return None
    con = duckdb.connect()
    try:
        table = _read_checked(con, rf, scan, stage_columns)
    except duckdb.Error:
        return None  # DuckDB could not read the file as a clean CSV: the row path names the problem
    finally:
        con.close()
    if table is None:
        return None
    return _hash_fields(table, rf.record_type, hash_handle)


def _scan(rf: RecordFile) -> _Scan | None:
    """Read the bytes once: count line breaks, check UTF-8, and refuse what only Python reads exactly."""
    opener = gzip.open if rf.compressed else open
    decoder = codecs.getincrementaldecoder("utf-8")()
    lf = cr = crlf = 0
    last = b""
    head: str | None = None
    try:
        with opener(rf.path, "rb") as f:
            while True:
                chunk = f.read(_SCAN_BYTES)
                if not chunk:
                    break
                if head is None and chunk.startswith(_BOMS):
                    return None
                if b"\x00" in chunk or _QUOTE_BESIDE_SPACE.search(last[-8:] + chunk):
                    return None
                if head is None and (chunk.startswith((b" \"", b"\t\""))):
                    return None
                text = decoder.decode(chunk)
                if head is None:
                    head = text
                lf += chunk.count(b"\n")
                cr += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n") + (last.endswith(b"\r") and chunk.startswith(b"\n"))
                last = chunk
            decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError, *GZIP_ERRORS):
        return None
    if head is None or cr != crlf or (last.endswith((b" ", b"\t")) and last.rstrip(b" \t").endswith(b'"')):
        return None  # an empty file, or a lone carriage return (a line break to Python, not to DuckDB)
    lines = lf + (0 if last.endswith(b"\n") else 1)
    reader = csv.reader(io.StringIO(head), strict=True)
    try:
        header = next(reader, None)
    except csv.Error:
        return None
    if not header:
        return None
    columns = csv_columns(rf, header)
    if columns is None:
        return None
    return _Scan(lines, reader.line_num, columns)


def _blank(v: str) -> str:
    """SQL: the cell is empty or white space only (Python's isspace)."""
    return f"({v} IS NULL OR {v} = '' OR (ord({v}) IN ({_WS_CODES}) AND regexp_full_match({v}, '{_WS}+')))"


def _sql_list(items) -> str:
    return ", ".join("'" + i.replace("'", "''") + "'" for i in items)


def _field_sql(f: Field, v: str | None) -> tuple[str, str]:
    """(value expression, ok expression) for one field; `v` is the raw cell column, or None if absent."""
    if v is None:
        return "NULL", ("false" if f.required else "true")
    blank = _blank(v)
    if f.kind is Kind.TEXT:
        value = f"regexp_replace({v}, '^{_WS}+|{_WS}+$', '', 'g')" if f.name in _TRIMMED else v
        return f"CASE WHEN {blank} THEN NULL ELSE {value} END", ("NOT " + blank if f.required else "true")
    ascii_ = f"strlen({v}) = length({v})"
    if f.kind is Kind.CHOICE:
        t = f"lower(trim({v}))"
        value, good = t, f"({t} IN ({_sql_list(f.choices)}) AND {ascii_})"
    elif f.kind is Kind.BOOL:
        t = f"lower(trim({v}))"
        value, good = f"({t} = 'true')", f"({t} IN ('true', 'false') AND {ascii_})"
    elif f.kind is Kind.DATE:
        t = f"trim({v})"
        value = f"TRY_CAST({t} AS DATE)"
        good = f"(regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND {t} >= '0001' AND {value} IS NOT NULL)"
    elif f.kind is Kind.NUMBER:
        t = f"trim({v})"
        value = f"TRY_CAST({t} AS DOUBLE)"
        bounds = f" AND {value} BETWEEN {f.low!r} AND {f.high!r}" if f.low is not None and f.high is not None else ""
        good = f"(regexp_full_match({t}, '-?[0-9]{{1,15}}(\\.[0-9]{{1,15}})?'){bounds})"
    else:
        raise ValueError(f"no vectorized check for {f.kind}")
    ok = f"CASE WHEN {blank} THEN {'false' if f.required else 'true'} ELSE coalesce({good}, false) END"
    return f"CASE WHEN {blank} THEN NULL ELSE {value} END", ok


def _extra_sql(unknown: list[tuple[str, str]]) -> tuple[str, str]:
    """The unknown columns as JSON text, byte for byte what validate.py's json.dumps writes (sorted keys,
    non-ASCII kept). A value with a control character is left to the row path."""
    if not unknown:
        return "NULL", "true"
    parts, oks = [], []
    for i, (name, v) in enumerate(sorted(unknown)):
        key = json.dumps(name, ensure_ascii=False).replace("'", "''")
        cell = f"replace(replace(coalesce({v}, ''), '\\', '\\\\'), '\"', '\\\"')"
        parts.append(f"'{', ' if i else ''}{key}: \"' || {cell} || '\"'")
        oks.append(f"NOT regexp_matches(coalesce({v}, ''), '[\\x00-\\x1f]')")
    return "'{' || " + " || ".join(parts) + " || '}'", " AND ".join(oks)


def _read_checked(con: duckdb.DuckDBPyConnection, rf: RecordFile, scan: _Scan,
                  stage_columns: list[str]) -> pa.Table | None:
    cells = [f"c{i}" for i in range(len(scan.columns))]
    types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cells) + "}"
    con.execute(
        "CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true, auto_detect = false, columns = "
        + types + ", delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        "comment = '', skip = 0, encoding = 'utf-8', ignore_errors = false, max_line_size = ?, compression = ?)",
        [str(rf.path), MAX_FIELD_BYTES, "gzip" if rf.compressed else "none"],
    )
    rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    base = scan.header_lines + 1
    if scan.lines == scan.header_lines + rows:
        line = f"{base} + rowid"  # no line break inside any field, no blank line
        source = "raw"
    else:
        breaks = " + ".join(f"coalesce(length({c}) - length(replace({c}, chr(10), '')), 0)" for c in cells)
        con.execute(f"CREATE TABLE breaks AS SELECT rowid AS r, {breaks} AS n FROM raw")
        inside = con.execute("SELECT coalesce(sum(n), 0) FROM breaks").fetchone()[0]
        if scan.lines != scan.header_lines + rows + inside:
            return None  # blank lines, or a break DuckDB and Python count differently
        con.execute("CREATE TABLE starts AS SELECT r, coalesce(sum(n) OVER (ORDER BY r ROWS BETWEEN "
                    "UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM breaks")
        line = f"{base} + raw.rowid + starts.before"
        source = "raw JOIN starts ON starts.r = raw.rowid"
    position = {name: f"c{i}" for i, name in enumerate(scan.columns)}
    known = set(rf.record_type.field_names)
    values, oks = [], []
    for f, column in zip(rf.record_type.fields, stage_columns):
        value, ok = _field_sql(f, position.get(f.name))
        values.append(f"{value} AS \"{column}\"")
        oks.append(ok)
    extra, extra_ok = _extra_sql([(n, c) for n, c in position.items() if n not in known])
    oks.append(extra_ok)
    con.execute(
        f"CREATE TABLE checked AS SELECT {', '.join(values)}, {extra} AS extra, "
        f"CAST({line} AS INTEGER) AS line, ({' AND '.join(oks)}) AS ok FROM {source}"
    )
    bad, distinct = con.execute(
        'SELECT count(*) FILTER (WHERE NOT ok), count(DISTINCT ("source", "record_id")) FROM checked'
    ).fetchone()
    if bad or distinct != rows:
        return None  # a problem (or a duplicate key): the row path finds and names it
    names = ", ".join(f'"{c}"' for c in stage_columns)
    return con.sql(f"SELECT {names} FROM checked ORDER BY line").to_arrow_table()


def _hash_fields(table: pa.Table, record_type: RecordType, hash_handle: Callable[[str], str]) -> pa.Table:
    """Hashed fields (a reviewer's handle) replaced by their keyed hash, each distinct value hashed once."""
    for name in HASHED_FIELDS.get(record_type.name, ()):
        column = f"{name}_hash"
        index = table.schema.get_field_index(column)
        encoded = pc.dictionary_encode(table.column(column)).combine_chunks()
        hashed = pa.array([hash_handle(v) for v in encoded.dictionary.to_pylist()], pa.string())
        values = pc.take(hashed, encoded.indices)
        table = table.set_column(index, column, values)
    return table

