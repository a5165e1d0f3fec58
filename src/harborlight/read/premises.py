"""One premises and the businesses it hosted, oldest first: "this address has hosted four businesses since 2016"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from harborlight.errors import NotFound, UsageError
from harborlight.protection import Protection
from harborlight.read.freshness import require_current
from harborlight.read.guard import Guard
from harborlight.read.viewer import Viewer
from harborlight.resolve.stage import premises_history_sql
from harborlight.warehouse import Warehouse


class Occupant(NamedTuple):
    business_id: str
    name: str
    first_seen: date | None
    last_seen: date | None


@dataclass(frozen=True)
class PremisesTimeline:
    premises_id: str
    street: str
    unit: str | None
    city: str | None
    state: str | None
    occupants: tuple[Occupant, ...]


def premises_sql() -> str:
    return "SELECT street, unit, city, state FROM premises WHERE premises_id = ?"


def premises_timeline(warehouse: Warehouse, premises_id: str, viewer: Viewer,
                      protection: Protection | None = None) -> PremisesTimeline:
    """The businesses seen at one premises. Raises NotFound for an unknown id."""
    if "premises" not in require_current(warehouse, "resolve"):
        raise UsageError("no premises yet: run `harborlight resolve` first")
    found = warehouse.rows(premises_sql(), [premises_id])
    if not found:
        raise NotFound(f"no premises {premises_id}")
    return timeline_of(warehouse, Guard.of(warehouse, viewer, protection), premises_id, *found[0])


def timeline_of(warehouse: Warehouse, guard: Guard, premises_id: str, street: str, unit: str | None,
                city: str | None, state: str | None) -> PremisesTimeline:
    """The timeline of a premises already known to exist (the dossier reads its business's premises)."""
    occupants = tuple(Occupant(b, guard.text(name) or b, first, last)
                      for b, name, first, last in warehouse.rows(premises_history_sql(), [premises_id]))
    return PremisesTimeline(premises_id, street, unit, city, state, occupants)
