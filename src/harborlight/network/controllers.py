"""Who controls each network: persons ranked by a documented score, and probable nominees set apart.

Candidates are the persons tied to a network's businesses as officers or registered
agents, directly or as officers of a company that manages a member business. Workers
(tied only by a therapist license) are never candidates.

controller_score = 0.4 x control (1 when the person holds a control role: an officer
                                   role, registered agent, or officer of a managing company)
                 + 0.4 x reach    (share of the network's high-risk businesses the person
                                   touches; of all its businesses when none is high risk)
                 + 0.2 x persistence (1 when the person spans businesses that succeeded one
                                   another at the same premises)

Probable nominees are protected, not ranked (victim-centered rules, section 1): a person
whose only footprint is one business, inside a network (unless the same name is tied to
another business of that network: then it is the controller, split by resolution), and
any worker named as an officer. `protection.py` reads `probable_nominees`; this module only writes it.
"""

from __future__ import annotations

from harborlight.warehouse import Warehouse

CONTROL_WEIGHT, REACH_WEIGHT, PERSISTENCE_WEIGHT = 0.4, 0.4, 0.2


def person_ties_sql() -> str:
    """Each person's ties to businesses as officer or agent, and through a managing company."""
    return """
    CREATE OR REPLACE TABLE person_ties AS
    SELECT node_id AS person_id, business_id, kind, record_type, source, record_id
    FROM graph_edges WHERE node_kind = 'person' AND kind IN ('officer', 'registered_agent')
    UNION ALL
    SELECT p.node_id, c.business_id, 'officer_of_managing_company', p.record_type, p.source, p.record_id
    FROM graph_edges c
    JOIN graph_edges p ON p.business_id = c.node_id AND p.node_kind = 'person' AND p.kind = 'officer'
    WHERE c.node_kind = 'business' AND c.kind = 'officer'"""


def probable_nominees_sql() -> str:
    """A person whose only footprint is one business inside a network, and any worker named as an officer.

    One exception to the first: when the same name (in any romanization) is tied to another
    business of the same network, the two entities are one controller whose records
    resolution left apart (a filing without the address that would join them), not a
    nominee. Without it, the name rule in protection.py would hide the controller."""
    return """
    CREATE OR REPLACE TABLE probable_nominees AS
    WITH footprint AS (
      SELECT person_id, count(DISTINCT business_id) AS businesses FROM person_ties GROUP BY person_id
    ),
    workers AS (
      SELECT DISTINCT node_id AS person_id FROM graph_edges WHERE kind = 'licensed_to_work_at'
    ),
    named AS (
      SELECT DISTINCT entity_id AS person_id, name_class_key FROM person_mentions WHERE name_class_key IS NOT NULL
    ),
    split_controllers AS (
      SELECT DISTINCT t.person_id
      FROM person_ties t
      JOIN network_members m ON m.business_id = t.business_id
      JOIN named n ON n.person_id = t.person_id
      JOIN named other ON other.name_class_key = n.name_class_key AND other.person_id <> t.person_id
      JOIN person_ties t2 ON t2.person_id = other.person_id AND t2.business_id <> t.business_id
      JOIN network_members m2 ON m2.business_id = t2.business_id AND m2.network_id = m.network_id
    )
    SELECT DISTINCT t.person_id, 'only footprint is one business inside a network' AS reason
    FROM person_ties t JOIN footprint f USING (person_id)
    JOIN network_members m ON m.business_id = t.business_id
    WHERE f.businesses = 1 AND t.person_id NOT IN (SELECT person_id FROM split_controllers)
    UNION
    SELECT t.person_id, 'a worker named as an officer' FROM person_ties t JOIN workers w USING (person_id)"""


def network_persons_sql(protected_sql: str, scored: bool) -> str:
    high = "coalesce(s.risk_band = 'high', FALSE)" if scored else "FALSE"
    scores = "LEFT JOIN business_scores s ON s.entity_id = m.business_id" if scored else ""
    return f"""
    CREATE OR REPLACE TABLE network_persons AS
    WITH protected AS ({protected_sql}),
    ties AS (
      SELECT m.network_id, t.* FROM person_ties t JOIN network_members m ON m.business_id = t.business_id
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
    persistence AS (
      SELECT DISTINCT t1.network_id, t1.person_id
      FROM ties t1 JOIN ties t2 ON t2.network_id = t1.network_id AND t2.person_id = t1.person_id
      JOIN business_links l ON l.a = least(t1.business_id, t2.business_id) AND l.b = greatest(t1.business_id, t2.business_id)
      WHERE list_contains(l.kinds, 'succeeded_at_same_premises')
    )
    SELECT r.network_id, r.person_id, r.roles, r.businesses,
           round({CONTROL_WEIGHT}
             + {REACH_WEIGHT} * CASE WHEN tg.n_high > 0 THEN r.high_businesses / tg.n_high ELSE r.businesses / tg.n_all END
             + {PERSISTENCE_WEIGHT} * (p.person_id IS NOT NULL)::INTEGER, 4) AS controller_score,
           pr.entity_id IS NOT NULL AS protected
    FROM reach r JOIN targets tg USING (network_id)
    LEFT JOIN persistence p ON p.network_id = r.network_id AND p.person_id = r.person_id
    LEFT JOIN protected pr ON pr.entity_id = r.person_id
    ORDER BY r.network_id, protected, controller_score DESC, r.person_id"""


def rank_controllers(warehouse: Warehouse) -> int:
    """Write `probable_nominees` and `network_persons`; returns how many persons are ranked."""
    from harborlight.protection import protected_persons_sql

    warehouse.run(person_ties_sql())
    warehouse.run(probable_nominees_sql())
    scored = warehouse.table_exists("business_scores")
    warehouse.run(network_persons_sql(protected_persons_sql(include_nominees=True), scored))
    return warehouse.rows("SELECT count(*) FROM network_persons WHERE NOT protected")[0][0]


def controller_ids_sql() -> str:
    """Each network's controllers, strongest first. Protected persons are never among them."""
    return """
    SELECT network_id, string_agg(person_id, ';' ORDER BY controller_score DESC, person_id) AS controller_ids
    FROM network_persons WHERE NOT protected GROUP BY network_id"""
