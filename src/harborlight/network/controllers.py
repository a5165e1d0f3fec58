"""Who controls each network: persons ranked only on evidence of control; everyone else protected.

Candidates are the persons tied to a network's businesses as officers or registered
agents, directly or as officers of a company that manages a member business. Workers
(tied only by a therapist license) are never candidates.

Officer titles alone (president, director, secretary, owner...) are the classic nominee
pattern: a worker or a straw person signed up on a filing. A person is ranked as a controller
only on evidence of control (`control_evidence`), one of:

- `manager_role`: named as manager on members' filings;
- `registered_agent`: the registered agent of members' filings;
- `holdings`: officer of a company that is an officer or manager of member businesses;
- `network_address`: an address of theirs is members' filing mailing or registered-agent
  address, and is neither a business premises nor the address on a therapist license (a
  place where workers work or live says nothing about control).

Self-agency (agent of, or address on, a filing the person signs as officer) never qualifies
alone: that is what a nominee signed up as president and agent at her home shows
(`qualified_evidence_sql`).

Each must span at least two of the network's businesses (MIN_EVIDENCE_BUSINESSES), from one
address where the evidence has one: a nominee is often the registered agent of the one filing
she signs, at her own home, and one entity that resolution made of two such people with a
common name would otherwise carry the fact twice.

Persistence across successors (tied to two members that succeeded one another at one
premises) is recorded and raises the score, but does not qualify alone: a worker who stays at
a premises through its reopening, signed up on both filings, persists exactly as an owner does.

controller_score = 0.4 x control     (1 with two kinds of evidence or more, 0.5 with one)
                 + 0.4 x reach       (share of the network's high-risk businesses the person
                                      touches; of all its businesses when none is high risk)
                 + 0.2 x persistence (1 when the person spans businesses that succeeded one
                                      another at the same premises)

Probable nominees (`probable_nominees`, read by protection.py) are protected, never ranked:
- a person whose only footprint is one business, inside a network;
- any worker named as an officer;
- a person with officer titles in a network and no evidence of control.
The first and last spare a person whose name (in any romanization) is tied, with evidence
of control for the last, to another business of the same network: that is the controller
whose records resolution left apart. They stay protected (undecided), but are not nominees,
so the name rule in protection.py does not hide the controller. Anyone tied to a network
who is not ranked is protected in `network_persons`.

One person, one controller. Resolution can still leave one person's records in two entities
(a filing with no address, a name in two romanizations). When two ranked controllers of one
network bear the same name (romanization-class key, in any order or romanization, of any of
their records) and share evidence (a member business or an address in `control_evidence`, or
the home address their own records give),
they are one controller: the ties and evidence of the weaker go to the stronger (the union
of their evidence), and the network is ranked again, so it lists the person once, in one row.
Two officers of one filing are never merged, and a protected person never is.

The persons of a network are the rows of `network_persons`: its ranked controllers and the
protected people tied to it (officers, agents and officers of a managing company without
evidence of control, and workers by license). A person tied to two networks is a person of
each. `networks.n_persons`, the `network` view, the report and persons.csv all count these
rows (`network_person_counts_sql`); persons.csv, which has one network_id per person, gives
the smallest id of the person's networks.
"""

from __future__ import annotations

from harborlight.stages import replace_table
from harborlight.warehouse import Warehouse

CONTROL_WEIGHT, REACH_WEIGHT, PERSISTENCE_WEIGHT = 0.4, 0.4, 0.2
# Evidence kinds that qualify a person as a controller, and one that only adds to the score.
QUALIFYING_EVIDENCE = ("manager_role", "registered_agent", "holdings", "network_address")
PERSISTENCE = "persistence_across_successors"


def person_ties_sql() -> str:
    """Each person's ties to businesses as officer or agent, and through a managing company,
    with the role the record gives (an officer's title; `registered_agent` for an agent)."""
    return """
    SELECT g.node_id AS person_id, g.business_id, g.kind,
           CASE WHEN g.kind = 'registered_agent' THEN 'registered_agent' ELSE o.role END AS role,
           g.record_type, g.source, g.record_id
    FROM graph_edges g
    LEFT JOIN officers o ON g.record_type = 'officers' AND o.source = g.source AND o.record_id = g.record_id
    WHERE g.node_kind = 'person' AND g.kind IN ('officer', 'registered_agent')
    UNION ALL
    SELECT p.node_id, c.business_id, 'officer_of_managing_company', o.role, p.record_type, p.source, p.record_id
    FROM graph_edges c
    JOIN graph_edges p ON p.business_id = c.node_id AND p.node_kind = 'person' AND p.kind = 'officer'
    LEFT JOIN officers o ON o.source = p.source AND o.record_id = p.record_id
    WHERE c.node_kind = 'business' AND c.kind = 'officer'"""


def control_evidence_sql() -> str:
    """Evidence that a person controls a network, one row per fact with its source record.

    Addresses compare as resolution normalized them (street and city). A network address is
    the mailing or registered-agent address of a member's filing; it counts for a person only
    when no business premises and no therapist license sits there, because premises and the
    places workers live tie workers to a network as much as anyone."""
    return """
    WITH ties AS (
      SELECT m.network_id, t.* FROM person_ties t JOIN network_members m USING (business_id)
    ),
    member_filings AS (
      SELECT m.network_id, bm.business_id, f.*
      FROM network_members m
      JOIN (SELECT entity_id AS business_id, source, record_id FROM business_mentions WHERE record_type = 'filings') bm
        ON bm.business_id = m.business_id
      JOIN filings f ON f.source = bm.source AND f.record_id = bm.record_id
    ),
    network_addresses AS (
      SELECT network_id, business_id, hl_street(mailing_address) AS street, upper(trim(mailing_city)) AS city,
             source, record_id
      FROM member_filings WHERE mailing_address IS NOT NULL
      UNION
      SELECT mf.network_id, mf.business_id, a.street, a.city, mf.source, mf.record_id
      FROM member_filings mf
      JOIN (SELECT source, record_id, street, city FROM agent_mentions
            UNION ALL
            SELECT source, record_id, street, city FROM person_mentions WHERE record_type = 'registered_agent') a
        ON a.source = mf.source AND a.record_id = mf.record_id
    ),
    worker_places AS (
      SELECT street, city FROM premises
      UNION
      SELECT street, city FROM person_mentions WHERE record_type = 'licenses' AND street IS NOT NULL
    ),
    person_addresses AS (
      SELECT DISTINCT entity_id AS person_id, street, city FROM person_mentions
      WHERE record_type IN ('officers', 'registered_agent') AND street IS NOT NULL
    ),
    candidates AS (SELECT DISTINCT network_id, person_id FROM ties)
    SELECT network_id, person_id, 'manager_role' AS evidence, business_id, NULL AS address_key,
           record_type, source, record_id
    FROM ties WHERE kind = 'officer' AND role = 'manager'
    UNION
    -- The agent's address as this filing gives it: one agent serving several filings from one
    -- address is one person; two people resolution joined by a common name give two addresses.
    SELECT t.network_id, t.person_id, 'registered_agent', t.business_id,
           pm.street || '|' || coalesce(pm.city, ''), t.record_type, t.source, t.record_id
    FROM ties t
    LEFT JOIN person_mentions pm ON pm.record_type = 'registered_agent' AND pm.source = t.source
     AND pm.record_id = t.record_id AND pm.entity_id = t.person_id
    WHERE t.kind = 'registered_agent'
    UNION
    SELECT network_id, person_id, 'holdings', business_id, NULL, record_type, source, record_id
    FROM ties WHERE kind = 'officer_of_managing_company'
    UNION
    SELECT c.network_id, c.person_id, 'network_address', na.business_id, na.street || '|' || coalesce(na.city, ''),
           'filings', na.source, na.record_id
    FROM candidates c
    JOIN person_addresses pa ON pa.person_id = c.person_id
    JOIN network_addresses na ON na.network_id = c.network_id AND na.street = pa.street
     AND na.city IS NOT DISTINCT FROM pa.city
    WHERE NOT EXISTS (SELECT 1 FROM worker_places w WHERE w.street = pa.street AND w.city IS NOT DISTINCT FROM pa.city)
    UNION
    SELECT t1.network_id, t1.person_id, 'persistence_across_successors', t2.business_id, NULL,
           t2.record_type, t2.source, t2.record_id
    FROM ties t1 JOIN ties t2 ON t2.network_id = t1.network_id AND t2.person_id = t1.person_id
    JOIN business_links l ON l.a = least(t1.business_id, t2.business_id) AND l.b = greatest(t1.business_id, t2.business_id)
    WHERE list_contains(l.kinds, 'succeeded_at_same_premises')
    ORDER BY ALL"""


# Evidence must span this many of the network's businesses, from one address where it has one
# (an agent's address, a network address). A nominee is often the registered agent of the one
# filing she signs, at her own home; one person entity that resolution made of two people with a
# common name would then carry one such fact for each, at two addresses.
MIN_EVIDENCE_BUSINESSES = 2


def qualified_evidence_sql() -> str:
    """(network, person, evidence) facts that qualify: a qualifying kind over enough member businesses,
    for a person with at least one fact beyond self-agency in that network.

    Self-agency is being the registered agent of, or giving the address of, a filing one signs as
    an officer. A nominee signed up as president and agent of two filings at her own home shows
    exactly that and nothing else; an owner who acts for their own companies shows it too, so it
    never qualifies alone: such a person stays undecided, and protected. (A state-scale world ranked
    such a worker before this rule; no true controller there rested on self-agency alone.)"""
    kinds = ", ".join(f"'{k}'" for k in QUALIFYING_EVIDENCE)
    return f"""
    WITH own_filings AS (
      SELECT DISTINCT t.person_id, o.source, o.filing_record_id AS record_id
      FROM person_ties t JOIN officers o ON o.source = t.source AND o.record_id = t.record_id
      WHERE t.record_type = 'officers' AND t.kind = 'officer'
    ),
    facts AS (
      SELECT c.*, c.record_type = 'filings' AND c.evidence IN ('registered_agent', 'network_address')
                  AND EXISTS (SELECT 1 FROM own_filings f WHERE f.person_id = c.person_id AND f.source = c.source
                                AND f.record_id = c.record_id) AS self_agency
      FROM control_evidence c WHERE c.evidence IN ({kinds})
    ),
    beyond_self AS (SELECT DISTINCT network_id, person_id FROM facts WHERE NOT self_agency)
    SELECT DISTINCT network_id, person_id, evidence FROM facts SEMI JOIN beyond_self USING (network_id, person_id)
    GROUP BY network_id, person_id, evidence, address_key
    HAVING count(DISTINCT business_id) >= {MIN_EVIDENCE_BUSINESSES}"""


def qualified_sql() -> str:
    return f"SELECT DISTINCT network_id, person_id FROM ({qualified_evidence_sql()})"


def probable_nominees_sql() -> str:
    """A person whose only footprint is one business inside a network, any worker named as an
    officer, and a person with officer titles in a network but no evidence of control.

    The exception (see the module docstring): a name tied to another business of the same
    network (with evidence of control, for the titles rule) marks the controller's own record
    that resolution left apart (a filing without the address that would join them). Without
    it, the name rule in protection.py would hide the controller."""
    return f"""
    WITH footprint AS (
      SELECT person_id, count(DISTINCT business_id) AS businesses FROM person_ties GROUP BY person_id
    ),
    workers AS (
      SELECT DISTINCT node_id AS person_id FROM graph_edges WHERE kind = 'licensed_to_work_at'
    ),
    named AS (
      SELECT DISTINCT entity_id AS person_id, name_class_key FROM person_mentions WHERE name_class_key IS NOT NULL
    ),
    ties AS (
      SELECT m.network_id, t.person_id, t.business_id FROM person_ties t JOIN network_members m USING (business_id)
    ),
    qualified AS ({qualified_sql()}),
    namesakes AS (
      -- (network, person) pairs where another entity of the same name is tied to another member business
      SELECT DISTINCT t.network_id, t.person_id, (q.person_id IS NOT NULL) AS with_evidence
      FROM ties t
      JOIN named n ON n.person_id = t.person_id
      JOIN named other ON other.name_class_key = n.name_class_key AND other.person_id <> t.person_id
      JOIN ties t2 ON t2.person_id = other.person_id AND t2.network_id = t.network_id AND t2.business_id <> t.business_id
      LEFT JOIN qualified q ON q.network_id = t.network_id AND q.person_id = other.person_id
    )
    SELECT DISTINCT t.person_id, 'only footprint is one business inside a network' AS reason
    FROM ties t JOIN footprint f USING (person_id)
    WHERE f.businesses = 1
      AND NOT EXISTS (SELECT 1 FROM namesakes s WHERE s.network_id = t.network_id AND s.person_id = t.person_id)
    UNION
    SELECT t.person_id, 'a worker named as an officer' FROM person_ties t JOIN workers w USING (person_id)
    UNION
    SELECT DISTINCT t.person_id, 'officer titles without evidence of control'
    FROM ties t
    WHERE NOT EXISTS (SELECT 1 FROM qualified q WHERE q.network_id = t.network_id AND q.person_id = t.person_id)
      AND NOT EXISTS (SELECT 1 FROM namesakes s WHERE s.network_id = t.network_id AND s.person_id = t.person_id
                      AND s.with_evidence)
    ORDER BY ALL"""


def network_persons_sql(protected_sql: str, scored: bool) -> str:
    """The persons of each network, one row per (network, person): everyone tied to a member business
    as officer, registered agent, officer of a managing company, or worker by license. Protected
    unless ranked: a person is unprotected only with qualifying evidence of control in that network
    and outside the protection rule. A person tied to two networks has a row in each.

    This table is the one definition of "the persons of a network" (see `network_person_counts_sql`):
    `networks.n_persons`, the `network` view (controllers and protected people), the report and
    persons.csv all count its rows."""
    high = "coalesce(s.risk_band = 'high', FALSE)" if scored else "FALSE"
    scores = "LEFT JOIN business_scores s ON s.entity_id = m.business_id" if scored else ""
    return f"""
    WITH protected AS ({protected_sql}),
    ties AS (
      SELECT m.network_id, t.person_id, t.business_id, t.kind
      FROM person_ties t JOIN network_members m ON m.business_id = t.business_id
      UNION ALL
      -- Workers tied by their license: persons of the network too, always protected (a therapist
      -- license puts them in `protected_sql`), never candidates (they have no control evidence).
      SELECT m.network_id, g.node_id, g.business_id, g.kind
      FROM graph_edges g JOIN network_members m ON m.business_id = g.business_id
      WHERE g.kind = 'licensed_to_work_at'
    ),
    high_risk AS (
      SELECT m.network_id, m.business_id, {high} AS high
      FROM network_members m {scores}
    ),
    targets AS (
      SELECT network_id, count(*) FILTER (WHERE high) AS n_high, count(*) AS n_all FROM high_risk GROUP BY network_id
    ),
    reach AS (
      SELECT t.network_id, t.person_id,
             count(DISTINCT t.business_id) AS businesses,
             count(DISTINCT t.business_id) FILTER (WHERE h.high) AS high_businesses,
             list(DISTINCT t.kind ORDER BY t.kind) AS roles
      FROM ties t JOIN high_risk h ON h.network_id = t.network_id AND h.business_id = t.business_id
      GROUP BY t.network_id, t.person_id
    ),
    qualifying AS ({qualified_evidence_sql()}),
    evidence AS (
      SELECT c.network_id, c.person_id,
             count(DISTINCT q.evidence) AS qualifying,
             bool_or(c.evidence = '{PERSISTENCE}') AS persistent
      FROM control_evidence c
      LEFT JOIN qualifying q ON q.network_id = c.network_id AND q.person_id = c.person_id AND q.evidence = c.evidence
      GROUP BY c.network_id, c.person_id
    )
    SELECT r.network_id, r.person_id, r.roles, r.businesses,
           round({CONTROL_WEIGHT} * least(1.0, coalesce(e.qualifying, 0) / 2.0)
             + {REACH_WEIGHT} * CASE WHEN tg.n_high > 0 THEN r.high_businesses / tg.n_high ELSE r.businesses / tg.n_all END
             + {PERSISTENCE_WEIGHT} * coalesce(e.persistent, FALSE)::INTEGER, 4) AS controller_score,
           pr.entity_id IS NOT NULL OR coalesce(e.qualifying, 0) = 0 AS protected
    FROM reach r JOIN targets tg USING (network_id)
    LEFT JOIN evidence e ON e.network_id = r.network_id AND e.person_id = r.person_id
    LEFT JOIN protected pr ON pr.entity_id = r.person_id
    ORDER BY r.network_id, protected, controller_score DESC, r.person_id"""


def same_person_controllers_sql() -> str:
    """Pairs of ranked controllers of one network that are one person whose records resolution left
    apart: a name in common (romanization-class key, in either reading, of any of their mentions)
    and a piece of evidence in common: a member business or an address in `control_evidence`, or
    the address their own officer or agent records give.

    Two officers of one filing are never one person (a filing names each officer once), as in
    resolution's context pass. Only ranked persons are paired: a protected person is never merged
    into a controller, whatever their name."""
    from harborlight.resolve.mentions import record_key_sql

    filing = record_key_sql("o.source", "o.filing_record_id")
    return f"""
    WITH ranked AS (SELECT network_id, person_id, controller_score FROM network_persons WHERE NOT protected),
    names AS (
      SELECT DISTINCT entity_id AS person_id, key FROM (
        SELECT entity_id, name_class_key AS key FROM person_mentions
        UNION ALL SELECT entity_id, alt_class_key FROM person_mentions
      ) WHERE key IS NOT NULL
    ),
    filings AS (
      SELECT DISTINCT pm.entity_id AS person_id, {filing} AS filing
      FROM person_mentions pm JOIN officers o ON o.source = pm.source AND o.record_id = pm.record_id
      WHERE pm.record_type = 'officers' AND o.filing_record_id IS NOT NULL
    ),
    homes AS (
      SELECT DISTINCT entity_id AS person_id, street || '|' || coalesce(city, '') AS home FROM person_mentions
      WHERE record_type IN ('officers', 'registered_agent') AND street IS NOT NULL
    ),
    shared AS (
      SELECT a.network_id, a.person_id AS a, b.person_id AS b
      FROM control_evidence a JOIN control_evidence b
        ON b.network_id = a.network_id AND b.person_id > a.person_id
       AND (b.business_id = a.business_id OR b.address_key = a.address_key)
      UNION
      -- The address their own records give: one home is evidence both sides carry.
      SELECT ra.network_id, ra.person_id, rb.person_id
      FROM ranked ra JOIN ranked rb ON rb.network_id = ra.network_id AND rb.person_id > ra.person_id
      JOIN homes ha ON ha.person_id = ra.person_id
      JOIN homes hb ON hb.person_id = rb.person_id AND hb.home = ha.home
    )
    SELECT s.network_id, s.a, s.b, ra.controller_score AS score_a, rb.controller_score AS score_b
    FROM shared s
    JOIN ranked ra ON ra.network_id = s.network_id AND ra.person_id = s.a
    JOIN ranked rb ON rb.network_id = s.network_id AND rb.person_id = s.b
    WHERE EXISTS (SELECT 1 FROM names na JOIN names nb ON nb.key = na.key WHERE na.person_id = s.a AND nb.person_id = s.b)
      AND NOT EXISTS (SELECT 1 FROM filings fa JOIN filings fb ON fb.filing = fa.filing
                      WHERE fa.person_id = s.a AND fb.person_id = s.b)
    ORDER BY ALL"""


def merge_ties_sql() -> str:
    """Give a merged controller's ties and evidence in that network to the controller kept
    (`controller_merges`: network_id, person_id, controller_id). A business belongs to one network,
    so a tie's network is its business's."""
    return """
    UPDATE person_ties SET person_id = m.controller_id
    FROM (SELECT nm.business_id, cm.person_id, cm.controller_id
          FROM controller_merges cm JOIN network_members nm ON nm.network_id = cm.network_id) m
    WHERE person_ties.business_id = m.business_id AND person_ties.person_id = m.person_id;
    UPDATE control_evidence SET person_id = m.controller_id
    FROM controller_merges m
    WHERE control_evidence.network_id = m.network_id AND control_evidence.person_id = m.person_id"""


def same_person_merges(pairs: list[tuple]) -> list[tuple[str, str, str]]:
    """(network_id, person_id, controller_id) for each controller merged into another: pairs are
    joined transitively within a network, and each group is kept under its highest-scoring member
    (the smallest id on a tie), so the result does not depend on the order of the pairs."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    score: dict[tuple[str, str], float] = {}
    for network, a, b, score_a, score_b in pairs:
        score[(network, a)], score[(network, b)] = score_a, score_b
        ra, rb = find((network, a)), find((network, b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for member in score:
        groups.setdefault(find(member), []).append(member)
    merges = []
    for members in groups.values():
        kept = min(members, key=lambda m: (-score[m], m[1]))
        merges += [(m[0], m[1], kept[1]) for m in sorted(members) if m != kept]
    return sorted(merges)


def merge_same_person_controllers(warehouse: Warehouse) -> int:
    """Merge ranked controllers of one network that are one person (`same_person_controllers_sql`):
    their ties and evidence go to one of them, so the network ranks the person once. Returns how
    many controllers were merged into another."""
    import pyarrow as pa

    merges = same_person_merges(warehouse.rows(same_person_controllers_sql()))
    if merges:
        warehouse.con.register("controller_merges", pa.table({
            "network_id": [m[0] for m in merges], "person_id": [m[1] for m in merges],
            "controller_id": [m[2] for m in merges]}))
        try:
            warehouse.run(merge_ties_sql())
        finally:
            warehouse.con.unregister("controller_merges")
    return len(merges)


def rank_controllers(warehouse: Warehouse) -> int:
    """Write `person_ties`, `control_evidence`, `probable_nominees` and `network_persons`;
    returns how many persons are ranked. Ranked controllers that are one person are merged
    (`merge_same_person_controllers`) and the ranking is made again over the merged ties."""
    from harborlight.protection import protected_persons_sql

    replace_table(warehouse, "person_ties", person_ties_sql())
    replace_table(warehouse, "control_evidence", control_evidence_sql())
    replace_table(warehouse, "probable_nominees", probable_nominees_sql())
    scored = warehouse.table_exists("business_scores")
    ranking = network_persons_sql(protected_persons_sql(include_nominees=True), scored)
    replace_table(warehouse, "network_persons", ranking)
    if merge_same_person_controllers(warehouse):
        replace_table(warehouse, "network_persons", ranking)
    return warehouse.rows("SELECT count(*) FROM network_persons WHERE NOT protected")[0][0]


def network_person_counts_sql() -> str:
    """How many persons each network has, and of them how many are ranked controllers and how many
    protected: the counts of `network_persons` rows, which every view of a network shows."""
    return """
    SELECT network_id, count(*) AS n_persons,
           count(*) FILTER (WHERE NOT protected) AS n_controllers,
           count(*) FILTER (WHERE protected) AS n_protected
    FROM network_persons GROUP BY network_id"""


def controller_ids_sql() -> str:
    """Each network's controllers, strongest first. Protected persons are never among them."""
    return """
    SELECT network_id, string_agg(person_id, ';' ORDER BY controller_score DESC, person_id) AS controller_ids
    FROM network_persons WHERE NOT protected GROUP BY network_id"""
