"""Hotline tips as the warehouse may hold them: a tip goes into the case file in the operational store
(`harborlight.cases.intake.import_tips`), and the warehouse keeps only its de-identified signal.

A signal row (`hotline_signals`) holds the tip's source and record id (so evidence can cite it), the
case reference, the day of contact, the business name the tip mentions (normalized, as matching reads it)
and its phone (a phone with words around it as its digits only), the conduct codes
(`indicators.catalog.tip_categories`, computed by the import) and the languages needed other than English.
Never the tip's text, its reporter, or any survivor field. Never its `location_text` either: the case
file seals it as where the caller is (`location`), which leaves only under consent.

Ingest (a `tips` file) and migration 2 (a warehouse that still has a `tips` table) both come here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from harborlight.config import Settings
from harborlight.resolve.normalize import normalize_business_name, normalize_phone
from harborlight.stages.tables import SIGNALS_TABLE, table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from harborlight.warehouse import Warehouse

STAGED_SIGNALS = "stage_signals"
ENGLISH = "en"


def signal_phone(phone: str | None) -> str | None:
    """A tip's phone as the signal keeps it: as written when it is a valid number and nothing but one
    (digits and the usual punctuation), its E.164 digits when words stand around it, else None."""
    text = (phone or "").strip()
    digits = normalize_phone(text)
    if digits is None:
        return None
    return text if re.fullmatch(r"[\d\s().+-]+", text) else digits


def languages_needed(language: str | None) -> list[str]:
    """The contact's language as a list of ISO codes, English (which every hotline speaks) left out."""
    code = (language or "").strip().lower()
    return [code] if code and code != ENGLISH else []


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()


def _blank(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def signal_rows(rows: Sequence[Mapping[str, object]], imported: Sequence) -> list[tuple]:
    """One signal row per imported tip, in `hotline_signals`' column order. `rows` are the validated tips
    rows given to `import_tips`; `imported` its ImportedTips, matched to them by (source, record_id)."""
    by_key = {(str(r["source"]), str(r["record_id"])): r for r in rows}
    out = []
    for tip in imported:
        row = by_key[(str(tip.source), str(tip.record_id))]
        out.append((
            tip.source, tip.record_id, tip.case_ref, _day(tip.received_at),
            normalize_business_name(_blank(row.get("business_name"))), signal_phone(_blank(row.get("phone"))),
            list(tip.categories), languages_needed(tip.language),
        ))
    return out


def stage_signals_sql() -> str:
    return f"CREATE OR REPLACE TEMP TABLE {STAGED_SIGNALS} AS SELECT * FROM {SIGNALS_TABLE} LIMIT 0"


# The signal rows as Arrow hands them to DuckDB, in `hotline_signals`' column order: one insert of a
# whole import, where DuckDB's executemany pays a round trip per row (0.7 ms, seconds for a state's tips).
SIGNAL_SCHEMA = pa.schema([
    ("source", pa.string()), ("record_id", pa.string()), ("case_ref", pa.string()), ("received_on", pa.date32()),
    ("business_name", pa.string()), ("phone", pa.string()), ("categories", pa.list_(pa.string())),
    ("languages", pa.list_(pa.string())),
])


def insert_staged_sql(view: str) -> str:
    columns = ", ".join(table(SIGNALS_TABLE).column_names)
    return f"INSERT INTO {STAGED_SIGNALS} ({columns}) SELECT {columns} FROM {view}"


def drop_staged_sql() -> str:
    return f"DROP TABLE {STAGED_SIGNALS}"


def stage_signals(warehouse: Warehouse, rows: Iterable[tuple]) -> None:
    """The signal rows into a temporary table, for the caller to merge into `hotline_signals`."""
    warehouse.run(stage_signals_sql())
    rows = list(rows)
    if rows:
        batch = pa.Table.from_pylist([dict(zip(SIGNAL_SCHEMA.names, row)) for row in rows], schema=SIGNAL_SCHEMA)
        warehouse.con.register("signal_rows", batch)
        try:
            warehouse.run(insert_staged_sql("signal_rows"))
        finally:
            warehouse.con.unregister("signal_rows")


def case_settings(warehouse: Warehouse) -> Settings:
    """The settings of the data dir that holds `warehouse`: the same the CLI would use for it (the store in
    HARBORLIGHT_DATABASE_URL, or SQLite beside the warehouse; the case keys as the settings place them)."""
    return Settings(data_dir=warehouse.path.parent)


@contextmanager
def case_import(settings: Settings) -> Iterator[tuple[Session, object]]:
    """A writing session of the operational store and the case keyring: what `import_tips` needs.
    The session commits when the block ends without an error, and not at all otherwise."""
    from harborlight.cases.keys import keyring_for
    from harborlight.store.database import open_store

    store = open_store(settings)
    try:
        with store.writing() as session:
            yield session, keyring_for(settings, session)
    finally:
        store.close()


def import_tip_rows(session: Session, keyring: object, rows: Sequence[Mapping[str, object]]) -> list[tuple]:
    """Import the tips into cases (idempotent on (source, record_id)) and return their signal rows."""
    from harborlight.cases.intake import import_tips

    return signal_rows(rows, import_tips(session, keyring, rows))
