"""The `harborlight` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the
result. Errors harborlight knows about are printed one line each, without a
traceback, and the command exits with the code of the error's kind (errors.py).
Everything printed goes through terminal.SafeConsole: no control character from a
record reaches the analyst's terminal.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from harborlight import __version__
from harborlight.backup import make_backup, restore_backup
from harborlight.cases.keys import open_keyring
from harborlight.cases.rotation import rotate_keys
from harborlight.config import Settings
from harborlight.contract.readers import RecordFile
from harborlight.errors import BadRequest, FileRejected, HarborlightError, file_error
from harborlight.evaluate import evaluate_export
from harborlight.export import export
from harborlight.export.files import make_folder, writable_file, writable_folder
from harborlight.export.csv_export import export_csv
from harborlight.ingest import IngestReport, ingest, input_files
from harborlight.network.detect import DEFAULT_LINK_THRESHOLD, DEFAULT_METHOD, DEFAULT_RESOLUTION, find_networks
from harborlight.network.graph import DEFAULT_HUB_SIZE, DEFAULT_MAX_DEGREE
from harborlight.network.view import network_text, network_view
from harborlight.pipeline import open_warehouse, run_demo
from harborlight.report.overview import write_report
from harborlight.report.page import plural
from harborlight.respond.outcomes import outcomes_ledger
from harborlight.respond.packet import write_packet
from harborlight.resolve.engine import DEFAULT_MAX_BLOCK_KEY, DEFAULT_THRESHOLD
from harborlight.resolve.engines import engine_named
from harborlight.resolve.explain import explain_entity, explanation_text
from harborlight.indicators.explain import explain_risk, risk_text
from harborlight.indicators.fairness import audit, groups_from_truth, read_groups
from harborlight.indicators.scoring import Bands, score
from harborlight.resolve.stage import resolve
from harborlight.sources.mapped import import_mapped
from harborlight.sources.mapping import load_mapping, shipped_mappings
from harborlight.status import warehouse_status
from harborlight.synth.world import generate
from harborlight.terminal import SafeConsole
from harborlight.store import open_store
from harborlight.store.accounts import add_user
from harborlight.store.audit import record_cli_export, verify as verify_chain
from harborlight.store.database import current_revision, grant_app_role, open_existing_store
from harborlight.store.demo import make_demo_accounts
from harborlight.web.serve import DEFAULT_HOST, DEFAULT_PORT, serve as serve_workspace

app = typer.Typer(
    help="harborlight: link public records into the networks behind illicit massage businesses, "
    "target their controllers, and protect the people who work in them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = SafeConsole(soft_wrap=True)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="HARBORLIGHT_DATA_DIR",
        help="Folder for the warehouse and harborlight's own files.",
        show_default=True,
    ),
]
DEFAULT_DATA_DIR = Path("harborlight-data")


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)


def _package_version() -> str:
    """The installed package's version; the source tree's when harborlight is not installed."""
    try:
        return version("harborlight")
    except PackageNotFoundError:
        return __version__


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"harborlight {_package_version()}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool, typer.Option("--version", help="Print harborlight's version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """Options before the command name."""


@contextmanager
def _progress(total_label: str = "") -> Iterator[Progress]:
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        yield bar


def _ingest_progress(bar: Progress):
    tasks: dict[str, int] = {}

    def update(rf: RecordFile, done: int, total: int) -> None:
        key = str(rf.path)
        if key not in tasks:
            tasks[key] = bar.add_task(escape(rf.label), total=total)
        bar.update(tasks[key], completed=done)

    return update


def _print_rejection(rejected: FileRejected) -> None:
    err.print(f"[red]rejected[/red] {escape(str(rejected))}")
    for problem in rejected.errors:
        err.print(f"  {escape(str(problem))}", markup=True)


def _print_ingest(report: IngestReport) -> None:
    for loaded in report.loaded:
        out.print(
            f"loaded {escape(loaded.file)}: {loaded.records:,} records "
            f"({loaded.inserted:,} new, {loaded.updated:,} updated)"
        )
    for rejected in report.rejected:
        _print_rejection(rejected)
    if report.ignored:
        out.print(f"ignored (not contract files): {escape(', '.join(report.ignored))}")


@app.command("ingest")
def ingest_command(
    path: Annotated[Path, typer.Argument(help="A folder of contract files, or one contract file.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Load record files into the warehouse. Each file loads completely or not at all.

    Files are NAME.csv or NAME.jsonl, optionally gzipped, with NAME one of the nine
    contract files (filings, officers, fictitious_names, licenses, listings, reviews,
    tips, providers, outcomes). Loading a record again updates it.
    """
    input_files(path)  # a wrong path is said before the data dir and warehouse are made
    with open_warehouse(_settings(data_dir), create=True) as warehouse, _progress() as bar:
        report = ingest(path, warehouse, _ingest_progress(bar))
    _print_ingest(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command("status")
def status_command(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Show what is loaded, per file and source, references to records not yet loaded, and each
    stage's last run (ingest, resolve, score, networks) and whether it is current."""
    with open_warehouse(_settings(data_dir), read_only=True) as warehouse:
        status = warehouse_status(warehouse)
    table = Table("file", "source", "records", title=f"warehouse: {status.total:,} records")
    for record_type, by_source in status.counts.items():
        if not by_source:
            table.add_row(record_type, "-", "0")
        for source, n in by_source.items():
            table.add_row(record_type, escape(source), f"{n:,}")
    out.print(table)
    out.print(f"loads: {status.batches}, last at {status.last_loaded or 'never'}")
    for ref in status.references:
        line = f"{ref.description}: {ref.dangling:,} not loaded"
        if ref.ambiguous:
            line += f", {ref.ambiguous:,} ambiguous (ignored)"
        out.print(line)
    out.print(f"resolution: {escape(status.resolution)}")
    for model, column, value, mentions in status.blocking_skips:
        out.print(f"  blocking skipped {model}.{column} = {escape(value)} ({mentions:,} mentions)")
    out.print(f"stages (schema version {status.schema_version}):")
    for stage in status.stages:
        out.print(f"  {stage.stage}: {escape(stage.describe())}")
    for note in status.notes:
        out.print(f"note: {escape(note)}")


@app.command("migrate")
def migrate_command(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Upgrade a warehouse made by an older harborlight to this version's schema, in place.

    Every command that writes (ingest, resolve, score, networks) upgrades the warehouse first
    anyway; read-only commands read an upgraded temporary copy until it is upgraded in place.
    The migrations applied are listed, with the schema version reached.
    """
    from harborlight.stages import SCHEMA_VERSION

    with open_warehouse(_settings(data_dir)) as warehouse:
        applied = warehouse.migrated
    for migration in applied:
        out.print(f"applied migration {migration.version}: {escape(migration.description)}")
    out.print(f"warehouse at schema version {SCHEMA_VERSION}" + ("" if applied else " (nothing to do)"))


@app.command("resolve")
def resolve_command(
    engine: Annotated[
        str, typer.Option(help="duckdb (default, one machine) or spark (local mode or a cluster; needs Java and the spark extra).")
    ] = "duckdb",
    threshold: Annotated[
        float, typer.Option(help="Match probability at or above which two records are joined.", min=0.01, max=0.99)
    ] = DEFAULT_THRESHOLD,
    max_block_key: Annotated[
        int, typer.Option(help="Skip blocking on a value shared by more records than this (reported by status).")
    ] = DEFAULT_MAX_BLOCK_KEY,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Resolve loaded records into businesses, persons, registered agents and premises.

    Splink models, trained without labels, join records that name the same entity; each
    join can be shown with `harborlight explain ENTITY_ID`.
    """
    engine_named(engine)  # a wrong name, or Spark without Java or pyspark, is said before any work
    with open_warehouse(_settings(data_dir)) as warehouse:
        report = resolve(
            warehouse, engine=engine, threshold=threshold, max_block_key=max_block_key,
            on_step=lambda step: err.print(f"- {escape(step)}"),
        )
    for model in report.mentions:
        out.print(
            f"{model}: {report.mentions[model]:,} mentions -> {report.entities[model]:,} entities "
            f"({report.parameters.get(model, '')})"
        )
    if report.skipped:
        out.print(f"blocking skipped {len(report.skipped)} over-common value(s); see `harborlight status`")
    for note in report.notes:
        out.print(f"note: {escape(note)}")


@app.command("explain")
def explain_command(
    entity_id: Annotated[str, typer.Argument(help="An entity id from the export or another command (biz-, per-, agt-).")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Show an entity's records, each join with the levels and weights that made it, and for a
    business every indicator that fired with its contribution and source records."""
    with open_warehouse(_settings(data_dir), read_only=True) as warehouse:
        explanation = explain_entity(warehouse, entity_id)
        risk = explain_risk(warehouse, entity_id) if entity_id.startswith("biz-") else None
    lines = explanation_text(explanation) + (risk_text(risk) if risk else [])
    for line in lines:
        out.print(escape(line), highlight=False)


@app.command("score")
def score_command(
    labels: Annotated[
        Path | None,
        typer.Option(help="CSV of entity_id,is_imb for known outcomes: fit and calibrate the weights from them."),
    ] = None,
    elevated: Annotated[float, typer.Option(help="risk_score from which the band is elevated.")] = Bands.elevated,
    high: Annotated[float, typer.Option(help="risk_score from which the band is high.")] = Bands.high,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Score every resolved business for the probability that it is an illicit massage business.

    Scores come from conduct indicators only (review-board listings, service language,
    conduct cues in reviews, hours, prices, premises churn, license problems, hotline
    tips), never from names or words for ethnicity, nationality or language. No single
    source reaches the high band: it needs two independent kinds of source (a review
    board and the hotline, say), and a business short of that is held just below it.
    """
    with open_warehouse(_settings(data_dir)) as warehouse:
        report = score(warehouse, labels_path=labels, bands=Bands(elevated, high))
    kind = "fitted from labels" if report.model.fitted else "default weights"
    out.print(
        f"scored {report.businesses:,} businesses ({kind}): {report.bands['high']:,} high, "
        f"{report.bands['elevated']:,} elevated, {report.bands['low']:,} low; {report.evidence_rows:,} evidence records"
    )
    if report.held_below_high:
        out.print(
            f"held below high: {report.held_below_high:,} businesses whose evidence comes from one kind of source only"
        )
    for note in report.notes:
        out.print(f"note: {escape(note)}")


@app.command("networks")
def networks_command(
    method: Annotated[
        str, typer.Option(help="leiden (communities no single bridge can merge) or components (the baseline).")
    ] = DEFAULT_METHOD,
    resolution: Annotated[
        float, typer.Option(help="Leiden/CPM resolution: two groups of sizes a and b merge only over links "
                                 "weighing more than resolution x a x b.", min=0.0)
    ] = DEFAULT_RESOLUTION,
    threshold: Annotated[
        float, typer.Option(help="Weight at or above which what two businesses share links them.")
    ] = DEFAULT_LINK_THRESHOLD,
    hub_size: Annotated[
        int, typer.Option(help="A person, agent or phone tying more businesses than this counts for less.", min=1)
    ] = DEFAULT_HUB_SIZE,
    max_degree: Annotated[
        int, typer.Option(help="A node tying more businesses than this (a mass agent) links none of them.", min=2)
    ] = DEFAULT_MAX_DEGREE,
    top: Annotated[int, typer.Option(help="How many networks to list.")] = 20,
    engine: Annotated[
        str, typer.Option(help="duckdb (default, one machine) or spark (the graph's edges and links on Spark; "
                               "needs Java and the spark extra).")
    ] = "duckdb",
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Find the networks of businesses controlled together, and list them, strongest first.

    Businesses are linked by the people, registered agents, phones and workers they share
    and by succession at the same premises; a tie that many businesses share (a mass
    registered agent, a franchisor) counts for little. Networks are Leiden communities of
    the links, split again into connected groups, so one shared worker, phone or agent does
    not join two networks. Controllers are ranked only on evidence of control.
    """
    from harborlight.network.summary import network_summaries, summary_lines

    engine_named(engine)  # a wrong name, or Spark without Java or pyspark, is said before any work
    with open_warehouse(_settings(data_dir)) as warehouse:
        report = find_networks(warehouse, threshold, hub_size, method, resolution, max_degree, engine)
        summaries = network_summaries(warehouse, top)
    out.print(
        f"{plural(report.networks, 'network')} holding {plural(report.businesses_in_networks, 'business', 'businesses')}; "
        f"{plural(report.controllers, 'controller')} ranked"
    )
    for line in summary_lines(summaries, out.width):
        out.print(escape(line), highlight=False)


@app.command("network")
def network_command(
    network_id: Annotated[str, typer.Argument(help="A network id from `harborlight networks` (net-...).")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Show one network: its businesses, its controllers with their evidence, the premises
    timeline, and its protected people as pseudonyms and a count."""
    with open_warehouse(_settings(data_dir), read_only=True) as warehouse:
        view = network_view(warehouse, network_id)
    for line in network_text(view):
        out.print(escape(line), highlight=False)


@app.command("packet")
def packet_command(
    network_id: Annotated[str, typer.Argument(help="A network id from `harborlight networks` (net-...).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for packet.html and packet.json.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Write an investigation packet for one network: controllers with evidence, businesses with
    indicators, potential victims as counts, a victim-services plan and standing instructions.

    A packet that would name a protected person, or list one as a target, is refused and
    nothing is written.
    """
    writable_folder(out_dir)
    settings = _settings(data_dir)
    with open_warehouse(settings, read_only=True) as warehouse:
        json_path, html_path = write_packet(warehouse, network_id, out_dir)
    record_cli_export(settings, f"network:{network_id}", {"what": "packet"})
    out.print(f"packet: {escape(str(html_path))} and {escape(str(json_path))}")


@app.command("outcomes")
def outcomes_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the ledger as JSON.")] = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The outcomes ledger: arrests by role per operation and overall, victim arrests first.

    Every operation that arrested people selling sex or working in the businesses is
    flagged: they are presumed potential victims, and arresting them is a failure.
    """
    with open_warehouse(_settings(data_dir), read_only=True) as warehouse:
        ledger = outcomes_ledger(warehouse)
    if as_json:
        sys.stdout.write(json.dumps(ledger.as_dict(), indent=2) + "\n")
        return
    from harborlight.respond.outcomes import ledger_lines

    for line in ledger_lines(ledger, out.width):
        out.print(escape(line), highlight=False)


GroupsOption = Annotated[
    Path | None, typer.Option("--groups", help="Auditor's CSV: entity_id, group, optional is_imb (true/false).")
]
TruthOption = Annotated[
    Path | None, typer.Option("--truth", help="A synthetic world folder: take groups and IMB status from its truth/.")
]


def _audit_groups(warehouse, groups: Path | None, truth: Path | None):
    if groups is not None and truth is not None:
        raise BadRequest("give one of --groups FILE or --truth WORLD_DIR, not both")
    if groups is not None:
        return read_groups(groups)
    return groups_from_truth(warehouse, truth) if truth is not None else None


@app.command("report")
def report_command(
    out_path: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path("report.html"),
    top: Annotated[int, typer.Option(help="How many networks to draw.", min=1)] = 5,
    groups: GroupsOption = None,
    truth: TruthOption = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Write a self-contained HTML overview: records per source, the risk distribution, the top
    networks drawn as diagrams, the fairness audit and the outcomes ledger.

    The fairness audit runs when groups are given (--groups, or --truth on a synthetic world).
    A report that would name a protected person is refused and nothing is written.
    """
    writable_file(out_path)
    with open_warehouse(_settings(data_dir), read_only=True) as warehouse:
        written = write_report(warehouse, out_path, _audit_groups(warehouse, groups, truth), top)
    out.print(f"report: {escape(str(written))}")


import_app = typer.Typer(
    help="Turn real formats (Florida's corporate file, a state's bulk CSV, FollowTheMoney) into contract files for `harborlight ingest`.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


@import_app.command("mapped")
def import_mapped_command(
    file: Annotated[Path, typer.Argument(help="The state's bulk CSV file (optionally .gz).")],
    mapping: Annotated[str, typer.Option(
        "--mapping", help="A YAML mapping file, or the name of a shipped one: "
        + ", ".join(shipped_mappings()) + ". Format: docs/mappings.md.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the contract files.")],
    skip_bad: Annotated[bool, typer.Option(
        "--skip-bad", help="Skip rows that cannot be mapped and count them, instead of writing nothing.")] = False,
) -> None:
    """Turn a state's bulk business-entity CSV into contract files, through a YAML mapping.

    Every record is checked against the contract. A bad row rejects the whole file, and nothing is written, unless --skip-bad is given.
    Then load the folder with `harborlight ingest`.
    """
    loaded = load_mapping(mapping)
    try:
        with _progress() as bar:
            task = bar.add_task(escape(file.name), total=None)
            report = import_mapped(file, loaded, out_dir, skip_bad,
                                   lambda done, total: bar.update(task, completed=done, total=total or None))
    except FileRejected as rejected:
        _print_rejection(rejected)
        for note in rejected.notes:
            err.print(f"  {escape(note)}")
        err.print("nothing was written" + ("" if skip_bad else "; --skip-bad skips bad rows and writes the rest"))
        raise typer.Exit(rejected.exit_code) from None
    for name, count in report.written.items():
        out.print(f"wrote {escape(str(out_dir / name))}: {count:,} records")
    out.print(f"read {report.rows_read:,} rows of {escape(report.source_file)} through {escape(report.mapping)}"
              + (f"; {report.repeats_dropped:,} repeated records left out (dedupe)" if report.repeats_dropped else ""))
    if report.skipped_rows:
        err.print(f"skipped {report.skipped_rows:,} bad rows ({report.problem_count:,} problems); the first:")
        for problem in report.problems:
            err.print(f"  {escape(str(problem))}")


@import_app.command("sunbiz")
def import_sunbiz_command(
    files: Annotated[list[Path], typer.Argument(help="Data files (.txt) or zip archives of them: the snapshot first, then daily files in date order.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for filings.csv and officers.csv.")],
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Leave bad records out (counted) instead of writing nothing.")] = False,
    source: Annotated[str, typer.Option("--source", help="The contract `source` of every record written.")] = "fl_sunbiz",
) -> None:
    """Florida's corporate data file (fixed-width, 1440 characters a record) into contract
    filings and officers. A document number seen again (a daily file) replaces the earlier record."""
    from harborlight.sources.sunbiz import ImportRejected, import_sunbiz

    with _progress() as bar:
        tasks: dict[str, int] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(escape(label), total=total)
            bar.update(tasks[label], completed=done)

        try:
            summary = import_sunbiz(files, out_dir, skip_bad=skip_bad, source=source, progress=update)
        except ImportRejected as rejected:
            bar.stop()
            _print_rejection(rejected)
            raise typer.Exit(rejected.exit_code) from None
    out.print(f"records read: {summary.records_read:,}; filings: {summary.filings:,}; officers: {summary.officers:,}; "
              f"replaced by a later record: {summary.replaced:,}; bad records skipped: {summary.skipped:,}")
    for problem in summary.problems[:10]:
        err.print(f"  skipped {escape(str(problem))}")
    if summary.kept_earlier:
        err.print(f"warning: {summary.kept_earlier:,} filings are written from an earlier record because their latest "
                  "record was bad and skipped: they may not say what the registry says now")
    for name, rows in summary.files.items():
        out.print(f"wrote {escape(str(out_dir / name))}: {rows:,} rows")


@import_app.command("ftm")
def import_ftm_command(
    files: Annotated[list[Path], typer.Argument(
        help="FollowTheMoney entity files: JSON lines (.json, .jsonl, also .gz) or a JSON array.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the contract files into.")],
    source: Annotated[str | None, typer.Option(
        "--source", help="Source for entities that name no dataset.")] = None,
    skip_bad: Annotated[bool, typer.Option(
        "--skip-bad", help="Leave out bad lines (counted) instead of writing nothing.")] = False,
) -> None:
    """FollowTheMoney entities (Aleph, OpenSanctions, `export --format ftm`) into filings, officers and
    therapist licenses for `harborlight ingest`. A bad line names its file and line; without
    --skip-bad nothing is written."""
    from harborlight.sources.ftm import import_ftm

    try:
        result = import_ftm(files, out_dir, source, skip_bad)
    except FileRejected as rejected:
        _print_rejection(rejected)
        raise typer.Exit(rejected.exit_code) from None
    for name, n in result.rows.items():
        out.print(f"wrote {escape(name)}: {n:,} rows")
    if result.skipped_persons:
        out.print(f"skipped {result.skipped_persons:,} person(s) tied to no company in the files")
    for schema, n in sorted(result.skipped_schemata.items()):
        out.print(f"skipped {n:,} {escape(schema)} entit{'y' if n == 1 else 'ies'} (no contract record)")
    if result.skipped_links:
        out.print(f"skipped {result.skipped_links:,} link(s) tying no business")
    if result.bad_lines:
        out.print(f"left out {result.bad_lines:,} bad line(s)")
    for warning in result.warnings:
        err.print(f"warning: {escape(warning)}")
    if result.dangling_links > len(result.warnings):
        err.print(f"warning: {result.dangling_links:,} link(s) in all name an entity not in the files")


audit_app = typer.Typer(help="Audits of what harborlight concludes.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("fairness")
def audit_fairness_command(
    groups: GroupsOption = None,
    truth: TruthOption = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Compare false-positive rates (band high) between groups of businesses not believed to be IMBs.

    Fails, with exit code 1, when any group's rate exceeds 1.25 times the rate of the rest.
    """
    if (groups is None) == (truth is None):
        raise BadRequest("give exactly one of --groups FILE or --truth WORLD_DIR")
    with open_warehouse(_settings(data_dir), read_only=True) as warehouse:
        result = audit(warehouse, _audit_groups(warehouse, groups, truth))
    level = f"{result.confidence:.0%}"
    table = Table("group", "legitimate", "in band high", f"FP rate ({level} interval)", f"ratio to rest ({level} interval)")
    for g in result.groups:
        table.add_row(
            escape(g.group), f"{g.businesses:,}", f"{g.false_positives:,}",
            f"{g.rate:.3f} ({g.rate_low:.3f} to {g.rate_high:.3f})",
            f"{g.ratio_to_rest:.2f} ({g.ratio_low:.2f} to {g.ratio_high:.2f})",
        )
    out.print(table)
    out.print(f"fairness audit {'passed' if result.passed else 'FAILED'} (a point ratio above {result.max_ratio} fails; "
              "rates: Wilson intervals; ratios: Katz log intervals, with half a business added to each cell "
              "when a group has no false positive)")
    if not result.passed:
        raise typer.Exit(1)


@app.command("evaluate")
def evaluate_command(
    truth: Annotated[Path, typer.Option("--truth", help="A synthetic world folder (its truth/ is read) or the truth folder itself.")],
    export_dir: Annotated[
        Path | None,
        typer.Option("--export", help="A CSV export folder (harborlight export --format csv). "
                     "Default: export the data dir's warehouse to a temporary folder and evaluate that."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every figure as JSON instead of a table.")] = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Measure an export against a synthetic world's ground truth, from the files alone: resolution,
    networks, protection of workers and nominees, risk and fairness, each against its target.

    Exit code 0 whether or not the targets are met; the table's last column and the JSON's
    all_targets_met say which are.
    """
    if export_dir is not None:
        evaluation = evaluate_export(export_dir, truth)
    else:
        with tempfile.TemporaryDirectory(prefix="harborlight-evaluate-") as tmp:
            with open_warehouse(_settings(data_dir), read_only=True) as warehouse:
                export_csv(warehouse, Path(tmp))
            evaluation = evaluate_export(Path(tmp), truth)
        evaluation = dataclasses.replace(evaluation, export_dir=f"{data_dir} (exported for this evaluation)")
    if as_json:
        out.print_json(json.dumps(evaluation.to_dict()))
        return
    table = Table("figure", "value", "target", "met?")
    for check in evaluation.checks():
        value = "n/a" if check.value is None else f"{check.value:,}" if isinstance(check.value, int) else f"{check.value:.3f}"
        if check.detail:
            value += f" [dim]({escape(check.detail)})[/dim]"
        met = "" if check.met is None else "[green]yes[/green]" if check.met else "[red]NO[/red]"
        table.add_row(escape(check.figure), value, escape(check.target), met)
    out.print(table)
    for note in evaluation.notes:
        out.print(f"note: {escape(note)}")
    judged = [c for c in evaluation.checks() if c.met is not None]
    out.print(f"targets met: {sum(bool(c.met) for c in judged)} of {len(judged)}")


@app.command("synth")
def synth_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the world into.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same world.")] = 7,
    scale: Annotated[float, typer.Option(help="About 1,000 businesses per unit of scale.", min=0.01)] = 1.0,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    gzip: Annotated[bool, typer.Option("--gzip", help="Compress the record files.")] = False,
    prevalence: Annotated[
        float,
        typer.Option(help="Share of IMBs among massage businesses (illicit, chain, independent, reflexology).", min=0.001, max=0.999),
    ] = 0.10,
    variant: Annotated[
        str, typer.Option(help="Kind of world: standard, or b (other names, noise and layouts, same truth semantics).")
    ] = "standard",
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Write a synthetic world: the nine record files, plus its ground truth in truth/."""
    if fmt not in ("csv", "jsonl"):
        raise BadRequest(f"--format must be csv or jsonl, not {fmt!r}")
    from harborlight.synth.variants import VARIANTS  # imported here: this function is the synth module's CLI

    if variant not in VARIANTS:
        raise BadRequest(f"--variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    make_folder(out_dir)
    with _progress() as bar:
        task = bar.add_task("synth", total=None)
        summary = generate(
            out_dir, seed=seed, scale=scale, fmt=fmt, compressed=gzip, prevalence=prevalence, variant=variant,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    total = sum(summary.records.values())
    out.print(
        f"wrote {total:,} records about {summary.businesses:,} businesses "
        f"({summary.networks} IMB networks, prevalence {summary.prevalence:.0%}, variant {summary.variant}) "
        f"to {escape(str(out_dir))}; ground truth in truth/"
    )


@app.command("export")
def export_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the export into.")],
    fmt: Annotated[str, typer.Option("--format", help="csv (the contract's four files), ftm (FollowTheMoney JSON lines for Aleph), "
                                     "gexf (Gephi), i2 (Analyst's Notebook link chart: entities and links CSV) "
                                     "or geojson (businesses on a map).")] = "csv",
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Write what harborlight concluded. Protected persons appear only by pseudonym, in every format.

    The warehouse is only read (it may be read-only). Stale data is refused with the command
    to run: resolved entities, and scores and networks once they exist, must be current.
    """
    settings = _settings(data_dir)
    with open_warehouse(settings, read_only=True) as warehouse:
        written = export(warehouse, fmt, out_dir)
    record_cli_export(settings, "warehouse", {"what": "export", "format": fmt, "rows": sum(written.values())})
    for name, n in written.items():
        out.print(f"{escape(str(out_dir / name))}: {n:,} rows")


@app.command("demo")
def demo_command(
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world.")] = 7,
    scale: Annotated[float, typer.Option(help="Size of the synthetic world (1 = about 1,000 businesses).")] = 1.0,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the workspace on the demo world "
                                        "afterwards (Ctrl-C stops it); --no-serve stops after the batch job.")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = DEFAULT_PORT,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Run the main job on the built-in synthetic world in DATA_DIR/demo: synth, ingest, resolve, score,
    networks, export, then the report and a packet for the top network. Then serve the workspace on it,
    with one demo account per role (passwords in DATA_DIR/demo/demo-accounts.txt, readable by you only).

    The demo keeps to its own folder so it never mixes with data you loaded.
    """
    demo_dir = data_dir / "demo"
    settings = _settings(demo_dir)
    with _progress() as bar:
        result = run_demo(
            settings, seed=seed, scale=scale,
            on_step=lambda step: err.print(f"- {step}"), progress=_ingest_progress(bar),
        )
    records = sum(result.world.records.values())
    loaded = sum(f.records for f in result.ingest.loaded)
    out.print(f"synthetic world: {escape(str(result.world.out))} ({records:,} records, truth in truth/)")
    out.print(f"warehouse: {escape(str(demo_dir / 'warehouse.duckdb'))} ({loaded:,} records loaded)")
    out.print(f"risk: {result.score.bands['high']:,} high, {result.score.bands['elevated']:,} elevated")
    entities = ", ".join(f"{n:,} {model}" for model, n in result.resolve.entities.items())
    out.print(f"entities: {entities}")
    out.print(f"networks: {result.networks.networks:,}, {plural(result.networks.controllers, 'controller')} ranked")
    out.print(f"export: {escape(str(result.export.out))}")
    for name, n in result.export.rows.items():
        out.print(f"  {name}: {n:,} rows")
    out.print(f"report: {escape(str(result.report))}")
    if result.packet is not None:
        out.print(f"packet for the top network {result.top_network}: {escape(str(result.packet))}")
    if not serve:
        out.print(f"next: open the report in a browser, or harborlight networks --data-dir {escape(str(demo_dir))}")
        return
    store = open_store(settings)
    try:
        accounts_file, accounts = make_demo_accounts(store, demo_dir)
    finally:
        store.close()
    out.print(f"workspace: http://{host}:{port}/ (Ctrl-C stops it)")
    out.print(f"demo accounts, one per role; their passwords are in {escape(str(accounts_file))} (mode 0600):")
    for handle, role, agency in accounts:
        out.print(f"  {handle:<20} {role}" + (f" ({escape(agency)})" if agency else ""))
    serve_workspace(settings, host, port)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to serve on. Keep 127.0.0.1 behind a TLS proxy "
                                      "(docs/deployment.md).")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = DEFAULT_PORT,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Serve the shared workspace (web pages and their JSON API) over DATA_DIR's warehouse.

    The operational store is SQLite in DATA_DIR unless HARBORLIGHT_DATABASE_URL names PostgreSQL.
    There are no default accounts: make the first administrator with `harborlight user add`.
    """
    settings = _settings(data_dir)
    if not settings.warehouse_path.exists():
        raise BadRequest(f"no warehouse at {settings.warehouse_path}: run `harborlight ingest DIR` first")
    out.print(f"workspace: http://{host}:{port}/ (Ctrl-C stops it)")
    serve_workspace(settings, host, port)


user_app = typer.Typer(help="Workspace accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add_command(
    handle: Annotated[str, typer.Argument(help="Login name: 2-40 lower-case letters, digits, '.', '_' or '-'.")],
    role: Annotated[str, typer.Option(help="admin, analyst, investigator, advocate or auditor.")],
    agency: Annotated[str | None, typer.Option(help="The investigator's agency (made if new).")] = None,
    password_file: Annotated[Path | None, typer.Option(
        help="Read the password from this file's first line instead of asking (for scripts).")] = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create a workspace account. The password is asked for twice (at least 12 characters), never
    taken on the command line, where other users of the machine could read it."""
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").splitlines()[0] if password_file.stat().st_size else ""
        except OSError as exc:
            raise file_error(exc) from None
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    store = open_store(_settings(data_dir))
    try:
        with store.writing() as session:
            user = add_user(session, handle, password, role, agency, by_actor="cli")
            made = (user.handle, user.role)
    finally:
        store.close()
    out.print(f"made {escape(made[0])} ({made[1]})" + (f" of {escape(agency)}" if agency else ""))


@audit_app.command("verify")
def audit_verify_command(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Check the workspace's audit chain: every entry's hash, and that each follows the one before.
    Names each edited, deleted or reordered entry; exits 1 if there is any."""
    store = open_existing_store(_settings(data_dir))  # verifying never makes an empty store
    try:
        with store.session() as session:
            checked, problems = verify_chain(session)
    finally:
        store.close()
    if not problems:
        out.print(f"audit chain intact: {checked:,} entries")
        return
    for problem in problems:
        err.print(f"audit: {escape(str(problem))}")
    raise HarborlightError(f"audit chain broken: {plural(len(problems), 'problem')} in {checked:,} entries")


store_app = typer.Typer(help="The workspace's operational store (SQLite, or PostgreSQL for a team).",
                        no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("upgrade")
def store_upgrade_command(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Make the store, or bring it to the newest schema. On PostgreSQL, run it as the role that owns the
    database, before `harborlight store grant`."""
    store = open_store(_settings(data_dir))
    try:
        revision = current_revision(store.engine)
    finally:
        store.close()
    out.print(f"store at schema revision {escape(str(revision))}")


@store_app.command("grant")
def store_grant_command(
    role: Annotated[str, typer.Argument(help="The PostgreSQL role the server connects as.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """On PostgreSQL, let ROLE use the store but only read and append to the audit log (never UPDATE or
    DELETE it). Run it as the owner, after `harborlight store upgrade`, and again after each upgrade."""
    store = open_existing_store(_settings(data_dir))
    try:
        grant_app_role(store.engine, role)
    finally:
        store.close()
    out.print(f"granted the store to {escape(role)}: the audit log is read and append only")


keys_app = typer.Typer(help="The keys that seal survivor fields in hotline cases (kept outside the database).",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def keys_rotate_command(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Make a new key, re-seal every survivor field under it, then retire the old keys. Stop the
    workspace first; back up the key file before and after (docs/administration.md)."""
    settings = _settings(data_dir)
    keyring = open_keyring(settings, create=False)
    store = open_existing_store(settings)
    try:
        rotated = rotate_keys(store, keyring)
    finally:
        store.close()
    out.print(f"re-sealed {rotated.values:,} values under key {rotated.new_key}; "
              f"retired {plural(len(rotated.retired), 'old key')}")


@app.command("backup")
def backup_command(
    dest: Annotated[Path, typer.Argument(help="A new (or empty) folder to write the backup into.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Back up DATA_DIR: the warehouse, the operational store (SQLite's online backup, or pg_dump when
    HARBORLIGHT_DATABASE_URL names PostgreSQL) and the keys, with a manifest of checksums written last.
    The backup holds the keys and personal data: it is made readable by you only; keep it so."""
    made = make_backup(_settings(data_dir), dest)
    for entry in made.manifest.entries:
        out.print(f"{escape(str(dest / entry.path))}: {entry.size:,} bytes ({entry.what})")
    out.print(f"backup of {len(made.manifest.entries)} files in {escape(str(dest))}, manifest.json written last")


@app.command("restore")
def restore_command(
    src: Annotated[Path, typer.Argument(help="A folder written by `harborlight backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a data directory that is not empty "
                                        "(and a store or key file already in place).")] = False,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Restore a backup into DATA_DIR. The manifest and every checksum are checked before anything is
    touched; a damaged backup is refused. Stop the workspace first."""
    restored = restore_backup(_settings(data_dir), src, force=force)
    what = ", ".join(entry.what for entry in restored.manifest.entries)
    out.print(f"restored the backup of {escape(restored.manifest.created_at)} into {escape(str(restored.data_dir))}"
              + (" (replacing what was there)" if restored.replaced else "") + f": {what}")


def _print_error(exc: HarborlightError) -> None:
    for line in str(exc).splitlines() or [type(exc).__name__]:
        err.print(f"error: {escape(line)}")
    if isinstance(exc, FileRejected):
        # Its one line only counts the problems; each problem (file, line, field, why) follows,
        # or a command that let the rejection reach here would not say what was wrong.
        for problem in exc.errors:
            err.print(f"  {escape(str(problem))}")


def main() -> None:
    """Run the command. A known error prints one line and exits with its kind's code; an
    OSError no library function turned into one (a file the command could not use) is
    printed the same way. Anything else is a bug and keeps its traceback."""
    try:
        app()
    except HarborlightError as exc:
        _print_error(exc)
        sys.exit(exc.exit_code)
    except OSError as exc:
        known = file_error(exc, action="use")
        _print_error(known)
        sys.exit(known.exit_code)
