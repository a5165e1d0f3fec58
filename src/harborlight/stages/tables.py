"""The stage contract: every warehouse table, its columns and types, and the stage that writes it.

This is the one place a table is declared. Stages create their tables from here
(`create_table_sql`, `replace_table`), so a table's shape cannot drift between the stage
that writes it and the consumers that read it; tests/test_stages.py checks that every table
the code names is declared here and that the pipeline builds each one exactly as declared.

Record tables are declared by the data contract (contract/schema.py): one per record type,
named like its file, with its fields and the bookkeeping columns below; all but `tips`. A hotline
tip goes into the case file in the operational store (harborlight.cases.intake), and the warehouse keeps
only its de-identified signal, `hotline_signals`: no tip text and no survivor field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harborlight.contract.schema import HASHED_FIELDS, RECORD_TYPES, Field, RecordType
from harborlight.errors import WarehouseError

if TYPE_CHECKING:
    from harborlight.warehouse import Warehouse

# The stages, in the order they run. `bookkeeping` tables belong to the warehouse itself.
STAGES = ("ingest", "resolve", "score", "networks")
BOOKKEEPING_STAGE = "bookkeeping"

# The record tables each stage reads directly (tests/test_stages.py checks the code against it).
# A load of other records leaves the stage current: outcomes and providers, say, are read by the
# consumers as they stand, never through a stage's tables.
RECORDS_READ = {
    "resolve": ("fictitious_names", "filings", "licenses", "listings", "officers"),
    "score": ("licenses", "listings", "reviews", "hotline_signals"),
    "networks": ("filings", "licenses", "officers"),
}

# The contract file whose records never enter the warehouse, and the table its signals go to instead.
CASE_FILE_RECORDS = "tips"
SIGNALS_TABLE = "hotline_signals"
# The warehouse table each contract file loads into (status counts records by these).
RECORD_TABLES: dict[str, str] = {
    name: (SIGNALS_TABLE if name == CASE_FILE_RECORDS else name) for name in RECORD_TYPES
}

# Columns every record table carries besides the contract's fields.
BOOKKEEPING = (("extra", "JSON"), ("batch_id", "INTEGER"), ("line", "INTEGER"))

# Names the code registers or creates for the length of one statement (Arrow views, the ingest
# staging table): never part of the warehouse file, so not declared as tables.
TRANSIENT = frozenset({
    "arrow_input", "stage_chunk", "stage_records", "stage_mentions", "stage_clusters",
    "context_edges", "context_roots", "co_located", "controller_merges", "signal_rows",
    # contract/vector_check.py's tables, in a private in-memory database
    "csv_cells", "csv_breaks", "csv_line_starts",
})


def column_name(record_type: RecordType, f: Field) -> str:
    """Hashed fields are stored under `<name>_hash` so no one mistakes them for clear text."""
    return f"{f.name}_hash" if f.name in HASHED_FIELDS.get(record_type.name, ()) else f.name


def record_columns(record_type: RecordType) -> list[tuple[str, str]]:
    """(column, SQL type) for a record table, in order."""
    return [(column_name(record_type, f), f.sql_type) for f in record_type.fields] + list(BOOKKEEPING)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the DuckDB type, as information_schema.columns.data_type spells it
    constraint: str = ""  # NOT NULL, PRIMARY KEY, DEFAULT ...: only on bookkeeping tables


@dataclass(frozen=True)
class Table:
    name: str
    stage: str
    columns: tuple[Column, ...]
    description: str
    # Kept across runs (created when missing, rows added) rather than replaced by each run.
    kept: bool = False
    # Splink's pair tables carry one column per comparison besides the declared ones; their
    # names must match this pattern (gamma_x, mw_x, tf_x_l, x_l/x_r...), their types are Splink's.
    open_columns: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _cols(spec: str) -> tuple[Column, ...]:
    """`"a VARCHAR, b DOUBLE"` as columns. Types with commas are not used in this contract."""
    out = []
    for part in spec.split(","):
        name, type_, *constraint = part.split(maxsplit=2)
        out.append(Column(name, type_, constraint[0] if constraint else ""))
    return tuple(out)


_PLACE = ("street VARCHAR, unit VARCHAR, zip5 VARCHAR, city VARCHAR, state VARCHAR, raw_address VARCHAR, "
          "raw_city VARCHAR, raw_state VARCHAR, raw_zip VARCHAR, priority INTEGER, entity_id VARCHAR")
_MENTION_KEY = "unique_id VARCHAR, record_type VARCHAR, source VARCHAR, record_id VARCHAR, raw_name VARCHAR, "
_MENTIONS = {
    "business": "name VARCHAR, names VARCHAR[], name_words VARCHAR[], first_word VARCHAR, legal_name VARCHAR, "
                "trade_name VARCHAR, phone VARCHAR, date_from DATE, date_to DATE, registered BOOLEAN, "
                "filing_ref VARCHAR, ",
    "person": "given VARCHAR, middle VARCHAR, family VARCHAR, family_class VARCHAR, name_key VARCHAR, "
              "name_class_key VARCHAR, alt_class_key VARCHAR, alt_given VARCHAR, alt_family VARCHAR, "
              "alt_family_class VARCHAR, license_number VARCHAR, person_role VARCHAR, agent_context VARCHAR, "
              "birth_date VARCHAR, mailing_context VARCHAR, ",
    "agent": "name VARCHAR, ",
}
_SPLINK_EXTRA = r"(gamma|mw|mw_tf_adj|bf|bf_tf_adj)_\w+|\w+_(l|r)|match_key"
_CONTEXT_SIDE = "business_{s} VARCHAR, how_{s} VARCHAR, record_type_{s} VARCHAR, source_{s} VARCHAR, record_id_{s} VARCHAR"


def _declared() -> list[Table]:
    tables = [
        Table("schema_migrations", BOOKKEEPING_STAGE,
              _cols("version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL, description VARCHAR NOT NULL"),
              "each schema migration applied to this warehouse", kept=True),
        Table("stage_runs", BOOKKEEPING_STAGE,
              _cols("run_id INTEGER PRIMARY KEY, stage VARCHAR NOT NULL, run_at TIMESTAMP NOT NULL, "
                    "parameters JSON, input_fingerprint VARCHAR, upstream JSON, schema_version INTEGER"),
              "one run of a stage: its parameters, what it read, and the runs it read from", kept=True),
        Table("batches", "ingest",
              _cols("batch_id INTEGER PRIMARY KEY, record_type VARCHAR NOT NULL, file_name VARCHAR NOT NULL, "
                    "sha256 VARCHAR NOT NULL, records INTEGER NOT NULL, inserted INTEGER NOT NULL, "
                    "updated INTEGER NOT NULL, loaded_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp()"),
              "one file loaded: how many records it held, added and changed", kept=True),
    ]
    tables += [
        Table(rt.name, "ingest", tuple(Column(n, t) for n, t in record_columns(rt)), rt.description, kept=True)
        for rt in RECORD_TYPES.values() if rt.name != CASE_FILE_RECORDS
    ]
    tables.append(Table(
        SIGNALS_TABLE, "ingest",
        _cols("source VARCHAR, record_id VARCHAR, case_ref VARCHAR, received_on DATE, business_name VARCHAR, "
              "phone VARCHAR, categories VARCHAR[], languages VARCHAR[]"),
        "what analysts may know of a hotline contact: its case reference, day, the business name or phone it "
        "mentions, conduct codes and languages needed (never its text, never where the caller is)", kept=True))
    tables += [
        Table(f"{model}_mentions", "resolve", _cols(_MENTION_KEY + columns + _PLACE),
              f"a normalized {model} mention with its entity_id")
        for model, columns in _MENTIONS.items()
    ] + [
        Table(f"{model}_edges", "resolve",
              _cols("match_weight DOUBLE, match_probability DOUBLE, unique_id_l VARCHAR, unique_id_r VARCHAR"),
              f"a scored pair of {model} mentions that resolution joined", open_columns=_SPLINK_EXTRA)
        for model in _MENTIONS
    ]
    tables += [
        Table("person_context_edges", "resolve",
              _cols("unique_id_l VARCHAR, unique_id_r VARCHAR, name_rule VARCHAR, tie_kind VARCHAR, "
                    "tie_node VARCHAR, tie_businesses INTEGER, "
                    + _CONTEXT_SIDE.format(s="l") + ", " + _CONTEXT_SIDE.format(s="r")),
              "a join of the person context pass, with the records on each side"),
        Table("resolution_levels", "resolve",
              _cols("model VARCHAR, comparison VARCHAR, gamma INTEGER, label VARCHAR, m DOUBLE, u DOUBLE, "
                    "log2_bayes_factor DOUBLE"),
              "a comparison level of a model: its label and weight", kept=True),
        Table("blocking_skips", "resolve",
              _cols("model VARCHAR, column_name VARCHAR, value VARCHAR, mentions INTEGER"),
              "a blocking value too common to block on", kept=True),
        Table("resolution_runs", "resolve",
              _cols("run_at TIMESTAMP DEFAULT current_localtimestamp(), engine VARCHAR, threshold DOUBLE, "
                    "last_batch_id INTEGER, parameters VARCHAR"),
              "one resolve run as status shows it (stage_runs holds the run itself)", kept=True),
        Table("record_entities", "resolve",
              _cols("source VARCHAR, record_id VARCHAR, record_type VARCHAR, entity_kind VARCHAR, "
                    "entity_id VARCHAR, person_role VARCHAR"),
              "an input record and the entity it names"),
        Table("entities", "resolve",
              _cols("entity_id VARCHAR, kind VARCHAR, name VARCHAR, address VARCHAR, city VARCHAR, state VARCHAR, "
                    "zip VARCHAR, roles VARCHAR[], mentions BIGINT"),
              "an entity, shown by its most authoritative mention"),
        Table("business_premises", "resolve",
              _cols("premises_id VARCHAR, entity_id VARCHAR, first_seen DATE, last_seen DATE, mentions BIGINT, "
                    "premises_key VARCHAR"),
              "a business at a premises, and when"),
        Table("premises", "resolve",
              _cols("premises_id VARCHAR, street VARCHAR, unit VARCHAR, city VARCHAR, state VARCHAR, "
                    "businesses BIGINT, first_seen DATE"),
              "an address that hosted businesses"),
        Table("person_protection", "resolve",
              _cols("person_id VARCHAR, status VARCHAR, reason VARCHAR, resolve_run INTEGER, decided_by VARCHAR"),
              "each person's protection status, decided at resolve and refined by networks"),
        Table("indicator_evidence", "score",
              _cols("entity_id VARCHAR, indicator_id VARCHAR, strength DOUBLE, record_type VARCHAR, source VARCHAR, "
                    "record_id VARCHAR, excerpt VARCHAR"),
              "a record that triggered an indicator for a business"),
        Table("business_scores", "score",
              _cols("entity_id VARCHAR, risk_score DOUBLE, risk_band VARCHAR, top_indicators VARCHAR, "
                    "log_odds DOUBLE, corroborated BOOLEAN, source_kinds VARCHAR, held_below_high BOOLEAN"),
              "a business's risk score and band"),
        Table("score_model", "score", _cols("indicator_id VARCHAR, weight DOUBLE, fitted BOOLEAN"),
              "the weights the scores used"),
        Table("graph_edges", "networks",
              _cols("node_id VARCHAR, node_kind VARCHAR, business_id VARCHAR, kind VARCHAR, record_type VARCHAR, "
                    "source VARCHAR, record_id VARCHAR"),
              "a tie of a person, agent, business or phone to a business, with its record"),
        Table("graph_nodes", "networks", _cols("node_id VARCHAR, node_kind VARCHAR"), "a node of the graph"),
        Table("business_links", "networks",
              _cols("a VARCHAR, b VARCHAR, weight DOUBLE, kinds VARCHAR[], shared_nodes BIGINT"),
              "two businesses and the weight of what they share"),
        Table("network_members", "networks", _cols("network_id VARCHAR, business_id VARCHAR"),
              "a business in a network"),
        Table("networks", "networks",
              _cols("network_id VARCHAR, n_businesses BIGINT, n_persons BIGINT, risk_score DOUBLE"),
              "a network of businesses controlled together"),
        Table("person_ties", "networks",
              _cols("person_id VARCHAR, business_id VARCHAR, kind VARCHAR, role VARCHAR, record_type VARCHAR, "
                    "source VARCHAR, record_id VARCHAR"),
              "a person's tie to a business as officer or agent"),
        Table("control_evidence", "networks",
              _cols("network_id VARCHAR, person_id VARCHAR, evidence VARCHAR, business_id VARCHAR, "
                    "address_key VARCHAR, record_type VARCHAR, source VARCHAR, record_id VARCHAR"),
              "a fact that a person controls a network, with its record"),
        Table("probable_nominees", "networks", _cols("person_id VARCHAR, reason VARCHAR"),
              "a person protected as a probable nominee, and why"),
        Table("network_persons", "networks",
              _cols("network_id VARCHAR, person_id VARCHAR, roles VARCHAR[], businesses BIGINT, "
                    "controller_score DOUBLE, protected BOOLEAN"),
              "a person tied to a network: ranked controller, or protected"),
    ]
    return tables


TABLES: dict[str, Table] = {t.name: t for t in _declared()}


def table(name: str) -> Table:
    """The declaration of `name`; a name not declared is a bug, said plainly."""
    try:
        return TABLES[name]
    except KeyError:
        raise WarehouseError(f"table {name!r} is not declared in the stage contract (stages/tables.py)") from None


def tables_of(stage: str) -> list[Table]:
    return [t for t in TABLES.values() if t.stage == stage]


def _column_list(columns: tuple[Column, ...] | list[Column]) -> str:
    return ",\n  ".join(f"{c.name} {c.type}{' ' + c.constraint if c.constraint else ''}" for c in columns)


def create_table_sql(name: str, if_missing: bool = False, extra: list[Column] | None = None) -> str:
    """CREATE TABLE for a declared table: replacing it (a stage's output), or only if missing (kept tables)."""
    t = table(name)
    verb = "CREATE TABLE IF NOT EXISTS" if if_missing else "CREATE OR REPLACE TABLE"
    return f"{verb} {t.name} (\n  {_column_list(list(t.columns) + (extra or []))}\n)"


def insert_by_name_sql(name: str, select_sql: str) -> str:
    """Rows of a SELECT into a declared table, matched by column name (BY NAME), cast to the declared types."""
    return f"INSERT INTO {table(name).name} BY NAME\n{select_sql}"


def describe_sql(select_sql: str) -> str:
    return f"DESCRIBE {select_sql}"


def _open_extra(warehouse: Warehouse, t: Table, select_sql: str) -> list[Column]:
    """The columns of an open table (Splink pairs) beyond those declared, from the data's own types;
    a column outside the declared pattern is refused, so nothing undeclared slips in."""
    pattern = re.compile(t.open_columns or "(?!)")
    extra = []
    for name, type_, *_ in warehouse.rows(describe_sql(select_sql)):
        if name in t.column_names:
            continue
        if not pattern.fullmatch(name):
            raise WarehouseError(f"column {name!r} of {t.name} is not in the stage contract (stages/tables.py)")
        extra.append(Column(name, type_))
    return extra


def replace_table(warehouse: Warehouse, name: str, select_sql: str, params: list | None = None) -> None:
    """Replace a stage's table with the rows of `select_sql`: created from its declaration, then
    filled BY NAME, so the select must give the declared columns and nothing else."""
    t = table(name)
    extra = _open_extra(warehouse, t, select_sql) if t.open_columns else None
    warehouse.run(create_table_sql(name, extra=extra))
    warehouse.run(insert_by_name_sql(name, select_sql), params)


def create_kept_tables(warehouse: Warehouse, stage: str) -> None:
    """Create the kept tables of `stage` that do not exist yet (they keep their rows across runs)."""
    for t in tables_of(stage):
        if t.kept:
            warehouse.run(create_table_sql(t.name, if_missing=True))
