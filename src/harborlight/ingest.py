"""Load contract files into the warehouse, each file completely or not at all.

A `tips` file is the exception to "into the warehouse": its tips become cases in the operational store,
and the warehouse receives only their de-identified signals (`load_tips`, stages/hotline.py).

A file is read once, streamed in chunks into a staging table inside one
transaction. Validation goes on to the end of the file even after a problem,
so the user sees every bad line (up to a cap) in one go; the transaction is
then rolled back and the warehouse is exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from harborlight.contract.readers import RecordFile, Row, find_record_files, read_rows, record_file
from harborlight.contract.schema import HASHED_FIELDS, RecordType
from harborlight.contract.validate import RowValidator
from harborlight.contract.vector_check import checked_csv
from harborlight.errors import ContractError, FileRejected, UsageError
from harborlight.stages import hotline
from harborlight.stages.runs import fingerprint, record_run
from harborlight.stages.tables import CASE_FILE_RECORDS, SIGNALS_TABLE, column_name, insert_by_name_sql, table
from harborlight.warehouse import Warehouse, record_columns, replace_existing_sql, unchanged_staged_sql

MAX_ERRORS_SHOWN = 50
CHUNK_ROWS = 50_000
STAGE = "stage_records"

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "VARCHAR[]": pa.list_(pa.string()),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
}


@dataclass
class FileLoaded:
    file: str
    record_type: str
    records: int
    inserted: int
    updated: int  # records already loaded whose values changed; the rest of the file is unchanged
    batch_id: int
    sha256: str = ""

    @property
    def unchanged(self) -> int:
        return self.records - self.inserted - self.updated


@dataclass
class IngestReport:
    loaded: list[FileLoaded] = field(default_factory=list)
    rejected: list[FileRejected] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


# Called with (file, bytes read so far, total bytes).
ProgressFn = Callable[[RecordFile, int, int], None]


def input_files(path: Path) -> tuple[list[RecordFile], list[Path]]:
    """The contract files at `path` (a folder, or one file) and the files ignored beside them.
    Checked before anything is opened, so a wrong path creates nothing."""
    if path.is_dir():
        files, ignored = find_record_files(path)
        if not files:
            raise UsageError(f"{path}: no contract files found (expected names like filings.csv)")
        return files, ignored
    if path.is_file():
        return [record_file(path)], []
    raise UsageError(f"{path}: no such file or folder")


def ingest(path: Path, warehouse: Warehouse, progress: ProgressFn | None = None) -> IngestReport:
    """Load a folder of contract files, or one contract file, into the warehouse."""
    files, ignored = input_files(path)
    report = IngestReport(ignored=[p.name for p in ignored])
    for rf in files:
        try:
            report.loaded.append(load_file(rf, warehouse, progress))
        except FileRejected as rejected:
            report.rejected.append(rejected)
    if report.loaded:
        record_ingest_run(warehouse, report)
    return report


def record_ingest_run(warehouse: Warehouse, report: IngestReport) -> int:
    """One ingest run: the files it loaded (by name and sha256), and what they changed."""
    parameters = {
        "files": [f.file for f in report.loaded],
        "rejected": [r.file for r in report.rejected],
        "inserted": sum(f.inserted for f in report.loaded),
        "updated": sum(f.updated for f in report.loaded),
    }
    return record_run(warehouse, "ingest", parameters, fingerprint([f.sha256 for f in report.loaded]))


class _Staging:
    """Columns of validated rows, flushed in chunks into the staging table."""

    def __init__(self, warehouse: Warehouse, record_type: RecordType):
        self.warehouse = warehouse
        self.columns = record_columns(record_type)
        self.schema = pa.schema([(name, _ARROW_TYPES[t]) for name, t in self.columns])
        self.pending: list[list[object]] = [[] for _ in self.columns]
        self.count = 0

    def add(self, values: list[object], extra: str | None, line: int) -> None:
        # BOOKKEEPING columns: extra, batch_id (set when the batch is merged), line.
        for column, value in zip(self.pending, [*values, extra, None, line]):
            column.append(value)
        self.count += 1
        if len(self.pending[0]) >= CHUNK_ROWS:
            self.flush()

    def add_checked(self, checked: pa.Table) -> None:
        """Rows checked all at once (vector_check.py), inserted in one statement."""
        self.warehouse.con.register("stage_chunk", checked)
        try:
            self.warehouse.run(f"INSERT INTO {STAGE} BY NAME SELECT * FROM stage_chunk")
        finally:
            self.warehouse.con.unregister("stage_chunk")
        self.count += checked.num_rows

    def flush(self) -> None:
        if not self.pending[0]:
            return
        chunk = pa.Table.from_arrays(
            [pa.array(col, type=t) for col, t in zip(self.pending, self.schema.types)], schema=self.schema
        )
        self.warehouse.con.register("stage_chunk", chunk)
        try:
            self.warehouse.run(f"INSERT INTO {STAGE} BY NAME SELECT * FROM stage_chunk")
        finally:
            self.warehouse.con.unregister("stage_chunk")
        self.pending = [[] for _ in self.columns]


def _record_key(row: Row) -> tuple[str, str] | None:
    """(source, record_id) as the validator will store them, or None when either is missing."""
    source, record_id = row.values.get("source"), row.values.get("record_id")
    if not isinstance(source, (str, int)) or not isinstance(record_id, (str, int)):
        return None
    return str(source).strip(), str(record_id).strip()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _validated_rows(
    rf: RecordFile, progress: ProgressFn | None, keep: Callable[[list[object], str | None, int], None]
) -> int:
    """Validate every row of `rf`, handing each valid one to `keep` until the first problem; returns how
    many records were read. Raises FileRejected (every problem up to a cap) when any row is bad."""
    rt = rf.record_type
    total_bytes = rf.path.stat().st_size
    validator = RowValidator(rt, rf.label)
    seen: dict[tuple[str, str], int] = {}
    errors: list[ContractError] = []
    total_errors = 0

    def note(problem: ContractError) -> None:
        nonlocal total_errors
        total_errors += 1
        if len(errors) < MAX_ERRORS_SHOWN:
            errors.append(problem)

    on_bytes = (lambda n: progress(rf, n, total_bytes)) if progress else None
    for item in read_rows(rf, on_bytes):
        if isinstance(item, ContractError):
            note(item)
            continue
        key = _record_key(item)
        if key is not None:
            first_line = seen.setdefault(key, item.line)
            if first_line != item.line:
                note(ContractError(
                    rf.label, item.line, "record_id",
                    f"duplicate (source, record_id): the same record is on line {first_line}",
                ))
        checked = validator.check(item)
        if isinstance(checked, list):
            for problem in checked:
                note(problem)
            continue
        values, extra = checked
        if total_errors:
            continue  # keep validating, stop keeping
        keep(values, extra, item.line)
    if total_errors:
        raise FileRejected(rf.label, errors, total_errors, records_read=len(seen))
    return len(seen)


def load_file(rf: RecordFile, warehouse: Warehouse, progress: ProgressFn | None = None) -> FileLoaded:
    """Load one file in one transaction. Raises FileRejected, having changed nothing.

    A CSV file is first checked whole in DuckDB (vector_check.py). Only when that check finds a problem,
    or something only the row-by-row reader reads exactly, is the file read again row by row, which
    names every problem with its line and field."""
    if rf.record_type.name == CASE_FILE_RECORDS:
        return load_tips(rf, warehouse, progress)
    rt = rf.record_type
    stage_columns = [column_name(rt, f) for f in rt.fields] + ["extra", "line"]
    checked = checked_csv(rf, stage_columns, warehouse.hash_handle)
    if checked is not None:
        if progress:
            size = rf.path.stat().st_size
            progress(rf, size, size)
        return _load_checked(warehouse, rf, checked.table, checked.sha256)
    hashed = [i for i, f in enumerate(rt.fields) if f.name in HASHED_FIELDS.get(rt.name, ())]
    with warehouse.transaction():
        warehouse.run(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * FROM {rt.name} LIMIT 0")
        staging = _Staging(warehouse, rt)

        def keep(values: list[object], extra: str | None, line: int) -> None:
            for i in hashed:
                if values[i] is not None:
                    values[i] = warehouse.hash_handle(values[i])  # type: ignore[arg-type]
            staging.add(values, extra, line)

        _validated_rows(rf, progress, keep)
        staging.flush()
        return _merge_stage(warehouse, rf, staging.count)


def _load_checked(warehouse: Warehouse, rf: RecordFile, checked: pa.Table, sha256: str | None) -> FileLoaded:
    """Rows checked whole (vector_check.py) into the table in one transaction. Into an empty table they go
    straight in (nothing to compare them with); otherwise through the staging table, as the row path."""
    rt = rf.record_type
    with warehouse.transaction():
        if warehouse.rows(f"SELECT count(*) FROM (SELECT 1 FROM {rt.name} LIMIT 1)")[0][0] == 0:
            batch_id = warehouse.rows("SELECT nextval('batch_ids')")[0][0]
            warehouse.con.register("stage_chunk", checked)
            try:
                warehouse.run(f"INSERT INTO {rt.name} BY NAME SELECT *, ? AS batch_id FROM stage_chunk",
                              [batch_id])
            finally:
                warehouse.con.unregister("stage_chunk")
            records = checked.num_rows
            return _record_batch(warehouse, rf, rt.name, records, records, 0, batch_id, sha256)
        warehouse.run(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * FROM {rt.name} LIMIT 0")
        staging = _Staging(warehouse, rt)
        staging.add_checked(checked)
        return _merge_stage(warehouse, rf, staging.count, sha256)


def validated_records(rf: RecordFile, progress: ProgressFn | None = None) -> list[dict[str, object]]:
    """Every row of `rf` as a validated record (field name -> value), or FileRejected."""
    names = rf.record_type.field_names
    rows: list[dict[str, object]] = []
    _validated_rows(rf, progress, lambda values, _extra, _line: rows.append(dict(zip(names, values))))
    return rows


def load_tips(rf: RecordFile, warehouse: Warehouse, progress: ProgressFn | None = None) -> FileLoaded:
    """A tips file: validated exactly as any contract file, then its rows go into cases in the operational
    store (`import_tips`, one store transaction) and only their de-identified signals into the warehouse's
    `hotline_signals` (one warehouse transaction). Raises FileRejected, having changed nothing in either.

    Order: the warehouse transaction opens first; inside it the store imports the tips and the signals are
    written; the store commits only after the warehouse insert succeeded, and the warehouse commits last.
    Any failure up to the store's commit rolls back both. The one window left (the store committed, then
    the warehouse commit fails) leaves cases without their signals: harmless, since a case alone tells an
    analyst nothing, and a second ingest of the file, idempotent on (source, record_id), writes the signals.
    The other order could leave signals pointing at cases that do not exist.
    """
    rows = validated_records(rf, progress)
    records = len(rows)
    with warehouse.transaction():
        with hotline.case_import(hotline.case_settings(warehouse)) as (session, keyring):
            hotline.stage_signals(warehouse, hotline.import_tip_rows(session, keyring, rows))
            loaded = _merge_signals(warehouse, rf, records)
    return loaded


def merge_staged_signals(warehouse: Warehouse) -> tuple[int, int]:
    """The staged signals into `hotline_signals`: a tip loaded again with the same signal is unchanged, one
    whose signal changed replaces it. Returns (unchanged, updated)."""
    staged = hotline.STAGED_SIGNALS
    compared = list(table(SIGNALS_TABLE).column_names)
    unchanged = warehouse.rows(unchanged_staged_sql(SIGNALS_TABLE, staged, compared))[0][0]
    updated = warehouse.rows(replace_existing_sql(SIGNALS_TABLE, staged))[0][0]
    warehouse.run(insert_by_name_sql(SIGNALS_TABLE, f"SELECT * FROM {staged}"))
    warehouse.run(hotline.drop_staged_sql())
    return unchanged, updated


def _merge_signals(warehouse: Warehouse, rf: RecordFile, records: int) -> FileLoaded:
    """The staged signals merged; the load is counted in `batches` under `hotline_signals`."""
    unchanged, updated = merge_staged_signals(warehouse)
    return _record_batch(warehouse, rf, SIGNALS_TABLE, records, records - unchanged - updated, updated)


def _merge_stage(warehouse: Warehouse, rf: RecordFile, records: int, sha256: str | None = None) -> FileLoaded:
    table = rf.record_type.name
    batch_id = warehouse.rows("SELECT nextval('batch_ids')")[0][0]
    warehouse.run(f"UPDATE {STAGE} SET batch_id = ?", [batch_id])
    # Records stored already with the same values stay as they are (with the batch that last
    # changed them); only new and changed records are written, so `updated` means changed.
    compared = [c for c, _ in record_columns(rf.record_type) if c not in ("batch_id", "line")]
    unchanged = warehouse.rows(unchanged_staged_sql(table, STAGE, compared))[0][0]
    updated = warehouse.rows(replace_existing_sql(table, STAGE))[0][0]
    warehouse.run(f"INSERT INTO {table} BY NAME SELECT * FROM {STAGE}")
    warehouse.run(f"DROP TABLE {STAGE}")
    inserted = records - unchanged - updated
    return _record_batch(warehouse, rf, table, records, inserted, updated, batch_id, sha256)


def insert_batch_sql() -> str:
    return ("INSERT INTO batches (batch_id, record_type, file_name, sha256, records, inserted, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)")


def _record_batch(warehouse: Warehouse, rf: RecordFile, table: str, records: int, inserted: int, updated: int,
                  batch_id: int | None = None, sha256: str | None = None) -> FileLoaded:
    if batch_id is None:
        batch_id = warehouse.rows("SELECT nextval('batch_ids')")[0][0]
    sha256 = sha256 or _file_sha256(rf.path)
    warehouse.run(insert_batch_sql(), [batch_id, table, rf.label, sha256, records, inserted, updated])
    return FileLoaded(rf.label, table, records, inserted, updated, batch_id, sha256)

