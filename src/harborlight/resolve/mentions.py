"""Mentions: every place a record names a business, a person or a registered-agent company.

A mention is one row of one model's input. Its `unique_id` is the record type, source
and record id joined by a unit separator, each part escaped so that no record id can
forge another record's key (`record_key_sql`); an entity made of one mention keeps the
id it would have had before resolution. Raw values are selected in SQL (one function per
model), then normalized in Python (`normalize.py`), and the result is an Arrow table
that any Splink engine can read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pyarrow as pa

from harborlight.resolve.normalize import (
    PersonName,
    looks_like_company,
    normalize_business_name,
    normalize_phone,
    parse_address,
    parse_person_name,
    zip5,
)
from harborlight.resolve.romanization import family_class
from harborlight.warehouse import Warehouse

SEP = "\x1f"  # the unit separator between a key's parts
ESCAPE = "\\"
OPEN_ENDED = date(9999, 12, 31)


def key_part_sql(column: str) -> str:
    """One part of a record key, escaped so it cannot hold a bare separator.

    Source and record id are data, and a record id may itself contain the unit separator: joined
    raw, `x` + `1<US>2` and `x<US>1` + `2` would give one key, and two distinct records would
    merge. The escape character is doubled first, then each separator becomes `\\s`, so splitting
    a key at its separators always gives back the parts. A part without either character is
    unchanged, so ordinary records keep the ids they had before."""
    return f"replace(replace({column}, '\\', '\\\\'), chr(31), '\\s')"


def record_key_sql(*columns: str) -> str:
    """A key joining SQL expressions with the separator, each part escaped (`key_part_sql`)."""
    return " || chr(31) || ".join(key_part_sql(c) for c in columns)


def record_key_parts(key: str) -> list[str]:
    """The parts of a key made by `record_key_sql`, unescaped: the inverse of joining them."""
    return [_unescape(part) for part in key.split(SEP)]


def _unescape(part: str) -> str:
    out, i = [], 0
    while i < len(part):
        if part[i] == ESCAPE and i + 1 < len(part):
            out.append(SEP if part[i + 1] == "s" else part[i + 1])
            i += 2
        else:
            out.append(part[i])
            i += 1
    return "".join(out)


def _uid(record_type: str, source: str = "source", record_id: str = "record_id") -> str:
    """A mention's unique id: record type, source and record id, unforgeable by any of them."""
    return f"'{record_type}' || chr(31) || {key_part_sql(source)} || chr(31) || {key_part_sql(record_id)}"


def business_mentions_sql() -> str:
    """Filings, trade names, establishment licenses, listings and company officers.

    Each mention carries its *legal* name (a filing's entity name, a trade name's owner,
    an establishment license's licensee, a company officer) apart from its *trading* name
    (a listing's name, a trade name, a license's business name): a filing and a listing of
    one business legitimately differ in name, two trading names of one business rarely
    differ completely (see models.business_settings).

    The active period is `date_from`..`date_to`: a filing from its filing date to its
    dissolution, a trade name from filing to expiry, a license from issue to its expiry
    once revoked or expired, a listing from first to last seen. Open periods end in 9999.
    """
    company_officer = "name_type = 'company'"
    return f"""
    SELECT {_uid('filings')} AS unique_id, 'filings' AS record_type, source, record_id,
           entity_name AS legal_name, NULL AS trade_name,
           principal_address AS address, principal_city AS city, principal_state AS state, principal_zip AS zip,
           NULL AS phone, filed_date AS date_from,
           CASE WHEN status IN ('dissolved', 'inactive', 'revoked') THEN status_date END AS date_to,
           record_id AS filing_ref
    FROM filings
    UNION ALL
    SELECT {_uid('fictitious_names')}, 'fictitious_names', source, record_id,
           owner_name, dba_name, address, city, state, zip, NULL, filed_date, expires_date,
           owner_filing_record_id
    FROM fictitious_names
    UNION ALL
    SELECT {_uid('licenses')}, 'licenses', source, record_id,
           licensee_name, business_name, address, city, state, zip, phone,
           issued_date, CASE WHEN status IN ('revoked', 'expired') THEN expires_date END, NULL
    FROM licenses WHERE license_type = 'establishment'
    UNION ALL
    SELECT {_uid('listings')}, 'listings', source, record_id,
           NULL, business_name, address, city, state, zip, phone, first_seen, last_seen, NULL
    FROM listings
    UNION ALL
    SELECT {_uid('officers')}, 'officers', source, record_id,
           name, NULL, address, city, state, zip, NULL, NULL, NULL, NULL
    FROM officers WHERE {company_officer}
    ORDER BY unique_id"""


def _birth_date(extra: str) -> str:
    """A date of birth, when a source carries one as an extra column (the contract has none)."""
    return f"coalesce({extra}->>'date_of_birth', {extra}->>'birth_date', {extra}->>'dob')"


def person_mentions_sql() -> str:
    """Person officers, therapist licensees, and registered agents who are people.

    An officer with no name type is a person unless its name looks like a company's
    (decided in Python, with the agents, by `looks_like_company`).
    """
    return f"""
    SELECT {_uid('officers', 'o.source', 'o.record_id')} AS unique_id, 'officers' AS record_type,
           o.source, o.record_id, o.name, o.address,
           -- An officer without an address is placed in the city of the business they serve.
           CASE WHEN o.address IS NULL THEN f.principal_city ELSE o.city END AS city,
           CASE WHEN o.address IS NULL THEN f.principal_state ELSE o.state END AS state,
           o.zip, NULL AS license_number, o.role AS person_role, o.name_type AS declared_type,
           f.registered_agent_name AS agent_context, {_birth_date('o.extra')} AS birth_date,
           f.mailing_address AS mailing_context
    FROM officers o
    LEFT JOIN filings f ON f.source = o.source AND f.record_id = o.filing_record_id
    WHERE o.name_type IS DISTINCT FROM 'company'
    UNION ALL
    SELECT {_uid('licenses')}, 'licenses', source, record_id,
           licensee_name, address, city, state, zip, license_number, 'therapist', 'person', NULL,
           {_birth_date('extra')}, NULL
    FROM licenses WHERE license_type = 'therapist'
    UNION ALL
    SELECT {_uid('registered_agent')}, 'registered_agent', source, record_id,
           registered_agent_name, registered_agent_address, registered_agent_city,
           registered_agent_state, registered_agent_zip, NULL, 'registered_agent', registered_agent_type,
           registered_agent_name, NULL, mailing_address
    FROM filings WHERE registered_agent_name IS NOT NULL AND registered_agent_type IS DISTINCT FROM 'company'
    ORDER BY unique_id"""


def agent_mentions_sql() -> str:
    """Registered agents named as companies, or with no type and a company's name."""
    return f"""
    SELECT {_uid('registered_agent')} AS unique_id, 'registered_agent' AS record_type, source, record_id,
           registered_agent_name AS name, registered_agent_address AS address,
           registered_agent_city AS city, registered_agent_state AS state, registered_agent_zip AS zip,
           registered_agent_type AS declared_type
    FROM filings WHERE registered_agent_name IS NOT NULL AND registered_agent_type IS DISTINCT FROM 'person'
    ORDER BY unique_id"""


PRIORITY = {"filings": 1, "licenses": 2, "officers": 2, "fictitious_names": 3, "listings": 4, "registered_agent": 5}


def _place(row: dict) -> dict:
    """Normalized place columns, and the raw ones for display."""
    address = parse_address(row["address"])
    city = (row["city"] or "").strip().upper() or None
    return {
        "street": address.street,
        "unit": address.unit,
        "zip5": zip5(row["zip"]),
        "city": city,
        "state": (row["state"] or "").strip().upper() or None,
        "raw_address": row["address"],
        "raw_city": row["city"],
        "raw_state": row["state"],
        "raw_zip": row["zip"],
        "priority": PRIORITY[row["record_type"]],
    }


REGISTRATIONS = frozenset({"filings", "fictitious_names", "licenses"})


def name_words(name: str | None) -> list[str] | None:
    """The distinct words of a normalized name, sorted: `SERENE HANDS MIAMI` holds `SERENE HANDS`."""
    return sorted(set(name.split())) if name else None


def _business(row: dict) -> dict | None:
    legal, trade = normalize_business_name(row["legal_name"]), normalize_business_name(row["trade_name"])
    # The name shown and compared first is the trading name where there is one.
    name = trade or legal
    names = sorted({n for n in (legal, trade) if n})
    return {
        "raw_name": row["trade_name"] or row["legal_name"],
        "name": name,
        "names": names or None,
        "name_words": name_words(name),
        "first_word": name.split()[0] if name else None,
        "legal_name": legal,
        "trade_name": trade,
        "phone": normalize_phone(row["phone"]),
        "date_from": row["date_from"],
        "date_to": row["date_to"] or (OPEN_ENDED if row["date_from"] else None),
        # A registration's date_from is when the business was formed, licensed or named;
        # a listing's is only when a site first saw it.
        "registered": row["record_type"] in REGISTRATIONS if row["date_from"] else None,
        "filing_ref": (row["filing_ref"] or "").strip() or None,
        **_place(row),
    }


def _date_key(raw: str | None) -> str | None:
    """Digits of a date (YYYYMMDD), so 1980-02-01 and 19800201 compare equal; None when not a date."""
    digits = "".join(c for c in (raw or "") if c.isdigit())
    return digits if len(digits) == 8 else None


def _agent_key(raw: str | None, person: PersonName) -> str | None:
    """The registered agent of the filing a person is named on, as a comparable key.

    None when the agent is the person themselves (their name in any reading): the agent
    then repeats the name, and two people who share a name and each act as their own
    agent would count the same coincidence twice (found on the synthetic world: common
    names of owners in different cities joined on name plus "same agent").
    """
    if not raw:
        return None
    if looks_like_company(raw):
        return normalize_business_name(raw)
    agent = parse_person_name(raw)
    own = {person.class_key, person.alt_class_key} - {None}
    if own & {agent.class_key, agent.alt_class_key}:
        return None
    return agent.class_key


def _person(row: dict) -> dict | None:
    if row["declared_type"] is None and looks_like_company(row["name"]):
        return None  # an untyped company name belongs to the agent or business model
    name = parse_person_name(row["name"])
    if name.family is None:
        return None
    return {
        "raw_name": row["name"],
        "given": name.given,
        "middle": name.middle,
        "family": name.family,
        "family_class": name.family_class,
        "name_key": name.token_key,
        "name_class_key": name.class_key,
        "alt_class_key": name.alt_class_key,
        # The other reading's parts, for the context pass's typo rules (resolve/context.py).
        "alt_given": name.alt_given,
        "alt_family": name.alt_family,
        "alt_family_class": family_class(name.alt_family) if name.alt_family else None,
        "license_number": (row["license_number"] or "").strip().upper() or None,
        "person_role": row["person_role"],
        "agent_context": _agent_key(row["agent_context"], name),
        "birth_date": _date_key(row["birth_date"]),
        "mailing_context": parse_address(row["mailing_context"]).street,
        **_place(row),
    }


def _agent(row: dict) -> dict | None:
    if row["declared_type"] is None and not looks_like_company(row["name"]):
        return None  # an untyped person's name belongs to the person model
    return {"raw_name": row["name"], "name": normalize_business_name(row["name"]), **_place(row)}


_COLUMNS = {
    "business": [
        ("name", pa.string()), ("names", pa.list_(pa.string())), ("name_words", pa.list_(pa.string())),
        ("first_word", pa.string()),
        ("legal_name", pa.string()), ("trade_name", pa.string()), ("phone", pa.string()),
        ("date_from", pa.date32()), ("date_to", pa.date32()), ("registered", pa.bool_()), ("filing_ref", pa.string()),
    ],
    "person": [
        ("given", pa.string()), ("middle", pa.string()), ("family", pa.string()), ("family_class", pa.string()),
        ("name_key", pa.string()), ("name_class_key", pa.string()), ("alt_class_key", pa.string()),
        ("alt_given", pa.string()), ("alt_family", pa.string()), ("alt_family_class", pa.string()),
        ("license_number", pa.string()),
        ("person_role", pa.string()), ("agent_context", pa.string()), ("birth_date", pa.string()),
        ("mailing_context", pa.string()),
    ],
    "agent": [("name", pa.string())],
}
_PLACE = [
    ("street", pa.string()), ("unit", pa.string()), ("zip5", pa.string()), ("city", pa.string()),
    ("state", pa.string()), ("raw_address", pa.string()), ("raw_city", pa.string()), ("raw_state", pa.string()),
    ("raw_zip", pa.string()), ("priority", pa.int32()),
]
_KEY = [
    ("unique_id", pa.string()), ("record_type", pa.string()), ("source", pa.string()), ("record_id", pa.string()),
    ("raw_name", pa.string()),
]

MODELS: dict[str, tuple[Callable[[], str], Callable[[dict], dict | None]]] = {
    "business": (business_mentions_sql, _business),
    "person": (person_mentions_sql, _person),
    "agent": (agent_mentions_sql, _agent),
}


def mention_schema(model: str) -> pa.Schema:
    return pa.schema(_KEY + _COLUMNS[model] + _PLACE)


BATCH_ROWS = 50_000


def build_mentions(warehouse: Warehouse, model: str) -> pa.Table:
    """The normalized mentions of one model, as an Arrow table ordered by unique_id.

    Rows are fetched and normalized in batches, so memory holds one batch of raw rows
    at a time beside the growing Arrow table.
    """
    sql, normalize = MODELS[model]
    schema = mention_schema(model)
    cursor = warehouse.run(sql())
    names = [d[0] for d in cursor.description]
    batches = []
    while chunk := cursor.fetchmany(BATCH_ROWS):
        rows = []
        for values in chunk:
            row = dict(zip(names, values))
            normalized = normalize(row)
            if normalized is not None:
                rows.append({k: row[k] for k, _ in _KEY[:4]} | normalized)
        batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)
