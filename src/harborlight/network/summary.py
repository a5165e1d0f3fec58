"""The network list as an analyst scans it: where each network is, and what its businesses are called.

`networks` used to print ids and counts only; an analyst could not tell a Tampa network from a
Denver one without opening each. A summary adds the cities the network spans (most businesses
first) and the names of its highest-risk businesses, and the list says what "strongest" means.
Only businesses are named here: people appear as a count.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from harborlight.protection import Protection
from harborlight.terminal import strip_controls
from harborlight.warehouse import Warehouse

# What the list is ordered by; the same order `networks_sql` (network/detect.py) writes and the report keeps.
ORDERING = ("strongest first: by risk (its riskiest business's risk_score, compared unrounded), "
            "then by number of businesses")
TOP_NAMES = 3  # business names shown per network
NAME_CHARS = 24  # each name cut to this many characters, so two lines of a network fit 80 columns
WIDTH = 80


@dataclass
class NetworkSummary:
    network_id: str
    n_businesses: int
    n_persons: int
    risk_score: float | None
    cities: list[str] = field(default_factory=list)  # "Tampa, FL", most businesses first
    top_names: list[str] = field(default_factory=list)  # its highest-risk businesses' names, riskiest first


def network_summaries_sql(scored: bool) -> str:
    """The first `?` networks in the stored order, each with its cities (most businesses first) and its
    businesses' names, riskiest first. Cities and names are read from `entities`, as the network view shows them."""
    risk = "s.risk_score" if scored else "NULL::DOUBLE"
    join = "LEFT JOIN business_scores s ON s.entity_id = m.business_id" if scored else ""
    return f"""
    WITH top AS (
      SELECT network_id, n_businesses, n_persons, risk_score,
             row_number() OVER (ORDER BY risk_score DESC NULLS LAST, n_businesses DESC, network_id) AS rank
      FROM networks
      QUALIFY rank <= ?
    ),
    members AS (
      SELECT m.network_id, e.name, e.city, e.state, {risk} AS risk_score, m.business_id
      FROM network_members m JOIN top USING (network_id)
      JOIN entities e ON e.entity_id = m.business_id {join}
    ),
    places AS (
      SELECT network_id, list(place ORDER BY n DESC, place) AS cities FROM (
        SELECT network_id, trim(coalesce(city, '')) || CASE WHEN state IS NULL THEN '' ELSE ', ' || upper(state) END
               AS place, count(*) AS n
        FROM members WHERE city IS NOT NULL GROUP BY ALL
      ) GROUP BY network_id
    ),
    named AS (
      SELECT network_id, list(name ORDER BY risk_score DESC NULLS LAST, business_id) AS names
      FROM members WHERE name IS NOT NULL GROUP BY network_id
    )
    SELECT t.network_id, t.n_businesses, t.n_persons, t.risk_score, coalesce(p.cities, []), coalesce(n.names, [])
    FROM top t LEFT JOIN places p USING (network_id) LEFT JOIN named n USING (network_id)
    ORDER BY t.rank"""


def network_summaries(warehouse: Warehouse, top: int = 20, protection: Protection | None = None) -> list[NetworkSummary]:
    """The `top` strongest networks, each with its cities and its top business names. A business may be
    named after the worker signed up as its officer: names leave through `Protection.redact`."""
    if not warehouse.table_exists("networks"):
        return []
    sql = network_summaries_sql(warehouse.table_exists("business_scores"))
    redact = (protection or Protection(warehouse)).redact
    return [
        NetworkSummary(nid, n_businesses, n_persons, risk, _distinct_titles(cities),
                       _distinct([redact(n) for n in names])[:TOP_NAMES])
        for nid, n_businesses, n_persons, risk, cities, names in warehouse.rows(sql, [top])
    ]


def _distinct(values: list[str]) -> list[str]:
    """In order, without repeats (two businesses may share a trading name)."""
    return list(dict.fromkeys(values))


def _distinct_titles(places: list[str]) -> list[str]:
    """Cities as one spelling each ("TAMPA, FL" and "Tampa, FL" are one city), in title case when shouted."""
    seen: dict[str, str] = {}
    for place in places:
        city, _, state = place.partition(", ")
        shown = (city.title() if city.isupper() else city) + (f", {state}" if state else "")
        seen.setdefault(shown.upper(), shown)
    return list(seen.values())


def _clean(text: str) -> str:
    """Record text as one printable line: no escape codes or control characters, whitespace folded."""
    return " ".join(strip_controls(text).split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fit(parts: list[str], room: int, sep: str = ", ") -> str:
    """As many of `parts` as fit in `room` characters, joined by `sep`, with "+N more" for the rest."""
    shown: list[str] = []
    for i, part in enumerate(parts):
        rest = len(parts) - i - 1
        candidate = sep.join([*shown, part]) + (f" (+{rest} more)" if rest else "")
        if len(candidate) > room and shown:
            return sep.join(shown) + f" (+{len(parts) - i} more)"
        shown.append(part)
    return _cut(sep.join(shown), room)


def summary_lines(summaries: list[NetworkSummary], width: int = WIDTH) -> list[str]:
    """The list as plain lines no longer than `width`: per network, its id and counts, then where it is,
    then its riskiest business names."""
    lines = [*textwrap.wrap(f"Networks, {ORDERING}.", width), ""]
    indent = " " * 5
    for rank, s in enumerate(summaries, 1):
        risk = "unscored" if s.risk_score is None else f"risk {s.risk_score:.3f}"
        lines.append(_cut(f"{rank:>3}. {s.network_id}  {risk}  {s.n_businesses:,} businesses  "
                          f"{s.n_persons:,} persons", width))
        room = width - len(indent) - len("in ")
        lines.append(indent + "in " + (_fit([_clean(c) for c in s.cities], room, "; ") if s.cities else "no city on record"))
        names = [_cut(_clean(n), NAME_CHARS) for n in s.top_names]
        if names:
            lines.append(indent + _fit(names, width - len(indent)))
    return lines


# How each kind of control evidence reads (network/controllers.py's QUALIFYING_EVIDENCE).
EVIDENCE_WORDS = {
    "manager_role": "named manager",
    "registered_agent": "registered agent",
    "holdings": "officer of a managing company",
    "network_address": "their address on the network's filings",
}
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five")


def controller_parts_sql(scored: bool) -> str:
    """The parts of each ranked controller's score in one network (see network/controllers.py):
    the qualifying kinds of control evidence, the high-risk businesses reached (all businesses when
    none is high risk), and persistence across successors at one premises."""
    from harborlight.network.controllers import PERSISTENCE, qualified_evidence_sql

    high = "coalesce(s.risk_band = 'high', FALSE)" if scored else "FALSE"
    scores = "LEFT JOIN business_scores s ON s.entity_id = m.business_id" if scored else ""
    return f"""
    WITH kinds AS (
      SELECT person_id, list(DISTINCT evidence ORDER BY evidence) AS kinds
      FROM ({qualified_evidence_sql()}) WHERE network_id = ? GROUP BY person_id
    ),
    members AS (
      SELECT m.business_id, {high} AS high FROM network_members m {scores} WHERE m.network_id = ?
    ),
    totals AS (SELECT count(*) FILTER (WHERE high) AS n_high, count(*) AS n_all FROM members),
    reach AS (
      SELECT t.person_id, count(DISTINCT t.business_id) AS businesses,
             count(DISTINCT t.business_id) FILTER (WHERE m.high) AS high_businesses
      FROM person_ties t JOIN members m USING (business_id) GROUP BY t.person_id
    ),
    persistent AS (
      SELECT DISTINCT person_id FROM control_evidence WHERE network_id = ? AND evidence = '{PERSISTENCE}'
    )
    SELECT np.person_id, np.controller_score, coalesce(k.kinds, []), coalesce(r.businesses, 0),
           coalesce(r.high_businesses, 0), t.n_high, t.n_all, p.person_id IS NOT NULL
    FROM network_persons np CROSS JOIN totals t
    LEFT JOIN kinds k USING (person_id) LEFT JOIN reach r USING (person_id) LEFT JOIN persistent p USING (person_id)
    WHERE np.network_id = ? AND NOT np.protected
    ORDER BY np.controller_score DESC, np.person_id"""


def score_words(score: float, kinds: list[str], reached: int, of: int, high_risk: bool, persistent: bool) -> str:
    """ "0.80: two kinds of control evidence (registered agent, named manager), reaches 3 of 4 high-risk
    businesses": a controller's score and what it is made of, in words."""
    count = _NUMBER_WORDS[len(kinds)] if len(kinds) < len(_NUMBER_WORDS) else str(len(kinds))
    evidence = f"{count} kind{'' if len(kinds) == 1 else 's'} of control evidence"
    if kinds:
        evidence += " (" + ", ".join(EVIDENCE_WORDS.get(k, k.replace("_", " ")) for k in kinds) + ")"
    reach = f"reaches {reached} of {of} {'high-risk ' if high_risk else ''}businesses"
    persistence = "; stayed on as one business succeeded another at the same premises" if persistent else ""
    return f"{score:.2f}: {evidence}, {reach}{persistence}"


def controller_explanations(warehouse: Warehouse, network_id: str) -> dict[str, str]:
    """person id -> the controller's score explained in words, for every ranked controller of a network."""
    needed = ("network_persons", "person_ties", "control_evidence", "network_members")
    if not all(warehouse.table_exists(t) for t in needed):
        return {}
    sql = controller_parts_sql(warehouse.table_exists("business_scores"))
    return {
        person_id: score_words(score, list(kinds), high if n_high else businesses, n_high or n_all, bool(n_high), persistent)
        for person_id, score, kinds, businesses, high, n_high, n_all, persistent
        in warehouse.rows(sql, [network_id, network_id, network_id, network_id])
    }
