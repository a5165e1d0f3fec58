"""The outcomes ledger through the read layer: counts only, operation names redacted."""

from __future__ import annotations

from dataclasses import dataclass, replace

from harborlight.protection import Protection
from harborlight.read.freshness import require_current
from harborlight.read.guard import Guard
from harborlight.read.viewer import Viewer
from harborlight.respond.outcomes import Ledger, outcomes_ledger
from harborlight.warehouse import Warehouse


@dataclass(frozen=True)
class Outcomes:
    headline: str  # victim arrests first
    ledger: Ledger  # per operation and overall; it holds no person, only counts


def outcomes(warehouse: Warehouse, viewer: Viewer, protection: Protection | None = None) -> Outcomes:
    """What agencies did, counted so that arresting victims reads as failure. Operation names are free
    text from the records, so they are redacted like any record text."""
    require_current(warehouse, "ingest")
    guard = Guard.of(warehouse, viewer, protection)
    ledger = outcomes_ledger(warehouse)
    ledger = Ledger([replace(op, operation=guard.text(op.operation), agencies=[guard.text(a) for a in op.agencies])
                     for op in ledger.operations], ledger.overall)
    return Outcomes(ledger.headline(), ledger)
