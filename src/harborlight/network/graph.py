"""The graph: resolved businesses and what ties them, each tie with its evidence record.

`graph_nodes` lists every node; `graph_edges` has one row per (node, business) tie found
in a record (ties to premises are in `business_premises`):

| kind | node | from |
|---|---|---|
| officer | the person, or the company that manages the business | officers |
| registered_agent | the agent company, or the person who is agent | filings |
| uses_phone | the phone (E.164) | listings and licenses |
| licensed_to_work_at | the worker (a therapist licensee) | licenses, matched by business name or building |

Businesses are then linked through the nodes they share (`business_links`), each shared
node adding a weight discounted by how many businesses it ties: see `link_weights_sql`.
Premises link businesses only in succession (one closed, the next opened there within
five years), not when they overlap: overlapping records at one address are far more
often one business whose records resolution left apart than two businesses.
"""

from __future__ import annotations

from harborlight.resolve.normalize import register_sql_functions
from harborlight.warehouse import Warehouse

# How strongly a tie of each kind says "controlled together", before hub discounting.
BASE_WEIGHTS = {
    "officer": 1.0,
    "registered_agent": 1.0,
    "uses_phone": 1.0,
    "licensed_to_work_at": 1.0,
}
# One business closing and another opening at the same premises within five years.
SUCCESSION_WEIGHT = 1.0
# A node tying up to this many businesses counts in full; beyond it, by HUB_SIZE / (businesses - 1).
DEFAULT_HUB_SIZE = 5


def graph_edges_sql() -> str:
    return """
    CREATE OR REPLACE TABLE graph_edges AS
    WITH filing_business AS (
      SELECT source, record_id, entity_id AS business_id FROM business_mentions WHERE record_type = 'filings'
    )
    -- People named as officers of a filing
    SELECT pm.entity_id AS node_id, 'person' AS node_kind, fb.business_id, 'officer' AS kind,
           'officers' AS record_type, o.source, o.record_id
    FROM officers o
    JOIN person_mentions pm ON pm.record_type = 'officers' AND pm.source = o.source AND pm.record_id = o.record_id
    JOIN filing_business fb ON fb.source = o.source AND fb.record_id = o.filing_record_id
    UNION ALL
    -- Companies named as officers: one company managing another
    SELECT bm.entity_id, 'business', fb.business_id, 'officer', 'officers', o.source, o.record_id
    FROM officers o
    JOIN business_mentions bm ON bm.record_type = 'officers' AND bm.source = o.source AND bm.record_id = o.record_id
    JOIN filing_business fb ON fb.source = o.source AND fb.record_id = o.filing_record_id
    WHERE bm.entity_id <> fb.business_id
    UNION ALL
    -- Registered agents: companies and people
    SELECT am.entity_id, 'agent', fb.business_id, 'registered_agent', 'filings', fb.source, fb.record_id
    FROM agent_mentions am JOIN filing_business fb ON fb.source = am.source AND fb.record_id = am.record_id
    UNION ALL
    SELECT pm.entity_id, 'person', fb.business_id, 'registered_agent', 'filings', fb.source, fb.record_id
    FROM person_mentions pm
    JOIN filing_business fb ON fb.source = pm.source AND fb.record_id = pm.record_id
    WHERE pm.record_type = 'registered_agent'
    UNION ALL
    -- Phones
    SELECT 'tel:' || phone, 'phone', entity_id, 'uses_phone', record_type, source, record_id
    FROM business_mentions WHERE phone IS NOT NULL
    UNION ALL
    -- Workers: a therapist license names the business by name, or gives an address in its building
    SELECT DISTINCT pm.entity_id, 'person', bm.entity_id, 'licensed_to_work_at', 'licenses', l.source, l.record_id
    FROM person_mentions pm
    JOIN licenses l ON pm.record_type = 'licenses' AND l.source = pm.source AND l.record_id = pm.record_id
    JOIN business_mentions bm
      ON bm.city IS NOT DISTINCT FROM pm.city
     AND (bm.name = hl_business_name(l.business_name)
          OR (bm.street = pm.street AND bm.unit IS NOT DISTINCT FROM pm.unit))
    """


def link_weights_sql(hub_size: int = DEFAULT_HUB_SIZE) -> str:
    """Business pairs and the weight of what they share.

    Each shared node adds base weight x min(1, hub_size / (n - 1)), where n is how many
    businesses the node ties. A controller with five businesses links them in full; a
    registered-agent company with 200 clients adds 5/199 to each pair, so it alone never
    joins two businesses, and neither does a franchisor with many locations.
    """
    cases = " ".join(f"WHEN '{k}' THEN {w}" for k, w in BASE_WEIGHTS.items())
    return f"""
    CREATE OR REPLACE TABLE business_links AS
    WITH ties AS (
      SELECT DISTINCT node_id, node_kind, business_id, kind FROM graph_edges
    ),
    degree AS (
      SELECT node_id, count(DISTINCT business_id) AS n FROM ties GROUP BY node_id
    ),
    shared AS (
      SELECT a.business_id AS a, b.business_id AS b, a.node_id, a.node_kind, a.kind,
             (CASE a.kind {cases} ELSE 0 END) * least(1.0, {int(hub_size)} / (d.n - 1.0)) AS weight
      FROM ties a
      JOIN ties b ON b.node_id = a.node_id AND b.business_id > a.business_id
      JOIN degree d ON d.node_id = a.node_id
      UNION ALL
      SELECT least(x.entity_id, y.entity_id), greatest(x.entity_id, y.entity_id), x.premises_id, 'premises',
           'succeeded_at_same_premises', {SUCCESSION_WEIGHT}
      FROM business_premises x JOIN business_premises y
        ON y.premises_id = x.premises_id AND y.entity_id <> x.entity_id
       AND x.last_seen IS NOT NULL AND x.last_seen <= y.first_seen AND y.first_seen - x.last_seen <= 5 * 365
    )
    SELECT a, b, sum(weight) AS weight, list(DISTINCT kind ORDER BY kind) AS kinds, count(DISTINCT node_id) AS shared_nodes
    FROM shared GROUP BY a, b ORDER BY a, b"""


def graph_nodes_sql() -> str:
    """Every node: the businesses, and every person, agent and phone that ties one."""
    return """
    CREATE OR REPLACE TABLE graph_nodes AS
    SELECT entity_id AS node_id, 'business' AS node_kind FROM entities WHERE kind = 'business'
    UNION
    SELECT premises_id, 'premises' FROM premises
    UNION
    SELECT node_id, node_kind FROM graph_edges
    ORDER BY node_kind, node_id"""


def build_graph(warehouse: Warehouse, hub_size: int = DEFAULT_HUB_SIZE) -> tuple[int, int]:
    """Write `graph_edges`, `graph_nodes` and `business_links`; returns edge and link counts."""
    register_sql_functions(warehouse.con)
    warehouse.run(graph_edges_sql())
    warehouse.run(graph_nodes_sql())
    warehouse.run(link_weights_sql(hub_size))
    edges = warehouse.rows("SELECT count(*) FROM graph_edges")[0][0]
    links = warehouse.rows("SELECT count(*) FROM business_links")[0][0]
    return edges, links
