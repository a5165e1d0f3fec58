"""Whether the data a read would show is current: one helper, called at the top of every read.

It asks the stage contract (`harborlight.stages.require_fresh`): a read of what a stage wrote
needs that stage and every stage before it current, and any later stage that has run current
too (scores that are stale would mislabel a network), or it is refused with `Stale` and the
command to run.
"""

from __future__ import annotations

from harborlight.stages import require_fresh
from harborlight.warehouse import Warehouse

# For each stage a read names: the stages that must have run, and those checked if they have.
NEEDS = {
    "ingest": ((), ()),
    "resolve": (("resolve",), ("score", "networks")),
    "score": (("resolve", "score"), ("networks",)),
    "networks": (("resolve", "networks"), ("score",)),
}


def tables_sql() -> str:
    return "SELECT table_name FROM information_schema.tables"


def require_current(warehouse: Warehouse, *stages: str, what: str = "this read") -> frozenset[str]:
    """Raise `Stale`, naming the command to run, when what `stages` wrote is not current. Returns the
    tables the warehouse holds, so a read asks once which stages have run."""
    needed = {s for stage in stages for s in NEEDS[stage][0]}
    checked = {s for stage in stages for s in NEEDS[stage][1]} - needed
    if needed or checked:
        require_fresh(warehouse, *sorted(needed), what=what, if_run=tuple(sorted(checked)))
    return frozenset(name for (name,) in warehouse.rows(tables_sql()))
