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
   or whose building it gives (street and unit, same city); an officer or registered
   agent also to a business whose address (street and unit, same city) their own
   record gives.
2. A business's context nodes (`business_nodes_sql`): the business itself, a company
   that manages it (named as officer on its filing), its phones, its premises, the
   registered agent (company or person entity) and the mailing address of its
   filings. A therapist license is also tied to its license number, and an officer or
   registered agent to the address their own record gives.
3. A node that ties more than `max_tie_businesses` businesses is a hub (a registered
   agent service with hundreds of clients, a hotel switchboard) and ties nobody: two
   people with one common name could both be tied to it by chance. A common name
   (recorded in more than COMMON_NAME_CITIES cities), or two names one keystroke
   apart, is joined only through a node of one business.
4. Names are compatible (`name_rule`) when their romanization-class keys are equal in
   either reading, or, in some reading, the family class is the same and the given
   names one keystroke apart (or the given names the same and the family names one
   keystroke apart), the name long enough and the typed spelling rare enough for a
   typo to be told from another name. A shared family name alone never is: two
   workers surnamed Kim at one business are two people. Different middle initials
   are a contradiction.
5. Guards: two entities are never joined when each carries a license number and they
   have none in common, or when both are named as officers of one filing.
6. Pairs are taken strongest first (the fewest businesses sharing the node), so a
   guard keeps the best-supported of two conflicting joins.

Entity ids then follow the resolve stage's rule (a hash of the smallest mention id in
the entity), and every join that merged two entities is kept in `person_context_edges`
with the node and the records that tie each side, for `harborlight explain`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from harborlight.resolve.mentions import record_key_sql
from harborlight.resolve.normalize import SQL_BUSINESS_NAME, SQL_STREET, register_sql_functions
from harborlight.stages.tables import create_table_sql
from harborlight.warehouse import Warehouse

# A node shared by more businesses than this is a hub and ties no one (see point 3 above).
# IMB networks in the literature run up to about 15 locations; a registered-agent service
# serves hundreds. Below the cap, a shared node between two named people is evidence; above
# it, a common name would make coincidences likely.
DEFAULT_MAX_TIE_BUSINESSES = 15
# Shortest given (or family) name in which one keystroke apart is taken as a typo:
# LAN and LAM, or ANH and AHN, are different names.
MIN_TYPO_LENGTH = 5
# A license's business name that more businesses than this carry in its city names no one workplace.
MAX_NAME_MATCHES = 3
# Which shared node explains a join best, strongest first.
NODE_KINDS = ("license", "business", "premises", "address", "agent", "mailing", "phone")
# A name (romanization-class key) recorded in more cities than this is common: unrelated people
# who share a name are spread over places, while one person's records, even split over several
# entities, mostly stay in one metro. A common name is joined only through a node of one
# business (a business, its premises, a license number), never through one that several
# businesses share. Found on the synthetic world: a worker and a legitimate owner both named
# MICHAEL BROWN, at two locations of one franchise (the franchisor manages both).
COMMON_NAME_CITIES = 2
# Names one keystroke apart are weaker evidence than one name in two spellings: like a common
# name, they are joined only through a node of one business. Found on the synthetic world: a
# worker SEOJIN KANG and an owner SEOJUN GANG at two locations of one franchise.
TYPO_RULES = (
    "same family name, given names one keystroke apart",
    "same given name, family names one keystroke apart",
)
# A spelling recorded on more mentions than this is a name, not a typo (see `name_rule`).
TYPO_MAX_SEEN = 2

def person_business_ties_sql() -> str:
    """Each person mention and a business entity one record ties it to, with that record.

    - officers: the business whose filing names them (the filing's own mention);
    - registered agents who are people: the business of the filing they serve;
    - officers and registered agents who give a business's address (street and unit, city) as
      their own: that business, unless more than MAX_NAME_MATCHES businesses share the address;
    - therapist licenses: a business with the license's business name in the same city,
      or a business in the same building (street and unit) in the same city, as the
      network graph's `licensed_to_work_at` does; a name that more than MAX_NAME_MATCHES
      businesses carry in the city (a brand's locations) names no one workplace. Both sides must give a city: a name
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
    SELECT ln.unique_id, bm.entity_id, 'license names the business', bm.record_type, bm.source, bm.record_id
    FROM (
      -- Normalized once per license, so the join below is an equality join.
      SELECT pm.unique_id, pm.city, {SQL_BUSINESS_NAME}(l.business_name) AS business_name
      FROM person_mentions pm JOIN licenses l ON l.source = pm.source AND l.record_id = pm.record_id
      WHERE pm.record_type = 'licenses' AND l.business_name IS NOT NULL
    ) ln
    JOIN business_mentions bm ON bm.city = ln.city AND bm.name = ln.business_name
    -- A name that several businesses in the city carry (a brand's locations) names no one workplace.
    WHERE (ln.business_name, ln.city) IN (
      SELECT (name, city) FROM business_mentions WHERE name IS NOT NULL AND city IS NOT NULL
      GROUP BY name, city HAVING count(DISTINCT entity_id) <= {int(MAX_NAME_MATCHES)})
    UNION
    SELECT pm.unique_id, bm.entity_id, 'license address in the business''s building', bm.record_type, bm.source,
           bm.record_id
    FROM person_mentions pm
    JOIN business_mentions bm
      ON bm.city = pm.city AND bm.street = pm.street AND bm.unit IS NOT DISTINCT FROM pm.unit
    WHERE pm.record_type = 'licenses'
    UNION
    -- An officer or agent who gives a business's address as their own: a controller at the office
    -- of the holding company that manages the business they are named on. As for a license's
    -- name, an address that more than MAX_NAME_MATCHES businesses share names no one business.
    SELECT pm.unique_id, bm.entity_id, 'gives the business''s address as their own', bm.record_type, bm.source,
           bm.record_id
    FROM person_mentions pm
    JOIN business_mentions bm
      ON bm.city = pm.city AND bm.street = pm.street AND bm.unit IS NOT DISTINCT FROM pm.unit
    WHERE pm.record_type IN ('officers', 'registered_agent')
      AND (pm.street, pm.city) IN (
        SELECT (street, city) FROM business_mentions WHERE street IS NOT NULL AND city IS NOT NULL
        GROUP BY street, city HAVING count(DISTINCT entity_id) <= {int(MAX_NAME_MATCHES)})"""


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


def own_address_nodes_sql(max_tie_businesses: int = DEFAULT_MAX_TIE_BUSINESSES, ties: str | None = None) -> str:
    """Each officer or registered-agent mention that gives an address of its own, with that address
    (street and city, as resolution keys them) as a node, and how many businesses the people giving
    it are tied to.

    The person model needs a strong name match beside a shared address: one controller written
    ZHANG, KAKIT as agent of one filing and KA-KIT CHANG on six others, all at one home address,
    scored 0.77 there and stayed two entities, each ranked as a controller (found on the variant
    world, seed 104). A compatible name at one's own address is the same person. Licenses are left
    out: workers of one business often share a dormitory, and a license is already tied to its
    number. An address given by people tied to more than `max_tie_businesses` businesses is an
    agent's office, a hub, and ties no one; one tied to several businesses is, like any shared node,
    used only for names that are neither common nor typos. `ties` names a relation already holding
    `person_business_ties_sql`'s rows (a CTE of the caller), so they are not computed twice."""
    ties = ties or f"({person_business_ties_sql()})"
    return f"""
    WITH given AS (
      SELECT unique_id, record_type, source, record_id, street || '|' || city AS node_id
      FROM person_mentions
      WHERE record_type IN ('officers', 'registered_agent') AND street IS NOT NULL AND city IS NOT NULL
    ),
    reach AS (
      SELECT g.node_id, count(DISTINCT t.business_id) AS node_businesses
      FROM given g JOIN {ties} t USING (unique_id)
      GROUP BY g.node_id
    )
    SELECT g.unique_id, NULL AS business_id, 'own address' AS how, g.record_type, g.source, g.record_id,
           'address' AS node_kind, g.node_id, greatest(coalesce(r.node_businesses, 1), 1) AS node_businesses
    FROM given g LEFT JOIN reach r USING (node_id)
    WHERE coalesce(r.node_businesses, 1) <= {int(max_tie_businesses)}"""


def context_pairs_sql(max_tie_businesses: int = DEFAULT_MAX_TIE_BUSINESSES) -> str:
    """Pairs of person mentions in different entities that share a node, with their names.

    A person's nodes are those of the businesses they are tied to, for a therapist license its
    license number, and for an officer or agent the address their record gives
    (`own_address_nodes_sql`). One row per pair: the strongest shared node (the fewest
    businesses sharing it, then by NODE_KINDS), and for each side the business
    and the record that tie it there. Only pairs whose names could be compatible are
    kept (a family name class or a given name in common, in either reading); `name_rule`
    decides. Two mentions that each give a license number and give different ones are
    two people. Two officers of one filing are two people: a filing names each officer
    once, and partners often share a family name and similar given names (NGOC HUONG and
    NGOC PHUONG HOANG on one filing, found on the synthetic world).
    """
    kind_rank = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(NODE_KINDS))
    names = ", ".join(f"pl.{c} AS {c}_l, pr.{c} AS {c}_r" for c in NAME_COLUMNS)
    return f"""
    WITH ties AS ({person_business_ties_sql()}),
    nodes AS ({business_nodes_sql(max_tie_businesses)}),
    person_nodes AS (
      SELECT t.unique_id, t.business_id, t.how, t.record_type, t.source, t.record_id,
             n.node_kind, n.node_id, n.node_businesses
      FROM ties t JOIN nodes n USING (business_id)
      UNION ALL
      SELECT unique_id, NULL, 'license number', record_type, source, record_id, 'license', license_number, 1
      FROM person_mentions WHERE record_type = 'licenses' AND license_number IS NOT NULL
      UNION ALL
      SELECT * FROM ({own_address_nodes_sql(max_tie_businesses, ties="ties")})
    ),
    filing_of AS (
      SELECT pm.unique_id, {record_key_sql('o.source', 'o.filing_record_id')} AS filing
      FROM person_mentions pm JOIN officers o ON o.source = pm.source AND o.record_id = pm.record_id
      WHERE pm.record_type = 'officers' AND o.filing_record_id IS NOT NULL
    ),
    name_keys AS (
      -- The names a mention could share with another, as join keys: a family name class or a given
      -- name, in either reading. The pairs below join on a node AND one of these, so a node tying
      -- hundreds of mentions (a big business's workers, a shared office) pairs only the mentions whose
      -- names could be compatible, never all of them: the name test in the WHERE below, done in the join.
      -- (Mentions with no name at all pair with nobody: the WHERE below would drop them too.)
      SELECT DISTINCT unique_id, entity_id, key FROM (
        SELECT unique_id, entity_id,
               unnest(['f:' || family_class, 'f:' || alt_family_class, 'g:' || given, 'g:' || alt_given]) AS key
        FROM person_mentions)
      WHERE key IS NOT NULL
    ),
    keyed_nodes AS (
      SELECT n.*, k.entity_id, k.key FROM person_nodes n JOIN name_keys k USING (unique_id)
    ),
    pairs AS (
      SELECT DISTINCT a.unique_id AS unique_id_l, b.unique_id AS unique_id_r,
             a.node_kind AS tie_kind, a.node_id AS tie_node, a.node_businesses AS tie_businesses,
             a.business_id AS business_l, a.how AS how_l,
             a.record_type AS record_type_l, a.source AS source_l, a.record_id AS record_id_l,
             b.business_id AS business_r, b.how AS how_r,
             b.record_type AS record_type_r, b.source AS source_r, b.record_id AS record_id_r
      FROM keyed_nodes a
      JOIN keyed_nodes b
        ON b.node_kind = a.node_kind AND b.node_id = a.node_id AND b.key = a.key AND b.unique_id > a.unique_id
       AND b.entity_id <> a.entity_id  -- mentions already one person pair into nothing (WHERE below)
    )
    SELECT p.*, {names}
    FROM pairs p
    JOIN person_mentions pl ON pl.unique_id = p.unique_id_l
    JOIN person_mentions pr ON pr.unique_id = p.unique_id_r
    LEFT JOIN filing_of fl ON fl.unique_id = p.unique_id_l
    LEFT JOIN filing_of fr ON fr.unique_id = p.unique_id_r
    WHERE pl.entity_id <> pr.entity_id
      AND (pl.license_number IS NULL OR pr.license_number IS NULL OR pl.license_number = pr.license_number)
      AND (fl.filing IS NULL OR fr.filing IS NULL OR fl.filing <> fr.filing)
      AND (pl.family_class IN (pr.family_class, pr.alt_family_class) OR pl.given IN (pr.given, pr.alt_given)
           OR pl.alt_family_class IN (pr.family_class, pr.alt_family_class) OR pl.alt_given IN (pr.given, pr.alt_given))
    QUALIFY row_number() OVER (
      PARTITION BY p.unique_id_l, p.unique_id_r
      ORDER BY tie_businesses, CASE tie_kind {kind_rank} END, tie_node, business_l, business_r,
               record_id_l, record_id_r) = 1
    ORDER BY tie_businesses, CASE tie_kind {kind_rank} END, p.unique_id_l, p.unique_id_r"""


NAME_COLUMNS = (
    "given", "middle", "family", "family_class", "alt_given", "alt_family", "alt_family_class",
    "name_class_key", "alt_class_key", "license_number",
)


def spellings_seen_sql() -> str:
    """How many person mentions write each given name and each family name (in either reading)."""
    return """
    SELECT part, spelling, count(DISTINCT unique_id) AS mentions FROM (
      SELECT unique_id, 'given' AS part, given AS spelling FROM person_mentions
      UNION ALL SELECT unique_id, 'given', alt_given FROM person_mentions
      UNION ALL SELECT unique_id, 'family', family FROM person_mentions
      UNION ALL SELECT unique_id, 'family', alt_family FROM person_mentions
    ) WHERE spelling IS NOT NULL GROUP BY part, spelling"""


def one_keystroke(a: str, b: str) -> bool:
    """One letter dropped, added or changed, or two neighbours swapped (Damerau-Levenshtein 1)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == short for i in range(len(longer)))


@dataclass(frozen=True)
class Spellings:
    """How often each spelling of a given and a family name is recorded: a typo is rare, a name is not."""

    given: dict[str, int]
    family: dict[str, int]

    def rare(self, part: str, a: str, b: str) -> bool:
        seen = self.given if part == "given" else self.family
        return min(seen.get(a, 0), seen.get(b, 0)) <= TYPO_MAX_SEEN


def _readings(side: dict) -> list[tuple[str | None, str | None, str | None]]:
    """(given, family, family class) as read, and in the other reading when there is one."""
    out = [(side["given"], side["family"], side["family_class"])]
    if side["alt_family"]:
        out.append((side["alt_given"], side["alt_family"], side["alt_family_class"]))
    return out


def name_rule(pair: dict, spellings: Spellings) -> str | None:
    """Why the names of a pair's two mentions (columns `<name>_l`, `<name>_r`) are compatible, or None.

    - Both need a given name: a family name alone (KIM) is compatible with nobody.
    - Different middle initials contradict.
    - The same romanization-class key in either reading: ZHANG WEI and Wei Chang; TRAN
      THI TUAN read either way.
    - A typo: in some reading, the same family class and given names one keystroke apart,
      or the same given name and family names one keystroke apart. The given name must
      be at least MIN_TYPO_LENGTH letters (LAN and LAM are two names; a family name at
      least 3), and one of the two spellings rare (on at most TYPO_MAX_SEEN mentions):
      NGOCHUONG and NGOCPHUONG are both common names, one keystroke apart.
    A shared family name alone never is: two workers surnamed Kim at one business are two people.
    """
    left = {c: pair[f"{c}_l"] for c in NAME_COLUMNS}
    right = {c: pair[f"{c}_r"] for c in NAME_COLUMNS}
    if not left["given"] or not right["given"]:
        return None
    if left["middle"] and right["middle"] and left["middle"] != right["middle"]:
        return None
    if left["name_class_key"] == right["name_class_key"]:
        return "same name, in any romanization"
    if {left["name_class_key"], left["alt_class_key"]} & {right["name_class_key"], right["alt_class_key"]} - {None}:
        return "same name, family and given names read the other way"
    for lg, lf, lc in _readings(left):
        for rg, rf, rc in _readings(right):
            if not (lg and rg and lf and rf):
                continue
            if (lc == rc and min(len(lg), len(rg)) >= MIN_TYPO_LENGTH and one_keystroke(lg, rg)
                    and spellings.rare("given", lg, rg)):
                return "same family name, given names one keystroke apart"
            if (lg == rg and len(lg) >= MIN_TYPO_LENGTH and min(len(lf), len(rf)) >= 3 and one_keystroke(lf, rf)
                    and spellings.rare("family", lf, rf)):
                return "same given name, family names one keystroke apart"
    return None


def entity_filings_sql() -> str:
    """The filings each person entity is named on as officer: a filing names each officer once."""
    return f"""
    SELECT pm.entity_id, list(DISTINCT {record_key_sql('o.source', 'o.filing_record_id')}) AS filings
    FROM person_mentions pm JOIN officers o ON o.source = pm.source AND o.record_id = pm.record_id
    WHERE pm.record_type = 'officers' AND o.filing_record_id IS NOT NULL
    GROUP BY pm.entity_id"""


def name_places_sql() -> str:
    """In how many cities each romanization-class key (in either reading) is recorded."""
    return """
    SELECT key, count(DISTINCT city) FROM (
      SELECT city, name_class_key AS key FROM person_mentions
      UNION ALL SELECT city, alt_class_key FROM person_mentions
    ) WHERE key IS NOT NULL AND city IS NOT NULL GROUP BY key"""


def entity_licenses_sql() -> str:
    """The license numbers each person entity (of the person model) carries."""
    return """
    SELECT entity_id, list(DISTINCT license_number ORDER BY license_number) AS numbers
    FROM person_mentions WHERE license_number IS NOT NULL GROUP BY entity_id"""


EDGE_SCHEMA = pa.schema(
    [("unique_id_l", pa.string()), ("unique_id_r", pa.string()), ("name_rule", pa.string()),
     ("tie_kind", pa.string()), ("tie_node", pa.string()), ("tie_businesses", pa.int32())]
    + [(f"{c}_{side}", pa.string()) for side in ("l", "r")
       for c in ("business", "how", "record_type", "source", "record_id")]
)
EDGE_COLUMNS = tuple(EDGE_SCHEMA.names)


def create_context_edges_sql() -> str:
    """One row per context join that merged two person entities: the two mentions, why their
    names are compatible, the shared node, and for each side the business and record that tie it."""
    return create_table_sql("person_context_edges")  # declared in stages/tables.py


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
    refused_filings: int = 0  # would have joined two officers of one filing
    held_common: int = 0  # a common name or a typo tied only through a node several businesses share
    entities_before: int = 0
    entities_after: int = 0

    def note(self) -> str:
        return (
            f"person context pass: {self.joins:,} join(s) from shared businesses, agents, phones and premises "
            f"({self.entities_before:,} -> {self.entities_after:,} person entities); refused: "
            f"{self.refused_licenses:,} for different license numbers, {self.refused_filings:,} for two officers "
            f"of one filing, {self.held_common:,} for a common name or a typo tied only through a shared node"
        )


class _Clusters:
    """Union-find over person entities, each holding its license numbers and the filings it is officer on."""

    def __init__(self, licenses: dict[str, set[str]], filings: dict[str, set[str]]):
        self.parent: dict[str, str] = {}
        self.licenses = licenses
        self.filings = filings

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def license_conflict(self, a: str, b: str) -> bool:
        la, lb = self.licenses.get(a, set()), self.licenses.get(b, set())
        return bool(la and lb and not la & lb)

    def filing_conflict(self, a: str, b: str) -> bool:
        return bool(self.filings.get(a, set()) & self.filings.get(b, set()))

    def union(self, a: str, b: str) -> None:
        low, high = sorted((a, b))
        self.parent[high] = low
        for held in (self.licenses, self.filings):
            held[low] = held.get(low, set()) | held.pop(high, set())


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


def _commonness(pair: dict, places: dict[str, int]) -> int:
    """In how many cities the most widespread of the pair's names (class keys, either reading) is recorded."""
    keys = {pair[f"{c}_{side}"] for c in ("name_class_key", "alt_class_key") for side in ("l", "r")} - {None}
    return max((places.get(k, 0) for k in keys), default=0)


def link_persons_by_context(
    warehouse: Warehouse, max_tie_businesses: int = DEFAULT_MAX_TIE_BUSINESSES
) -> ContextResult:
    """Join person entities by context from the businesses; rewrite `person_mentions.entity_id`.

    Needs `person_mentions`, `business_mentions`, `agent_mentions` and `business_premises`
    as the resolve stage writes them. Writes `person_context_edges`.
    """
    register_sql_functions(warehouse.con)
    result = ContextResult()
    warehouse.run(create_context_edges_sql())
    result.entities_before = warehouse.rows("SELECT count(DISTINCT entity_id) FROM person_mentions")[0][0]
    entity_of = dict(warehouse.rows("SELECT unique_id, entity_id FROM person_mentions"))
    seen: dict[str, dict[str, int]] = {"given": {}, "family": {}}
    for part, spelling, mentions in warehouse.rows(spellings_seen_sql()):
        seen[part][spelling] = mentions
    spellings = Spellings(seen["given"], seen["family"])
    clusters = _Clusters(
        {e: set(numbers) for e, numbers in warehouse.rows(entity_licenses_sql())},
        {e: set(filings) for e, filings in warehouse.rows(entity_filings_sql())},
    )
    places = dict(warehouse.rows(name_places_sql()))
    cursor = warehouse.run(context_pairs_sql(max_tie_businesses))
    columns = [d[0] for d in cursor.description]
    kept = []
    while chunk := cursor.fetchmany(10_000):
        for values in chunk:
            pair = dict(zip(columns, values))
            pair["name_rule"] = name_rule(pair, spellings)
            if pair["name_rule"] is None:
                continue
            result.candidates += 1
            a, b = clusters.find(entity_of[pair["unique_id_l"]]), clusters.find(entity_of[pair["unique_id_r"]])
            if a == b:
                continue
            if pair["tie_businesses"] > 1 and (
                pair["name_rule"] in TYPO_RULES or _commonness(pair, places) > COMMON_NAME_CITIES
            ):
                result.held_common += 1
                continue
            if clusters.license_conflict(a, b):
                result.refused_licenses += 1
                continue
            if clusters.filing_conflict(a, b):
                result.refused_filings += 1
                continue
            clusters.union(a, b)
            kept.append({c: pair[c] for c in EDGE_COLUMNS})
    result.joins = len(kept)
    if kept:
        warehouse.con.register("context_edges", pa.Table.from_pylist(kept, schema=EDGE_SCHEMA))
        try:
            warehouse.run("INSERT INTO person_context_edges SELECT * FROM context_edges")
        finally:
            warehouse.con.unregister("context_edges")
        _reassign(warehouse, entity_of, clusters)
    result.entities_after = warehouse.rows("SELECT count(DISTINCT entity_id) FROM person_mentions")[0][0]
    return result
