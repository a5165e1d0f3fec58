"""Every reader and importer, fuzzed with Hypothesis: any bytes, and near-valid inputs (a valid file
with one field replaced, cut short, re-encoded, given a NUL, a byte-order mark or a huge field), end
in a complete load or in one clean error the CLI prints as a line (a HarborlightError). Never another
exception (a traceback), and never a partial load: after an error the warehouse, the operational
store or the output folder is exactly as it was.

Each test keeps one real DuckDB warehouse (or one output folder) for all its examples, so a load
that did go through is checked against what came before it, as a user's second batch would be.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import VALID_ROWS
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sunbiz_support import officer, record

from harborlight.config import installation_key
from harborlight.contract.readers import Row, read_rows, record_file
from harborlight.contract.schema import RECORD_TYPES
from harborlight.errors import ContractError, HarborlightError
from harborlight.ingest import ingest
from harborlight.sources.ftm import import_ftm
from harborlight.sources.mapped import import_mapped
from harborlight.sources.mapping import parse_mapping
from harborlight.sources.sunbiz import import_sunbiz
from harborlight.stages.tables import RECORD_TABLES, SIGNALS_TABLE
from harborlight.warehouse import Warehouse

# Modest by default so the suite stays quick; HARBORLIGHT_FUZZ_EXAMPLES=2000 runs longer (docs/fuzzing.md).
EXAMPLES = int(os.environ.get("HARBORLIGHT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=max(EXAMPLES // 3, 1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
WAREHOUSE_TYPES = [t for t in RECORD_TYPES if t != "tips"]


# -- near-valid inputs ----------------------------------------------------------------------
def _csv_bytes(rows: list[dict[str, object]]) -> bytes:
    header = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return buffer.getvalue().encode("utf-8", "surrogatepass")  # a lone surrogate: bytes no UTF-8 reader accepts


def _jsonl_bytes(rows: list[dict[str, object]]) -> bytes:
    """JSON lines in UTF-8; a lone surrogate is written as JSON writes it, an escape (\\ud800)."""
    try:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    except UnicodeEncodeError:
        return "".join(json.dumps(row) + "\n" for row in rows).encode("ascii")


ODD_TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["", " ", "\x00", "\"", "\"\"", "a\nb", "\r", "\ufeff", "2019-02-30", "NaN", "-1e999",
                     "9" * 5000, "x" * 70_000, "Δ" * 300]),
)

# What a JSON line can hold besides text: numbers of any size, nesting, null, and lone surrogates
# (valid JSON as an escape, but no UTF-8 text can hold one).
ODD_VALUE = st.one_of(
    ODD_TEXT,
    st.text(alphabet=st.characters(), max_size=10),
    st.sampled_from(["\ud800", "a\udfff", "\x00"]),
    st.integers(), st.floats(), st.none(), st.booleans(),
    st.lists(ODD_TEXT, max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@st.composite
def mutated_rows(draw, record_type: str) -> list[dict[str, object]]:
    """Two valid rows of `record_type`, one field of one row replaced by odd text (or removed)."""
    base = VALID_ROWS[record_type]
    rows = [dict(base), dict(base, record_id=f"{base['record_id']}-2")]
    target = draw(st.sampled_from(rows))
    name = draw(st.one_of(st.sampled_from([*base, "extra_column", " Source "]), ODD_TEXT))
    if draw(st.booleans()):
        target[name] = draw(ODD_VALUE)
    else:
        target.pop(name, None)
    return rows


def _damaged(draw, data: bytes) -> bytes:
    """`data` left whole, or cut short, re-encoded, given a mark, a NUL or a stray byte."""
    how = draw(st.sampled_from(["whole", "cut", "utf16", "latin1", "bom8", "bom16", "nul", "byte", "crlf"]))
    if how == "cut":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if how == "utf16":
        return data.decode("utf-8", "surrogatepass").encode("utf-16", "surrogatepass")
    if how == "latin1":
        return data.decode("utf-8", "surrogatepass").encode("latin-1", "replace")
    if how == "bom8":
        return codecs.BOM_UTF8 + data
    if how == "bom16":
        return codecs.BOM_UTF16_LE + data
    if how in ("nul", "byte"):
        at = draw(st.integers(0, len(data)))
        stray = b"\x00" if how == "nul" else bytes([draw(st.integers(0, 255))])
        return data[:at] + stray + data[at:]
    if how == "crlf":
        return data.replace(b"\n", b"\r\n")
    return data


@st.composite
def contract_file(draw, record_types: list[str]) -> tuple[str, bytes]:
    """(file name, content): any bytes, or a near-valid file, CSV or JSON lines, maybe gzip (cut or whole)."""
    record_type = draw(st.sampled_from(record_types))
    fmt = draw(st.sampled_from(["csv", "jsonl"]))
    if draw(st.integers(0, 3)) == 0:
        data = draw(st.binary(max_size=2000))
    else:
        rows = draw(mutated_rows(record_type))
        data = _damaged(draw, (_csv_bytes if fmt == "csv" else _jsonl_bytes)(rows))
    name = f"{record_type}.{fmt}"
    if draw(st.booleans()):
        data = gzip.compress(data, mtime=0)
        name += ".gz"
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
    return name, data


# -- what must hold -------------------------------------------------------------------------
def _outcome(action):
    """What `action` returned, or the clean error it raised. Any other exception fails the test."""
    try:
        result = action()
    except HarborlightError as error:
        _one_line_each(error, *getattr(error, "errors", ()))
        event(f"refused: {type(error).__name__}")  # --hypothesis-show-statistics tells how often
        return error
    for rejected in getattr(result, "rejected", ()):
        _one_line_each(rejected, *rejected.errors)
    event("rejected in the report" if getattr(result, "ok", True) is False else "went through")
    return result


def _one_line_each(*errors: Exception) -> None:
    """The CLI prints an error, and each problem of a rejected file, as one line of text."""
    for error in errors:
        text = str(error)
        assert "\n" not in text and "\r" not in text, f"not one line: {text!r}"
        text.encode("utf-8")  # printable: no lone surrogate from undecodable input


def _warehouse_state(warehouse: Warehouse) -> dict[str, list[tuple]]:
    tables = [*RECORD_TABLES.values(), "batches", SIGNALS_TABLE]
    return {t: warehouse.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables if warehouse.table_exists(t)}


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """One real DuckDB warehouse that every example of a test loads into."""
    data_dir = tmp_path_factory.mktemp("fuzz-warehouse")
    opened = Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir))
    yield opened
    opened.close()


def _check_ingest(warehouse: Warehouse, name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        before = _warehouse_state(warehouse)
        report = _outcome(lambda: ingest(path, warehouse))
        after = _warehouse_state(warehouse)
        if isinstance(report, HarborlightError) or not report.ok:
            assert after == before, "a rejected file changed the warehouse"
            if not isinstance(report, HarborlightError):
                assert all(isinstance(e, ContractError) for r in report.rejected for e in r.errors)
            return
        (loaded,) = report.loaded
        assert after["batches"][len(before["batches"]):] != [], "a loaded file left no batch"
        batch = warehouse.rows("SELECT records, inserted, updated FROM batches WHERE batch_id = ?", [loaded.batch_id])
        assert batch == [(loaded.records, loaded.inserted, loaded.updated)]


# -- the contract readers and ingest --------------------------------------------------------
@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["filings.csv", "officers.jsonl", "reviews.csv.gz", "listings.jsonl.gz"]))
def test_the_contract_reader_yields_rows_or_located_errors_for_any_bytes(data, name):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        for item in read_rows(record_file(path)):
            assert isinstance(item, (Row, ContractError))
            assert item.line >= 0


# Inputs the properties found, kept as examples so they are tried on every run (docs/fuzzing.md).
LONE_SURROGATE_JSON = b'{"source": "web", "record_id": "r\\ud800", "site_kind": "review_site", "business_name": "Spa"}\n'
DOUBLED_ODD_COLUMN_CSV = b'source,record_id,entity_name,"a\nb","a\nb"\r\nx,1,N,1,2\r\n'
NUL_UNDER_ODD_COLUMN_CSV = b'source,record_id,entity_name,"0\n0"\r\nx,1,N,\x00\r\n'
ESCAPED_NUL_JSON = b'{"source": "web", "record_id": "r1", "site_kind": "review_site", "business_name": "S\\u0000pa"}\n'


@FUZZ
@given(contract_file(WAREHOUSE_TYPES))
@example(named_data=("listings.jsonl", LONE_SURROGATE_JSON))
@example(named_data=("listings.jsonl", ESCAPED_NUL_JSON))
@example(named_data=("filings.csv", DOUBLED_ODD_COLUMN_CSV))
@example(named_data=("filings.csv", NUL_UNDER_ODD_COLUMN_CSV))
def test_ingest_loads_a_whole_file_or_changes_nothing(warehouse, named_data):
    _check_ingest(warehouse, *named_data)


def test_json_escapes_of_a_nul_or_a_lone_surrogate_are_refused_at_their_line_and_field(warehouse):
    for data, field in ((LONE_SURROGATE_JSON, "record_id"), (ESCAPED_NUL_JSON, "business_name")):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "listings.jsonl"
            path.write_bytes(data)
            report = ingest(path, warehouse)
        (problem,) = report.rejected[0].errors
        assert (problem.line, problem.field) == (1, field)


@FEW
@given(contract_file(["tips"]))
def test_ingesting_tips_makes_cases_for_a_whole_file_or_changes_neither_database(warehouse, named_data):
    store = warehouse.path.parent / "workspace.sqlite"
    before = store.read_bytes() if store.exists() else None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / named_data[0]
        path.write_bytes(named_data[1])
        signals = _warehouse_state(warehouse)
        report = _outcome(lambda: ingest(path, warehouse))
        if isinstance(report, HarborlightError) or not report.ok:
            assert _warehouse_state(warehouse) == signals
            assert (store.read_bytes() if store.exists() else None) == before, "a rejected tips file changed the store"


# -- import sunbiz (fixed width) ------------------------------------------------------------
@st.composite
def sunbiz_file(draw) -> tuple[str, bytes]:
    """(file name, content): any bytes, or a valid record with bytes overwritten, cut, re-encoded, or zipped."""
    if draw(st.integers(0, 3)) == 0:
        return "cordata.txt", draw(st.binary(max_size=3000))
    line = record(officers=[officer("P", "EXAMPLE, PAT")]).encode("latin-1")
    lines = [line, line.replace(b"P19000000001", b"P19000000002")]
    how = draw(st.sampled_from(["overwrite", "cut", "utf8", "nul", "long", "crlf"]))
    if how == "overwrite":
        at = draw(st.integers(0, len(line) - 1))
        patch = draw(st.binary(min_size=1, max_size=12))
        lines[0] = (line[:at] + patch + line[at + len(patch):])[: len(line)]
    elif how == "cut":
        lines[1] = line[: draw(st.integers(0, len(line) - 1))]
    elif how == "utf8":
        lines[0] = line.decode("latin-1").replace("HARBOR", "HÄRBØR").encode("utf-8")
    elif how == "nul":
        lines[0] = line[:30] + b"\x00" + line[31:]
    elif how == "long":
        lines[0] = line + b"X" * draw(st.integers(1, 7000))
    data = (b"\r\n" if how == "crlf" else b"\n").join(lines) + b"\n"
    if draw(st.booleans()):
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("cordata0.txt", data)
        data = zipped.getvalue()
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
        return "cordata.zip", data
    return "cordata.txt", data


@FUZZ
@given(sunbiz_file(), st.booleans())
def test_import_sunbiz_writes_both_files_or_nothing(named_data, skip_bad):
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / named_data[0], Path(folder) / "out"
        path.write_bytes(named_data[1])
        summary = _outcome(lambda: import_sunbiz([path], out, skip_bad=skip_bad))
        written = _folder_state(out)
        if isinstance(summary, HarborlightError):
            assert written == {}, "a rejected import left files behind"
            return
        assert set(written) == {"filings.csv", "officers.csv"}
        assert summary.filings == written["filings.csv"].count(b"\n") - 1 or b'"' in written["filings.csv"]


# -- import mapped (CSV through a YAML mapping) ---------------------------------------------
MAPPING_TEXT = """
source: fuzz_registry
records:
  filings:
    fields:
      record_id: ID
      entity_name: NAME
      status:
        column: STATUS
        map: {A: active, D: dissolved}
      filed_date:
        column: FILED
        date: ["%m/%d/%Y"]
  officers:
    - when: {present: OWNER}
      fields:
        record_id: {template: "{ID}-1"}
        filing_record_id: ID
        role: {constant: owner}
        name: OWNER
"""
MAPPING = parse_mapping(MAPPING_TEXT, "fuzz.yaml")
MAPPED_ROW = {"ID": "F1", "NAME": "EXAMPLE SPA LLC", "STATUS": "A", "FILED": "02/22/2019", "OWNER": "EXAMPLE, PAT"}


@st.composite
def mapped_file(draw) -> bytes:
    if draw(st.integers(0, 3)) == 0:
        return draw(st.binary(max_size=2000))
    rows = [dict(MAPPED_ROW), dict(MAPPED_ROW, ID="F2")]
    target = draw(st.sampled_from(rows))
    column = draw(st.sampled_from(list(MAPPED_ROW)))
    if draw(st.booleans()):
        target[column] = draw(ODD_TEXT)
    else:
        target.pop(column)
    data = _damaged(draw, _csv_bytes(rows))
    return gzip.compress(data, mtime=0) if draw(st.booleans()) else data


@FUZZ
@given(mapped_file(), st.booleans())
def test_import_mapped_writes_every_file_or_nothing(data, skip_bad):
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / "registry.csv", Path(folder) / "out"
        path.write_bytes(data)
        report = _outcome(lambda: import_mapped(path, MAPPING, out, skip_bad=skip_bad))
        written = _folder_state(out)
        if isinstance(report, HarborlightError):
            assert written == {}, "a rejected import left files behind"
            return
        assert set(written) == {f"{t}.csv" for t in MAPPING.record_types}
        assert report.written == {name: n for name, n in report.written.items() if name in written}


@st.composite
def mapping_text(draw) -> str:
    """Any text, or the valid mapping above with a stretch of it replaced by odd text."""
    if draw(st.booleans()):
        return draw(st.one_of(st.text(max_size=400), st.text(alphabet="sourcerdfil:{}[]- \n'\"&*!|>", max_size=200)))
    start = draw(st.integers(0, len(MAPPING_TEXT)))
    end = draw(st.integers(start, min(start + 12, len(MAPPING_TEXT))))
    patch = draw(st.one_of(ODD_TEXT, st.sampled_from(["", ":", " ", "\n", "- ", "{", "[", "&a", "*a", "!!python/object {}"])))
    return MAPPING_TEXT[:start] + patch + MAPPING_TEXT[end:]


@FUZZ
@given(mapping_text())
def test_a_mapping_of_any_text_is_read_or_refused_cleanly(text):
    _outcome(lambda: parse_mapping(text, "fuzz.yaml"))


# -- import ftm (JSON lines) ----------------------------------------------------------------
FTM_LINES = [
    {"id": "co-1", "schema": "Company", "datasets": ["xx_demo"],
     "properties": {"name": ["EXAMPLE SPA LLC"], "address": ["100 Main St, Miami, FL 33101"]}},
    {"id": "p-1", "schema": "Person", "datasets": ["xx_demo"], "properties": {"name": ["Pat Example"]}},
    {"id": "d-1", "schema": "Directorship", "datasets": ["xx_demo"],
     "properties": {"director": ["p-1"], "organization": ["co-1"], "role": ["Director"]}},
]


@st.composite
def ftm_file(draw) -> tuple[str, bytes]:
    if draw(st.integers(0, 3)) == 0:
        return "entities.json", draw(st.binary(max_size=2000))
    lines = json.loads(json.dumps(FTM_LINES))
    entity = draw(st.sampled_from(lines))
    key = draw(st.sampled_from(["id", "schema", "datasets", "properties", "name", "role", "director"]))
    odd = draw(st.one_of(ODD_VALUE, st.lists(ODD_VALUE, max_size=3),
                         st.dictionaries(st.text(max_size=5), ODD_TEXT, max_size=2)))
    if key in ("name", "role", "director"):
        entity["properties"][key] = odd
    else:
        entity[key] = odd
    data = _damaged(draw, _jsonl_bytes(lines))
    if draw(st.booleans()):
        return "entities.json.gz", gzip.compress(data, mtime=0)[: draw(st.integers(0, 10_000))]
    return "entities.json", data


@FUZZ
@given(ftm_file(), st.booleans())
def test_import_ftm_writes_every_file_or_nothing(named_data, skip_bad):
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / named_data[0], Path(folder) / "out"
        path.write_bytes(named_data[1])
        result = _outcome(lambda: import_ftm([path], out, None, skip_bad))
        written = _folder_state(out)
        if isinstance(result, HarborlightError):
            assert written == {}, "a rejected import left files behind"
        else:
            assert written, "an import that went through wrote nothing"
