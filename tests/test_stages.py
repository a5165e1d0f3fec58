"""The stage contract: declared tables, recorded runs, freshness for every consumer, and migrations."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import VALID_ROWS
from test_cli import harborlight

from harborlight.config import installation_key
from harborlight.errors import BadRequest, Stale
from harborlight.export import export
from harborlight.indicators.explain import explain_risk
from harborlight.indicators.scoring import EVIDENCE_SCHEMA, MODEL_SCHEMA, SCORES_SCHEMA, score
from harborlight.ingest import ingest
from harborlight.network.detect import find_networks
from harborlight.network.view import network_view
from harborlight.report.overview import build_report
from harborlight.resolve.context import EDGE_SCHEMA
from harborlight.resolve.explain import explain_entity
from harborlight.resolve.mentions import mention_schema
from harborlight.resolve.stage import resolve
from harborlight.respond.packet import write_packet
from harborlight.stages import SCHEMA_VERSION, TABLES, TRANSIENT, freshness, migrations, require_fresh
from harborlight.stages.tables import RECORDS_READ
from harborlight.warehouse import Warehouse

SRC = Path(__file__).parent.parent / "src" / "harborlight"

# Modules whose SQL runs on a connection of their own, never on the warehouse: Splink's
# in-memory DuckDB (engine.py) and Spark (spark_engine.py) over Arrow tables they are handed.
OTHER_CONNECTIONS = {"resolve/engine.py", "resolve/spark_engine.py",
                     # The Florida import's scratch DuckDB (document numbers to deduplicate), never the warehouse.
                     "sources/sunbiz.py"}
# The workspace's operational store is another database (SQLite or PostgreSQL, store/models.py), not the warehouse.
OTHER_DATABASES = ("store/",)

_SQL = re.compile(r"\b(SELECT|INSERT|CREATE|UPDATE|DELETE|ALTER|DROP|DESCRIBE)\b")
# A table follows FROM, JOIN, INTO, TABLE or UPDATE; `IS NOT DISTINCT FROM x.col` names a column.
_NAMED = re.compile(
    r"(?<!DISTINCT )\b(?:FROM|JOIN|INTO|TABLE|UPDATE)\s+(?:IF\s+NOT\s+EXISTS\s+|OR\s+REPLACE\s+)?"
    r"([A-Za-z_{][\w{}.]*)(\s*\()?"
)
_CTE = re.compile(r"(?:\bWITH|,)\s*(\w+)\s+AS\s*\(")
_KEYWORDS = {"IF", "OR", "AS", "SELECT", "WITH", "NOT"}
# Python calls whose string argument is a table name.
_TABLE_CALLS = {"table_exists", "write_arrow", "replace_table", "create_table_sql"}


def _text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's with `{}` for each placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def tables_named_in_source() -> tuple[dict[str, set[str]], set[str], set[str]]:
    """Every table name the code spells in SQL or passes to a table call, with the modules that
    spell it; the CTE names defined anywhere; and the names registered as Arrow views."""
    named: dict[str, set[str]] = {}
    ctes: set[str] = set()
    registered: set[str] = set()
    for path in sorted(SRC.rglob("*.py")):
        module = str(path.relative_to(SRC))
        if module in OTHER_CONNECTIONS or module.startswith(OTHER_DATABASES):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                            and re.fullmatch(r"\w+", a.value)]
                if func in _TABLE_CALLS:
                    for name in literals[:1]:
                        named.setdefault(name, set()).add(module)
                if func == "register":
                    registered.update(literals[:1])
            if id(node) in skip:
                continue
            text = _text(node)
            if not text or not _SQL.search(text):
                continue
            text = re.sub(r"--[^\n]*", "", text)
            ctes.update(_CTE.findall(text))
            for name, call in _NAMED.findall(text):
                if call or name in _KEYWORDS or name.startswith("information_schema."):
                    continue
                named.setdefault(name, set()).add(module)
    return named, ctes, registered


def test_every_table_the_code_names_is_declared_in_the_contract():
    named, ctes, registered = tables_named_in_source()
    assert {"entities", "network_persons", "stage_runs", "batches"} <= set(named)  # the scan finds tables
    assert registered <= TRANSIENT, f"registered Arrow views not declared transient: {registered - TRANSIENT}"
    undeclared = {}
    for name, modules in named.items():
        if name in TABLES or name in TRANSIENT or name in ctes:
            continue
        if "{}" in name:
            # `{model}_mentions`: some declared table must fit the pattern, unless it is wholly dynamic.
            pattern = re.compile(re.escape(name).replace(r"\{\}", r"\w+"))
            if name.strip("{}.") == "" or any(pattern.fullmatch(t) for t in TABLES):
                continue
        undeclared[name] = sorted(modules)
    assert not undeclared, f"tables named in the code but not declared in stages/tables.py: {undeclared}"


# The modules of each stage that read record tables themselves.
STAGE_MODULES = {
    "resolve": ("resolve/mentions.py", "resolve/context.py", "resolve/stage.py"),
    "score": ("indicators/catalog.py", "indicators/corroboration.py", "indicators/scoring.py"),
    "networks": ("network/graph.py", "network/controllers.py", "network/detect.py"),
}


def test_each_stage_reads_only_the_records_its_freshness_watches():
    named, _, _ = tables_named_in_source()
    records = {t.name for t in TABLES.values() if t.stage == "ingest" and t.name != "batches"}
    for stage, modules in STAGE_MODULES.items():
        read = {name for name, where in named.items() if name in records and where & set(modules)}
        assert read == set(RECORDS_READ[stage]), stage


_ARROW = {pa.string(): "VARCHAR", pa.list_(pa.string()): "VARCHAR[]", pa.date32(): "DATE", pa.bool_(): "BOOLEAN",
          pa.int32(): "INTEGER", pa.float64(): "DOUBLE"}


def _arrow_columns(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(f.name, _ARROW[f.type]) for f in schema]


def _declared(name: str) -> list[tuple[str, str]]:
    return [(c.name, c.type) for c in TABLES[name].columns]


def test_the_arrow_tables_stages_write_have_the_declared_columns():
    for model in ("business", "person", "agent"):
        assert _arrow_columns(mention_schema(model)) + [("entity_id", "VARCHAR")] == _declared(f"{model}_mentions")
    assert _arrow_columns(EDGE_SCHEMA) == _declared("person_context_edges")
    assert _arrow_columns(EVIDENCE_SCHEMA) == _declared("indicator_evidence")
    assert _arrow_columns(SCORES_SCHEMA) == _declared("business_scores")
    assert _arrow_columns(MODEL_SCHEMA) == _declared("score_model")


def information_schema_sql() -> str:
    return """SELECT table_name, column_name, data_type FROM information_schema.columns
              WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"""


def test_the_pipeline_builds_every_table_exactly_as_declared(network_ready, fresh_warehouse):
    built: dict[str, list[tuple[str, str]]] = {}
    for name, column, type_ in fresh_warehouse.rows(information_schema_sql()):
        built.setdefault(name, []).append((column, type_))
    assert set(built) - set(TABLES) == set(), "tables in the warehouse that the contract does not declare"
    assert set(TABLES) - set(built) == set(), "tables the contract declares that the pipeline never built"
    for name, columns in built.items():
        declared = _declared(name)
        if TABLES[name].open_columns:
            assert [c for c in columns if c[0] in dict(declared)] == declared, name
            extra = [c for c, _ in columns if c not in dict(declared)]
            assert all(re.fullmatch(TABLES[name].open_columns, c) for c in extra), (name, extra)
        else:
            assert columns == declared, name


def test_each_stage_records_one_run_with_what_it_read(network_ready, fresh_warehouse):
    runs = {stage: (run_id, json.loads(parameters), fp, json.loads(upstream), version)
            for run_id, stage, parameters, fp, upstream, version in fresh_warehouse.rows(
                "SELECT run_id, stage, parameters, input_fingerprint, upstream, schema_version FROM stage_runs")}
    assert set(runs) == {"ingest", "resolve", "score", "networks"}
    assert fresh_warehouse.rows("SELECT count(*) FROM stage_runs")[0][0] == 4
    assert {version for *_, version in runs.values()} == {SCHEMA_VERSION}
    assert runs["resolve"][3] == {"ingest": runs["ingest"][0]}
    assert runs["resolve"][1]["engine"] == "duckdb" and runs["resolve"][1]["threshold"] == 0.9
    assert runs["score"][3] == {"resolve": runs["resolve"][0]}
    assert runs["networks"][3] == {"resolve": runs["resolve"][0], "score": runs["score"][0]}
    assert runs["networks"][1]["method"] == "leiden"
    assert all(state.current for state in freshness(fresh_warehouse).values())


def test_resolve_on_a_warehouse_with_no_records_says_to_ingest_first(fresh_warehouse):
    with pytest.raises(BadRequest, match=r"no records loaded: run `harborlight ingest DIR` first"):
        resolve(fresh_warehouse)


def test_report_before_score_says_to_score_first(load_resolved, fresh_warehouse, tmp_path):
    load_resolved({"filings": [VALID_ROWS["filings"]]})
    with pytest.raises(Stale, match=r"`report` needs scores: run `harborlight score` first"):
        build_report(fresh_warehouse)


def test_networks_before_resolve_says_to_resolve_first(write_rows, fresh_warehouse):
    ingest(write_rows("filings", [VALID_ROWS["filings"]]), fresh_warehouse)
    with pytest.raises(Stale, match=r"`networks` needs resolved entities: run `harborlight resolve` first"):
        find_networks(fresh_warehouse)


CONSUMERS = {
    "export csv": lambda w, net, out: export(w, "csv", out),
    "export ftm": lambda w, net, out: export(w, "ftm", out),
    "export gexf": lambda w, net, out: export(w, "gexf", out),
    "score": lambda w, net, out: score(w),
    "networks": lambda w, net, out: find_networks(w),
    "network": lambda w, net, out: network_view(w, net),
    "packet": lambda w, net, out: write_packet(w, net, out),
    "report": lambda w, net, out: build_report(w),
    "explain": lambda w, net, out: explain_entity(w, _member(w, net)),
    "explain risk": lambda w, net, out: explain_risk(w, _member(w, net)),
}


def _member(warehouse, network_id: str) -> str:
    return warehouse.rows("SELECT min(business_id) FROM network_members WHERE network_id = ?", [network_id])[0][0]


@pytest.mark.parametrize("consumer", sorted(CONSUMERS))
def test_records_loaded_after_resolve_make_every_consumer_refuse(consumer, network_ready, fresh_warehouse, write_rows, tmp_path):
    ingest(write_rows("filings", [VALID_ROWS["filings"]], folder=tmp_path / "later"), fresh_warehouse)
    with pytest.raises(Stale, match=r"records were loaded after the last resolve: run `harborlight resolve` again"):
        CONSUMERS[consumer](fresh_warehouse, network_ready, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("consumer", ["export csv", "export gexf", "network", "packet", "report"])
def test_scores_made_again_after_networks_make_network_readers_refuse(consumer, network_ready, fresh_warehouse, tmp_path):
    score(fresh_warehouse)
    with pytest.raises(Stale, match=r"scored again after the networks were found: run `harborlight networks` again"):
        CONSUMERS[consumer](fresh_warehouse, network_ready, tmp_path / "out")


def test_records_no_stage_reads_leave_every_stage_current(network_ready, fresh_warehouse, write_rows, tmp_path):
    ingest(write_rows("outcomes", [VALID_ROWS["outcomes"]], folder=tmp_path / "later"), fresh_warehouse)
    assert all(state.current for state in freshness(fresh_warehouse).values())
    network_view(fresh_warehouse, network_ready)


def test_tips_loaded_after_scoring_make_scores_stale_but_not_resolution(network_ready, fresh_warehouse, write_rows, tmp_path):
    ingest(write_rows("tips", [dict(VALID_ROWS["tips"], record_id="T9")], folder=tmp_path / "later"), fresh_warehouse)
    states = freshness(fresh_warehouse)
    assert states["resolve"].current and not states["score"].current
    assert states["networks"].command == "harborlight score"
    with pytest.raises(Stale, match=r"were loaded after scoring: run `harborlight score` again"):
        build_report(fresh_warehouse)
    score(fresh_warehouse)
    find_networks(fresh_warehouse)
    assert all(state.current for state in freshness(fresh_warehouse).values())


def test_resolving_again_makes_scores_stale_until_score_runs(network_ready, fresh_warehouse, tmp_path):
    resolve(fresh_warehouse)
    states = freshness(fresh_warehouse)
    assert states["resolve"].current and not states["score"].current and not states["networks"].current
    with pytest.raises(Stale, match=r"resolved again after scoring: run `harborlight score` again"):
        export(fresh_warehouse, "csv", tmp_path / "out")
    score(fresh_warehouse)
    with pytest.raises(Stale, match=r"run `harborlight networks` again"):
        require_fresh(fresh_warehouse, "networks", what="network")
    find_networks(fresh_warehouse)
    assert all(state.current for state in freshness(fresh_warehouse).values())


def test_status_shows_each_stage_and_whether_it_is_current(write_rows, tmp_path):
    data = tmp_path / "data"
    folder = write_rows("filings", [VALID_ROWS["filings"]])
    assert harborlight("ingest", str(folder), "--data-dir", str(data), cwd=tmp_path).returncode == 0
    assert harborlight("resolve", "--data-dir", str(data), cwd=tmp_path).returncode == 0
    write_rows("officers", [VALID_ROWS["officers"]], folder=tmp_path / "more")
    assert harborlight("ingest", str(tmp_path / "more"), "--data-dir", str(data), cwd=tmp_path).returncode == 0
    status = harborlight("status", "--data-dir", str(data), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert f"stages (schema version {SCHEMA_VERSION}):" in lines
    assert any(re.fullmatch(r"  ingest: run 3 at .*, current", line) for line in lines)
    assert any(line.startswith("  resolve: run 2 at ") and line.endswith(
        "STALE: records were loaded after the last resolve: run `harborlight resolve` again") for line in lines)
    assert "  score: not run: run `harborlight score`" in lines


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_works_on_a_read_only_warehouse(network_ready, fresh_warehouse, tmp_path):
    data = Path(fresh_warehouse.path).parent
    fresh_warehouse.close()
    before = _sha256(data / "warehouse.duckdb")
    (data / "warehouse.duckdb").chmod(0o444)
    data.chmod(0o555)
    try:
        for fmt in ("csv", "ftm", "gexf"):
            result = harborlight("export", "--format", fmt, "--out", str(tmp_path / fmt), "--data-dir", str(data),
                                 cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            assert any((tmp_path / fmt).iterdir())
    finally:
        data.chmod(0o755)
        (data / "warehouse.duckdb").chmod(0o644)
    assert _sha256(data / "warehouse.duckdb") == before
    assert not (data / "warehouse.duckdb.wal").exists()


def older_warehouse_sql() -> list[str]:
    """What the harborlight before the stage contract did not have: no stage runs, no recorded
    migrations, and `resolution_runs` without the `parameters` column it added later."""
    return [
        "DROP TABLE stage_runs",
        "DROP TABLE schema_migrations",
        "ALTER TABLE resolution_runs DROP COLUMN parameters",
    ]


@pytest.fixture
def older_data_dir(network_ready, fresh_warehouse) -> Path:
    """An older data dir: the two-spa network ingested, resolved, scored and found, in a warehouse
    taken back with raw SQL to the schema the previous harborlight made (see older_warehouse_sql)."""
    for sql in older_warehouse_sql():
        fresh_warehouse.run(sql)
    fresh_warehouse.close()
    return Path(fresh_warehouse.path).parent


def _tables(path: Path) -> set[str]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()


def test_an_older_data_dir_upgrades_instead_of_breaking(older_data_dir, tmp_path):
    path = older_data_dir / "warehouse.duckdb"
    status = harborlight("status", "--data-dir", str(older_data_dir), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "made by an older harborlight (schema version 0" in status.stdout
    assert "run `harborlight migrate` to upgrade it in place" in status.stdout
    assert "  networks: run 4 at" in status.stdout and ", current" in status.stdout
    exported = harborlight("export", "--out", str(tmp_path / "out"), "--data-dir", str(older_data_dir), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "networks.csv: 1 rows" in exported.stdout
    assert "stage_runs" not in _tables(path)  # read-only commands read an upgraded copy, never the file
    resolved = harborlight("resolve", "--data-dir", str(older_data_dir), cwd=tmp_path)
    assert resolved.returncode == 0, resolved.stderr
    with Warehouse(path, installation_key(older_data_dir), read_only=True) as warehouse:
        assert warehouse.notes == []
        assert warehouse.rows("SELECT version FROM schema_migrations ORDER BY version") == [
            (m.version,) for m in migrations.MIGRATIONS]
        assert warehouse.rows("SELECT count(*) FROM resolution_runs WHERE parameters IS NOT NULL")[0][0] == 1
        states = freshness(warehouse)
        assert states["resolve"].current and not states["score"].current
    again = harborlight("migrate", "--data-dir", str(older_data_dir), cwd=tmp_path)
    assert again.returncode == 0 and "(nothing to do)" in again.stdout


def test_migrate_upgrades_an_older_data_dir_in_place(older_data_dir, tmp_path):
    result = harborlight("migrate", "--data-dir", str(older_data_dir), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("applied migration 1: stage runs")
    assert {"stage_runs", "schema_migrations"} <= _tables(older_data_dir / "warehouse.duckdb")


def test_a_read_only_older_warehouse_is_read_through_an_upgraded_copy(older_data_dir, tmp_path):
    path = older_data_dir / "warehouse.duckdb"
    before = _sha256(path)
    path.chmod(0o444)
    older_data_dir.chmod(0o555)
    try:
        with Warehouse(path, installation_key(older_data_dir), read_only=True) as warehouse:
            assert "run `harborlight migrate`" in warehouse.notes[0]
            assert migrations.schema_version(warehouse) == SCHEMA_VERSION
            export(warehouse, "gexf", tmp_path / "out")
    finally:
        older_data_dir.chmod(0o755)
        path.chmod(0o644)
    assert _sha256(path) == before
    assert (tmp_path / "out" / "graph.gexf").exists()


def test_a_failing_migration_leaves_the_older_warehouse_as_it_was(older_data_dir, monkeypatch):
    def broken(warehouse):
        raise RuntimeError("the last migration failed")

    last = migrations.MIGRATIONS[-1].version + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS + (migrations.Migration(last, "broken", broken),))
    path = older_data_dir / "warehouse.duckdb"
    with pytest.raises(RuntimeError, match="the last migration failed"):
        Warehouse(path, installation_key(older_data_dir))
    assert not {"stage_runs", "schema_migrations"} & _tables(path)


def test_a_warehouse_from_a_newer_harborlight_is_left_alone(fresh_warehouse):
    fresh_warehouse.run("INSERT INTO schema_migrations VALUES (?, current_localtimestamp(), 'from a newer version')",
                        [SCHEMA_VERSION + 1])
    fresh_warehouse.close()
    for read_only in (False, True):
        with pytest.raises(Stale, match=r"made by a newer harborlight \(schema version \d+, this one knows \d+\)"):
            Warehouse(fresh_warehouse.path, b"key", read_only=read_only)


def test_a_new_warehouse_is_made_at_the_current_version(fresh_warehouse):
    assert migrations.schema_version(fresh_warehouse) == SCHEMA_VERSION
    assert migrations.pending(fresh_warehouse) == []
    assert [v for (v,) in fresh_warehouse.rows("SELECT version FROM schema_migrations ORDER BY version")] == [
        m.version for m in migrations.MIGRATIONS]

