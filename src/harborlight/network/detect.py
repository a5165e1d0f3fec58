"""Find networks: connected components of the business graph over links strong enough to count.

Thresholded components rather than community detection: a network here is a claim
that businesses are controlled together, and every member must be reachable through
links that each carry evidence an analyst can check. Communities can split a chain of
evidence or join businesses that share nothing directly. docs/networks.md says more.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import igraph
import pyarrow as pa

from harborlight.errors import UsageError
from harborlight.network.controllers import rank_controllers
from harborlight.network.graph import DEFAULT_HUB_SIZE, build_graph
from harborlight.resolve.stage import require_current_resolution
from harborlight.warehouse import Warehouse

DEFAULT_LINK_THRESHOLD = 0.9  # a link counts when what two businesses share weighs at least this


@dataclass
class NetworkReport:
    edges: int
    links: int
    networks: int
    businesses_in_networks: int
    controllers: int


def network_id(members: list[str]) -> str:
    """Named after the smallest member id, so the same input gives the same id."""
    return "net-" + hashlib.sha256(min(members).encode("utf-8")).hexdigest()[:16]


def networks_sql(scored: bool) -> str:
    risk = "max(s.risk_score)" if scored else "NULL"
    join = "LEFT JOIN business_scores s ON s.entity_id = m.business_id" if scored else ""
    return f"""
    CREATE OR REPLACE TABLE networks AS
    WITH persons AS (
      SELECT m.network_id, count(DISTINCT g.node_id) AS n_persons
      FROM network_members m JOIN graph_edges g ON g.business_id = m.business_id AND g.node_kind = 'person'
      GROUP BY m.network_id
    )
    SELECT m.network_id, count(DISTINCT m.business_id) AS n_businesses, coalesce(any_value(p.n_persons), 0) AS n_persons,
           {risk} AS risk_score
    FROM network_members m LEFT JOIN persons p USING (network_id) {join}
    GROUP BY m.network_id ORDER BY risk_score DESC NULLS LAST, n_businesses DESC, m.network_id"""


def find_networks(
    warehouse: Warehouse, threshold: float = DEFAULT_LINK_THRESHOLD, hub_size: int = DEFAULT_HUB_SIZE
) -> NetworkReport:
    """Build the graph and write `network_members` and `networks`. Running it twice gives the same result."""
    if threshold <= 0 or hub_size < 1:
        raise UsageError(f"the link threshold must be positive and the hub size at least 1, not {threshold}, {hub_size}")
    require_current_resolution(warehouse)
    with warehouse.transaction():
        edges, links = build_graph(warehouse, hub_size)
        pairs = warehouse.rows("SELECT a, b FROM business_links WHERE weight >= ? ORDER BY a, b", [threshold])
        names = sorted({x for pair in pairs for x in pair})
        index = {name: i for i, name in enumerate(names)}
        graph = igraph.Graph(n=len(names), edges=[(index[a], index[b]) for a, b in pairs])
        members = []
        for component in graph.connected_components():
            group = [names[i] for i in component]
            nid = network_id(group)
            members += [(nid, b) for b in group]
        members.sort()
        warehouse.write_arrow("network_members", pa.table(
            {"network_id": pa.array([m[0] for m in members], pa.string()),
             "business_id": pa.array([m[1] for m in members], pa.string())}
        ))
        warehouse.run(networks_sql(warehouse.table_exists("business_scores")))
        n_networks = warehouse.rows("SELECT count(*) FROM networks")[0][0]
        controllers = rank_controllers(warehouse)
    return NetworkReport(edges, links, n_networks, len(members), controllers)
