"""The warehouse: one DuckDB file that every stage reads and writes.

This module owns the tables that hold loaded records (one per contract file,
named like the file) and the `batches` table that remembers each load. Later
stages own their own tables; each declares its schema in its own module.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from harborlight.contract.schema import HASHED_FIELDS, RECORD_TYPES, Field, RecordType
from harborlight.errors import WarehouseError

# Columns every record table carries besides the contract's fields.
BOOKKEEPING = (("extra", "JSON"), ("batch_id", "INTEGER"), ("line", "INTEGER"))


def column_name(record_type: RecordType, f: Field) -> str:
    """Hashed fields are stored under `<name>_hash` so no one mistakes them for clear text."""
    return f"{f.name}_hash" if f.name in HASHED_FIELDS.get(record_type.name, ()) else f.name


def record_columns(record_type: RecordType) -> list[tuple[str, str]]:
    """(column, SQL type) for a record table, in order."""
    return [(column_name(record_type, f), f.sql_type) for f in record_type.fields] + list(BOOKKEEPING)


def create_record_table_sql(record_type: RecordType) -> str:
    cols = ",\n  ".join(f"{name} {sql_type}" for name, sql_type in record_columns(record_type))
    return f"CREATE TABLE IF NOT EXISTS {record_type.name} (\n  {cols}\n)"


def create_batches_sql() -> str:
    return """
    CREATE SEQUENCE IF NOT EXISTS batch_ids START 1;
    CREATE TABLE IF NOT EXISTS batches (
      batch_id INTEGER PRIMARY KEY,
      record_type VARCHAR NOT NULL,
      file_name VARCHAR NOT NULL,
      sha256 VARCHAR NOT NULL,
      records INTEGER NOT NULL,
      inserted INTEGER NOT NULL,
      updated INTEGER NOT NULL,
      loaded_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp()
    )"""


def replace_existing_sql(table: str, stage: str) -> str:
    """Delete the records that a staged batch loads again, so they are updated, not duplicated."""
    return f"""
    DELETE FROM {table}
    WHERE EXISTS (
      SELECT 1 FROM {stage} s
      WHERE s.source = {table}.source AND s.record_id = {table}.record_id
    )"""


def record_counts_sql(table: str) -> str:
    return f"SELECT source, count(*) AS n FROM {table} GROUP BY source ORDER BY source"


class Warehouse:
    """A connection to the warehouse file, with its schema in place."""

    def __init__(self, path: Path, key: bytes, read_only: bool = False):
        self.path = path
        self._key = key
        try:
            self.con = duckdb.connect(str(path), read_only=read_only)
            self.con.execute("SET enable_progress_bar = false")  # it would draw over the CLI's output
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open the warehouse {path}: {exc}") from None
        if not read_only:
            self.ensure_schema()

    def ensure_schema(self) -> None:
        self.run(create_batches_sql())
        for record_type in RECORD_TYPES.values():
            self.run(create_record_table_sql(record_type))

    def run(self, sql: str, params: list | tuple | None = None) -> duckdb.DuckDBPyConnection:
        """Execute one statement; a failure names the SQL that failed."""
        try:
            return self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        except duckdb.Error as exc:
            raise WarehouseError(f"warehouse statement failed: {exc}", sql) from None

    def rows(self, sql: str, params: list | tuple | None = None) -> list[tuple]:
        return self.run(sql, params).fetchall()

    def dicts(self, sql: str, params: list | tuple | None = None) -> list[dict]:
        cursor = self.run(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def write_arrow(self, table: str, data) -> None:
        """Replace `table` with the contents of an Arrow table."""
        self.con.register("arrow_input", data)
        try:
            self.run(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM arrow_input")
        finally:
            self.con.unregister("arrow_input")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all."""
        self.con.begin()
        try:
            yield
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    def hash_handle(self, handle: str) -> str:
        """A keyed hash of a public handle; the handle itself is never stored."""
        digest = hmac.new(self._key, handle.strip().encode("utf-8"), hashlib.sha256).hexdigest()
        return f"h_{digest[:20]}"

    def table_exists(self, name: str) -> bool:
        found = self.rows(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        )
        return found[0][0] > 0

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
