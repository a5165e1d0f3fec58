"""`harborlight import ftm`: FollowTheMoney entities (Aleph, OpenSanctions, harborlight's own
`export --format ftm`) into contract files.

What maps to what:
- **Company, Organization, LegalEntity** (and their business-like kin: PublicBody) become
  `filings`: the first name as entity name, the address (an `addressEntity` with a `street`,
  else the `address` text, else an Address entity's `full`), `incorporationDate` as filed date, `status` when it
  is a contract status, `legalForm` read as an entity type when it plainly is one, and
  `jurisdiction` kept as an extra column. A company that only ever appears as the agent of a
  Representation is a registered agent service, not a business: it fills the client filings'
  `registered_agent_*` fields and is not a filing itself. A company with several registered
  agents, or with an Address entity naming a unit in the building of its address, gets one more
  filing row per agent or unit, with its name (see `import_ftm`).
- **Directorship** (director of organization) becomes an `officers` row of the organization's
  filing, its role read from `role` (a contract role, or the first contract role word in it,
  else `director`). **Ownership** (owner of asset) becomes an officer of role `owner` (or the
  contract role its `role` names; harborlight writes a company managing another as an
  Ownership with role `manager`), `name_type` company when the owner is a legal entity.
  **Representation** whose role names an agent (or has no role) fills the client filing's
  registered agent; any other becomes an officer of role `other`. **Employment** of a person
  by a company becomes a therapist `licenses` row naming the employer as business (the only
  tie harborlight exports as Employment is a worker's license), in the employer's city, at its
  address unless other businesses share the premises.
- **Person** entities are read for the links: a person becomes officer (or agent, or licensee)
  rows of the companies they are linked to, with their address and `birthDate` (kept as the
  extra column `birth_date`, which resolution compares). The contract has no record for a
  person alone, so a Person with no link to a company in the files is **skipped and counted**.
- **Address** entities are only read to resolve `addressEntity`. Every other schema (Sanction,
  Vessel, documents ...) is skipped and counted by schema.

`source` is the entity's first dataset (`datasets`), else `--source`; `record_id` is the
entity id (a link's id for rows made from a link). The link's role text and the entity's
schema and topics are kept as extra columns.

Each file is read once, streaming, line by line (a gzip file too; a file whose first character
is `[` is read as one JSON array). Fragments of one entity and the ends of a link may come in
any order, so a compact summary (names, address, dates, links) of each relevant entity is held,
never the entity's JSON. Bad lines (invalid JSON, not an object, no id, unknown schema,
properties that are not an object) are errors naming the file and line; a value FtM's cleaning
refuses (an unknown property, a date that is no date) is dropped, as Aleph does. Without
`skip_bad` nothing is written. A link to an entity not in the files is a warning (file and
line), counted, and the link is skipped; a link tying no business is counted apart.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from followthemoney import model
from followthemoney.exc import InvalidData

from harborlight.contract.readers import GZIP_ERRORS
from harborlight.errors import ContractError, FileRejected, UsageError, file_error
from harborlight.resolve.normalize import normalize_business_name, parse_address
from harborlight.sources.output import ContractOutput

RECORD_TYPES_WRITTEN = ("filings", "officers", "licenses")
EXTRA = {
    "filings": ("jurisdiction", "ftm_schema", "topics", "incorporation_date_given", "dissolution_date_given"),
    "officers": ("birth_date", "ftm_schema", "ftm_role", "topics"),
    "licenses": ("birth_date", "ftm_schema", "topics"),
}
BUSINESS_SCHEMATA = ("Company", "Organization", "LegalEntity", "PublicBody")
LINK_SCHEMATA = ("Directorship", "Ownership", "Representation", "Employment")
# Each link schema's (holder, company) properties.
LINK_ENDS = {
    "Directorship": ("director", "organization"),
    "Ownership": ("owner", "asset"),
    "Representation": ("agent", "client"),
    "Employment": ("employee", "employer"),
}
_ROLE_WORDS = ("president", "secretary", "treasurer", "director", "manager", "member", "owner", "officer")
_ENTITY_TYPES = (("limited liability", "llc"), ("llc", "llc"), ("l.l.c", "llc"),
                 ("corporation", "corporation"), ("inc", "corporation"), ("corp", "corporation"),
                 ("partnership", "partnership"),
                 ("nonprofit", "nonprofit"), ("non-profit", "nonprofit"), ("sole", "sole_prop"))
_STATUSES = {"active", "inactive", "dissolved", "revoked"}
MAX_ERRORS = 50
MAX_WARNINGS = 10
DEFAULT_ROLE = {"Directorship": "director", "Ownership": "owner"}


@dataclass
class _Entity:
    """What the import needs of one entity, merged over its fragments."""

    schema: str
    file: str
    line: int
    source: str | None
    ftm_schema: str
    names: list[str] = field(default_factory=list)
    props: dict[str, list[str]] = field(default_factory=dict)

    def first(self, prop: str) -> str | None:
        values = self.props.get(prop)
        return values[0] if values else None


@dataclass
class FtmImport:
    """What an import wrote and what it left out."""

    out: Path
    rows: dict[str, int]
    skipped_persons: int = 0
    skipped_schemata: dict[str, int] = field(default_factory=dict)
    dangling_links: int = 0
    skipped_links: int = 0
    bad_lines: int = 0
    warnings: list[str] = field(default_factory=list)


def _opened(path: Path):
    # utf-8-sig: a file saved by a Windows tool starts with a byte-order mark, which json refuses
    # ("Unexpected UTF-8 BOM"); the codec drops one at the start and reads plain UTF-8 the same.
    try:
        handle = gzip.open(path, "rt", encoding="utf-8-sig") if path.name.endswith(".gz") else open(
            path, encoding="utf-8-sig")
    except OSError as exc:
        raise file_error(exc, path, "read") from None
    return handle


def _items(path: Path) -> Iterator[tuple[int, object, str | None]]:
    """(line, parsed value, error) for each line of a JSON-lines file, or each item of a JSON
    array (numbered from 1, as its line)."""
    with _opened(path) as handle:
        try:
            head = handle.read(1)
            while head and head.isspace():
                head = handle.read(1)
            if head == "[":
                # An array is read whole: cheap for the small exports that come as arrays.
                try:
                    values = json.loads(head + handle.read())
                except (ValueError, RecursionError) as exc:
                    yield getattr(exc, "lineno", 0), None, _unparsable(exc)
                    return
                for i, value in enumerate(values, 1):
                    yield i, value, None
                return
            first = True
            for number, line in enumerate(handle, 1):
                if first:
                    line, first = head + line, False
                if not line.strip():
                    continue
                try:
                    parsed = json.loads(line)
                except (ValueError, RecursionError) as exc:
                    yield number, None, _unparsable(exc)
                    continue
                yield number, parsed, None
        except GZIP_ERRORS:
            raise UsageError(f"{path}: the gzip data is damaged or truncated; nothing written") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot be read ({type(exc).__name__})") from None


def _unparsable(exc: ValueError | RecursionError) -> str:
    """Why a line is not JSON we can read. Besides malformed JSON (JSONDecodeError), Python's
    parser refuses nesting deeper than its recursion limit (RecursionError) and integers of more
    than 4300 digits (a plain ValueError): both are bad lines, not a crash."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg})"
    if isinstance(exc, RecursionError):
        return "not readable JSON (nested too deeply)"
    return "not readable JSON (a number too long to read)"


def _contract_role(text: str | None, default: str) -> str:
    """A contract officer role from FtM's free `role` text: the role itself when it is one, else
    the first role word in it ('Managing Director' is a director? no: manager comes first in the
    text, and the text's first role word wins), else `default`."""
    if not text:
        return default
    lowered = text.strip().lower()
    if lowered in _ROLE_WORDS or lowered == "other":
        return lowered
    words = re.findall(r"[a-z]+", lowered)
    stems = {"managing": "manager", "owner": "owner", "shareholder": "owner", "beneficial": "owner"}
    for word in words:
        if word in _ROLE_WORDS:
            return word
        if word in stems:
            return stems[word]
    return default


def _entity_type(legal_form: str | None) -> str | None:
    if not legal_form:
        return None
    lowered = legal_form.lower()
    for needle, kind in _ENTITY_TYPES:
        if re.search(rf"\b{re.escape(needle)}\b", lowered):
            return kind
    return None


_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_STATE = re.compile(r"^[A-Z]{2}$")


def _split_address(text: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """(street, city, state, zip) from one address line. harborlight writes `street, city, ST,
    zip`; a US address line of that shape is split, anything else stays whole as the street."""
    if not text:
        return None, None, None, None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    zip_code = parts.pop() if len(parts) > 1 and _ZIP.match(parts[-1]) else None
    state = parts.pop() if len(parts) > 1 and _STATE.match(parts[-1]) else None
    if zip_code is None and state is None and len(parts) > 1:
        last = parts[-1].split()
        if len(last) == 2 and _STATE.match(last[0]) and _ZIP.match(last[1]):
            parts.pop()
            state, zip_code = last
    city = parts.pop() if len(parts) > 1 and (state or zip_code) else None
    return ", ".join(parts) or None, city, state, zip_code


class _Reader:
    def __init__(self, default_source: str | None):
        self.default_source = default_source
        self.entities: dict[str, _Entity] = {}
        self.errors: list[ContractError] = []
        self.total_errors = 0
        self.skipped: Counter[str] = Counter()

    def _error(self, label: str, line: int, fld: str | None, message: str) -> None:
        self.total_errors += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(ContractError(label, line, fld, message))

    def read(self, path: Path) -> None:
        label = str(path)
        for line, value, problem in _items(path):
            if problem:
                self._error(label, line, None, problem)
                continue
            if not isinstance(value, dict):
                self._error(label, line, None, "not a JSON object")
                continue
            if not value.get("id") or not isinstance(value.get("id"), str):
                self._error(label, line, "id", "missing: every entity needs an id")
                continue
            if not isinstance(value.get("properties", {}), dict):
                # FtM would read a list or text here as no properties at all: the entity would
                # come out nameless (its id as name) without a word. The docstring's bad line.
                self._error(label, line, "properties", "not a JSON object")
                continue
            schema = model.get(value.get("schema") or "") if isinstance(value.get("schema"), str) else None
            if schema is None:
                self._error(label, line, "schema", f"unknown schema {str(value.get('schema'))[:40]!r}")
                continue
            try:
                proxy = model.get_proxy(value, cleaned=False)
            except (InvalidData, TypeError, ValueError) as exc:
                self._error(label, line, "properties", f"invalid entity ({str(exc)[:80]})")
                continue
            self._keep(proxy, value, label, line)

    def _keep(self, proxy, value: dict, label: str, line: int) -> None:
        schema = proxy.schema
        if schema.is_a("Person"):
            kind = "Person"
        elif schema.name in LINK_SCHEMATA:
            kind = schema.name
        elif schema.name == "Address":
            kind = "Address"
        elif any(schema.is_a(name) for name in BUSINESS_SCHEMATA) and schema.is_a("LegalEntity"):
            kind = "Company"
        else:
            self.skipped[schema.name] += 1
            return
        datasets = value.get("datasets")
        if isinstance(datasets, list) and datasets and isinstance(datasets[0], str):
            source: str | None = datasets[0]
        else:
            source = None
        entity = self.entities.get(proxy.id)
        if entity is None:
            entity = _Entity(kind, label, line, source or self.default_source, schema.name)
            self.entities[proxy.id] = entity
        elif schema.name != entity.ftm_schema and schema.is_a(entity.ftm_schema):
            # Fragments of one entity, a LegalEntity in one and a Person in another: the narrower
            # schema wins, as FollowTheMoney merges them.
            entity.schema, entity.ftm_schema = kind, schema.name
        for prop, values in proxy.properties.items():
            kept = entity.props.setdefault(prop, [])
            kept.extend(v for v in values if v not in kept)
        entity.names = entity.props.get("name", [])


def _address(entity: _Entity, entities: dict[str, _Entity]) -> tuple[str | None, ...]:
    """(street, city, state, zip) of a person or company. An Address entity in the files with its
    parts (`street`) comes first; then the entity's own address text (harborlight's export writes
    the record's address there, zip included, and a normalized premises as the Address entity);
    then an Address entity's `full` text."""
    places = [entities[ref] for ref in entity.props.get("addressEntity", [])
              if ref in entities and entities[ref].schema == "Address"]
    places.sort(key=lambda place: place.first("street") is None)
    if entity.first("address") and not (places and places[0].first("street")):
        return _split_address(entity.first("address"))
    for place in places:
        return _place_parts(place)
    return None, None, None, None


def _place_parts(place: _Entity) -> tuple[str | None, ...]:
    street = place.first("street") or place.first("full")
    if place.first("street2"):
        street = f"{street} {place.first('street2')}"
    state = place.first("region") or place.first("state")
    return street, place.first("city"), state, place.first("postalCode")


def _premises_key(street: str | None, city: str | None) -> tuple:
    """A street address as resolution compares premises (street, unit, city)."""
    parsed = parse_address(street)
    return parsed.street, parsed.unit, (city or "").strip().upper()


def _name(entity: _Entity) -> str | None:
    return entity.names[0] if entity.names else None


def import_ftm(files: list[Path], out: Path, source: str | None = None, skip_bad: bool = False) -> FtmImport:
    """Read FollowTheMoney entity files and write contract files into `out` (all or nothing)."""
    if not files:
        raise UsageError("name at least one FollowTheMoney file")
    for path in files:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    reader = _Reader(source)
    for path in files:
        reader.read(path)
    if reader.total_errors and not skip_bad:
        first = reader.errors[0]
        raise FileRejected(first.file, reader.errors, reader.total_errors)
    entities = reader.entities
    report = FtmImport(out, {}, bad_lines=reader.total_errors, skipped_schemata=dict(reader.skipped))

    links = [(eid, e) for eid, e in entities.items() if e.schema in LINK_SCHEMATA]
    # A company that appears only as an agent fills its clients' registered-agent fields and gets
    # no filing; one that is also anything else (a client, a company with its own directors, an
    # owner, an employer) is a business here and keeps its filing.
    agents_only = {e.first("agent") or "" for _, e in links if e.schema == "Representation"} - {
        e.first(end) or "" for _, e in links for end in LINK_ENDS[e.schema] if end != "agent"}
    linked_persons: set[str] = set()
    filings: dict[str, dict] = {}
    problems: list[ContractError] = []

    with ContractOutput(out, RECORD_TYPES_WRITTEN, EXTRA, inputs=files) as output:
        def add(record_type: str, values: dict, where: _Entity) -> None:
            found = output.add(record_type, values, where.file, where.line)
            problems.extend(found)

        def missing_source(where: _Entity) -> bool:
            if where.source:
                return False
            problems.append(ContractError(where.file, where.line, "datasets",
                                          "no dataset named: give --source"))
            return True

        # Businesses first (a registered agent's fields are part of their filing row).
        # A company with several registered agents (harborlight exports a business resolved from
        # several filings with one Representation per filing) gets one filing row per agent, each
        # with the company's name and address and the Representation's id as record id:
        # resolution joins them back into one business, and no agent is lost.
        representation: dict[str, list[_Entity]] = {}
        for _, link in links:
            client = link.first("client")
            if link.schema == "Representation" and client and _is_agent_role(link.first("role")):
                representation.setdefault(client, []).append(link)

        def write_filing(eid: str, record_id: str, company: _Entity, link: _Entity | None,
                         place: tuple[str | None, ...] | None = None) -> None:
            street, city, state, zip_code = place or _address(company, entities)
            row = {
                "source": company.source, "record_id": record_id, "entity_name": _name(company) or eid,
                "entity_type": _entity_type(company.first("legalForm")),
                "status": (company.first("status") or "").lower() if (company.first("status") or "").lower()
                in _STATUSES else None,
                "filed_date": _full_date(company.first("incorporationDate")),
                "status_date": _full_date(company.first("dissolutionDate")),
                "incorporation_date_given": company.first("incorporationDate"),
                "dissolution_date_given": company.first("dissolutionDate"),
                "principal_address": street, "principal_city": city, "principal_state": state,
                "principal_zip": zip_code,
                "jurisdiction": company.first("jurisdiction"), "ftm_schema": company.ftm_schema,
                "topics": ";".join(company.props.get("topics", [])) or None,
            }
            agent_id = link.first("agent") if link else None
            agent = entities.get(agent_id) if agent_id else None
            if agent_id and agent is not None and agent.schema in ("Person", "Company"):
                a_street, a_city, a_state, a_zip = _address(agent, entities)
                row.update({
                    "registered_agent_name": _name(agent),
                    "registered_agent_type": "person" if agent.schema == "Person" else "company",
                    "registered_agent_address": a_street, "registered_agent_city": a_city,
                    "registered_agent_state": a_state, "registered_agent_zip": a_zip,
                })
                if agent.schema == "Person":
                    linked_persons.add(agent_id)
            filings.setdefault(eid, row)
            add("filings", row, company)

        link_ids = {id(link): link_id for link_id, link in links}
        for eid, company in entities.items():
            if company.schema != "Company" or eid in agents_only:
                continue
            if missing_source(company):
                continue
            agents = representation.get(eid, [])
            write_filing(eid, eid, company, agents[0] if agents else None)
            for link in agents[1:]:
                write_filing(eid, link_ids[id(link)], company, link)
            # An Address entity in the same building as the address the filing gives but naming a
            # unit (harborlight's export: the premises, with the unit another record of the
            # building gave it) is one more filing row of the company there, so the unit is not
            # lost. Its record id sorts after the company's own, so the company keeps its own
            # address for display. (Premises in another building get no row: one name at two
            # addresses is two businesses to resolution unless other evidence joins them.)
            written = _premises_key(filings[eid]["principal_address"], filings[eid]["principal_city"])
            for ref in company.props.get("addressEntity", []):
                place = entities.get(ref)
                if place is None or place.schema != "Address":
                    continue
                parts = _place_parts(place)
                key = _premises_key(parts[0], parts[1]) if parts[0] else None
                if key and key != written and key[0::2] == written[0::2]:
                    write_filing(eid, f"{eid}@{ref}", company, None, parts)

        # How many businesses bear each name in each city, as the network graph compares them.
        names_in_city = Counter(_name_in_city(row) for row in filings.values())
        businesses_at = Counter(_premises_of(row) for row in filings.values())

        # Links into officers (and Employment into therapist licenses).
        for link_id, link in links:
            holder_prop, company_prop = LINK_ENDS[link.schema]
            holder_id, company_id = link.first(holder_prop) or "", link.first(company_prop) or ""
            holder, filing = entities.get(holder_id), filings.get(company_id)
            if holder is None or company_id not in entities:
                report.dangling_links += 1
                if len(report.warnings) < MAX_WARNINGS:
                    report.warnings.append(f"{link.file}:{link.line}: {link.schema} names an entity "
                                           "not in the files: skipped")
                continue
            if filing is None or holder.schema not in ("Person", "Company"):
                report.skipped_links += 1  # a tie to no business (a vessel's owner, an agent's agent)
                continue
            if link.schema == "Representation" and link in representation.get(company_id, []):
                continue  # already the filing's registered agent
            street, city, state, zip_code = _address(holder, entities)
            if holder.schema == "Person":
                linked_persons.add(holder_id)
            common = {"birth_date": holder.first("birthDate"), "ftm_schema": link.schema,
                      "topics": ";".join(holder.props.get("topics", [])) or None}
            if link.schema == "Employment":
                add("licenses", {
                    "source": filing["source"], "record_id": link_id, "license_type": "therapist",
                    # The employer by name and city, and by its address: the address is what
                    # resolution joins a worker's license and her other records by. But a
                    # license's street ties the worker to every business on those premises
                    # (network/graph.py), more than the link names; where other businesses share
                    # the premises and the name is unique in its city, the name alone ties her.
                    "licensee_name": _name(holder), "business_name": filing["entity_name"],
                    "city": filing["principal_city"], "state": filing["principal_state"],
                    **({} if businesses_at[_premises_of(filing)] > 1
                       and names_in_city[_name_in_city(filing)] == 1
                       else {"address": filing["principal_address"], "zip": filing["principal_zip"]}),
                    **common,
                }, link)
                continue
            # A Representation that is no registered agent (counsel, a proxy) is role `other`.
            role = ("other" if link.schema == "Representation"
                    else _contract_role(link.first("role"), DEFAULT_ROLE[link.schema]))
            add("officers", {
                "source": filing["source"], "record_id": link_id, "filing_record_id": company_id,
                "role": role, "name": _name(holder),
                "name_type": "person" if holder.schema == "Person" else "company",
                "address": street, "city": city, "state": state, "zip": zip_code,
                "ftm_role": link.first("role"), **common,
            }, link)
        if problems and not skip_bad:
            raise FileRejected(problems[0].file, problems[:MAX_ERRORS], len(problems))
        report.bad_lines += len(problems)
        report.skipped_persons = sum(1 for eid, e in entities.items()
                                     if e.schema == "Person" and eid not in linked_persons)
        report.rows = output.commit()
    return report


_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _full_date(value: str | None) -> str | None:
    """A day, or nothing. FollowTheMoney dates may be a year or a month alone ("2005", "2005-03"),
    which the contract's dates cannot hold: those stay in the `*_date_given` extra columns."""
    return value[:10] if value and _FULL_DATE.match(value) else None


def _name_in_city(filing: dict) -> tuple[str | None, str | None]:
    city = (filing["principal_city"] or "").strip().upper() or None
    return normalize_business_name(filing["entity_name"]), city


def _premises_of(filing: dict) -> tuple:
    return _premises_key(filing["principal_address"], filing["principal_city"])


def _is_agent_role(role: str | None) -> bool:
    """A Representation is a registered agent when its role says agent, or says nothing."""
    return not role or "agent" in role.lower()
