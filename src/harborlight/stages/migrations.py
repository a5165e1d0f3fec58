"""Schema migrations: how a warehouse made by an earlier harborlight is brought up to this one.

`schema_migrations` lists the migrations applied. A writable open applies the pending ones,
in order, inside one transaction (`prepare`): all of them or none. A brand-new warehouse is
created from the stage contract at the current version and records every migration as applied.

A warehouse made before migrations were recorded (it has `batches` but no `schema_migrations`)
is at version 0. A read-only open of a warehouse that needs migrating reads an upgraded
temporary copy instead (warehouse.py), and says that `harborlight migrate` upgrades it in place.

To change the schema: change the declaration in tables.py, add a migration that brings an
existing warehouse to it, and the test of the older data dir shows it upgrades.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harborlight.contract.schema import TIPS
from harborlight.errors import Stale
from harborlight.stages.runs import record_run, records_fingerprint
from harborlight.stages.tables import (
    BOOKKEEPING_STAGE,
    CASE_FILE_RECORDS,
    SIGNALS_TABLE,
    create_kept_tables,
    create_table_sql,
)

if TYPE_CHECKING:
    from harborlight.warehouse import Warehouse


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Warehouse], None]
    # DuckDB leaves a dropped table's bytes in the file's free blocks: a migration that drops text no one
    # may read any more has the file rewritten afterwards (Warehouse opens a copy of its live data only).
    rewrites_file: bool = False


def _exists(warehouse: Warehouse, name: str) -> bool:
    return warehouse.table_exists(name)


def last_resolution_sql() -> str:
    return "SELECT run_at, last_batch_id FROM resolution_runs ORDER BY run_at DESC LIMIT 1"


def unscored_businesses_sql() -> str:
    """Business entities with no score: scores made before the last resolve (the old check)."""
    return """SELECT count(*) FROM entities e WHERE e.kind = 'business'
              AND NOT EXISTS (SELECT 1 FROM business_scores s WHERE s.entity_id = e.entity_id)"""


def stale_members_sql() -> str:
    """Network members that are no longer entities: networks found before the last resolve (the old check)."""
    return """SELECT count(*) FROM network_members m
              WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.entity_id = m.business_id)"""


def _record_stage_runs(warehouse: Warehouse) -> None:
    """Version 1: stage runs. Creates `stage_runs`, gives `resolution_runs` its `parameters`
    column, and records as runs what the older harborlight left, judged by the checks it made
    itself: the loads; the last resolve, over the loads it had seen; scores covering every
    business; networks whose members are all entities. Anything else is left unrecorded, and
    its consumers ask for the stage to be run again."""
    warehouse.run(create_table_sql("stage_runs", if_missing=True))
    note = {"recorded_by": "migration 1, from what an older harborlight left"}
    if warehouse.rows("SELECT count(*) FROM batches")[0][0]:
        loaded_at = warehouse.rows("SELECT max(loaded_at) FROM batches")[0][0]
        record_run(warehouse, "ingest", note, None, {}, loaded_at)
    if not _exists(warehouse, "resolution_runs"):
        return
    warehouse.run("ALTER TABLE resolution_runs ADD COLUMN IF NOT EXISTS parameters VARCHAR")
    last = warehouse.rows(last_resolution_sql())
    if not last or not _exists(warehouse, "entities"):
        return
    run_at, last_batch = last[0]
    # Scores and networks made after that resolve read at most the loads it had seen.
    resolved = record_run(warehouse, "resolve", note, records_fingerprint(warehouse, "resolve", last_batch), {}, run_at)
    scored = None
    if _exists(warehouse, "business_scores") and not warehouse.rows(unscored_businesses_sql())[0][0]:
        scored = record_run(warehouse, "score", note, records_fingerprint(warehouse, "score", last_batch),
                            {"resolve": resolved}, run_at)
    if _exists(warehouse, "network_members") and _exists(warehouse, "networks") \
            and not warehouse.rows(stale_members_sql())[0][0]:
        record_run(warehouse, "networks", note, records_fingerprint(warehouse, "networks", last_batch),
                   {"resolve": resolved, "score": scored}, run_at)


def old_tips_sql() -> str:
    """The tips an older harborlight kept in the warehouse, with every contract field."""
    return f"SELECT {', '.join(TIPS.field_names)} FROM {CASE_FILE_RECORDS} ORDER BY source, record_id"


def retag_tip_evidence_sql() -> str:
    return f"UPDATE indicator_evidence SET record_type = '{SIGNALS_TABLE}' WHERE record_type = '{CASE_FILE_RECORDS}'"


def _tips_into_cases(warehouse: Warehouse) -> None:
    """Version 2: hotline tips leave the warehouse. The rows of the old `tips` table are imported into cases
    in the operational store (the store and case keys of the warehouse's data dir, as the CLI opens them),
    their de-identified signals are written to `hotline_signals`, evidence that cited a tip cites its
    signal, and `tips` is dropped with its text. The store commits inside the warehouse's transaction,
    after the signals are written (see ingest.load_tips on the order); importing is idempotent, so a
    migration that fails after the store committed is simply run again."""
    from harborlight.ingest import merge_staged_signals
    from harborlight.stages import hotline

    warehouse.run(create_table_sql(SIGNALS_TABLE, if_missing=True))
    if not _exists(warehouse, CASE_FILE_RECORDS):
        return
    rows = warehouse.dicts(old_tips_sql())
    if rows and warehouse.reading_a_copy:
        # A read-only command reads an upgraded copy and must write nothing: not the warehouse, and not the
        # operational store either, where the tips would go. Moving them is `harborlight migrate`'s to do.
        raise Stale(f"the warehouse {warehouse.path} still holds hotline tips from an older harborlight: run "
                    "`harborlight migrate` to move them into hotline cases before reading it")
    if rows:
        with hotline.case_import(hotline.case_settings(warehouse)) as (session, keyring):
            hotline.stage_signals(warehouse, hotline.import_tip_rows(session, keyring, rows))
            merge_staged_signals(warehouse)
    if _exists(warehouse, "indicator_evidence"):
        warehouse.run(retag_tip_evidence_sql())
    warehouse.run(f"DROP TABLE {CASE_FILE_RECORDS}")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "stage runs: stage_runs, resolution_runs.parameters, earlier runs recorded", _record_stage_runs),
    Migration(2, "hotline tips into cases in the operational store; the warehouse keeps hotline_signals only",
              _tips_into_cases, rewrites_file=True),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(warehouse: Warehouse) -> int | None:
    """The warehouse's schema version: None for a new, empty file; 0 for one made before
    migrations were recorded."""
    if _exists(warehouse, "schema_migrations"):
        return warehouse.rows("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0]
    return 0 if _exists(warehouse, "batches") else None


def refuse_newer(warehouse: Warehouse, version: int | None) -> None:
    """A warehouse made by a newer harborlight is left alone: this one does not know its tables."""
    if version is not None and version > MIGRATIONS[-1].version:
        raise Stale(f"the warehouse {warehouse.path} was made by a newer harborlight (schema version {version}, "
                    f"this one knows {MIGRATIONS[-1].version}): upgrade harborlight to read it")


def pending(warehouse: Warehouse) -> list[Migration]:
    version = schema_version(warehouse)
    refuse_newer(warehouse, version)
    if version is None:
        return []
    return [m for m in MIGRATIONS if m.version > version]


def attach_sql(path: str, alias: str) -> str:
    """ATTACH takes no parameters: the path is quoted as a string literal."""
    return f"ATTACH '{path.replace(chr(39), chr(39) * 2)}' AS {alias}"


def copy_database_sql(source: str, target: str) -> str:
    return f'COPY FROM DATABASE "{source}" TO {target}'


def insert_migration_sql() -> str:
    return "INSERT INTO schema_migrations (version, applied_at, description) VALUES (?, current_localtimestamp(), ?)"


def create_batch_ids_sql() -> str:
    return "CREATE SEQUENCE IF NOT EXISTS batch_ids START 1"


def prepare(warehouse: Warehouse) -> list[Migration]:
    """Bring a writable warehouse to SCHEMA_VERSION in one transaction: create a new one from the
    contract, or apply the pending migrations. Returns the migrations applied (none for a new one)."""
    version = schema_version(warehouse)
    refuse_newer(warehouse, version)
    todo = [] if version is None else [m for m in MIGRATIONS if m.version > version]
    with warehouse.transaction():
        warehouse.run(create_table_sql("schema_migrations", if_missing=True))
        for migration in todo:
            migration.apply(warehouse)
            warehouse.run(insert_migration_sql(), [migration.version, migration.description])
        if version is None:
            for migration in MIGRATIONS:
                warehouse.run(insert_migration_sql(), [migration.version, f"created at this version: {migration.description}"])
        warehouse.run(create_batch_ids_sql())
        create_kept_tables(warehouse, BOOKKEEPING_STAGE)
        create_kept_tables(warehouse, "ingest")
    return todo
