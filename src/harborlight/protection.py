"""Who is protected, and how a protected person is shown. Every output path goes through here.

Workers and probable nominees are presumed potential victims (victim-centered rules, section
1): they are never named, and never among targets. The rule is decided in two steps and
written down in `person_protection` (one row per person entity):

- **At resolution** (`decide_protection`, the last step of `resolve`), from the evidence then
  available. Protected for cause:
  - anyone holding a therapist license, whatever else the records name them as (a licensed
    worker listed as an officer is the textbook nominee; a legitimate owner who is also a
    licensed therapist is hidden too, on purpose: the error goes that way);
  - a person named as an officer with no evidence of control that resolution can see
    (`resolve_control_evidence_sql`: manager of two businesses, registered agent of two,
    officer of a company that manages another). A nominee signed up on a lone business in no
    network looks exactly like this, and nothing later will say otherwise;
  - anyone whose name, in any order or romanization, is the name of one of them (resolution
    can miss a join: a worker's license and the filing that names her may stay two entities).
  Everyone else is `undecided`. Nobody is `shown` yet.
- **At the network stage** (`refine_protection`, the last step of `find_networks`), for the
  persons tied to a network: probable nominees (network/controllers.py) are protected, ranked
  controllers are `shown`, and the others tied to a network are `undecided` (the network
  stage's ranking replaces the officer rule for them: a controller's own record that
  resolution left apart must not hide the controller as a namesake). Persons tied to no
  network keep resolution's verdict. A ranked controller who shares a name with a person
  protected for cause stays protected, and the ranking (`network_persons`) is told so, so
  that every reader of it agrees: that costs an investigation a lead, never a worker or a
  nominee their safety.

**Anyone not decided `shown` is protected** in every output: shown by a stable pseudonym, with
no other property. Their names never leave the warehouse through the SQL below.

**Freshness.** Every output asks `Protection` (or `protected_sql_for`), which checks that the
rows were written by the latest `resolve` and cover every person entity. If not (a warehouse
resolved before this table existed, or changed by hand), protection fails closed: every person
is protected, and every recorded name and license number is redacted and refused. Failing
closed was chosen over refusing as stale because `resolve` writes entities and protection in
one transaction, so this state cannot come from an ordinary order of commands, and every
output still works without naming anyone (a read-only export included).

**Text.** Record text (reviews, tips, business names) can hold a name in any case, order,
hyphenation or romanization: `lee joo-ha`, `JOO-HA LEE`, `Yi Joo-Ha`. `NameMatcher` compares
runs of words with the keys resolution gave each recorded name (resolve/normalize.py), so it
reads names exactly as resolution does. It only matches a whole name of two parts or more: a
one-word name, or one word of a name that is also an ordinary word (`May`, `Long`), never
matches alone. The names of persons decided to be shown are never matched, nor a protected
name printed inside one (the controller `WANG, WEI MING` is not the worker `WEI WANG`): with
thousands of short names, one inside a longer printed name would make the last check refuse
a whole page. `Protection.redact` replaces what it finds by `[protected person]`;
`refuse_unsafe_output`, the last check on a finished output, uses the same matcher.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import overload

from harborlight.errors import Forbidden
from harborlight.resolve.normalize import clean, parse_person_name
from harborlight.resolve.romanization import family_class
from harborlight.stages import replace_table

# Links to a business that make a person a presumed potential victim, not a target.
WORKER_ROLES = ("therapist",)
# Evidence of control must span this many businesses (as in network/controllers.py): a nominee is
# often the registered agent of the one filing she signs.
MIN_EVIDENCE_BUSINESSES = 2


# -- deciding (resolve, networks) -------------------------------------------------------------
def protected_persons_sql(include_nominees: bool = False) -> str:
    """Person entities linked to a business as a worker or (once the network stage has run)
    flagged as probable nominees, and every person bearing the name of one of them.

    The network stage ranks controllers outside this set (network/controllers.py); outputs read
    `person_protection` instead, which this set is part of."""
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


def resolve_control_evidence_sql() -> str:
    """Persons with evidence of control that resolution alone can see (no network yet): manager on
    the filings of two businesses or more, registered agent of two or more, or officer of a
    company that is itself named as an officer of a business (a holding). Officer titles alone
    (president, director, owner...) are the nominee pattern and are not evidence."""
    return f"""
    WITH filing_business AS (
      SELECT source, record_id, entity_id AS business_id FROM business_mentions WHERE record_type = 'filings'
    ),
    officer_ties AS (
      SELECT pm.entity_id AS person_id, fb.business_id, o.role
      FROM person_mentions pm
      JOIN officers o ON o.source = pm.source AND o.record_id = pm.record_id
      JOIN filing_business fb ON fb.source = o.source AND fb.record_id = o.filing_record_id
      WHERE pm.record_type = 'officers'
    ),
    agent_ties AS (
      SELECT pm.entity_id AS person_id, fb.business_id
      FROM person_mentions pm JOIN filing_business fb ON fb.source = pm.source AND fb.record_id = pm.record_id
      WHERE pm.record_type = 'registered_agent'
    ),
    managing_companies AS (
      SELECT DISTINCT entity_id AS business_id FROM business_mentions WHERE record_type = 'officers'
    )
    SELECT person_id FROM officer_ties WHERE role = 'manager'
    GROUP BY person_id HAVING count(DISTINCT business_id) >= {MIN_EVIDENCE_BUSINESSES}
    UNION
    SELECT person_id FROM agent_ties GROUP BY person_id HAVING count(DISTINCT business_id) >= {MIN_EVIDENCE_BUSINESSES}
    UNION
    SELECT t.person_id FROM officer_ties t JOIN managing_companies c USING (business_id)"""


_NONE = "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS reason WHERE FALSE"


def protection_status_sql(networked: bool) -> str:
    """Each person entity's status and the reason for it (see the module docstring). With
    `networked`, the network stage's tables refine resolution's verdict."""
    roles = ", ".join(f"'{r}'" for r in WORKER_ROLES)
    nominees = "SELECT person_id, 'probable nominee: ' || reason AS reason FROM probable_nominees" if networked else _NONE
    in_network = "SELECT DISTINCT person_id, NULL AS reason FROM network_persons" if networked else _NONE
    ranked = "SELECT DISTINCT person_id, NULL AS reason FROM network_persons WHERE NOT protected" if networked else _NONE
    return f"""
    WITH persons AS (SELECT entity_id AS person_id FROM entities WHERE kind = 'person'),
    workers AS (SELECT DISTINCT entity_id AS person_id FROM person_mentions WHERE person_role IN ({roles})),
    officer_persons AS (SELECT DISTINCT entity_id AS person_id FROM person_mentions WHERE record_type = 'officers'),
    evidence AS ({resolve_control_evidence_sql()}),
    nominees AS ({nominees}),
    in_network AS ({in_network}),
    ranked AS ({ranked}),
    for_cause AS (
      SELECT person_id, 'holds a therapist license' AS reason, 1 AS precedence FROM workers
      UNION ALL
      SELECT person_id, reason, 2 FROM nominees
      UNION ALL
      -- The officer rule, for persons the network stage did not judge (tied to no network).
      SELECT person_id, 'officer titles without evidence of control', 3 FROM officer_persons
      WHERE person_id NOT IN (SELECT person_id FROM evidence) AND person_id NOT IN (SELECT person_id FROM in_network)
    ),
    cause AS (SELECT person_id, arg_min(reason, precedence) AS reason FROM for_cause GROUP BY person_id),
    name_keys AS (
      -- A name in both readings when no comma says which is the family name, as resolution keys it.
      SELECT entity_id AS person_id, name_class_key AS name_key FROM person_mentions WHERE name_class_key IS NOT NULL
      UNION
      SELECT entity_id, alt_class_key FROM person_mentions WHERE alt_class_key IS NOT NULL
    ),
    namesakes AS (
      SELECT DISTINCT k.person_id FROM name_keys k
      JOIN name_keys p ON p.name_key = k.name_key AND p.person_id <> k.person_id
      JOIN cause c ON c.person_id = p.person_id
    )
    SELECT p.person_id,
           CASE WHEN c.person_id IS NOT NULL OR n.person_id IS NOT NULL THEN 'protected'
                WHEN r.person_id IS NOT NULL THEN 'shown'
                ELSE 'undecided' END AS status,
           CASE WHEN c.person_id IS NOT NULL THEN c.reason
                WHEN n.person_id IS NOT NULL THEN 'shares a name with a person protected for cause'
                WHEN r.person_id IS NOT NULL THEN 'ranked controller: evidence of control in a network'
                WHEN i.person_id IS NOT NULL THEN 'tied to a network, neither ranked nor a probable nominee'
                ELSE 'not decided: no evidence either way' END AS reason
    FROM persons p
    LEFT JOIN cause c USING (person_id)
    LEFT JOIN (SELECT DISTINCT person_id FROM namesakes) n USING (person_id)
    LEFT JOIN ranked r USING (person_id)
    LEFT JOIN in_network i USING (person_id)
    ORDER BY p.person_id"""


def protection_rows_sql(networked: bool) -> str:
    """The rows of `person_protection`, stamped with the latest resolve run they were decided for."""
    stage = "networks" if networked else "resolve"
    return f"""
    SELECT s.person_id::VARCHAR AS person_id, s.status::VARCHAR AS status, s.reason::VARCHAR AS reason,
           ({latest_resolve_run_sql()}) AS resolve_run, '{stage}'::VARCHAR AS decided_by
    FROM ({protection_status_sql(networked)}) s"""


def latest_resolve_run_sql() -> str:
    """The run id of the latest resolve in `stage_runs` (stages/runs.py): what a decision is stamped with."""
    return "SELECT max(run_id) FROM stage_runs WHERE stage = 'resolve'"


def hide_unshown_controllers_sql() -> str:
    """Mark protected in the ranking any ranked controller that protection did not show (one who
    shares a name with a person protected for cause), so that every reader of `network_persons`
    agrees with `person_protection`."""
    return """
    UPDATE network_persons SET protected = TRUE
    WHERE NOT protected AND person_id IN (SELECT person_id FROM person_protection WHERE status <> 'shown')"""


def decide_protection(warehouse) -> None:
    """Write `person_protection` from what resolution knows. Called at the end of `resolve`, inside
    its transaction, after the run is recorded, so entities and their protection are always
    written together and stamped with that run."""
    replace_table(warehouse, "person_protection", protection_rows_sql(networked=False))


def refine_protection(warehouse) -> int:
    """Rewrite `person_protection` with the network stage's verdicts (probable nominees, ranked
    controllers). Called at the end of `find_networks`, inside its transaction.

    A ranked controller whose recorded name, printed, reads as the name of a person protected for
    cause (resolution keyed `LIM, KYU RA` and `LIM, KYURA` apart; the text matcher reads them as
    one) is not shown either: the name printed for him would be hers. Returns how many ranked
    controllers were not shown for this reason."""
    replace_table(warehouse, "person_protection", protection_rows_sql(networked=True))
    matcher = NameMatcher.from_identities(warehouse.rows(identities_sql(protected_for_cause_sql_for(warehouse, True))))
    namesakes = sorted({person_id for person_id, raw_name in warehouse.rows(shown_names_sql())
                        if matcher.reads_as_protected(raw_name)})
    if namesakes:
        warehouse.run(protect_namesakes_sql(), [namesakes])
    return warehouse.run(hide_unshown_controllers_sql()).fetchone()[0]


def shown_names_sql() -> str:
    return f"SELECT entity_id, raw_name FROM person_mentions WHERE entity_id IN ({shown_persons_sql()})"


def protect_namesakes_sql() -> str:
    return """
    UPDATE person_protection SET status = 'protected', reason = 'shares a name with a person protected for cause'
    WHERE list_contains(?, person_id)"""


# -- reading -----------------------------------------------------------------------------------
def protection_freshness_sql() -> str:
    """Person entities without a protection row, and rows not written for the latest resolve."""
    return f"""
    SELECT
      (SELECT count(*) FROM entities e WHERE e.kind = 'person'
         AND NOT EXISTS (SELECT 1 FROM person_protection p WHERE p.person_id = e.entity_id)) AS uncovered,
      (SELECT count(*) FROM person_protection
         WHERE resolve_run IS DISTINCT FROM ({latest_resolve_run_sql()})) AS outdated"""


def protection_is_current(warehouse) -> bool:
    """Whether `person_protection` was decided for the entities the warehouse holds now."""
    if not (warehouse.table_exists("person_protection") and warehouse.table_exists("entities")
            and warehouse.table_exists("stage_runs")):
        return False
    uncovered, outdated = warehouse.rows(protection_freshness_sql())[0]
    return uncovered == 0 and outdated == 0


def all_persons_sql() -> str:
    return "SELECT entity_id FROM entities WHERE kind = 'person'"


def protected_sql_for(warehouse, current: bool | None = None) -> str:
    """The persons outputs must not name, as an SQL query of `entity_id`: everyone not decided
    `shown`, or every person when protection is not `current` (fail closed; checked when not given)."""
    if not warehouse.table_exists("entities"):
        return "SELECT NULL::VARCHAR AS entity_id WHERE FALSE"
    if not (protection_is_current(warehouse) if current is None else current):
        return all_persons_sql()
    return "SELECT person_id AS entity_id FROM person_protection WHERE status <> 'shown'"


def protected_for_cause_sql_for(warehouse, current: bool | None = None) -> str:
    """Workers, probable nominees, officers without evidence of control and their namesakes: the
    persons whose identity must never be printed, even inside record text. Everyone, when
    protection is not `current`."""
    if not warehouse.table_exists("entities"):
        return "SELECT NULL::VARCHAR AS entity_id WHERE FALSE"
    if not (protection_is_current(warehouse) if current is None else current):
        return all_persons_sql()
    return "SELECT person_id AS entity_id FROM person_protection WHERE status = 'protected'"


def identities_sql(persons_sql: str) -> str:
    """The recorded names (with resolution's name keys) and license numbers of the persons
    `persons_sql` selects: what must never be printed. Read only to match outputs against."""
    return f"""
    SELECT raw_name, name_class_key, alt_class_key, family_class, alt_family_class, license_number
    FROM person_mentions WHERE entity_id IN ({persons_sql})"""


def shown_persons_sql() -> str:
    """The persons decided to be shown (read only when protection is current)."""
    return "SELECT person_id FROM person_protection WHERE status = 'shown'"


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


# -- matching names in text ------------------------------------------------------------------
REDACTED = "[protected person]"
_WORD = re.compile(r"[^\W_]+")
# What may stand between the words of one name: spaces, a hyphen (Joo-Ha), a comma (LEE, JOO HA), a
# period after an initial, an apostrophe (O'Brien).
_JOINER = re.compile(r"[\s,.\-'\u2010\u2011\u2019]{1,3}")
_MAX_NAME_WORDS = 4  # given names of up to three words, or a family name of two (VAN DER...)
_LICENSE_JOINER = re.compile(r"[\s\-./]{1,2}")
_MAX_LICENSE_WORDS = 3


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    folded: str  # upper-case ASCII, as resolution's `clean` folds it


def _words(text: str) -> list[_Word]:
    out = []
    for m in _WORD.finditer(text):
        folded = (clean(m.group()) or "").replace(" ", "")
        if folded:
            out.append(_Word(m.start(), m.end(), folded))
    return out


def _runs(text: str, words: list[_Word], joiner: re.Pattern, keep) -> Iterable[list[_Word]]:
    """Maximal runs of words `keep` accepts, each joined to the next only by `joiner`."""
    run: list[_Word] = []
    for w in words:
        if not keep(w):
            if run:
                yield run
            run = []
            continue
        if run and not joiner.fullmatch(text[run[-1].end:w.start]):
            yield run
            run = []
        run.append(w)
    if run:
        yield run


def _name_keys_of(tokens: list[str]) -> set[str]:
    """The keys a run of words has as a person's name, in every split into given and family name,
    either order: `PersonName.class_key`'s form (resolve/normalize.py), so `Yi Joo-Ha`, `JOO HA LEE`
    and `Lee, Joo-ha` all give one key. Single letters are initials, as resolution reads them."""
    keys = set()
    for cut in range(1, len(tokens)):
        for given_part, family_part in ((tokens[:cut], tokens[cut:]), (tokens[cut:], tokens[:cut])):
            given = "".join(t for t in given_part if len(t) > 1)
            family = "".join(family_part)
            if given and family:
                keys.add(" ".join(sorted((given, family_class(family)))))
    return keys


@dataclass
class NameMatcher:
    """Finds recorded names (in any case, order, hyphenation or romanization) and license numbers
    (in any case, with or without separators) in text."""

    name_keys: set[str] = field(default_factory=set)
    vocabulary: set[str] = field(default_factory=set)  # the words the names are made of
    family_classes: set[str] = field(default_factory=set)
    licenses: set[str] = field(default_factory=set)
    shown_keys: set[str] = field(default_factory=set)  # names of persons decided to be shown

    @classmethod
    def from_identities(cls, rows: Iterable[tuple], shown_rows: Iterable[tuple] = ()) -> NameMatcher:
        """Rows of `identities_sql`: the names and license numbers to find. A one-word name has no
        key of two parts and is never matched. `shown_rows` are the identities of the persons
        decided to be shown: their names are never matched, nor a protected name printed inside
        one (a controller `WANG, WEI MING` is printed, not the worker `WEI WANG`)."""
        m = cls()
        for raw_name, class_key, alt_class_key, fam_class, alt_fam_class, _ in shown_rows:
            # As resolution keys the name, and as this matcher reads its words where printed.
            m.shown_keys |= m._add_name(raw_name, class_key, alt_class_key, fam_class, alt_fam_class)
            m.shown_keys |= whole_name_keys(raw_name)
        for raw_name, class_key, alt_class_key, fam_class, alt_fam_class, license_number in rows:
            m.name_keys |= m._add_name(raw_name, class_key, alt_class_key, fam_class, alt_fam_class)
            folded = _fold_license(license_number)
            if folded and len(folded) >= 4:
                m.licenses.add(folded)
        m.name_keys -= m.shown_keys
        return m

    def _add_name(self, raw_name, class_key, alt_class_key, fam_class, alt_fam_class) -> set[str]:
        """Learn a name's words; return its keys of two parts or more (none for a one-word name)."""
        if not raw_name:
            return set()
        # The keys resolution stored, and the recorded name read afresh (the same unless edited).
        name = parse_person_name(raw_name)
        keys = {k for k in (class_key, alt_class_key, name.class_key, name.alt_class_key) if k and " " in k}
        if keys:
            # Its words as written (JOO, HA) and as resolution joins them (JOOHA).
            self.vocabulary |= set((clean(re.sub(r"[-'\u2019]", " ", raw_name)) or "").split())
            self.vocabulary |= {w for w in (name.given, name.family, name.alt_given, name.alt_family) if w}
            self.family_classes |= {f for f in (fam_class, alt_fam_class, name.family_class) if f}
            if name.alt_family:
                self.family_classes.add(family_class(name.alt_family))
        return keys

    def _in_name(self, w: _Word) -> bool:
        return w.folded in self.vocabulary or family_class(w.folded) in self.family_classes

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of `text` that print a matched name or license number."""
        if not text:
            return []
        words = _words(text)
        found = []
        if self.name_keys:
            for run in _runs(text, words, _JOINER, self._in_name):
                names = self._spans_in(run, 2, _MAX_NAME_WORDS, lambda ws: self._has_key(ws, self.name_keys))
                if names and self.shown_keys:
                    shown = self._spans_in(run, 2, _MAX_NAME_WORDS, lambda ws: self._has_key(ws, self.shown_keys))
                    names = [n for n in names if not any(s[0] <= n[0] and n[1] <= s[1] for s in shown)]
                found += names
        if self.licenses:
            for run in _runs(text, words, _LICENSE_JOINER, lambda w: True):
                found += self._spans_in(run, 1, _MAX_LICENSE_WORDS,
                                        lambda ws: "".join(w.folded for w in ws) in self.licenses)
        return _merged(found)

    def reads_as_protected(self, raw_name: str | None) -> bool:
        """Whether a whole recorded name, printed, would read as one of the names to find (`LIM,
        KYU RA` as `LIM, KYURA`); a name that only contains one (`WANG, WEI MING`) does not."""
        return bool(whole_name_keys(raw_name) & self.name_keys)

    @staticmethod
    def _has_key(words: list[_Word], keys: set[str]) -> bool:
        return bool(_name_keys_of([w.folded for w in words]) & keys)

    @staticmethod
    def _spans_in(run: list[_Word], shortest: int, longest: int, matches) -> list[tuple[int, int]]:
        out = []
        for i in range(len(run)):
            for n in range(shortest, min(longest, len(run) - i) + 1):
                if matches(run[i:i + n]):
                    out.append((run[i].start, run[i + n - 1].end))
        return out

    def found_in(self, text: str) -> bool:
        """Whether `text` prints a matched identity, read also as HTML and JSON would escape it."""
        return any(self.spans(form) for form in _decoded_forms(text))

    def redact(self, text: str) -> str:
        for start, end in reversed(self.spans(text)):
            text = text[:start] + REDACTED + text[end:]
        return text


def whole_name_keys(raw_name: str | None) -> set[str]:
    """The keys a name has when all of its words are read as one name, in every split."""
    words = [w.folded for w in _words(raw_name or "")]
    return _name_keys_of(words) if 2 <= len(words) <= _MAX_NAME_WORDS else set()


def _fold_license(value: str | None) -> str | None:
    return "".join(w.folded for w in _words(value)) if value else None


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _decoded_forms(text: str) -> list[str]:
    """The text, and the text with HTML entities and JSON `\\uXXXX` escapes decoded (Nguyễn)."""
    forms = [text]
    if "&" in text:
        forms.append(html.unescape(text))
    if "\\u" in text:
        forms.append(_JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text))
    return forms


# -- the object every read path asks -------------------------------------------------------------
class Protection:
    """Who may be shown, as the warehouse decides it now: one object every read path asks.

    `is_protected(person_id)` is true for every person not decided `shown` (fail closed, and for
    everyone when protection is not current: `current` says which); `label` is the only way a
    person's name reaches a result; `redact` takes the names and license numbers of every person
    not shown out of record text (reviews, tips, excerpts, business names) before it leaves;
    `refuse` is the last check on a finished output, with the same matcher over the persons
    protected for cause.
    """

    def __init__(self, warehouse):
        self._warehouse = warehouse
        resolved = warehouse.table_exists("person_mentions") and warehouse.table_exists("entities")
        self.current = resolved and protection_is_current(warehouse)
        self.shown = frozenset(
            p for (p,) in warehouse.rows("SELECT person_id FROM person_protection WHERE status = 'shown'")
        ) if self.current else frozenset()
        if not resolved:
            self._redacting = self._refusing = NameMatcher()
            return
        shown = warehouse.rows(identities_sql(shown_persons_sql())) if self.current else []
        self._redacting = NameMatcher.from_identities(
            warehouse.rows(identities_sql(protected_sql_for(warehouse, self.current))), shown)
        self._refusing = NameMatcher.from_identities(
            warehouse.rows(identities_sql(protected_for_cause_sql_for(warehouse, self.current))), shown)

    def is_protected(self, person_id: str) -> bool:
        return person_id not in self.shown

    def label(self, person_id: str, name: str | None) -> str:
        return shown_name(person_id, name, self.is_protected(person_id))

    @overload
    def redact(self, text: str) -> str: ...
    @overload
    def redact(self, text: None) -> None: ...

    def redact(self, text: str | None) -> str | None:
        """`text` with every protected name and license number in it replaced by `[protected person]`."""
        if not text:
            return text
        return self._redacting.redact(text)

    def refuse(self, what: str, targets: Iterable[str], rendered: Iterable[str]) -> None:
        """Raise `ProtectionViolation` if `targets` holds a protected person or `rendered` prints the
        name or license number of a person protected for cause, in any form the matcher reads."""
        stale = "" if self.current else " (protection is older than the entities: run `harborlight resolve`)"
        listed = [t for t in targets if self.is_protected(t)]
        if listed:
            raise ProtectionViolation(f"{what} refused: {len(listed)} protected person(s) listed as controllers{stale}")
        if any(self._refusing.found_in(text) for text in rendered):
            raise ProtectionViolation(f"{what} refused: it would print a protected person's identity{stale}")


def refuse_unsafe_output(warehouse, what: str, targets: Iterable[str], rendered: Iterable[str]) -> None:
    """Raise `ProtectionViolation` if `targets` holds a protected person or `rendered` prints the
    recorded name or license number of a person protected for cause (a worker, a probable nominee,
    an officer without evidence of control, or a namesake of one), in any case, order or
    romanization. Checked afresh against `person_protection` as it stands, whatever the tables the
    output was built from say. (A person protected only because nothing decided them may share a
    printed controller's name without harm.)"""
    Protection(warehouse).refuse(what, targets, rendered)
