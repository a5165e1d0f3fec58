"""Whether the data a read would show is current: one helper, called at the top of every read.

Until the stage contract lands (`harborlight.stages.require_fresh`), the only check there is
is resolution against the last load; this is the one place to swap it.
"""

from __future__ import annotations

from harborlight.resolve.stage import require_current_resolution
from harborlight.warehouse import Warehouse

# Stages whose tables are built on resolved entities: reading any of them needs a current resolution.
AFTER_RESOLUTION = ("resolve", "score", "networks")


def tables_sql() -> str:
    return "SELECT table_name FROM information_schema.tables"


def require_current(warehouse: Warehouse, *stages: str) -> frozenset[str]:
    """Raise, naming the command to run, when what `stages` wrote is older than what it was built on.
    Returns the tables the warehouse holds, so a read asks once which stages have run."""
    if any(stage in AFTER_RESOLUTION for stage in stages):
        require_current_resolution(warehouse)
    return frozenset(name for (name,) in warehouse.rows(tables_sql()))
