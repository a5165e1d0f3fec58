"""The stage contract: declared tables (tables.py), recorded runs (runs.py), freshness
(freshness.py) and schema migrations (migrations.py)."""

from harborlight.stages.freshness import StageState, freshness, require_fresh
from harborlight.stages.migrations import SCHEMA_VERSION, MIGRATIONS, pending, prepare, schema_version
from harborlight.stages.runs import latest_run_id, latest_runs, record_run, records_fingerprint
from harborlight.stages.tables import (
    STAGES, TABLES, TRANSIENT, Table, create_kept_tables, create_table_sql, record_columns, replace_table, table,
)

__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "STAGES", "TABLES", "TRANSIENT", "StageState", "Table", "create_kept_tables",
    "create_table_sql", "freshness", "latest_run_id", "latest_runs", "pending", "prepare", "record_columns",
    "record_run", "records_fingerprint", "replace_table", "require_fresh", "schema_version", "table",
]
