"""Why a business scored what it scored: each indicator that fired, its contribution, its records."""

from __future__ import annotations

from dataclasses import dataclass, field

from harborlight.protection import Protection
from harborlight.stages import require_fresh
from harborlight.warehouse import Warehouse


@dataclass
class FiredIndicator:
    indicator_id: str
    contribution: float  # log-odds
    evidence: list[tuple[str, str, str, str]] = field(default_factory=list)  # record_type, source, record_id, excerpt


@dataclass
class RiskExplanation:
    entity_id: str
    risk_score: float
    risk_band: str
    intercept: float
    log_odds: float
    fired: list[FiredIndicator]
    source_kinds: list[str] = field(default_factory=list)  # independent kinds of source that count
    held_below_high: bool = False  # the score alone reached high, but on fewer than two kinds of source


def explain_risk(warehouse: Warehouse, entity_id: str, protection: Protection | None = None) -> RiskExplanation | None:
    """None when the business has not been scored; `Stale` when the scores are older than what they read.
    A caller that holds the warehouse's `Protection` passes it: deciding it again is the costly part."""
    if not warehouse.table_exists("business_scores"):
        return None
    require_fresh(warehouse, "resolve", what="explain", if_run=("score",))
    found = warehouse.rows(
        "SELECT risk_score, risk_band, log_odds, source_kinds, held_below_high FROM business_scores WHERE entity_id = ?",
        [entity_id],
    )
    if not found:
        return None
    risk_score, band, log_odds, kinds, held = found[0]
    weights = dict(warehouse.rows("SELECT indicator_id, weight FROM score_model"))
    protection = protection or Protection(warehouse)
    fired = []
    for indicator_id, strength in warehouse.rows(
        "SELECT indicator_id, max(strength) FROM indicator_evidence WHERE entity_id = ? GROUP BY 1", [entity_id]
    ):
        # Excerpts are record text (reviews, tips): a protected person's name in them is redacted.
        records = [(t, s, r, protection.redact(excerpt)) for t, s, r, excerpt in warehouse.rows(
            "SELECT record_type, source, record_id, excerpt FROM indicator_evidence "
            "WHERE entity_id = ? AND indicator_id = ? ORDER BY strength DESC, source, record_id",
            [entity_id, indicator_id],
        )]
        fired.append(FiredIndicator(indicator_id, weights.get(indicator_id, 0.0) * strength, records))
    fired.sort(key=lambda f: (-f.contribution, f.indicator_id))
    kinds = [k for k in (kinds or "").split(";") if k]
    return RiskExplanation(entity_id, risk_score, band, weights.get("(intercept)", 0.0), log_odds, fired, kinds, held)


def risk_text(risk: RiskExplanation, max_records: int = 5) -> list[str]:
    lines = ["", f"risk: {risk.risk_score:.3f} ({risk.risk_band}); log-odds {risk.log_odds:+.2f}",
             f"  {'baseline (no evidence)':<44} {risk.intercept:+7.2f}"]
    for f in risk.fired:
        lines.append(f"  {f.indicator_id:<44} {f.contribution:+7.2f}")
        for record_type, source, record_id, excerpt in f.evidence[:max_records]:
            lines.append(f"      {record_type}:{source}:{record_id}  {excerpt}")
        if len(f.evidence) > max_records:
            lines.append(f"      ... and {len(f.evidence) - max_records} more")
    if not risk.fired:
        lines.append("  no indicator fired")
    kinds = ", ".join(k.replace("_", " ") for k in risk.source_kinds) or "none"
    lines.append(f"  independent kinds of source that count: {kinds}")
    if risk.held_below_high:
        lines.append("  held below the high band: the evidence needs a second, independent kind of source")
    return lines
