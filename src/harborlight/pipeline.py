"""The main job end to end: synthetic world, ingest, resolve, score, networks, export.

The CLI's `demo` command and `make demo` call `run_demo`; tests call it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harborlight.config import Settings, installation_key
from harborlight.errors import HarborlightError
from harborlight.export.csv_export import ExportResult, export_csv
from harborlight.ingest import IngestReport, ProgressFn, ingest
from harborlight.indicators.scoring import ScoreReport, score
from harborlight.network.detect import find_networks
from harborlight.resolve.stage import ResolveReport, resolve
from harborlight.synth.world import WorldSummary, generate
from harborlight.warehouse import Warehouse


def open_warehouse(settings: Settings, read_only: bool = False) -> Warehouse:
    """The warehouse of a data directory, created on first use."""
    if read_only and not settings.warehouse_path.exists():
        raise HarborlightError(
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
    export: ExportResult


def run_demo(
    settings: Settings,
    seed: int = 7,
    scale: float = 1.0,
    on_step: Callable[[str], None] = lambda step: None,
    progress: ProgressFn | None = None,
) -> DemoResult:
    data_dir = settings.ensure_data_dir()
    on_step("synth")
    world = generate(data_dir / "world", seed=seed, scale=scale)
    with open_warehouse(settings) as warehouse:
        on_step("ingest")
        report = ingest(data_dir / "world", warehouse, progress)
        if not report.ok:
            raise HarborlightError("the synthetic world did not load; this is a bug in harborlight")
        on_step("resolve")
        resolved = resolve(warehouse, on_step=lambda s: on_step(f"resolve: {s}"))
        on_step("score")
        scored = score(warehouse)
        on_step("networks")
        find_networks(warehouse)
        on_step("export")
        exported = export_csv(warehouse, data_dir / "export")
    return DemoResult(world, report, resolved, scored, exported)
