"""The overview report: one self-contained HTML page about everything in the warehouse.

Sections, in order: the outcomes headline (victim arrests first), records per source,
the risk distribution, the top networks with their diagrams, the fairness audit, and
the outcomes ledger. Before the page is written it is checked against the protection
rule: no drawn controller may be protected, and no protected person's recorded name
or license number may appear anywhere on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from harborlight.errors import UsageError
from harborlight.export.files import atomic_text_file
from harborlight.indicators.fairness import AuditResult, audit
from harborlight.network.view import NetworkView, network_view
from harborlight.protection import refuse_unsafe_output
from harborlight.report.charts import BANDS, risk_bins, risk_histogram_svg
from harborlight.report.diagram import LEGEND, network_diagram, render_svg
from harborlight.report.page import document, escape, items, table
from harborlight.stages import require_fresh
from harborlight.respond.outcomes import Ledger, outcomes_ledger
from harborlight.status import warehouse_status
from harborlight.warehouse import Warehouse

DEFAULT_TOP = 5


@dataclass
class Report:
    counts: dict[str, dict[str, int]]  # record type -> source -> records
    risk_bins: list[dict[str, int]]
    networks: list[tuple[NetworkView, str]]  # view, its diagram as SVG
    n_networks: int
    fairness: AuditResult | None
    fairness_note: str  # why the audit did not run, when it did not
    ledger: Ledger


def top_network_ids(warehouse: Warehouse, top: int) -> list[str]:
    """The strongest networks: highest risk first, then the larger (the order `networks` keeps)."""
    if not warehouse.table_exists("networks"):
        return []
    return [nid for (nid,) in warehouse.rows(
        "SELECT network_id FROM networks ORDER BY risk_score DESC NULLS LAST, n_businesses DESC, network_id LIMIT ?",
        [top],
    )]


def build_report(
    warehouse: Warehouse, groups: dict[str, tuple[str, bool | None]] | None = None, top: int = DEFAULT_TOP
) -> Report:
    """Gather the report. `groups` (entity_id -> group, is_imb) runs the fairness audit; without it
    the report says the audit was not run and how to run it."""
    require_fresh(warehouse, "resolve", "score", what="report", if_run=("networks",))
    views = [network_view(warehouse, nid) for nid in top_network_ids(warehouse, top)]
    fairness, note = None, "not run: give `harborlight report` --groups FILE (or --truth WORLD on a synthetic world)"
    if groups is not None:
        try:
            fairness = audit(warehouse, groups)
        except UsageError as exc:
            note = f"not run: {exc}"
    n_networks = warehouse.rows("SELECT count(*) FROM networks")[0][0] if warehouse.table_exists("networks") else 0
    return Report(
        counts=warehouse_status(warehouse).counts,
        risk_bins=risk_bins(warehouse),
        networks=[(v, render_svg(network_diagram(warehouse, v))) for v in views],
        n_networks=n_networks,
        fairness=fairness,
        fairness_note=note,
        ledger=outcomes_ledger(warehouse),
    )


def _network_section(view: NetworkView, svg: str) -> str:
    risk = "unscored" if view.risk_score is None else f"{view.risk_score:.3f}"
    controllers = [f"{c.name} ({c.person_id}), score {c.score:.2f}, tied to "
                   f"{len({b for b, _, _ in c.ties})} of its businesses" for c in view.controllers]
    operations = [f"Enforcement: {op}" for op in view.operations]
    return "".join([
        f"<section class='network' id='{escape(view.network_id)}'>",
        f"<h3>{escape(view.network_id)}: risk {escape(risk)}, {len(view.members)} businesses, "
        f"{len(view.controllers)} controllers, {len(view.protected)} protected people</h3>",
        f"<figure>{svg}<figcaption>Packet: <code>harborlight packet {escape(view.network_id)} --out DIR</code>"
        "</figcaption></figure>",
        items(controllers) or "<p class='note'>No controller ranked: the businesses are tied by phones, agents or premises.</p>",
        items(operations),
        "</section>",
    ])


def _fairness_section(report: Report) -> str:
    if report.fairness is None:
        return f"<p id='fairness-result' class='note'>Fairness audit {escape(report.fairness_note)}</p>"
    result = report.fairness
    verdict = ("<span class='pass'>passed</span>" if result.passed else "<span class='fail'>FAILED</span>")
    return (
        f"<p id='fairness-result'>Fairness audit {verdict}: no group of legitimate businesses may be flagged "
        f"high at more than {result.max_ratio} times the rate of the rest.</p>"
        + table(["group", "legitimate businesses", "in band high", "false-positive rate", "ratio to the rest"],
                [[g.group, f"{g.businesses:,}", f"{g.false_positives:,}", f"{g.rate:.3f}", f"{g.ratio_to_rest:.2f}"]
                 for g in result.groups], numeric=[1, 2, 3, 4])
    )


def _ledger_section(ledger: Ledger) -> str:
    rows = []
    for op in ledger.operations:
        t = op.tally
        rows.append([
            ("FLAGGED: " if t.flagged else "") + op.operation,
            op.first_date if op.first_date == op.last_date else f"{op.first_date} to {op.last_date}", f"{t.arrests:,}",
            f"{t.victim_arrests:,} ({t.victim_share:.0%})", f"{t.control_arrests:,}", f"{t.buyer_arrests:,}",
            f"{t.referrals:,}", f"{t.control_charges:,} / {t.control_convictions:,}", ", ".join(op.networks),
        ])
    return table(
        ["operation", "dates", "arrests", "victims arrested", "controllers arrested", "buyers arrested", "referrals",
         "charges / convictions of controllers", "networks"],
        rows, numeric=[2, 3, 4, 5, 6, 7], id="ledger",
    )


def render_report(report: Report, today: date | None = None) -> str:
    records = [
        [record_type, f"{sum(by_source.values()):,}", ", ".join(f"{source} {n:,}" for source, n in by_source.items())]
        for record_type, by_source in report.counts.items()
    ]
    bands = {band: sum(b.get(band, 0) for b in report.risk_bins) for band in BANDS}
    return document("harborlight report", [
        "<h1>harborlight report</h1>",
        f"<p class='note'>Made {escape((today or date.today()).isoformat())} from the warehouse. People who work "
        "in these businesses are presumed potential victims: they appear as counts and pseudonyms only, and are "
        "never targets.</p>",
        f"<p class='headline' id='headline'>{escape(report.ledger.headline())}</p>",
        "<h2 id='sources'>Records per source</h2>",
        table(["file", "records", "per source"], records, numeric=[1]),
        "<h2 id='risk'>Risk distribution</h2>",
        f"<p>{bands['high']:,} businesses high, {bands['elevated']:,} elevated, {bands['low']:,} low. "
        "Scores come from conduct indicators only; `harborlight explain BUSINESS_ID` shows why.</p>",
        f"<figure>{risk_histogram_svg(report.risk_bins)}</figure>",
        f"<h2 id='networks'>Top networks ({len(report.networks)} of {report.n_networks:,})</h2>",
        LEGEND,
        *(_network_section(view, svg) for view, svg in report.networks),
        "<h2 id='fairness'>Fairness audit</h2>",
        _fairness_section(report),
        "<h2 id='outcomes'>Outcomes ledger</h2>",
        f"<p>{escape(report.ledger.headline())}</p>",
        _ledger_section(report.ledger) if report.ledger.operations else "<p class='note'>No outcomes loaded.</p>",
    ])


def write_report(
    warehouse: Warehouse, out: Path, groups: dict[str, tuple[str, bool | None]] | None = None, top: int = DEFAULT_TOP
) -> Path:
    """Build, check and write the report to `out` (a file). A refused report writes nothing."""
    report = build_report(warehouse, groups, top)
    page = render_report(report)
    controllers = [c.person_id for view, _ in report.networks for c in view.controllers]
    refuse_unsafe_output(warehouse, "report", controllers, [page])
    with atomic_text_file(out) as handle:
        handle.write(page)
    return out
