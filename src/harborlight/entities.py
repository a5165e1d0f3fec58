"""Which entity each record names: the `record_entities` table.

Until entity resolution is built, every record that names a business or a
person is its own entity. The mapping rules of the data contract live here:

- a filing, a fictitious name, an establishment license or a listing names a business;
- an officer of name_type company names the business of that company;
- an officer of name_type person (or unknown) and a therapist license name a person.

Entity ids are derived from the record's key, so they are stable between runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from harborlight.warehouse import Warehouse

RECORD_ENTITIES = "record_entities"



@dataclass(frozen=True)
class Mention:
    """One way a record names an entity. `priority` orders records when choosing a display name."""

    record_type: str
    kind_sql: str  # 'business' or 'person', as SQL over the record
    name_sql: str
    address_prefix: str  # the prefix of the address, city, state and zip columns
    where: str
    role_sql: str = "NULL"  # for person mentions: how the person is linked to a business
    priority: int = 9


MENTIONS = (
    Mention("filings", "'business'", "entity_name", "principal_", "TRUE", priority=1),
    Mention("fictitious_names", "'business'", "dba_name", "", "TRUE", priority=3),
    Mention(
        "licenses", "'business'", "coalesce(business_name, licensee_name)", "",
        "license_type = 'establishment'", priority=2,
    ),
    Mention("licenses", "'person'", "licensee_name", "", "license_type = 'therapist'", "'therapist'", 2),
    Mention("listings", "'business'", "business_name", "", "TRUE", priority=4),
    Mention(
        "officers", "CASE WHEN name_type = 'company' THEN 'business' ELSE 'person' END",
        "name", "", "TRUE", "role", 1,
    ),
)


def create_record_entities_sql() -> str:
    return f"""
    CREATE OR REPLACE TABLE {RECORD_ENTITIES} (
      source VARCHAR NOT NULL,
      record_id VARCHAR NOT NULL,
      record_type VARCHAR NOT NULL,
      entity_kind VARCHAR NOT NULL,  -- business or person
      entity_id VARCHAR NOT NULL,
      person_role VARCHAR             -- officer role, or 'therapist'; NULL for business mentions
    )"""


def _mention_sql(m: Mention) -> str:
    return f"""
    SELECT source, record_id, '{m.record_type}' AS record_type, {m.kind_sql} AS entity_kind,
           CASE WHEN {m.kind_sql} = 'business' THEN 'biz-' ELSE 'per-' END
             || substr(sha256('{m.record_type}' || chr(31) || source || chr(31) || record_id), 1, 16)
             AS entity_id,
           CASE WHEN {m.kind_sql} = 'person' THEN {m.role_sql} END AS person_role
    FROM {m.record_type} WHERE {m.where}"""


def fill_record_entities_sql() -> str:
    parts = [_mention_sql(m) for m in MENTIONS]
    return f"INSERT INTO {RECORD_ENTITIES}\n" + "\nUNION ALL".join(parts) + "\nORDER BY record_type, source, record_id"


def assign_record_entities(warehouse: Warehouse) -> int:
    """Rebuild `record_entities` from the loaded records; returns how many rows it holds."""
    with warehouse.transaction():
        warehouse.run(create_record_entities_sql())
        warehouse.run(fill_record_entities_sql())
    return warehouse.rows(f"SELECT count(*) FROM {RECORD_ENTITIES}")[0][0]


def entity_profiles_sql(kind: str) -> str:
    """One row per entity of `kind` with the name and address of its most authoritative record."""
    parts = []
    for m in MENTIONS:
        a = m.address_prefix
        parts.append(f"""
    SELECT re.entity_id, {m.name_sql} AS name,
           r.{a}address AS address, r.{a}city AS city, r.{a}state AS state, r.{a}zip AS zip,
           re.person_role, {m.priority} AS priority, re.source, re.record_id
    FROM {m.record_type} r
    JOIN {RECORD_ENTITIES} re
      ON re.source = r.source AND re.record_id = r.record_id AND re.record_type = '{m.record_type}'
    WHERE re.entity_kind = '{kind}' AND {m.where}""")
    mentions = "\nUNION ALL".join(parts)
    return f"""
    WITH mentions AS ({mentions}
    )
    SELECT entity_id, name, address, city, state, zip,
           list_sort(list_distinct(list(person_role) OVER (PARTITION BY entity_id))) AS roles
    FROM mentions
    QUALIFY row_number() OVER (PARTITION BY entity_id ORDER BY priority, source, record_id) = 1
    ORDER BY entity_id"""
