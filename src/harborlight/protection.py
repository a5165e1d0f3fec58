"""Who is protected, and how a protected person is shown. Every output path goes through here.

A person is protected when their only link to a business is as a worker, or when
they are named as an officer but are a probable nominee (victim-centered rules,
section 1). After entity resolution this module applies the rule as: any person
who holds a therapist license is protected, whatever else the records name them
as. A licensed worker listed as an officer is the textbook nominee; a legitimate
owner who is also a licensed therapist is protected too, which hides a name from
analysts but never points an investigation at a worker. The error is chosen in
that direction on purpose.

The network stage adds probable nominees (network/controllers.py writes them; this
rule reads them): a person whose only footprint is one business inside a network.

Entity resolution can miss a join: a worker's license and the filing that names her
as officer may stay two entities. So anyone whose name (in any romanization) is the
name of a protected worker or probable nominee is protected as well. A controller who
shares such a name is then hidden too; that costs an investigation a lead, never a
worker or a nominee their safety. (Found by the report's own check: a controller's
name printed in a diagram was the recorded name of a nominee elsewhere.)
A protected person is shown by a stable pseudonym, and their name never leaves
the warehouse: the SQL below does not even select it.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable

from harborlight.errors import HarborlightError

# Links to a business that make a person a presumed potential victim, not a target.
WORKER_ROLES = ("therapist",)


def protected_persons_sql(include_nominees: bool = False) -> str:
    """Person entities linked to a business as a worker or (once the network stage has run)
    flagged as probable nominees, and every person bearing the name of one of them."""
    roles = ", ".join(f"'{r}'" for r in WORKER_ROLES)
    nominees = "UNION SELECT person_id FROM probable_nominees" if include_nominees else ""
    return f"""
    WITH directly AS (
      SELECT entity_id FROM person_mentions GROUP BY entity_id HAVING bool_or(person_role IN ({roles}))
      {nominees}
    ),
    protected_names AS (
      SELECT DISTINCT name_class_key FROM person_mentions
      WHERE entity_id IN (SELECT entity_id FROM directly) AND name_class_key IS NOT NULL
    )
    SELECT entity_id FROM directly
    UNION
    SELECT entity_id FROM person_mentions WHERE name_class_key IN (SELECT name_class_key FROM protected_names)"""


def protected_sql_for(warehouse) -> str:
    """The protection rule as it stands in this warehouse: with nominees once networks exist."""
    return protected_persons_sql(include_nominees=warehouse.table_exists("probable_nominees"))


def pseudonym(entity_id: str) -> str:
    """A stable stand-in such as `worker-7f3a2c`, the same for an entity in every output."""
    return "worker-" + hashlib.sha256(entity_id.encode("utf-8")).hexdigest()[:6]


def shown_name(entity_id: str, name: str | None, protected: bool) -> str:
    """The only way a person's name reaches an output."""
    if protected:
        return pseudonym(entity_id)
    return name or ""


class ProtectionViolation(HarborlightError):
    """An output would name a protected person, or list one as a target. Nothing was written."""


def protected_identities_sql() -> str:
    """The names and license numbers recorded for given protected entities: what must never be printed.

    Read only to check rendered outputs against; never shown."""
    return """
    SELECT DISTINCT v FROM (
      SELECT raw_name AS v FROM person_mentions WHERE list_contains(?, entity_id)
      UNION SELECT license_number FROM person_mentions WHERE list_contains(?, entity_id))
    WHERE v IS NOT NULL AND length(v) >= 4"""


def refuse_unsafe_output(warehouse, what: str, targets: Iterable[str], rendered: Iterable[str]) -> None:
    """Raise `ProtectionViolation` if `targets` holds a protected person or `rendered` prints a
    protected person's recorded name or license number. Checked afresh against the rule as it
    stands, whatever the tables the output was built from say."""
    protected = sorted({p for (p,) in warehouse.rows(protected_sql_for(warehouse))})
    listed = set(protected).intersection(targets)
    if listed:
        raise ProtectionViolation(f"{what} refused: {len(listed)} protected person(s) listed as controllers")
    texts = list(rendered)
    for (value,) in warehouse.rows(protected_identities_sql(), [protected, protected]):
        # As recorded, and as HTML and JSON would escape it (O'Brien, Nguyễn).
        forms = {value, html.escape(value), json.dumps(value)[1:-1]}
        if any(form in text for form in forms for text in texts):
            raise ProtectionViolation(f"{what} refused: it would print a protected person's identity")
