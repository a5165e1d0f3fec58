"""The warehouse: one DuckDB file that every stage reads and writes.

Every table is declared once, in the stage contract (stages/tables.py): record tables (one
per contract file, named like the file), `batches` (each load), stage runs, and each stage's
own tables. Opening the warehouse writable brings it to the current schema version
(stages/migrations.py); opening it read-only never writes to it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from harborlight.errors import Stale, WarehouseError
from harborlight.stages import migrations
from harborlight.stages.tables import BOOKKEEPING, RECORD_TABLES, column_name, record_columns, replace_table

__all__ = [
    "BOOKKEEPING", "Warehouse", "column_name", "record_columns", "record_counts_sql", "replace_existing_sql",
    "unchanged_staged_sql",
]

# What one warehouse connection may hold in memory before DuckDB spills to disk beside the file.
WAREHOUSE_MEMORY_LIMIT = "4GB"


def unchanged_staged_sql(table: str, stage: str, columns: list[str]) -> str:
    """Delete from the staged batch the records stored already exactly as they are (every column
    but the batch and line): loading the same file again changes nothing and updates nothing."""
    same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM {stage}.{c}" for c in columns)
    return f"""
    DELETE FROM {stage}
    WHERE EXISTS (
      SELECT 1 FROM {table} t
      WHERE t.source = {stage}.source AND t.record_id = {stage}.record_id AND {same}
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
    """A connection to the warehouse file, at the current schema version.

    Writable: pending migrations are applied on open, in one transaction. Read-only: the file
    is never written; if it needs migrating, an upgraded temporary copy is read instead (and
    `notes` says so), so that `status` and `export` work on an older data dir, even one that
    cannot be written, until `harborlight migrate` or any writing command upgrades it in place.
    """

    def __init__(self, path: Path, key: bytes, read_only: bool = False):
        self.path = path
        self._key = key
        self.read_only = read_only
        self.notes: list[str] = []
        self.migrated: list[migrations.Migration] = []
        self._copy: tempfile.TemporaryDirectory | None = None
        self.con = self._connect(path, read_only)
        try:
            if not read_only:
                self.migrated = migrations.prepare(self)
                if any(m.rewrites_file for m in self.migrated):
                    self._rewrite()
            elif migrations.pending(self):
                self._read_upgraded_copy()
        except BaseException:
            self.close()
            raise

    def _connect(self, path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute("SET enable_progress_bar = false")  # it would draw over the CLI's output
            # DuckDB would take 80% of the machine's memory before spilling to `<warehouse>.tmp`; a stage
            # beside Splink (itself held to 4 GB, resolve/engines.py) then peaked at 8.6 GB at 1M records.
            con.execute("SET memory_limit = ?", [WAREHOUSE_MEMORY_LIMIT])
            return con
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open the warehouse {self.path}: {exc}") from None

    @property
    def reading_a_copy(self) -> bool:
        """True while a read-only open migrates and reads a temporary copy (`_read_upgraded_copy`)."""
        return self._copy is not None

    def _read_upgraded_copy(self) -> None:
        """Migrate a temporary copy and read that: a read-only open never writes the original."""
        version = migrations.schema_version(self)
        self.con.close()
        self._copy = tempfile.TemporaryDirectory(prefix="harborlight-upgrade-")
        copy = Path(self._copy.name) / self.path.name
        try:
            for suffix in ("", ".wal"):
                source = self.path.with_name(self.path.name + suffix)
                if source.exists():
                    shutil.copyfile(source, copy.with_name(copy.name + suffix))
        except OSError as exc:  # the copy is removed by close(), which __init__ calls on failure
            raise Stale(f"the warehouse {self.path} needs upgrading and could not be copied ({exc.strerror}): "
                        "run `harborlight migrate` to upgrade it in place") from None
        self.con = self._connect(copy, False)
        migrations.prepare(self)
        self.con.close()
        self.con = self._connect(copy, True)
        self.notes.append(
            f"this warehouse was made by an older harborlight (schema version {version}, now "
            f"{migrations.SCHEMA_VERSION}); read through an upgraded copy: run `harborlight migrate` "
            "to upgrade it in place")

    def _rewrite(self) -> None:
        """Replace the file with a copy of its live data: what a migration dropped (tip text) is not left
        in the old file's free blocks. The copy is made beside the file and moved over it."""
        fresh = self.path.with_name(self.path.name + ".rewrite")
        for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
            leftover.unlink(missing_ok=True)
        current = self.rows("SELECT current_database()")[0][0]
        self.run(migrations.attach_sql(str(fresh), "rewritten"))
        try:
            self.run(migrations.copy_database_sql(current, "rewritten"))
        finally:
            self.run("DETACH rewritten")
        self.con.close()
        os.replace(fresh, self.path)
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
        self.con = self._connect(self.path, False)

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
        """Replace `table` with the contents of an Arrow table, created from its declaration."""
        self.con.register("arrow_input", data)
        try:
            replace_table(self, table, "SELECT * FROM arrow_input")
        finally:
            self.con.unregister("arrow_input")

    def record_count(self) -> int:
        """How many records the record tables hold, all files together (tips as their signals)."""
        return sum(self.rows(f"SELECT count(*) FROM {name}")[0][0] for name in RECORD_TABLES.values())

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

    def cursor(self) -> Warehouse:
        """Another handle on this open warehouse, for one thread: a DuckDB connection must not be used
        by two threads at once, so the workspace gives each request its own cursor. Closing it closes
        only the cursor."""
        other = object.__new__(Warehouse)
        other.__dict__.update(self.__dict__)
        other.con, other._copy, other.notes = self.con.cursor(), None, list(self.notes)
        return other

    def close(self) -> None:
        self.con.close()
        if self._copy is not None:
            self._copy.cleanup()
            self._copy = None

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
