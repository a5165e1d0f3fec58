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
import hashlib
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
_HEAD_BYTES = 1 << 20
# Python's str.isspace() characters (what validate.py's strip() and isspace() see), as an RE2 class.
_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x110000)) if c.isspace()) + "]"
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
VECTOR_KINDS = frozenset({Kind.TEXT, Kind.CHOICE, Kind.DATE, Kind.NUMBER, Kind.BOOL})
_TRIMMED = {"source", "record_id"}  # as validate.py: keys are compared after trimming


@dataclass
class Checked:
    table: pa.Table  # the typed rows: the fields, extra, line
    sha256: str | None  # of the file, when the check read it as it is (not gzip)


@dataclass
class _Scan:
    lines: int  # physical lines, as Python's csv module counts them
    header_lines: int
    columns: list[str]
    sha256: str | None  # of the file's bytes, when read as they are (not gzip)


def vectorizable(record_type: RecordType) -> bool:
    """Whether every field of `record_type` has a vectorized check (lists and timestamps do not)."""
    return all(f.kind in VECTOR_KINDS for f in record_type.fields)


def checked_csv(rf: RecordFile, stage_columns: list[str],
                hash_handle: Callable[[str], str]) -> Checked | None:
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
    finally:
        con.close()
    if table is None:
        return None
    return Checked(_hash_fields(table, rf.record_type, hash_handle), scan.sha256)


def _scan(rf: RecordFile) -> _Scan | None:
    """Read the bytes once: count line breaks, and refuse what only the row path reads exactly. (UTF-8 is
    checked by read_csv, which refuses what Python's decoder refuses: surrogates, overlong forms, code
    points past U+10FFFF; the row path then names the line.)"""
    opener = gzip.open if rf.compressed else open
    digest = None if rf.compressed else hashlib.sha256()
    lf = cr = crlf = 0
    last = b""
    head: bytes | None = None
    try:
        with opener(rf.path, "rb") as f:
            while True:
                chunk = f.read(_SCAN_BYTES)
                if not chunk:
                    break
                if digest is not None:
                    digest.update(chunk)
                if head is None:
                    if chunk.startswith(_BOMS) or _quote_beside_space(b"\n" + chunk[:_HEAD_BYTES]):
                        return None
                    head = chunk[:_HEAD_BYTES]
                if b"\x00" in chunk or _quote_beside_space(chunk) or _quote_beside_space(_seam(last, chunk)):
                    return None
                lf += chunk.count(b"\n")
                crs = chunk.count(b"\r")
                if crs:
                    cr += crs
                    crlf += chunk.count(b"\r\n")
                if last.endswith(b"\r") and chunk.startswith(b"\n"):
                    crlf += 1
                last = chunk
    except (OSError, *GZIP_ERRORS):
        return None
    if head is None or cr != crlf:
        return None  # an empty file, or a lone carriage return (a line break to Python, not to DuckDB)
    lines = lf + (0 if last.endswith(b"\n") else 1)
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
        reader = csv.reader(io.StringIO(text), strict=True)
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error):
        return None
    # A header read from a cut-off head might be cut off too: it must fit well inside the head.
    if not header or 2 * sum(map(len, header)) + 3 * len(header) >= len(text) and len(head) == _HEAD_BYTES:
        return None
    columns = csv_columns(rf, header)
    if columns is None:
        return None
    return _Scan(lines, reader.line_num, columns, digest.hexdigest() if digest else None)


# A quote, then spaces or tabs, then a delimiter (or the end): Python's csv module refuses `"a" ,`, where
# DuckDB drops the spaces. The literal first byte makes the search fast.
_QUOTE_SPACE_DELIMITER = re.compile(rb'"[ \t]+(?:[,\r\n]|\Z)')
# A quote with a space or tab just before it: where ` "a"` (text to Python, a quoted value to DuckDB)
# may be. Searched from the quote (a literal, so fast), then checked backwards (`_space_quote_after_delimiter`).
_QUOTE_AFTER_SPACE = re.compile(rb'"(?<=[ \t]")')


def _quote_beside_space(data: bytes) -> bool:
    return bool(_QUOTE_SPACE_DELIMITER.search(data)) or _space_quote_after_delimiter(data)


def _space_quote_after_delimiter(data: bytes) -> bool:
    """A delimiter (or the start of `data`), spaces or tabs, then a quote. Each quote after a space is
    followed back over its spaces, so every byte is looked at once at most; such quotes are rare."""
    for hit in _QUOTE_AFTER_SPACE.finditer(data):
        i = hit.start() - 1
        while i >= 0 and data[i] in b" \t":
            i -= 1
        if i < 0 or data[i] in b",\r\n":
            return True
    return False


def _seam(last: bytes, chunk: bytes) -> bytes:
    """Where two chunks meet: the end of the one before (its trailing spaces and the byte before them),
    and the start of the next (its leading spaces and the byte after them). Empty at the start of the file."""
    if not last:
        return b",,"
    before = last[max(0, len(last.rstrip(b" \t")) - 1):]
    after = chunk[:len(chunk) - len(chunk.lstrip(b" \t")) + 1]
    return before + after


# Every white space character is below '!' or outside ASCII: a byte comparison rules out most cells
# before any regular expression runs.
def _may_start_blank(v: str) -> str:
    return f"({v} < '!' OR {v} >= '\u0080')"


def _may_end_blank(v: str) -> str:
    return f"(right({v}, 1) < '!' OR right({v}, 1) >= '\u0080')"


def _blank(v: str) -> str:
    """SQL: the cell is empty or white space only (Python's isspace)."""
    return f"({v} IS NULL OR ({_may_start_blank(v)} AND regexp_full_match({v}, '{_WS}*')))"


def _stripped(v: str) -> str:
    """SQL: the cell without leading and trailing white space (Python's strip)."""
    return (f"CASE WHEN {_may_start_blank(v)} OR {_may_end_blank(v)} "
            f"THEN regexp_replace({v}, '^{_WS}+|{_WS}+$', '', 'g') ELSE {v} END")


def _sql_list(items) -> str:
    return ", ".join("'" + i.replace("'", "''") + "'" for i in items)


def _field_sql(f: Field, v: str | None) -> tuple[str, str]:
    """(value expression, ok expression) for one field; `v` is the raw cell column, or None if absent."""
    if v is None:
        return "NULL", ("false" if f.required else "true")
    blank = _blank(v)
    if f.kind is Kind.TEXT:
        value = _stripped(v) if f.name in _TRIMMED else v
        return f"CASE WHEN {blank} THEN NULL ELSE {value} END", ("NOT " + blank if f.required else "true")
    ascii_ = f"strlen({v}) = length({v})"
    if f.kind is Kind.CHOICE:
        t, choices = f"lower(trim({v}))", _sql_list(f.choices)
        value = f"CASE WHEN {v} IN ({choices}) THEN {v} ELSE {t} END"
        good = f"({v} IN ({choices}) OR ({t} IN ({choices}) AND {ascii_}))"
    elif f.kind is Kind.BOOL:
        t = f"lower(trim({v}))"
        value, good = f"({t} = 'true')", f"({t} IN ('true', 'false') AND {ascii_})"
    elif f.kind is Kind.DATE:
        t = f"trim({v})"
        value = f"TRY_CAST({t} AS DATE)"
        iso = "'[0-9]{4}-[0-9]{2}-[0-9]{2}'"
        good = f"(regexp_full_match({t}, {iso}) AND {t} >= '0001' AND {value} IS NOT NULL)"
    elif f.kind is Kind.NUMBER:
        t = f"trim({v})"
        value = f"TRY_CAST({t} AS DOUBLE)"
        bounded = f.low is not None and f.high is not None
        bounds = f" AND {value} BETWEEN {f.low!r} AND {f.high!r}" if bounded else ""
        good = f"(regexp_full_match({t}, '-?[0-9]{{1,15}}(\\.[0-9]{{1,15}})?'){bounds})"
    else:
        raise ValueError(f"no vectorized check for {f.kind}")
    ok = f"CASE WHEN {blank} THEN {'false' if f.required else 'true'} ELSE coalesce({good}, false) END"
    return f"CASE WHEN {blank} THEN NULL ELSE {value} END", ok


# json.dumps's escapes, backslash first; any other control character leaves the file to the row path.
_JSON_ESCAPES = (("'\\'", "\\\\"), ("'\"'", '\\"'), ("chr(10)", "\\n"), ("chr(13)", "\\r"), ("chr(9)", "\\t"))


def _extra_sql(unknown: list[tuple[str, str]]) -> tuple[str, str]:
    """The unknown columns as JSON text, byte for byte what validate.py's json.dumps writes (sorted keys,
    non-ASCII kept). A value with a control character json.dumps writes as \\u00XX is left to the row path."""
    if not unknown:
        return "NULL", "true"
    parts, oks = [], []
    for i, (name, v) in enumerate(sorted(unknown)):
        key = json.dumps(name, ensure_ascii=False).replace("'", "''")
        cell = f"coalesce({v}, '')"
        for char, escaped in _JSON_ESCAPES:
            cell = f"replace({cell}, {char}, '{escaped}')"
        parts.append(f"'{', ' if i else ''}{key}: \"' || {cell} || '\"'")
        oks.append(f"NOT regexp_matches(coalesce({v}, ''), '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]')")
    return "'{' || " + " || ".join(parts) + " || '}'", " AND ".join(oks)


def _read_csv_sql(columns: int) -> str:
    """DuckDB's read of a contract CSV as it is: every cell text, strict, nothing guessed. Parameters: the
    path, the largest line, the compression."""
    types = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(columns)) + "}"
    return ("read_csv(?, header = true, auto_detect = false, columns = " + types + ", delim = ',', quote = '\"', "
            "escape = '\"', strict_mode = true, null_padding = false, comment = '', skip = 0, encoding = 'utf-8', "
            "ignore_errors = false, max_line_size = ?, compression = ?)")


def _read_checked(con: duckdb.DuckDBPyConnection, rf: RecordFile, scan: _Scan,
                  stage_columns: list[str]) -> pa.Table | None:
    """The typed, checked rows of `rf`, or None for the row path.

    Most files have no line break inside a field: row k is then on line header_lines + 1 + k, and the
    rows are checked straight from read_csv (DuckDB keeps a plain scan in file order), with no copy of
    the cells. A file whose row count says otherwise is read again into a table of cells, where the
    breaks inside each row's fields are counted to place every row."""
    params = [str(rf.path), MAX_FIELD_BYTES, "gzip" if rf.compressed else "none"]
    base = scan.header_lines + 1
    try:
        checks, cells = _checks_sql(rf, scan, stage_columns), _read_csv_sql(len(scan.columns))
        checked = con.sql(f"SELECT {checks} FROM {cells}", params=params).to_arrow_table()
        if scan.lines == scan.header_lines + checked.num_rows:
            checked = checked.append_column("line", pa.array(range(base, base + checked.num_rows), pa.int32()))
        else:
            checked = _checked_with_breaks(con, rf, scan, stage_columns, params)
    except duckdb.Error:
        return None  # DuckDB cannot read it as a clean CSV: the row path names the problem
    if checked is None:
        return None
    con.register("stage_chunk", checked)
    bad, distinct = con.execute(
        'SELECT count(*) FILTER (WHERE NOT ok), count(DISTINCT ("source", "record_id")) FROM stage_chunk'
    ).fetchall()[0]
    con.unregister("stage_chunk")
    if bad or distinct != checked.num_rows:
        return None  # a problem (or a duplicate key): the row path finds and names it
    return checked.select(stage_columns)


def _checked_with_breaks(con: duckdb.DuckDBPyConnection, rf: RecordFile, scan: _Scan,
                         stage_columns: list[str], params: list) -> pa.Table | None:
    """The checked rows of a file with line breaks inside fields, each placed on its physical line, or
    None when the file's line breaks are not all accounted for (blank lines, or a break DuckDB and
    Python count differently)."""
    cells = [f"c{i}" for i in range(len(scan.columns))]
    con.execute(f"CREATE TABLE csv_cells AS SELECT * FROM {_read_csv_sql(len(cells))}", params)
    rows = con.execute("SELECT count(*) FROM csv_cells").fetchall()[0][0]
    breaks = " + ".join(f"coalesce(length({c}) - length(replace({c}, chr(10), '')), 0)" for c in cells)
    con.execute(f"CREATE TABLE csv_breaks AS SELECT rowid AS r, {breaks} AS n FROM csv_cells")
    inside = con.execute("SELECT coalesce(sum(n), 0) FROM csv_breaks").fetchall()[0][0]
    if scan.lines != scan.header_lines + rows + inside:
        return None
    con.execute("CREATE TABLE csv_line_starts AS SELECT r, coalesce(sum(n) OVER (ORDER BY r ROWS BETWEEN "
                "UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM csv_breaks")
    line = f"{scan.header_lines + 1} + csv_cells.rowid + csv_line_starts.before"
    return con.sql(
        f"SELECT {_checks_sql(rf, scan, stage_columns)}, CAST({line} AS INTEGER) AS line "
        "FROM csv_cells JOIN csv_line_starts ON csv_line_starts.r = csv_cells.rowid ORDER BY line"
    ).to_arrow_table()


def _checks_sql(rf: RecordFile, scan: _Scan, stage_columns: list[str]) -> str:
    """The select list over the cells c0, c1, ...: each field's value (as its stage column), the unknown
    columns as `extra`, and `ok`, true where every field passed its check."""
    position = {name: f"c{i}" for i, name in enumerate(scan.columns)}
    known = set(rf.record_type.field_names)
    values, oks = [], []
    for f, column in zip(rf.record_type.fields, stage_columns):
        value, ok = _field_sql(f, position.get(f.name))
        values.append(f"{value} AS \"{column}\"")
        oks.append(ok)
    extra, extra_ok = _extra_sql([(n, c) for n, c in position.items() if n not in known])
    oks.append(extra_ok)
    return f"{', '.join(values)}, {extra} AS extra, ({' AND '.join(oks)}) AS ok"


def _hash_fields(table: pa.Table, record_type: RecordType, hash_handle: Callable[[str], str]) -> pa.Table:
    """Hashed fields (a reviewer's handle) replaced by their keyed hash, each distinct value hashed once."""
    for name in HASHED_FIELDS.get(record_type.name, ()):
        column = f"{name}_hash"
        index = table.schema.get_field_index(column)
        # A column with no value at all comes back typed null, and its dictionary is [None]: a missing
        # handle stays missing, as on the row path.
        encoded = pc.dictionary_encode(table.column(column).cast(pa.string())).combine_chunks()
        hashed = pa.array([None if v is None else hash_handle(v) for v in encoded.dictionary.to_pylist()],
                          pa.string())
        values = pc.take(hashed, encoded.indices)
        table = table.set_column(index, column, values)
    return table

