"""Is what a consumer reads current? Each stage's last run against what the warehouse holds now.

A stage is current when it ran, every stage it read from is current, it read their latest
runs (score the latest resolve; networks the latest resolve and the latest score, or none
when there still is none), and the records it reads itself are as it read them. A consumer names the stages it reads; `require_fresh` refuses with
`errors.Stale` and the command to run, in pipeline order, so the first command named is the
one to run first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from harborlight.errors import Stale
from harborlight.stages.runs import StageRun, latest_runs, records_fingerprint
from harborlight.stages.tables import STAGES

if TYPE_CHECKING:
    from harborlight.warehouse import Warehouse

COMMANDS = {
    "ingest": "harborlight ingest DIR",
    "resolve": "harborlight resolve",
    "score": "harborlight score",
    "networks": "harborlight networks",
}
# What a consumer needs from each stage, in "`report` needs scores".
PRODUCTS = {"ingest": "records", "resolve": "resolved entities", "score": "scores", "networks": "networks"}
# The stages each stage reads from (score is read by networks only when it has run).
UPSTREAM = {"ingest": (), "resolve": ("ingest",), "score": ("resolve",), "networks": ("resolve",)}


@dataclass(frozen=True)
class StageState:
    stage: str
    run_id: int | None
    run_at: datetime | None
    current: bool
    reason: str | None = None  # why it is not current, or why it has not run
    command: str | None = None  # what to run to make it current

    @property
    def ran(self) -> bool:
        return self.run_id is not None

    def describe(self) -> str:
        """One line for `status`."""
        if not self.ran:
            return f"not run: run `{self.command}`" if self.command else "not run"
        when = f"run {self.run_id} at {self.run_at:%Y-%m-%d %H:%M}" if self.run_at else f"run {self.run_id}"
        if self.current:
            return f"{when}, current"
        return f"{when}, STALE: {self.reason}: run `{self.command}` again"


def _ingest(run: StageRun | None) -> StageState:
    if run is None:
        return StageState("ingest", None, None, False, "no records loaded", COMMANDS["ingest"])
    return StageState("ingest", run.run_id, run.run_at, True)


# Why a stage is stale when records it reads were loaded after its run.
RECORDS_LOADED = {
    "resolve": "records were loaded after the last resolve",
    "score": "records that scores read (reviews, hotline signals, listings, licenses) were loaded after scoring",
    "networks": "records were loaded after the networks were found",
}


def _stage(warehouse: Warehouse, stage: str, run: StageRun | None, states: dict[str, StageState],
           reads: dict[str, str]) -> StageState:
    """A stage is stale when a stage it reads is, when it read an older run than that stage's
    latest (`reads` maps each upstream stage to the reason), or when records it reads changed."""
    if run is None:
        return StageState(stage, None, None, False, f"{PRODUCTS[stage]} are not made yet", COMMANDS[stage])
    for upstream, changed in reads.items():
        state = states[upstream]
        if state.ran and not state.current:
            return StageState(stage, run.run_id, run.run_at, False, state.reason, state.command)
        if run.upstream.get(upstream) != state.run_id:
            return StageState(stage, run.run_id, run.run_at, False, changed, COMMANDS[stage])
    if run.input_fingerprint != records_fingerprint(warehouse, stage):
        return StageState(stage, run.run_id, run.run_at, False, RECORDS_LOADED[stage], COMMANDS[stage])
    return StageState(stage, run.run_id, run.run_at, True)


def freshness(warehouse: Warehouse) -> dict[str, StageState]:
    """Each stage, in pipeline order: whether it ran, when, whether it is current, and if not why
    and the command that makes it current."""
    runs = latest_runs(warehouse)
    states: dict[str, StageState] = {}
    states["ingest"] = _ingest(runs.get("ingest"))
    states["resolve"] = _stage(warehouse, "resolve", runs.get("resolve"), states, {})
    states["score"] = _stage(warehouse, "score", runs.get("score"), states, {
        "resolve": "entities were resolved again after scoring",
    })
    states["networks"] = _stage(warehouse, "networks", runs.get("networks"), states, {
        "resolve": "entities were resolved again after the networks were found",
        "score": "businesses were scored again after the networks were found",
    })
    return states


def require_fresh(warehouse: Warehouse, *stages: str, what: str = "this command", if_run: tuple[str, ...] = ()) -> None:
    """Raise `Stale` unless every stage in `stages` has run and is current, and every stage in
    `if_run` that has run is current. The message names `what` and the command to run."""
    states = freshness(warehouse)
    needed = set(stages) | {s for s in if_run if states[s].ran}
    for stage in list(needed):
        needed |= set(UPSTREAM[stage])
    for stage in STAGES:
        if stage not in needed:
            continue
        state = states[stage]
        if not state.ran:
            raise Stale(f"`{what}` needs {PRODUCTS[stage]}: run `{state.command}` first")
        if not state.current:
            raise Stale(f"{state.reason}: run `{state.command}` again")
