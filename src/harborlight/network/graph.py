"""The graph: resolved businesses and what ties them, each tie with its evidence record.

`graph_nodes` lists every node; `graph_edges` has one row per (node, business) tie found
in a record (ties to premises are in `business_premises`):

| kind | node | from |
|---|---|---|
| officer | the person, or the company that manages the business | officers |
| registered_agent | the agent company, or the person who is agent | filings |
| uses_phone | the phone (E.164) | listings and licenses |
| licensed_to_work_at | the worker (a therapist licensee) | licenses, matched by a business name unique in its city, or by building |

Businesses are then linked through the nodes they share (`business_links`), each shared
node adding a weight discounted by how many businesses it ties: see `link_weights_sql`.
Only nodes tying at most `max_degree` businesses are projected into pairs, so the links
grow with the ties (at most max_degree / 2 pairs per tie), never with the square of a hub's
degree: a mass registered agent with 2,000 clients stays 2,000 rows of `graph_edges` and adds
no link. Premises link businesses only in succession (one closed, the next opened there within
five years), not when they overlap: overlapping records at one address are far more
often one business whose records resolution left apart than two businesses. A premises that
hosted more than `max_degree` businesses (a mall without unit numbers) links none.
"""

from __future__ import annotations

from harborlight.resolve.normalize import register_sql_functions
from harborlight.stages import replace_table
from harborlight.warehouse import Warehouse

# How strongly a tie of each kind says "controlled together", before hub discounting.
BASE_WEIGHTS = {
    "officer": 1.0,
    "registered_agent": 1.0,
    "uses_phone": 1.0,
    "licensed_to_work_at": 1.0,
}
# How many times the hub size a node of each kind counts for in full. A phone is one line that
# someone answers: shared by many businesses it is one operator's booking line (a switchboard of one
# building is left out instead; see `link_weights_sql`). A person named on many filings is one
# controller, or people resolution joined by a common name; a managing company or an agent company
# with many clients is a franchisor or a filing service.
HUB_FACTOR = {"phone": 3, "person": 2, "business": 1, "agent": 1}
# One business closing and another opening at the same premises within five years.
SUCCESSION_WEIGHT = 1.0
# A node tying up to this many businesses counts in full; beyond it, by HUB_SIZE / (businesses - 1).
DEFAULT_HUB_SIZE = 5
# A node tying more businesses than this adds nothing to any link (5 / 49 = 0.1 per pair at most
# before it): it is a mass agent, a franchisor's brand or a switchboard, and projecting it would
# cost its degree squared in pairs. Larger than any controlled network we know of.
DEFAULT_MAX_DEGREE = 50


def graph_edges_sql() -> str:
    return """
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
    -- Workers: a therapist license names the business by name, or gives an address in its building.
    -- A name counts only where it names one business in the city: spa names repeat ("Lucky Spa"
    -- in two networks of one metro), and a license naming an ambiguous one would tie her to both.
    -- Two equality joins rather than one join on (name OR address), which DuckDB can only run as
    -- a nested loop over every license and business mention of a city.
    SELECT DISTINCT entity_id, 'person', business_id, 'licensed_to_work_at', 'licenses', source, record_id FROM (
      SELECT lic.entity_id, bm.business_id, lic.source, lic.record_id
      FROM (SELECT pm.entity_id, pm.city, pm.source, pm.record_id, hl_business_name(l.business_name) AS workplace
            FROM person_mentions pm
            JOIN licenses l ON pm.record_type = 'licenses' AND l.source = pm.source AND l.record_id = pm.record_id
            WHERE l.business_name IS NOT NULL) lic
      JOIN (SELECT name, city, any_value(entity_id) AS business_id FROM business_mentions WHERE name IS NOT NULL
            GROUP BY name, city HAVING count(DISTINCT entity_id) = 1) bm
        ON bm.name = lic.workplace AND bm.city IS NOT DISTINCT FROM lic.city
      UNION ALL
      SELECT pm.entity_id, bm.entity_id, pm.source, pm.record_id
      FROM person_mentions pm
      JOIN business_mentions bm
        ON bm.street = pm.street AND bm.unit IS NOT DISTINCT FROM pm.unit AND bm.city IS NOT DISTINCT FROM pm.city
      WHERE pm.record_type = 'licenses'
    )
    """


def link_weights_sql(hub_size: int = DEFAULT_HUB_SIZE, max_degree: int = DEFAULT_MAX_DEGREE) -> str:
    """Business pairs and the weight of what they share.

    Each shared node adds base weight x min(1, hub x HUB_FACTOR / (n - 1)) once, however many
    kinds of tie it has to the two (an officer who is also the agent is one person), where n
    is how many businesses the node ties. A controller with five businesses links them in full; a
    franchisor with 15 locations adds 5/14 to each pair, so it alone never joins two
    businesses; a phone answers for up to 16 businesses in full (3 x 5 + 1). Whatever its
    degree, a node adds at most hub x factor to the links of any one business. A node tying
    more than max_degree businesses (a registered-agent company with 200 clients) is not
    projected at all: it would add little per pair, and its pairs would grow with the square
    of its degree. The pairs are therefore bounded by max_degree / 2 per tie.

    A phone shared by two businesses in one building (same street and city) while both
    were open is a switchboard (a hotel, a plaza, an office suite), not common control, and
    adds nothing; a successor that keeps the phone of the business before it at the same
    premises still does. Succession at one premises adds SUCCESSION_WEIGHT, at premises that
    hosted at most max_degree businesses.
    """
    cases = " ".join(f"WHEN '{k}' THEN {w}" for k, w in BASE_WEIGHTS.items())
    factors = " ".join(f"WHEN '{k}' THEN {int(f)}" for k, f in HUB_FACTOR.items())  # by node kind
    return f"""
    WITH placed AS (
      -- Where the record of an officer or agent places them (the address it gives, if any).
      SELECT g.*, pm.street || '|' || coalesce(pm.city, '') AS place
      FROM graph_edges g
      LEFT JOIN person_mentions pm
        ON g.node_kind = 'person' AND g.kind IN ('officer', 'registered_agent') AND pm.entity_id = g.node_id
       AND pm.record_type = CASE g.kind WHEN 'registered_agent' THEN 'registered_agent' ELSE 'officers' END
       AND pm.source = g.source AND pm.record_id = g.record_id AND pm.street IS NOT NULL
    ),
    ties AS (
      -- One row per node and business: a person who is both officer and agent of a business is
      -- one person shared, not two ties (nor four, once paired with another business).
      SELECT node_id, node_kind, business_id, list(DISTINCT kind ORDER BY kind) AS kinds,
             max(CASE kind {cases} ELSE 0 END) AS base,
             max(CASE node_kind {factors} ELSE 1 END) AS factor,
             list(DISTINCT place) FILTER (WHERE place IS NOT NULL) AS places
      FROM placed GROUP BY node_id, node_kind, business_id
    ),
    degree AS (
      SELECT node_id, count(*) AS n FROM ties GROUP BY node_id
      HAVING count(*) BETWEEN 2 AND {int(max_degree)}
    ),
    projected AS (
      SELECT t.*, d.n FROM ties t JOIN degree d USING (node_id)
    ),
    through_nodes AS (
      SELECT a.business_id AS a, b.business_id AS b, a.node_id, a.node_kind,
             list_distinct(list_concat(a.kinds, b.kinds)) AS kinds,
             greatest(a.base, b.base) * least(1.0, {int(hub_size)} * a.factor / (a.n - 1.0))
               -- One name at two different addresses, with no address in common, is two people
               -- that people resolution joined (a common name), not one person: it ties nothing.
               * CASE WHEN len(coalesce(a.places, [])) > 0 AND len(coalesce(b.places, [])) > 0
                       AND NOT list_has_any(a.places, b.places) THEN 0 ELSE 1 END AS weight
      FROM projected a
      JOIN projected b ON b.node_id = a.node_id AND b.business_id > a.business_id
    ),
    switchboard AS (
      SELECT DISTINCT p.a, p.b
      FROM (SELECT DISTINCT a, b FROM through_nodes WHERE node_kind = 'phone') p
      JOIN business_premises x ON x.entity_id = p.a JOIN premises px ON px.premises_id = x.premises_id
      JOIN business_premises y ON y.entity_id = p.b JOIN premises py ON py.premises_id = y.premises_id
      WHERE py.street = px.street AND py.city IS NOT DISTINCT FROM px.city
        AND coalesce(x.first_seen, DATE '0001-01-01') <= coalesce(y.last_seen, DATE '9999-12-31')
        AND coalesce(y.first_seen, DATE '0001-01-01') <= coalesce(x.last_seen, DATE '9999-12-31')
    ),
    hosted AS (
      SELECT premises_id FROM business_premises GROUP BY premises_id
      HAVING count(DISTINCT entity_id) BETWEEN 2 AND {int(max_degree)}
    ),
    shared AS (
      SELECT t.* FROM through_nodes t
      WHERE NOT (t.node_kind = 'phone' AND EXISTS (SELECT 1 FROM switchboard s WHERE s.a = t.a AND s.b = t.b))
      UNION ALL
      SELECT least(x.entity_id, y.entity_id), greatest(x.entity_id, y.entity_id), x.premises_id, 'premises',
           ['succeeded_at_same_premises'], {SUCCESSION_WEIGHT}
      FROM business_premises x JOIN hosted h USING (premises_id)
      JOIN business_premises y
        ON y.premises_id = x.premises_id AND y.entity_id <> x.entity_id
       AND x.last_seen IS NOT NULL AND x.last_seen <= y.first_seen AND y.first_seen - x.last_seen <= 5 * 365
    )
    SELECT a, b, sum(weight) AS weight, list_sort(list_distinct(flatten(list(kinds)))) AS kinds,
           count(DISTINCT node_id) AS shared_nodes
    FROM shared GROUP BY a, b ORDER BY a, b"""


def graph_nodes_sql() -> str:
    """Every node: the businesses, and every person, agent and phone that ties one."""
    return """
    SELECT entity_id AS node_id, 'business' AS node_kind FROM entities WHERE kind = 'business'
    UNION
    SELECT premises_id, 'premises' FROM premises
    UNION
    SELECT node_id, node_kind FROM graph_edges
    ORDER BY node_kind, node_id"""


def build_graph(
    warehouse: Warehouse, hub_size: int = DEFAULT_HUB_SIZE, max_degree: int = DEFAULT_MAX_DEGREE
) -> tuple[int, int]:
    """Write `graph_edges`, `graph_nodes` and `business_links`; returns edge and link counts."""
    register_sql_functions(warehouse.con)
    replace_table(warehouse, "graph_edges", graph_edges_sql())
    replace_table(warehouse, "graph_nodes", graph_nodes_sql())
    replace_table(warehouse, "business_links", link_weights_sql(hub_size, max_degree))
    edges = warehouse.rows("SELECT count(*) FROM graph_edges")[0][0]
    links = warehouse.rows("SELECT count(*) FROM business_links")[0][0]
    return edges, links
