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
rule reads them): a person whose only footprint is one business inside a network, and a
person with officer titles but no evidence of control.

Entity resolution can miss a join: a worker's license and the filing that names her
as officer may stay two entities. So anyone whose name (in any romanization) is the
name of a protected worker or probable nominee is protected as well. A controller who
shares such a name is then hidden too; that costs an investigation a lead, never a
worker or a nominee their safety. (Found by the report's own check: a controller's
name printed in a diagram was the recorded name of a nominee elsewhere.)

Those are the people protected for cause (`protected_persons_sql`). Outputs protect more:
anyone whose status is not decided. The only persons decided to be shown are the
controllers the network stage ranked on evidence of control (`network_persons` rows not
protected); everyone else, legitimate owners included, is shown by pseudonym
(`protected_sql_for`). A nominee of a lone illicit business, or a worker signed up as
the officer of a business in no network, looks exactly like the owner of a legitimate
business; nothing but evidence of control tells them apart. Before the network stage has
run, every person is protected.
A protected person is shown by a stable pseudonym, and their name never leaves
the warehouse: the SQL below does not even select it.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable

from harborlight.errors import Forbidden

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


def shown_persons_sql(for_cause_sql: str) -> str:
    """The persons decided to be shown: ranked controllers, minus anyone protected for cause."""
    return f"""
    SELECT person_id FROM network_persons WHERE NOT protected
    EXCEPT SELECT entity_id FROM ({for_cause_sql})"""


def protected_sql_for(warehouse) -> str:
    """The protection rule for outputs, as it stands in this warehouse: every person entity
    except the controllers ranked on evidence of control (all of them before networks exist)."""
    if not warehouse.table_exists("network_persons"):
        return "SELECT entity_id FROM entities WHERE kind = 'person'"
    shown = shown_persons_sql(protected_persons_sql(include_nominees=warehouse.table_exists("probable_nominees")))
    return f"""
    SELECT entity_id FROM entities WHERE kind = 'person' AND entity_id NOT IN ({shown})"""


def protected_for_cause_sql_for(warehouse) -> str:
    """Workers, probable nominees and their namesakes, as this warehouse knows them."""
    return protected_persons_sql(include_nominees=warehouse.table_exists("probable_nominees"))


def pseudonym(entity_id: str) -> str:
    """A stable stand-in such as `worker-7f3a2c`, the same for an entity in every output."""
    return "worker-" + hashlib.sha256(entity_id.encode("utf-8")).hexdigest()[:6]


def shown_name(entity_id: str, name: str | None, protected: bool) -> str:
    """The only way a person's name reaches an output."""
    if protected:
        return pseudonym(entity_id)
    return name or ""


class ProtectionViolation(Forbidden):
    """An output would name a protected person, or list one as a target. Nothing was written."""


def protected_identities_sql(protected_sql: str) -> str:
    """The names and license numbers recorded for the persons `protected_sql` selects: what must
    never be printed. Read only to check rendered outputs against; never shown."""
    return f"""
    SELECT DISTINCT v FROM (
      SELECT raw_name AS v FROM person_mentions WHERE entity_id IN ({protected_sql})
      UNION SELECT license_number FROM person_mentions WHERE entity_id IN ({protected_sql}))
    WHERE v IS NOT NULL AND length(v) >= 4"""


def refuse_unsafe_output(warehouse, what: str, targets: Iterable[str], rendered: Iterable[str]) -> None:
    """Raise `ProtectionViolation` if `targets` holds a protected person or `rendered` prints the
    recorded name or license number of a person protected for cause (a worker, a probable
    nominee or a namesake of one). Checked afresh against the rule as it stands, whatever the
    tables the output was built from say. (A legitimate owner, protected only because nothing
    decided them, may share a printed controller's name without harm.)"""
    targets = list(targets)
    if targets:
        protected = {p for (p,) in warehouse.rows(
            f"SELECT entity_id FROM ({protected_sql_for(warehouse)}) WHERE list_contains(?, entity_id)", [targets])}
        if protected:
            raise ProtectionViolation(f"{what} refused: {len(protected)} protected person(s) listed as controllers")
    texts = list(rendered)
    for (value,) in warehouse.rows(protected_identities_sql(protected_for_cause_sql_for(warehouse))):
        # As recorded, and as HTML and JSON would escape it (O'Brien, Nguyễn).
        forms = {value, html.escape(value), json.dumps(value)[1:-1]}
        if any(printed_as_whole_words(form, text) for form in forms for text in texts):
            raise ProtectionViolation(f"{what} refused: it would print a protected person's identity")


def printed_as_whole_words(value: str, text: str) -> bool:
    """Whether `value` stands in `text` with no letter or digit joined to either end.

    A protected `HAN, YOON` is printed in `HAN, YOON (secretary)` but not inside a
    controller's `HAN, YOONHYE`: the plain substring test refused reports for names that
    are only the start of another."""
    start = text.find(value)
    while start != -1:
        end = start + len(value)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = text.find(value, start + 1)
    return False


REDACTED = "[protected person]"


class Protection:
    """Who may be shown, as the warehouse decides it now: one object every read path asks.

    `is_protected(person_id)` is true for every person not decided to be shown (fail closed);
    `label` is the only way a person's name reaches a result; `redact` takes the recorded
    identities of persons protected for cause out of record text (reviews, tips, excerpts)
    before it leaves; `refuse` is the last check on a finished output.
    """

    def __init__(self, warehouse):
        self._warehouse = warehouse
        self.shown = frozenset(self._shown_ids(warehouse))
        self._identities = [v for (v,) in warehouse.rows(protected_identities_sql(protected_for_cause_sql_for(warehouse)))] \
            if warehouse.table_exists("person_mentions") else []

    @staticmethod
    def _shown_ids(warehouse) -> set[str]:
        if not warehouse.table_exists("entities"):
            return set()
        protected = f"SELECT entity_id FROM entities WHERE kind = 'person' EXCEPT ({protected_sql_for(warehouse)})"
        return {p for (p,) in warehouse.rows(protected)}

    def is_protected(self, person_id: str) -> bool:
        return person_id not in self.shown

    def label(self, person_id: str, name: str | None) -> str:
        return shown_name(person_id, name, self.is_protected(person_id))

    def redact(self, text: str | None) -> str | None:
        if not text:
            return text
        for value in self._identities:
            if printed_as_whole_words(value, text):
                text = text.replace(value, REDACTED)
        return text

    def refuse(self, what: str, targets: Iterable[str], rendered: Iterable[str]) -> None:
        refuse_unsafe_output(self._warehouse, what, targets, rendered)
