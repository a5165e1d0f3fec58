"""Exports: what harborlight concluded, in formats other tools read.

Every format reads the warehouse only (it may be opened read-only), and refuses stale data:
resolved entities, and scores and networks once they exist, must be current. Every format's
names and text leave through the read layer's guard (read/guard.py) for the viewer the export
is made for: the CLI's analyst unless a caller says otherwise."""

from __future__ import annotations

from pathlib import Path

from harborlight.errors import UsageError
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.warehouse import Warehouse

FORMATS = ("csv", "ftm", "gexf", "i2", "geojson")


def export(warehouse: Warehouse, fmt: str, out: Path, viewer: Viewer = ANALYST) -> dict[str, int]:
    """Write one export format into `out`; returns rows (or entities, or lines) per file written."""
    from harborlight.export.csv_export import export_csv, require_export_fresh
    from harborlight.export.ftm import FILE_NAME as FTM_FILE, export_ftm
    from harborlight.export.geojson import FILE_NAME as GEOJSON_FILE, export_geojson
    from harborlight.export.gexf import FILE_NAME as GEXF_FILE, export_gexf
    from harborlight.export.i2 import export_i2

    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "csv":
        return export_csv(warehouse, out, viewer).rows
    require_export_fresh(warehouse)
    if fmt == "ftm":
        return {FTM_FILE: export_ftm(warehouse, out, viewer)}
    if fmt == "gexf":
        return {GEXF_FILE: export_gexf(warehouse, out, viewer)}
    if fmt == "i2":
        return export_i2(warehouse, out, viewer)
    if fmt == "geojson":
        return {GEOJSON_FILE: export_geojson(warehouse, out, viewer)}
    raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
