"""Exports: what harborlight concluded, in formats other tools read.

Every format reads the warehouse only (it may be opened read-only), and refuses stale data:
resolved entities, and scores and networks once they exist, must be current."""

from __future__ import annotations

from pathlib import Path

from harborlight.errors import UsageError
from harborlight.warehouse import Warehouse

FORMATS = ("csv", "ftm", "gexf")


def export(warehouse: Warehouse, fmt: str, out: Path) -> dict[str, int]:
    """Write one export format into `out`; returns rows (or entities, or lines) per file written."""
    from harborlight.export.csv_export import export_csv, require_export_fresh
    from harborlight.export.ftm import FILE_NAME as FTM_FILE, export_ftm
    from harborlight.export.gexf import FILE_NAME as GEXF_FILE, export_gexf

    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "csv":
        return export_csv(warehouse, out).rows
    require_export_fresh(warehouse)
    if fmt == "ftm":
        return {FTM_FILE: export_ftm(warehouse, out)}
    if fmt == "gexf":
        return {GEXF_FILE: export_gexf(warehouse, out)}
    raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
