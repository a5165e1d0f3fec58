"""Stage runs: each run of ingest, resolve, score and networks is recorded in `stage_runs`.

A run records its parameters, a fingerprint of what it read, and the runs of the stages it
read from (`upstream`). Freshness (freshness.py) compares them with what the warehouse holds now.

What each stage's fingerprint covers:

| stage | input_fingerprint | upstream |
|---|---|---|
| ingest | the sha256 of the files it loaded | - |
| resolve | the loads that changed the records it reads (`records_fingerprint`) | the last ingest run |
| score | the same, over the records it reads (reviews, hotline signals, ...) | resolve |
| networks | the same, over the records it reads | resolve, score |

Which records each stage reads is declared in tables.py (`RECORDS_READ`). A load that
changed no record (the same file ingested again) is in no fingerprint, so it makes nothing
stale; nor does a load of records a stage does not read (outcomes, providers).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harborlight.warehouse import Warehouse


@dataclass(frozen=True)
class StageRun:
    run_id: int
    stage: str
    run_at: datetime
    parameters: dict
    input_fingerprint: str | None
    upstream: dict  # stage -> run_id (None when that stage had not run)
    schema_version: int | None


def changed_batches_sql() -> str:
    """Loads of the given record types that added or changed records, up to a batch (all when the
    bound is NULL). A load that changed nothing is left out: reloading the same file must not make
    a stage stale."""
    return """
    SELECT batch_id, sha256 FROM batches
    WHERE (inserted > 0 OR updated > 0) AND list_contains(?::VARCHAR[], record_type)
      AND (?::INTEGER IS NULL OR batch_id <= ?::INTEGER)
    ORDER BY batch_id"""


def fingerprint(parts: list[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\n")
    return digest.hexdigest()


def records_fingerprint(warehouse: Warehouse, stage: str, up_to_batch: int | None = None) -> str:
    """What the record tables `stage` reads hold, as the loads that changed them."""
    from harborlight.stages.tables import CASE_FILE_RECORDS, RECORDS_READ, SIGNALS_TABLE

    read = list(RECORDS_READ[stage])
    if SIGNALS_TABLE in read:  # loads of tips made before migration 2 are recorded under the file's name
        read.append(CASE_FILE_RECORDS)
    rows = warehouse.rows(changed_batches_sql(), [read, up_to_batch, up_to_batch])
    return fingerprint([f"{batch_id}:{sha}" for batch_id, sha in rows])


def next_run_id_sql() -> str:
    return "SELECT coalesce(max(run_id), 0) + 1 FROM stage_runs"


def insert_run_sql() -> str:
    # run_at defaults to now; the migration passes the time an older harborlight recorded.
    return """
    INSERT INTO stage_runs (run_id, stage, run_at, parameters, input_fingerprint, upstream, schema_version)
    VALUES (?, ?, coalesce(?::TIMESTAMP, current_localtimestamp()), ?, ?, ?, ?)"""


def record_run(
    warehouse: Warehouse,
    stage: str,
    parameters: dict,
    input_fingerprint: str | None,
    upstream: dict | None = None,
    run_at: datetime | None = None,
) -> int:
    """Record one run of `stage`; returns its run id. Call it inside the stage's transaction, so a
    run is recorded exactly when its tables are written."""
    from harborlight.stages.migrations import SCHEMA_VERSION

    run_id = warehouse.rows(next_run_id_sql())[0][0]
    warehouse.run(insert_run_sql(), [
        run_id, stage, run_at, json.dumps(parameters, sort_keys=True, default=str), input_fingerprint,
        json.dumps(upstream or {}, sort_keys=True), SCHEMA_VERSION,
    ])
    return run_id


def latest_runs_sql() -> str:
    """The last run of each stage."""
    return """
    SELECT run_id, stage, run_at, parameters, input_fingerprint, upstream, schema_version FROM stage_runs
    QUALIFY row_number() OVER (PARTITION BY stage ORDER BY run_id DESC) = 1"""


def latest_runs(warehouse: Warehouse) -> dict[str, StageRun]:
    out = {}
    for run_id, stage, run_at, parameters, fp, upstream, version in warehouse.rows(latest_runs_sql()):
        out[stage] = StageRun(run_id, stage, run_at, json.loads(parameters or "{}"), fp,
                              json.loads(upstream or "{}"), version)
    return out


def latest_run_id(warehouse: Warehouse, stage: str) -> int | None:
    run = latest_runs(warehouse).get(stage)
    return run.run_id if run else None
