"""The main job end to end: synthetic world, ingest, resolve, score, networks, export, report and packet.

The CLI's `demo` command and `make demo` call `run_demo`; tests call it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harborlight.config import STORE_FILE, Settings, installation_key
from harborlight.errors import BadRequest, HarborlightError
from harborlight.export.csv_export import ExportResult, export_csv
from harborlight.ingest import IngestReport, ProgressFn, ingest
from harborlight.indicators.fairness import groups_from_truth
from harborlight.indicators.scoring import ScoreReport, score
from harborlight.network.detect import NetworkReport, find_networks
from harborlight.report.overview import top_network_ids, write_report
from harborlight.respond.packet import write_packet
from harborlight.resolve.stage import ResolveReport, resolve
from harborlight.synth.world import WorldSummary, generate
from harborlight.warehouse import Warehouse


def open_warehouse(settings: Settings, read_only: bool = False, create: bool = False) -> Warehouse:
    """The warehouse of a data directory. Only a command that loads records (`create`: ingest, the
    demo) makes one; any other command on a data dir without one says to ingest first and leaves
    nothing behind (a typo in --data-dir must not leave an empty warehouse and a key)."""
    if not create and not settings.warehouse_path.exists():
        raise BadRequest(
            f"no warehouse at {settings.warehouse_path}: run `harborlight ingest DIR` first"
        )
    data_dir = settings.ensure_data_dir()
    return Warehouse(settings.warehouse_path, installation_key(data_dir), read_only=read_only)


@dataclass
class DemoResult:
    world: WorldSummary
    ingest: IngestReport
    resolve: ResolveReport
    score: ScoreReport
    networks: NetworkReport
    export: ExportResult
    report: Path
    packet: Path | None  # the top network's packet.html, when there is a network
    top_network: str | None


def run_demo(
    settings: Settings,
    seed: int = 7,
    scale: float = 1.0,
    on_step: Callable[[str], None] = lambda step: None,
    progress: ProgressFn | None = None,
) -> DemoResult:
    """Run the main job on a fresh synthetic world in `settings.data_dir`, replacing the
    warehouse a previous demo left there (only after the options are checked)."""
    if not scale > 0:  # also refuses NaN
        raise BadRequest(f"--scale must be above 0 (1 = about 1,000 businesses), not {scale:g}")
    data_dir = settings.ensure_data_dir()
    # The demo's workspace store goes with its warehouse: its releases and notes name the old world's networks.
    store = data_dir / STORE_FILE
    leftovers = [settings.warehouse_path, settings.warehouse_path.with_name(settings.warehouse_path.name + ".wal")]
    if settings.database_url is None:
        leftovers += [store, store.with_name(store.name + "-wal"), store.with_name(store.name + "-shm")]
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    on_step("synth")
    world = generate(data_dir / "world", seed=seed, scale=scale)
    with open_warehouse(settings, create=True) as warehouse:
        on_step("ingest")
        report = ingest(data_dir / "world", warehouse, progress)
        if not report.ok:
            raise HarborlightError("the synthetic world did not load; this is a bug in harborlight")
        on_step("resolve")
        resolved = resolve(warehouse, on_step=lambda s: on_step(f"resolve: {s}"))
        on_step("score")
        scored = score(warehouse)
        on_step("networks")
        networks = find_networks(warehouse)
        on_step("export")
        exported = export_csv(warehouse, data_dir / "export")
        on_step("report")
        # The synthetic world's truth holds each business's owner group, so the demo can run
        # the fairness audit; on real data an auditor supplies the groups.
        overview = write_report(warehouse, data_dir / "report.html", groups_from_truth(warehouse, data_dir / "world"))
        top = (top_network_ids(warehouse, 1) or [None])[0]
        packet = None
        if top is not None:
            on_step("packet")
            _, packet = write_packet(warehouse, top, data_dir / "packet")
    return DemoResult(world, report, resolved, scored, networks, exported, overview, packet, top)
