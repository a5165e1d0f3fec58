"""The indicators: things a business does, each with its evidence.

Every indicator has an id, a label, a default weight (log-odds it adds at full strength)
and a function that returns its evidence: one row per source record that triggered it,
as (entity_id, strength 0..1, record_type, source, record_id, excerpt).

What no indicator reads: a person's name, a business's name, or any word for an
ethnicity, a nationality or a language. Business names are used only to find which
business a hotline signal concerns, never as evidence. Tests swap names and add and remove
such words, and require every score to stay the same.

Network context (shared control with high-risk businesses) belongs to the network
stage: it adds rows to `indicator_evidence` under its own indicator ids, registered
through `EXTRA_INDICATORS`, and scoring picks them up. Nothing here imports it.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from harborlight.indicators.lexicon import TermGroup, term_groups
from harborlight.indicators.parsing import parse_hours, parse_price
from harborlight.resolve.normalize import normalize_business_name, normalize_phone
from harborlight.warehouse import Warehouse

EvidenceRow = tuple[str, float, str, str, str, str]
EXCERPT_CHARS = 160


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    weight: float
    evidence: Callable[[Warehouse], list[EvidenceRow]]
    why: str  # one sentence: why this conduct is a signal


# -- listings -------------------------------------------------------------------------------
def review_board_listing_sql() -> str:
    return """
    SELECT bm.entity_id, 1.0, 'listings', l.source, l.record_id,
           'listed on a sex-buyer review board: ' || coalesce(l.url, l.source || ':' || l.record_id)
    FROM listings l
    JOIN business_mentions bm ON bm.record_type = 'listings' AND bm.source = l.source AND bm.record_id = l.record_id
    WHERE l.site_kind = 'review_board'"""


def _review_board(warehouse: Warehouse) -> list[EvidenceRow]:
    return warehouse.rows(review_board_listing_sql())


# -- words in reviews and ads ---------------------------------------------------------------
def text_match_sql(has_phrases: bool, has_abbreviations: bool, has_exceptions: bool = False) -> str:
    """Reviews and posts about a business's listings that match a term group (and, with
    `has_exceptions`, match none of the phrases of its exception group)."""
    conditions = []
    if has_phrases:
        conditions.append("regexp_matches(r.text, ?, 'i')")
    if has_abbreviations:
        conditions.append("regexp_matches(r.text, ?)")
    unless = "AND NOT regexp_matches(r.text, ?, 'i')" if has_exceptions else ""
    return f"""
    SELECT bm.entity_id, 1.0, 'reviews', r.source, r.record_id, substr(r.text, 1, {EXCERPT_CHARS})
    FROM reviews r
    JOIN business_mentions bm
      ON bm.record_type = 'listings' AND bm.source = r.source AND bm.record_id = r.listing_record_id
    WHERE ({' OR '.join(conditions)}) {unless}"""


def _text(group: str, unless: str | None = None) -> Callable[[Warehouse], list[EvidenceRow]]:
    """Evidence from reviews matching `group`, except those matching the phrases of `unless`."""

    def evidence(warehouse: Warehouse) -> list[EvidenceRow]:
        terms: TermGroup = term_groups()[group]
        params = [p for p in (terms.phrase_pattern(), terms.abbreviation_pattern()) if p]
        exceptions = term_groups()[unless].phrase_pattern() if unless else None
        sql = text_match_sql(bool(terms.phrases), bool(terms.abbreviations), exceptions is not None)
        return warehouse.rows(sql, params + ([exceptions] if exceptions else []))

    return evidence


# -- hours and prices -----------------------------------------------------------------------
def listing_field_sql(column: str) -> str:
    return f"""
    SELECT bm.entity_id, l.source, l.record_id, l.{column}, upper(coalesce(l.city, '')) || '|' || upper(coalesce(l.state, ''))
    FROM listings l
    JOIN business_mentions bm ON bm.record_type = 'listings' AND bm.source = l.source AND bm.record_id = l.record_id
    WHERE l.{column} IS NOT NULL"""


LATE_CLOSING = 23 * 60


def hours_strength(text: str) -> float:
    """1 for past midnight or around the clock, 0.7 for closing at 11 pm, 0.5 for on call."""
    hours = parse_hours(text)
    if hours is None:
        return 0.0
    if hours.always_open or (hours.closes is not None and hours.closes >= 24 * 60):
        return 1.0
    if hours.closes is not None and hours.closes >= LATE_CLOSING:
        return 0.7
    return 0.5 if hours.on_call else 0.0


def _late_hours(warehouse: Warehouse) -> list[EvidenceRow]:
    rows = []
    for entity_id, source, record_id, text, _ in warehouse.rows(listing_field_sql("hours")):
        strength = hours_strength(text)
        if strength:
            rows.append((entity_id, strength, "listings", source, record_id, f"hours: {text[:EXCERPT_CHARS]}"))
    return rows


MIN_LOCAL_PRICES = 8  # fewer priced listings in a city than this: compare with all listings


def _cheap(warehouse: Warehouse) -> list[EvidenceRow]:
    priced = []
    for entity_id, source, record_id, text, place in warehouse.rows(listing_field_sql("price")):
        hourly = parse_price(text)
        if hourly:
            priced.append((entity_id, source, record_id, text, place, hourly))
    if not priced:
        return []
    by_place: dict[str, list[float]] = defaultdict(list)
    for *_, place, hourly in priced:
        by_place[place].append(hourly)
    overall = statistics.median(p[-1] for p in priced)
    # Each place's median once: computed per listing, a city of n priced listings cost n sorts of n.
    medians = {place: statistics.median(local) if len(local) >= MIN_LOCAL_PRICES else overall
               for place, local in by_place.items()}
    rows = []
    for entity_id, source, record_id, text, place, hourly in priced:
        median = medians[place]
        ratio = hourly / median
        strength = 1.0 if ratio < 0.6 else 0.5 if ratio < 0.75 else 0.0
        if strength:
            note = f"price: {text[:60]} (about ${hourly:.0f}/hour; local median ${median:.0f})"
            rows.append((entity_id, strength, "listings", source, record_id, note))
    return rows


# -- premises, licenses, hotline ------------------------------------------------------------
def premises_churn_sql() -> str:
    """Another business closed at these premises before this one opened, or opened after it closed,
    within five years. Overlapping periods are not churn: they are more likely one business
    whose records were not joined."""
    return """
    SELECT a.entity_id, CASE WHEN count(DISTINCT b.entity_id) >= 2 THEN 1.0 ELSE 0.6 END,
           'premises', 'premises', a.premises_id,
           'premises hosted ' || (count(DISTINCT b.entity_id) + 1) || ' businesses in turn within five years'
    FROM business_premises a
    JOIN business_premises b ON b.premises_id = a.premises_id AND b.entity_id <> a.entity_id
    WHERE (b.last_seen IS NOT NULL AND b.last_seen <= a.first_seen AND a.first_seen - b.last_seen <= 5 * 365)
       OR (a.last_seen IS NOT NULL AND a.last_seen <= b.first_seen AND b.first_seen - a.last_seen <= 5 * 365)
    GROUP BY a.entity_id, a.premises_id"""


def _churn(warehouse: Warehouse) -> list[EvidenceRow]:
    return warehouse.rows(premises_churn_sql())


def license_problem_sql() -> str:
    return """
    SELECT bm.entity_id,
           CASE WHEN l.status IN ('revoked', 'suspended') THEN 1.0 ELSE 0.6 END,
           'licenses', l.source, l.record_id,
           'establishment license ' || coalesce(l.status, 'status unknown')
             || coalesce('; discipline: ' || substr(l.discipline, 1, 120), '')
    FROM licenses l
    JOIN business_mentions bm ON bm.record_type = 'licenses' AND bm.source = l.source AND bm.record_id = l.record_id
    WHERE l.license_type = 'establishment'
      AND (l.status IN ('revoked', 'suspended', 'probation') OR l.discipline IS NOT NULL)"""


def _license_problem(warehouse: Warehouse) -> list[EvidenceRow]:
    return warehouse.rows(license_problem_sql())


def unlicensed_advertising_sql() -> str:
    """Businesses advertised on ad sites or review boards with no establishment license on file."""
    return """
    SELECT bm.entity_id, 1.0, 'listings', l.source, l.record_id,
           'advertised on ' || l.site_kind || ' with no establishment license on file'
    FROM listings l
    JOIN business_mentions bm ON bm.record_type = 'listings' AND bm.source = l.source AND bm.record_id = l.record_id
    WHERE l.site_kind IN ('ad_site', 'review_board')
      AND NOT EXISTS (
        SELECT 1 FROM business_mentions e WHERE e.entity_id = bm.entity_id AND e.record_type = 'licenses'
      )"""


def _unlicensed(warehouse: Warehouse) -> list[EvidenceRow]:
    return warehouse.rows(unlicensed_advertising_sql())


# What a tip reports decides how much it weighs: coercion, control or the conduct cues
# below count in full; a tip that reports none of them (a caller unsure whether a spa is
# legitimate, a complaint about parking) shows someone's concern, not conduct.
TIP_REPORT_GROUPS = (
    "control_reported", "workers_live_on_site", "covered_windows", "locked_door_buzzer",
    "all_male_clientele", "worker_turnover", "sexual_service_language",
)
TIP_WITHOUT_CONDUCT = 0.4


def tip_categories(text: str | None) -> tuple[str, ...]:
    """The report groups (`TIP_REPORT_GROUPS`) a hotline contact's text matches: the only thing about the
    text that leaves the case file. Codes name conduct (`control_reported`, `workers_live_on_site`), never
    a person, so they can travel with a de-identified signal."""
    found = []
    for group in TIP_REPORT_GROUPS:
        terms = term_groups()[group]
        phrases, abbreviations = terms.phrase_pattern(), terms.abbreviation_pattern()
        if (phrases and re.search(phrases, text or "", re.IGNORECASE)) or (
            abbreviations and re.search(abbreviations, text or "")
        ):
            found.append(group)
    return tuple(found)


def tip_strength(text: str | None) -> float:
    """1 when a tip's text reports coercion, control or a conduct cue; TIP_WITHOUT_CONDUCT otherwise.

    The text is matched here and never copied anywhere: a tip can carry a survivor's details."""
    return 1.0 if tip_categories(text) else TIP_WITHOUT_CONDUCT


def hotline_signals_sql() -> str:
    return "SELECT source, record_id, business_name, phone, received_on, categories FROM hotline_signals"


def _hotline(warehouse: Warehouse) -> list[EvidenceRow]:
    """Hotline signals that name a business's name or phone, when that points to exactly one business.

    The warehouse holds no tip text: a tip's text stays in its case, and the signal carries the conduct
    codes the text matched (`tip_categories`); those weigh the tip, as `tip_strength` would.
    """
    by_name: dict[str, set[str]] = defaultdict(set)
    by_phone: dict[str, set[str]] = defaultdict(set)
    for entity_id, name, phone in warehouse.rows("SELECT entity_id, name, phone FROM business_mentions"):
        if name:
            by_name[name].add(entity_id)
        if phone:
            by_phone[phone].add(entity_id)
    rows = []
    for source, record_id, name, phone, received, categories in warehouse.rows(hotline_signals_sql()):
        named = by_name.get(normalize_business_name(name) or "", set())
        called = by_phone.get(normalize_phone(phone) or "", set())
        candidates = (named & called) or (called if len(called) == 1 else set()) or (named if len(named) == 1 else set())
        if len(candidates) == 1:
            (entity_id,) = candidates
            strength = 1.0 if categories else TIP_WITHOUT_CONDUCT
            what = "reports coercion or conduct" if strength == 1.0 else "reports no conduct"
            note = f"hotline contact on {received:%Y-%m-%d}, {what} (case details stay with the advocates)"
            rows.append((entity_id, strength, "hotline_signals", source, record_id, note))
    return rows


CONDUCT_CUES = {
    "locked_door_buzzer": ("Locked door with a buzzer", 1.0),
    "all_male_clientele": ("Almost entirely male clientele", 1.0),
    "tip_pressure": ("Pressure for large tips", 0.8),
    "workers_live_on_site": ("Workers living on the premises", 1.5),
    "worker_turnover": ("Constant turnover of workers", 1.0),
    "covered_windows": ("Covered windows", 0.8),
    "cash_only": ("Cash only, no receipts", 0.5),
}

INDICATORS: tuple[Indicator, ...] = (
    Indicator("sex_buyer_board_listing", "Listed on a sex-buyer review board", 2.0, _review_board,
              "Buyers review businesses that sell sex on these boards (Polaris 2018); a listing alone can be "
              "a mistake, so what the posts describe weighs more."),
    Indicator("sexual_service_language", "Sexual-service language in reviews or ads", 3.0,
              _text("sexual_service_language", unless="no_sexual_service_reported"),
              "Buyers describe the services bought in coded terms. A post that says none was offered, or "
              "only guesses, is not evidence of one."),
    *(
        Indicator(cue, label, weight, _text(cue), "A conduct indicator listed by Polaris (2018).")
        for cue, (label, weight) in CONDUCT_CUES.items()
    ),
    Indicator("late_night_hours", "Late-night, around-the-clock or on-call hours", 0.8, _late_hours,
              "IMBs keep late or on-call hours (Polaris 2018); some legitimate spas do too, hence the low weight."),
    Indicator("price_below_local_market", "Price well below the local median", 0.8, _cheap,
              "Prices well below the local market are a Polaris indicator; cheap foot spas keep the weight low."),
    Indicator("premises_churn", "Businesses closing and reopening at the same premises", 1.2, _churn,
              "Exposed IMBs close and reopen at the same premises under a new name (Polaris 2018)."),
    Indicator("license_problem", "License revoked, suspended, on probation or disciplined", 1.0, _license_problem,
              "Regulators' findings against the establishment."),
    Indicator("unlicensed_advertising", "Advertising without an establishment license", 0.5, _unlicensed,
              "Advertising where buyers look, with no license on file."),
    Indicator("hotline_tip", "Hotline tip about the business", 1.5, _hotline,
              "Someone reported the business to the hotline; a tip that reports no coercion or conduct "
              "counts 0.4 of the weight."),
)

# Indicators added by later stages (network context); each appends to this list.
EXTRA_INDICATORS: list[Indicator] = []

# Second pass: evidence that depends on other businesses' first-pass scores.
CO_LOCATED = Indicator(
    "co_located_with_flagged_business",
    "Active at the same premises, at the same time, as a flagged business",
    2.0,
    lambda warehouse: [],  # filled by scoring.py from the first pass
    "Records of one business that resolution did not join share its premises and its dates.",
)
CO_LOCATED_FROM_LOG_ODDS = 0.0  # a neighbour counts as flagged from a first-pass probability of 0.5


def co_located_sql() -> str:
    """Pairs of businesses at the same premises whose active periods overlap."""
    return """
    SELECT a.entity_id, b.entity_id, a.premises_id
    FROM business_premises a
    JOIN business_premises b ON b.premises_id = a.premises_id AND b.entity_id <> a.entity_id
    WHERE coalesce(a.first_seen, DATE '1900-01-01') <= coalesce(b.last_seen, DATE '9999-12-31')
      AND coalesce(b.first_seen, DATE '1900-01-01') <= coalesce(a.last_seen, DATE '9999-12-31')"""


def all_indicators() -> tuple[Indicator, ...]:
    return INDICATORS + tuple(EXTRA_INDICATORS) + (CO_LOCATED,)
