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
from harborlight import read
from harborlight.indicators.scoring import Bands
from harborlight.network.controllers import CONTROL_WEIGHT, PERSISTENCE_WEIGHT, REACH_WEIGHT
from harborlight.network.summary import controller_explanations
from harborlight.protection import Protection, ProtectionViolation
from harborlight.read import NetworkView
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.report.charts import BANDS, bands_in_use, risk_bins, risk_histogram_svg
from harborlight.report.diagram import network_diagram, render_svg
from harborlight.report.page import Html, document, escape, items, plural, table
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
    warehouse: Warehouse, groups: dict[str, tuple[str, bool | None]] | None = None, top: int = DEFAULT_TOP,
    viewer: Viewer = ANALYST, protection: Protection | None = None,
) -> Report:
    """Gather the report. `groups` (entity_id -> group, is_imb) runs the fairness audit; without it
    the report says the audit was not run and how to run it. The networks are read through the read
    layer as `viewer` may see them."""
    require_fresh(warehouse, "resolve", "score", what="report", if_run=("networks",))
    protection = protection or Protection(warehouse)  # one decision for every network the report draws
    try:
        views = [read.network_view(warehouse, nid, viewer, protection) for nid in top_network_ids(warehouse, top)]
    except ProtectionViolation as exc:  # name the output refused, as the final check would
        raise ProtectionViolation(f"report refused: {exc}") from None
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


def _network_section(view: NetworkView, svg: str, words: dict[str, str] | None = None) -> str:
    """One network: its diagram, its controllers with their scores explained in words (`words`, from
    `controller_explanations`; the bare score where there are none), and the operations that named it."""
    words = words or {}
    risk = "unscored" if view.risk_score is None else f"{view.risk_score:.3f}"
    controllers = [f"{c.name} ({c.person_id}), score {words.get(c.person_id, f'{c.score:.2f}')}; tied to "
                   f"{len({b for b, _, _ in c.ties})} of its businesses" for c in view.controllers]
    operations = [f"Enforcement: {op}" for op in view.operations]
    return "".join([
        f"<section class='network' id='{escape(view.network_id)}'>",
        f"<h3>{escape(view.network_id)}: risk {escape(risk)}, {plural(len(view.members), 'business', 'businesses')}, "
        f"{plural(len(view.controllers), 'controller')}, {plural(len(view.protected), 'protected person', 'protected people')}"
        "</h3>",
        f"<figure>{svg}<figcaption>Packet: <code>harborlight packet {escape(view.network_id)} --out DIR</code>"
        "</figcaption></figure>",
        items(controllers, cls="controllers")
        or "<p class='note'>No controller ranked: the businesses are tied by phones, agents or premises.</p>",
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
    """The ledger table. Dates and network ids stay on one line; an operation that arrested potential
    victims is a flagged row (red rule on its left, FLAGGED before its name)."""
    rows = []
    for op in ledger.operations:
        t = op.tally
        rows.append([
            Html(("<strong class='flag'>FLAGGED</strong> " if t.flagged else "") + escape(op.operation)),
            op.first_date if op.first_date == op.last_date else Html(f"{escape(op.first_date)}<br>to {escape(op.last_date)}"),
            f"{t.arrests:,}", f"{t.victim_arrests:,} ({t.victim_share:.0%})", f"{t.control_arrests:,}", f"{t.buyer_arrests:,}",
            f"{t.referrals:,}", f"{t.control_charges:,} / {t.control_convictions:,}",
            Html("<br>".join(escape(n) for n in op.networks)),
        ])
    return table(
        ["operation", "dates", "arrests", "victims arrested", "controllers arrested", "buyers arrested", "referrals",
         "charges / convictions of controllers", "networks"],
        rows, numeric=[2, 3, 4, 5, 6, 7], id="ledger", nowrap=[1, 3, 8],
        row_classes=["flagged" if op.tally.flagged else None for op in ledger.operations],
    )


def render_report(
    report: Report, today: date | None = None, bands: Bands | None = None,
    controller_words: dict[str, str] | None = None,
) -> str:
    """The page. `bands` are the cut-offs drawn on the histogram (`bands_in_use`; the defaults without);
    `controller_words` explains each drawn controller's score (`controller_explanations`)."""
    records = [
        [record_type, f"{sum(by_source.values()):,}", ", ".join(f"{source} {n:,}" for source, n in by_source.items())]
        for record_type, by_source in report.counts.items()
    ]
    bands = bands or Bands()
    counted = {band: sum(b.get(band, 0) for b in report.risk_bins) for band in BANDS}
    return document("harborlight report", [
        "<h1>harborlight report</h1>",
        f"<p class='note'>Made {escape((today or date.today()).isoformat())} from the warehouse. People who work "
        "in these businesses are presumed potential victims: they appear as counts and pseudonyms only, and are "
        "never targets.</p>",
        f"<p class='headline' id='headline'>{escape(report.ledger.headline())}</p>",
        "<h2 id='sources'>Records per source</h2>",
        table(["file", "records", "per source"], records, numeric=[1]),
        "<h2 id='risk'>Risk distribution</h2>",
        f"<p>{counted['high']:,} businesses high (risk_score ≥ {bands.high:.2f}), {counted['elevated']:,} elevated "
        f"(≥ {bands.elevated:.2f}), {counted['low']:,} low. "
        "Scores come from conduct indicators only; `harborlight explain BUSINESS_ID` shows why.</p>",
        f"<figure>{risk_histogram_svg(report.risk_bins, bands)}</figure>",
        f"<h2 id='networks'>Top networks ({len(report.networks)} of {report.n_networks:,})</h2>",
        f"<p class='note'>A controller's score is {CONTROL_WEIGHT} &times; control (1 with two kinds of control "
        f"evidence, 0.5 with one) + {REACH_WEIGHT} &times; reach (the share of the network's high-risk businesses "
        f"they are tied to) + {PERSISTENCE_WEIGHT} &times; persistence (1 for staying on as one business succeeded "
        "another at a premises).</p>",
        *(_network_section(view, svg, controller_words) for view, svg in report.networks),
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
    # One reading of who is protected for the report and its final check (a reading learns every
    # protected name in the warehouse); nothing here writes, so the check sees person_protection as it stands.
    protection = Protection(warehouse)
    report = build_report(warehouse, groups, top, protection=protection)
    words = {p: w for view, _ in report.networks for p, w in controller_explanations(warehouse, view.network_id).items()}
    page = render_report(report, bands=bands_in_use(warehouse), controller_words=words)
    controllers = [c.person_id for view, _ in report.networks for c in view.controllers]
    protection.refuse("report", controllers, [page])
    with atomic_text_file(out) as handle:
        handle.write(page)
    return out
