"""Find networks: communities of the business graph that no single bridge can merge.

Two methods, chosen by `method`:

- `leiden` (the default): the links strong enough to count (weight at least `threshold`)
  form a weighted graph; Leiden (igraph, Constant Potts Model, `resolution`) splits it into
  communities, with a fixed seed so a run is repeatable. Under CPM a group of businesses
  joins another only when the weight between them exceeds resolution x (size of one) x (size
  of the other): one shared worker, phone or agent (weight about 1) between two groups of five
  (1 < 0.05 x 5 x 5) does not merge them, while one business tied by a single full link to a
  network of up to 19 joins it. A network is then each connected component of the counted
  links inside one community, so every member is reachable from every other through links that
  each carry evidence an analyst can check.
- `components`: the connected components of the counted links, the baseline that any
  single bridge merges. Kept for comparison (the benchmark runs both).

docs/networks.md explains the choice and its defaults.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import igraph
import pyarrow as pa

from harborlight.errors import UsageError
from harborlight.network.controllers import network_person_counts_sql, rank_controllers
from harborlight.network.graph import DEFAULT_HUB_SIZE, DEFAULT_MAX_DEGREE, build_graph
from harborlight.protection import refine_protection
from harborlight.resolve.engines import engine_named
from harborlight.stages import latest_run_id, record_run, records_fingerprint, replace_table, require_fresh
from harborlight.warehouse import Warehouse

DEFAULT_LINK_THRESHOLD = 0.9  # a link counts when what two businesses share weighs at least this
DEFAULT_METHOD = "leiden"
METHODS = ("leiden", "components")
# CPM resolution: a bridge of weight w merges groups of sizes a and b only when w > resolution x a x b.
DEFAULT_RESOLUTION = 0.05
LEIDEN_SEED = 20240610  # fixed: the same input gives the same communities
LEIDEN_ITERATIONS = 10


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
    -- The persons of a network are counted as every view counts them: rows of network_persons.
    WITH persons AS ({network_person_counts_sql()})
    SELECT m.network_id, count(DISTINCT m.business_id) AS n_businesses, coalesce(any_value(p.n_persons), 0) AS n_persons,
           {risk} AS risk_score
    FROM network_members m LEFT JOIN persons p USING (network_id) {join}
    GROUP BY m.network_id ORDER BY risk_score DESC NULLS LAST, n_businesses DESC, m.network_id"""


def counted_links_sql() -> str:
    """The links strong enough to count, in a fixed order (so igraph sees the same graph every run)."""
    return "SELECT a, b, weight FROM business_links WHERE weight >= ? ORDER BY a, b"


def _leiden_communities(graph: igraph.Graph, resolution: float) -> list[int]:
    """Community of each vertex under Leiden/CPM, repeatable: igraph draws from the Python random
    module, so it gets a generator of its own with a fixed seed, and the global one is put back."""
    igraph.set_random_number_generator(random.Random(LEIDEN_SEED))
    try:
        partition = graph.community_leiden(
            objective_function="CPM", weights="weight", resolution=resolution, n_iterations=LEIDEN_ITERATIONS
        )
    finally:
        igraph.set_random_number_generator(random)
    return partition.membership


def network_groups(
    pairs: list[tuple[str, str, float]], method: str = DEFAULT_METHOD, resolution: float = DEFAULT_RESOLUTION
) -> list[list[str]]:
    """Groups of two or more businesses from counted links (a, b, weight), each group connected by them."""
    names = sorted({x for a, b, _ in pairs for x in (a, b)})
    index = {name: i for i, name in enumerate(names)}
    graph = igraph.Graph(n=len(names), edges=[(index[a], index[b]) for a, b, _ in pairs])
    graph.es["weight"] = [float(w) for _, _, w in pairs]
    if method == "leiden" and pairs:
        community = _leiden_communities(graph, resolution)
        # Keep only the links inside a community; the components of what is left are the networks.
        graph.delete_edges([e.index for e in graph.es if community[e.source] != community[e.target]])
    groups = [[names[i] for i in component] for component in graph.connected_components() if len(component) > 1]
    return sorted(sorted(g) for g in groups)


def find_networks(
    warehouse: Warehouse,
    threshold: float = DEFAULT_LINK_THRESHOLD,
    hub_size: int = DEFAULT_HUB_SIZE,
    method: str = DEFAULT_METHOD,
    resolution: float = DEFAULT_RESOLUTION,
    max_degree: int = DEFAULT_MAX_DEGREE,
    engine: str = "duckdb",
) -> NetworkReport:
    """Build the graph and write `network_members` and `networks`. Running it twice gives the same result.

    `engine` "spark" computes the graph's edges and links on Spark (network/spark_graph.py);
    community detection and everything after it are the same for both."""
    if threshold <= 0 or hub_size < 1 or max_degree < 2:
        raise UsageError(
            "the link threshold must be positive, the hub size at least 1 and the maximum degree at least 2, "
            f"not {threshold}, {hub_size}, {max_degree}"
        )
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    if resolution <= 0:
        raise UsageError(f"the resolution must be positive, not {resolution}")
    engine_named(engine)  # a wrong name, or Spark without Java or pyspark, is said before any work
    require_fresh(warehouse, "resolve", what="networks", if_run=("score",))
    with warehouse.transaction():
        if engine == "spark":
            from harborlight.network.spark_graph import build_graph_on_spark  # only now: Spark is heavy

            edges, links = build_graph_on_spark(warehouse, hub_size, max_degree)
        else:
            edges, links = build_graph(warehouse, hub_size, max_degree)
        pairs = warehouse.rows(counted_links_sql(), [threshold])
        members = sorted((network_id(group), b) for group in network_groups(pairs, method, resolution) for b in group)
        warehouse.write_arrow("network_members", pa.table(
            {"network_id": pa.array([m[0] for m in members], pa.string()),
             "business_id": pa.array([m[1] for m in members], pa.string())}
        ))
        controllers = rank_controllers(warehouse)
        controllers -= refine_protection(warehouse)  # nominees protected, ranked controllers shown (or hidden)
        # After the ranking: n_persons counts network_persons, which the ranking writes.
        replace_table(warehouse, "networks", networks_sql(warehouse.table_exists("business_scores")))
        n_networks = warehouse.rows("SELECT count(*) FROM networks")[0][0]
        upstream = {"resolve": latest_run_id(warehouse, "resolve"), "score": latest_run_id(warehouse, "score")}
        record_run(
            warehouse, "networks",
            {"threshold": threshold, "hub_size": hub_size, "method": method, "resolution": resolution,
             "max_degree": max_degree},
            records_fingerprint(warehouse, "networks"), upstream,
        )
    return NetworkReport(edges, links, n_networks, len(members), controllers)
