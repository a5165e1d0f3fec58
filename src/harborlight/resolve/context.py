"""Person resolution, second pass: evidence from the businesses a person is tied to.

The person model compares two mentions by what the two records say about the person:
name, address, license number. That misses the same person written in another
romanization and without an address on one filing, or a worker's therapist license
and the filing that names her as secretary. What those records do share is a
business: the same business, or businesses that share a registered agent, a mailing
address, a phone or premises.

This pass runs after the business, person and agent models and joins two person
entities when a mention of each has a *compatible* name and both are tied to the
same *context node*:

1. A person mention's ties to businesses (`person_business_ties_sql`): an officer to
   the business of its filing, a registered agent to the business of the filing it
   serves, a therapist license to the business it names (normalized name, same city)
   or whose building it gives (street and unit, same city).
2. A business's context nodes (`business_nodes_sql`): the business itself, a company
   that manages it (named as officer on its filing), its phones,
   its premises, the registered agent (company or person entity) and the mailing
   address of its filings.
3. A node that ties more than `max_tie_businesses` businesses is a hub (a registered
   agent service with hundreds of clients, a hotel switchboard) and ties nobody: two
   people with one common name could both be tied to it by chance.
4. Names are compatible (`name_rule_sql`) when their romanization-class keys are equal
   in either reading, or the family class is the same and the given names one
   keystroke apart (or the given names the same and the family names one keystroke
   apart), both parts long enough for a typo to be told from another name. A shared
   family name alone never is: two workers surnamed Kim at one business are two
   people. Different middle initials are a contradiction.
5. Guard: two entities are never joined when each carries a license number and they
   have none in common.

Entity ids then follow the resolve stage's rule (a hash of the smallest mention id in
the entity), and every join that merged two entities is kept in `person_context_edges`
with the node and the records that tie each side, for `harborlight explain`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from harborlight.resolve.normalize import SQL_BUSINESS_NAME, parse_address, register_sql_functions
from harborlight.warehouse import Warehouse

# A node shared by more businesses than this is a hub and ties no one (see point 3 above).
# IMB networks in the literature run up to about 15 locations; a registered-agent service
# serves hundreds. Below the cap, a shared node between two named people is evidence; above
# it, a common name would make coincidences likely.
DEFAULT_MAX_TIE_BUSINESSES = 15
# Shortest given (or family) name in which one keystroke apart is taken as a typo:
# LAN and LAM, or ANH and AHN, are different names.
MIN_TYPO_LENGTH = 5
# Which shared node explains a join best, strongest first.
NODE_KINDS = ("business", "premises", "agent", "mailing", "phone")

SQL_STREET = "hl_street"


def _street(raw: str | None) -> str | None:
    return parse_address(raw).street


def register_context_functions(con) -> None:
    """`hl_business_name` (from normalize) and `hl_street(address)`: the street as resolution keys it."""
    import duckdb

    register_sql_functions(con)
    try:
        con.create_function(SQL_STREET, _street, ["VARCHAR"], "VARCHAR", side_effects=False)
    except duckdb.NotImplementedException as exc:  # already registered on this connection
        if "already created" not in str(exc):
            raise


def person_business_ties_sql() -> str:
    """Each person mention and a business entity one record ties it to, with that record.

    - officers: the business whose filing names them (the filing's own mention);
    - registered agents who are people: the business of the filing they serve;
    - therapist licenses: a business with the license's business name in the same city,
      or a business in the same building (street and unit) in the same city, as the
      network graph's `licensed_to_work_at` does. Both sides must give a city: a name
      alone, with no place, is not a workplace.
    """
    return f"""
    WITH filing_business AS (
      SELECT source, record_id, entity_id AS business_id FROM business_mentions WHERE record_type = 'filings'
    )
    SELECT pm.unique_id, fb.business_id, 'officer named on the filing' AS how,
           'filings' AS record_type, fb.source, fb.record_id
    FROM person_mentions pm
    JOIN officers o ON o.source = pm.source AND o.record_id = pm.record_id
    JOIN filing_business fb ON fb.source = o.source AND fb.record_id = o.filing_record_id
    WHERE pm.record_type = 'officers'
    UNION
    SELECT pm.unique_id, fb.business_id, 'registered agent of the filing', 'filings', fb.source, fb.record_id
    FROM person_mentions pm
    JOIN filing_business fb ON fb.source = pm.source AND fb.record_id = pm.record_id
    WHERE pm.record_type = 'registered_agent'
    UNION
    SELECT pm.unique_id, bm.entity_id, 'license names the business', bm.record_type, bm.source, bm.record_id
    FROM person_mentions pm
    JOIN licenses l ON l.source = pm.source AND l.record_id = pm.record_id
    JOIN business_mentions bm ON bm.city = pm.city AND bm.name = {SQL_BUSINESS_NAME}(l.business_name)
    WHERE pm.record_type = 'licenses'
    UNION
    SELECT pm.unique_id, bm.entity_id, 'license address in the business''s building', bm.record_type, bm.source,
           bm.record_id
    FROM person_mentions pm
    JOIN business_mentions bm
      ON bm.city = pm.city AND bm.street = pm.street AND bm.unit IS NOT DISTINCT FROM pm.unit
    WHERE pm.record_type = 'licenses'"""


def business_nodes_sql(max_tie_businesses: int = DEFAULT_MAX_TIE_BUSINESSES) -> str:
    """Each business and the context nodes it has, with how many businesses share each node.

    Nodes over the hub cap are left out (they tie no one). The business itself is a node
    of one business. Phones are E.164 as resolution normalized them; a premises is the
    resolve stage's `premises_id`; an agent is the agent (or person) entity of a filing's
    registered agent; a mailing address is the street (as resolution keys streets) and
    city of a filing's mailing address.
    """
    return f"""
    WITH filing_business AS (
      SELECT source, record_id, entity_id AS business_id FROM business_mentions WHERE record_type = 'filings'
    ),
    nodes AS (
      SELECT DISTINCT entity_id AS business_id, 'business' AS node_kind, entity_id AS node_id FROM business_mentions
      UNION
      -- A company named as officer of a filing manages that business (a holding company):
      -- people named on the manager's filing and on the managed business's filing share it.
      SELECT fb.business_id, 'business', bm.entity_id
      FROM business_mentions bm
      JOIN officers o ON o.source = bm.source AND o.record_id = bm.record_id
      JOIN filing_business fb ON fb.source = o.source AND fb.record_id = o.filing_record_id
      WHERE bm.record_type = 'officers'
      UNION
      SELECT entity_id, 'phone', phone FROM business_mentions WHERE phone IS NOT NULL
      UNION
      SELECT entity_id, 'premises', premises_id FROM business_premises
      UNION
      SELECT fb.business_id, 'agent', am.entity_id
      FROM agent_mentions am JOIN filing_business fb ON fb.source = am.source AND fb.record_id = am.record_id
      UNION
      SELECT fb.business_id, 'agent', pm.entity_id
      FROM person_mentions pm JOIN filing_business fb ON fb.source = pm.source AND fb.record_id = pm.record_id
      WHERE pm.record_type = 'registered_agent'
      UNION
      SELECT fb.business_id, 'mailing', street || '|' || city
      FROM (
        SELECT source, record_id, {SQL_STREET}(mailing_address) AS street, upper(trim(mailing_city)) AS city
        FROM filings WHERE mailing_address IS NOT NULL AND mailing_city IS NOT NULL
      ) f JOIN filing_business fb USING (source, record_id)
      WHERE street IS NOT NULL AND city <> ''
    )
    SELECT business_id, node_kind, node_id,
           count(*) OVER (PARTITION BY node_kind, node_id) AS node_businesses
    FROM nodes
    QUALIFY node_businesses <= {int(max_tie_businesses)}"""


def name_rule_sql(left: str = "l", right: str = "r") -> str:
    """Why two person mentions' names are compatible, or NULL when they are not.

    Both need a given name: a family name alone (KIM) is compatible with nobody.
    Different middle initials contradict. Then, strongest first: the same class key in
    either reading (ZHANG WEI and Wei Chang; TRAN THI TUAN read either way), the same
    family class with given names one keystroke apart, or the same given name with
    family names one keystroke apart, each name at least MIN_TYPO_LENGTH letters.
    """
    l, r, n = left, right, int(MIN_TYPO_LENGTH)
    return f"""
    CASE
      WHEN {l}.given IS NULL OR {r}.given IS NULL THEN NULL
      WHEN {l}.middle IS NOT NULL AND {r}.middle IS NOT NULL AND {l}.middle <> {r}.middle THEN NULL
      WHEN {l}.name_class_key = {r}.name_class_key THEN 'same name, in any romanization'
      WHEN {l}.name_class_key = {r}.alt_class_key OR {l}.alt_class_key = {r}.name_class_key
        OR {l}.alt_class_key = {r}.alt_class_key THEN 'same name, family and given names read the other way'
      WHEN {l}.family_class = {r}.family_class AND least(length({l}.given), length({r}.given)) >= {n}
        AND damerau_levenshtein({l}.given, {r}.given) <= 1 THEN 'same family name, given names one keystroke apart'
      WHEN {l}.given = {r}.given AND least(length({l}.family), length({r}.family)) >= {n}
        AND damerau_levenshtein({l}.family, {r}.family) <= 1 THEN 'same given name, family names one keystroke apart'
    END"""


def context_pairs_sql(max_tie_businesses: int = DEFAULT_MAX_TIE_BUSINESSES) -> str:
    """Pairs of person mentions in different entities, with compatible names and a shared node.

    One row per pair: the strongest shared node (by NODE_KINDS, then the fewest businesses
    sharing it), and for each side the business and the record that tie it there.
    """
    kind_rank = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(NODE_KINDS))
    return f"""
    WITH ties AS ({person_business_ties_sql()}),
    nodes AS ({business_nodes_sql(max_tie_businesses)}),
    person_nodes AS (
      SELECT t.unique_id, t.business_id, t.how, t.record_type, t.source, t.record_id,
             n.node_kind, n.node_id, n.node_businesses
      FROM ties t JOIN nodes n USING (business_id)
    ),
    pairs AS (
      SELECT a.unique_id AS unique_id_l, b.unique_id AS unique_id_r,
             {name_rule_sql('pl', 'pr')} AS name_rule,
             a.node_kind AS tie_kind, a.node_id AS tie_node, a.node_businesses AS tie_businesses,
             a.business_id AS business_l, a.how AS how_l,
             a.record_type AS record_type_l, a.source AS source_l, a.record_id AS record_id_l,
             b.business_id AS business_r, b.how AS how_r,
             b.record_type AS record_type_r, b.source AS source_r, b.record_id AS record_id_r,
             pl.license_number AS license_l, pr.license_number AS license_r
      FROM person_nodes a
      JOIN person_nodes b ON b.node_kind = a.node_kind AND b.node_id = a.node_id AND b.unique_id > a.unique_id
      JOIN person_mentions pl ON pl.unique_id = a.unique_id
      JOIN person_mentions pr ON pr.unique_id = b.unique_id
      WHERE pl.entity_id <> pr.entity_id
    )
    SELECT * FROM pairs
    WHERE name_rule IS NOT NULL
      -- Two mentions that each give a license number and give different ones are two people.
      AND (license_l IS NULL OR license_r IS NULL OR license_l = license_r)
    QUALIFY row_number() OVER (
      PARTITION BY unique_id_l, unique_id_r
      ORDER BY CASE tie_kind {kind_rank} END, tie_businesses, tie_node, business_l, business_r,
               record_id_l, record_id_r) = 1
    ORDER BY CASE tie_kind {kind_rank} END, tie_businesses, unique_id_l, unique_id_r"""


def entity_licenses_sql() -> str:
    """The license numbers each person entity (of the person model) carries."""
    return """
    SELECT entity_id, list(DISTINCT license_number ORDER BY license_number) AS numbers
    FROM person_mentions WHERE license_number IS NOT NULL GROUP BY entity_id"""


def create_context_edges_sql() -> str:
    return """
    CREATE OR REPLACE TABLE person_context_edges (
      unique_id_l VARCHAR, unique_id_r VARCHAR, name_rule VARCHAR,
      tie_kind VARCHAR, tie_node VARCHAR, tie_businesses INTEGER,
      business_l VARCHAR, how_l VARCHAR, record_type_l VARCHAR, source_l VARCHAR, record_id_l VARCHAR,
      business_r VARCHAR, how_r VARCHAR, record_type_r VARCHAR, source_r VARCHAR, record_id_r VARCHAR)"""


EDGE_COLUMNS = (
    "unique_id_l", "unique_id_r", "name_rule", "tie_kind", "tie_node", "tie_businesses",
    "business_l", "how_l", "record_type_l", "source_l", "record_id_l",
    "business_r", "how_r", "record_type_r", "source_r", "record_id_r",
)


def reassign_entities_sql() -> str:
    """Give every person mention the id of its merged entity: the hash of its smallest mention id."""
    return """
    UPDATE person_mentions SET entity_id = m.new_id
    FROM (
      SELECT unique_id, 'per-' || substr(sha256(min(unique_id) OVER (PARTITION BY root)), 1, 16) AS new_id
      FROM context_roots
    ) m
    WHERE person_mentions.unique_id = m.unique_id AND person_mentions.entity_id <> m.new_id"""


@dataclass
class ContextResult:
    candidates: int = 0  # pairs with compatible names and a shared node, in different entities
    joins: int = 0  # of which merged two entities
    refused_licenses: int = 0  # would have joined entities with different license numbers
    entities_before: int = 0
    entities_after: int = 0

    def note(self) -> str:
        return (
            f"person context pass: {self.joins:,} join(s) from shared businesses, agents, phones and premises "
            f"({self.entities_before:,} -> {self.entities_after:,} person entities; "
            f"{self.refused_licenses:,} refused for different license numbers)"
        )


class _Clusters:
    """Union-find over person entities, each holding the license numbers of its mentions."""

    def __init__(self, licenses: dict[str, set[str]]):
        self.parent: dict[str, str] = {}
        self.licenses = licenses

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def conflict(self, a: str, b: str) -> bool:
        la, lb = self.licenses.get(a, set()), self.licenses.get(b, set())
        return bool(la and lb and not la & lb)

    def union(self, a: str, b: str) -> None:
        low, high = sorted((a, b))
        self.parent[high] = low
        self.licenses[low] = self.licenses.get(low, set()) | self.licenses.pop(high, set())


def _reassign(warehouse: Warehouse, entity_of: dict[str, str], clusters: _Clusters) -> None:
    """Rewrite the entity ids of the mentions whose entity was merged."""
    merged: dict[str, list[str]] = {}
    for uid, entity in entity_of.items():
        merged.setdefault(clusters.find(entity), []).append(uid)
    uids, roots = [], []
    for root, members in merged.items():
        if len({entity_of[u] for u in members}) > 1:
            uids += members
            roots += [root] * len(members)
    warehouse.con.register("context_roots", pa.table({"unique_id": uids, "root": roots}))
    try:
        warehouse.run(reassign_entities_sql())
    finally:
        warehouse.con.unregister("context_roots")


def link_persons_by_context(
    warehouse: Warehouse, max_tie_businesses: int = DEFAULT_MAX_TIE_BUSINESSES
) -> ContextResult:
    """Join person entities by context from the businesses; rewrite `person_mentions.entity_id`.

    Needs `person_mentions`, `business_mentions`, `agent_mentions` and `business_premises`
    as the resolve stage writes them. Writes `person_context_edges`.
    """
    register_context_functions(warehouse.con)
    result = ContextResult()
    warehouse.run(create_context_edges_sql())
    result.entities_before = warehouse.rows("SELECT count(DISTINCT entity_id) FROM person_mentions")[0][0]
    entity_of = dict(warehouse.rows("SELECT unique_id, entity_id FROM person_mentions"))
    licenses = {e: set(numbers) for e, numbers in warehouse.rows(entity_licenses_sql())}
    clusters = _Clusters(licenses)
    cursor = warehouse.run(context_pairs_sql(max_tie_businesses))
    names = [d[0] for d in cursor.description]
    kept = []
    for values in cursor.fetchall():
        pair = dict(zip(names, values))
        result.candidates += 1
        a, b = clusters.find(entity_of[pair["unique_id_l"]]), clusters.find(entity_of[pair["unique_id_r"]])
        if a == b:
            continue
        if clusters.conflict(a, b):
            result.refused_licenses += 1
            continue
        clusters.union(a, b)
        kept.append(tuple(pair[c] for c in EDGE_COLUMNS))
    result.joins = len(kept)
    if kept:
        placeholders = ", ".join("?" for _ in EDGE_COLUMNS)
        warehouse.con.executemany(f"INSERT INTO person_context_edges VALUES ({placeholders})", kept)
        _reassign(warehouse, entity_of, clusters)
    result.entities_after = warehouse.rows("SELECT count(DISTINCT entity_id) FROM person_mentions")[0][0]
    return result
