"""Corroboration: no single source can put a business in the high band.

Sex buyers post about legitimate spas too, by mistake, from wishful thinking or to
harass, and Asian-owned spas and reflexology shops draw most of those posts. One such
board post fires both `sex_buyer_board_listing` and `sexual_service_language`, which on
their own add +5 to the log-odds. If that were enough for the high band, the score
would reproduce the profiling that worker advocates document.

So the high band needs evidence from at least two independent kinds of source, each of
which weighs enough on its own to count (`MIN_KIND_LOG_ODDS`):

- The kind of a source is who is speaking: a sex-buyer review board (its listings and
  the posts on them), a general review site, an ad site, a directory, the licensing
  board, the hotline, the premises' history in the registries, or the network stage.
- A record counts once, whatever number of indicators it supports: one post that
  mentions a locked door and an all-male clientele is one witness, weighing as much as
  the strongest indicator it supports. Records of one kind add up.
- Only witnesses of conduct at the business corroborate. What a business says about
  itself (late hours, low prices, advertising with no license on file) and the history
  of its address (other businesses before it there) support the score but do not
  corroborate (`NOT_WITNESSES`): each is common among legitimate businesses, and an
  address's past says nothing about who runs it now.
- A kind counts when its records add up to at least `MIN_KIND_LOG_ODDS`. That leaves
  out, alone, a probation (+0.6) or a single mild cue in one review (+0.8).

A business short of this is held just below the high band: its band is `elevated` at
most and its score is capped at `HELD_BELOW_HIGH` under the high threshold, so that
the score and the band agree. `business_scores.source_kinds` says which kinds counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from harborlight.warehouse import Warehouse

MIN_KINDS = 2
MIN_KIND_LOG_ODDS = 1.0
# Indicators that support the score but witness no conduct at the business.
NOT_WITNESSES = frozenset({"late_night_hours", "price_below_local_market", "unlicensed_advertising", "premises_churn"})
HELD_BELOW_HIGH = 1e-3  # a held score sits this far under the high threshold


def evidence_source_kinds_sql() -> str:
    """Every evidence row with the kind of source its record came from.

    Listings and reviews take the kind of the site they are on (a post on a review
    board is the board speaking, as its listing is); the other record types are their
    own kind. A network-stage indicator keeps its record type as its kind."""
    return """
    SELECT e.entity_id, e.indicator_id, e.strength, e.record_type, e.source, e.record_id,
           CASE e.record_type
             WHEN 'listings' THEN coalesce(l.site_kind, 'listing')
             WHEN 'reviews' THEN coalesce(rl.site_kind, 'listing')
             WHEN 'hotline_signals' THEN 'hotline'
             WHEN 'licenses' THEN 'licensing'
             ELSE e.record_type
           END AS source_kind
    FROM indicator_evidence e
    LEFT JOIN listings l ON e.record_type = 'listings' AND l.source = e.source AND l.record_id = e.record_id
    LEFT JOIN reviews r ON e.record_type = 'reviews' AND r.source = e.source AND r.record_id = e.record_id
    LEFT JOIN listings rl ON rl.source = r.source AND rl.record_id = r.listing_record_id
    ORDER BY e.entity_id, e.record_type, e.source, e.record_id, e.indicator_id"""


@dataclass(frozen=True)
class Corroboration:
    """How much each kind of source says about one business, records counted once."""

    by_kind: dict[str, float]  # source kind -> log-odds of its records, each record at its strongest

    @property
    def counted(self) -> list[str]:
        """The kinds that weigh enough to count, strongest first."""
        kinds = [k for k, v in self.by_kind.items() if v >= MIN_KIND_LOG_ODDS]
        return sorted(kinds, key=lambda k: (-self.by_kind[k], k))

    @property
    def corroborated(self) -> bool:
        return len(self.counted) >= MIN_KINDS


def corroboration(warehouse: Warehouse, weights: dict[str, float]) -> dict[str, Corroboration]:
    """Each business with evidence, and what each kind of source says about it under `weights`.

    A record's weight is the largest positive contribution among the witnessing indicators
    it supports (strength x weight), so indicators from one record count once."""
    per_record: dict[tuple[str, str, tuple[str, str, str]], float] = defaultdict(float)
    for entity_id, indicator_id, strength, record_type, source, record_id, kind in warehouse.rows(
        evidence_source_kinds_sql()
    ):
        if indicator_id in NOT_WITNESSES:
            continue
        contribution = weights.get(indicator_id, 0.0) * strength
        key = (entity_id, kind, (record_type, source, record_id))
        per_record[key] = max(per_record[key], contribution)
    by_entity: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (entity_id, kind, _), contribution in sorted(per_record.items()):
        if contribution > 0:
            by_entity[entity_id][kind] += contribution
    return {e: Corroboration(dict(kinds)) for e, kinds in by_entity.items()}
