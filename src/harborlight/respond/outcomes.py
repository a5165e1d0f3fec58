"""The outcomes ledger: what agencies did, counted so that arresting victims reads as failure.

Per operation and overall: arrests of traffickers, controllers and managers; arrests of
buyers; arrests of sellers and workers (the victim arrests, and their share of all
arrests); referrals to services; and charges and convictions against controllers.
Every operation that arrested sellers or workers is flagged. The headline leads with
the victim arrests: of Atlanta's 169 announced arrests around the 2019 Super Bowl, 60
were traffickers or buyers, so the headline is the other 109.

The ledger holds counts only. `person_ref` names people, some of them victims: it is
never shown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace

from harborlight.resolve.normalize import register_sql_functions
from harborlight.terminal import strip_controls
from harborlight.warehouse import Warehouse

CONTROL_ROLES = ("trafficker", "controller", "manager")
VICTIM_ROLES = ("seller", "worker")


@dataclass
class Tally:
    arrests: int = 0
    control_arrests: int = 0  # traffickers, controllers, managers
    buyer_arrests: int = 0
    victim_arrests: int = 0  # sellers and workers
    other_arrests: int = 0  # role unknown
    referrals: int = 0
    diversions: int = 0
    control_charges: int = 0
    control_convictions: int = 0

    @property
    def victim_share(self) -> float:
        return self.victim_arrests / self.arrests if self.arrests else 0.0

    @property
    def flagged(self) -> bool:
        """Sellers or workers were arrested: the failure the ledger exists to count."""
        return self.victim_arrests > 0


@dataclass
class OperationLine:
    operation: str
    first_date: str
    last_date: str
    agencies: list[str]
    tally: Tally
    networks: list[str] = field(default_factory=list)


@dataclass
class Ledger:
    operations: list[OperationLine]
    overall: Tally

    def headline(self) -> str:
        o = self.overall
        if not o.arrests:
            return "No arrests recorded."
        flagged = sum(1 for op in self.operations if op.tally.flagged)
        return (
            f"{o.victim_arrests:,} of {o.arrests:,} arrests ({o.victim_share:.0%}) were of people selling sex or "
            f"working in the businesses: potential victims, arrested in {flagged:,} operation(s). "
            f"{o.control_arrests + o.buyer_arrests:,} were traffickers, controllers, managers or buyers."
        )

    def as_dict(self) -> dict:
        def tally(t: Tally) -> dict:
            return asdict(t) | {"victim_share": round(t.victim_share, 4), "flagged": t.flagged}

        return {
            "headline": self.headline(),
            "overall": tally(self.overall),
            "operations": [
                {"operation": op.operation, "first_date": op.first_date, "last_date": op.last_date,
                 "agencies": op.agencies, "networks": op.networks, **tally(op.tally)}
                for op in self.operations
            ],
        }


def tally_sql(group_by_operation: bool) -> str:
    roles = lambda rs: ", ".join(f"'{r}'" for r in rs)  # noqa: E731
    key = "operation," if group_by_operation else ""
    return f"""
    SELECT {key}
      count(*) FILTER (WHERE action = 'arrest'),
      count(*) FILTER (WHERE action = 'arrest' AND person_role IN ({roles(CONTROL_ROLES)})),
      count(*) FILTER (WHERE action = 'arrest' AND person_role = 'buyer'),
      count(*) FILTER (WHERE action = 'arrest' AND person_role IN ({roles(VICTIM_ROLES)})),
      count(*) FILTER (WHERE action = 'arrest' AND person_role = 'unknown'),
      count(*) FILTER (WHERE action = 'referral'),
      count(*) FILTER (WHERE action = 'diversion'),
      count(*) FILTER (WHERE action = 'charge' AND person_role IN ({roles(CONTROL_ROLES)})),
      count(*) FILTER (WHERE action = 'conviction' AND person_role IN ({roles(CONTROL_ROLES)}))
      {", min(date)::VARCHAR, max(date)::VARCHAR, list(DISTINCT agency ORDER BY agency) FILTER (WHERE agency IS NOT NULL)" if group_by_operation else ""}
    FROM outcomes {"GROUP BY operation ORDER BY min(date), operation" if group_by_operation else ""}"""


def operation_networks_sql() -> str:
    """Networks an operation acted on: outcomes whose business_ref names one of a network's businesses,
    or whose person_ref, for a trafficker, controller or manager, bears the name of one of its ranked
    controllers. Names of people in any other role are never compared. Each person_ref's name keys are
    unnested first, so the match is an equality join on the key rather than a scan of every mention per
    outcome."""
    roles = ", ".join(f"'{r}'" for r in CONTROL_ROLES)
    return f"""
    SELECT DISTINCT o.operation, m.network_id
    FROM outcomes o
    JOIN business_mentions bm ON bm.name = hl_business_name(o.business_ref)
    JOIN network_members m ON m.business_id = bm.entity_id
    UNION
    SELECT DISTINCT o.operation, np.network_id
    FROM (SELECT operation, unnest(hl_person_class_keys(person_ref)) AS name_key
          FROM outcomes WHERE person_role IN ({roles})) o
    JOIN person_mentions pm ON pm.name_class_key = o.name_key
    JOIN network_persons np ON np.person_id = pm.entity_id AND NOT np.protected
    ORDER BY 1, 2"""


def operations_by_network(warehouse: Warehouse, network_id: str | None = None) -> list[tuple[str, str]]:
    """(operation, network_id) for every network an operation named a business or controller of;
    only for `network_id` when one is given."""
    if not all(warehouse.table_exists(t) for t in ("network_members", "network_persons", "business_mentions")):
        return []
    register_sql_functions(warehouse.con)
    if network_id is None:
        return warehouse.rows(operation_networks_sql())
    return warehouse.rows(f"SELECT * FROM ({operation_networks_sql()}) WHERE network_id = ? ORDER BY 1", [network_id])


def outcomes_ledger(warehouse: Warehouse, entered: Iterable[EnteredCount] = ()) -> Ledger:
    """The ledger of the warehouse's outcomes records, plus the counts `entered` in the workspace."""
    overall = Tally(*warehouse.rows(tally_sql(False))[0])
    links: dict[str, list[str]] = {}
    for operation, network_id in operations_by_network(warehouse):
        links.setdefault(operation, []).append(network_id)
    operations = [
        OperationLine(row[0], row[10], row[11], list(row[12] or []), Tally(*row[1:10]), links.get(row[0], []))
        for row in warehouse.rows(tally_sql(True))
    ]
    return with_entered(Ledger(operations, overall), entered)


@dataclass(frozen=True)
class EnteredCount:
    """A count entered in the workspace (store.models.OutcomeEntry): people by role and action, no one named."""

    operation: str
    date: str  # YYYY-MM-DD
    person_role: str
    action: str  # arrest | referral | diversion | charge | conviction
    count: int
    agency: str | None = None
    network_id: str | None = None


def _add(tally: Tally, role: str, action: str, count: int) -> None:
    """Count `count` people of `role` under `action`, into the same columns tally_sql fills."""
    if action == "arrest":
        tally.arrests += count
        if role in CONTROL_ROLES:
            tally.control_arrests += count
        elif role == "buyer":
            tally.buyer_arrests += count
        elif role in VICTIM_ROLES:
            tally.victim_arrests += count
        else:
            tally.other_arrests += count
    elif action == "referral":
        tally.referrals += count
    elif action == "diversion":
        tally.diversions += count
    elif action == "charge" and role in CONTROL_ROLES:
        tally.control_charges += count
    elif action == "conviction" and role in CONTROL_ROLES:
        tally.control_convictions += count


def with_entered(ledger: Ledger, entered: Iterable[EnteredCount]) -> Ledger:
    """`ledger` with the entered counts added: to the operation of the same name (a new line when the
    records have none), and to the overall tally. Lines stay in date order. The ledger given is not changed."""
    entered = list(entered)
    if not entered:
        return ledger
    overall = replace(ledger.overall)
    lines = {op.operation: replace(op, tally=replace(op.tally), agencies=list(op.agencies), networks=list(op.networks))
             for op in ledger.operations}
    for e in entered:
        line = lines.get(e.operation)
        if line is None:
            line = lines[e.operation] = OperationLine(e.operation, e.date, e.date, [], Tally())
        line.first_date = min(line.first_date or e.date, e.date)
        line.last_date = max(line.last_date or e.date, e.date)
        if e.agency and e.agency not in line.agencies:
            line.agencies = sorted([*line.agencies, e.agency])
        if e.network_id and e.network_id not in line.networks:
            line.networks = sorted([*line.networks, e.network_id])
        _add(line.tally, e.person_role, e.action, e.count)
        _add(overall, e.person_role, e.action, e.count)
    return Ledger(sorted(lines.values(), key=lambda op: (op.first_date or "", op.operation)), overall)


def _wrapped(text: str, width: int, indent: str = "", hang: str = "  ") -> list[str]:
    """`text` folded to `width` columns at word boundaries, without control characters (operation
    names are record text); long unbroken words (ids) are never cut."""
    return textwrap.wrap(" ".join(strip_controls(text).split()), width, initial_indent=indent, subsequent_indent=indent + hang,
                         break_long_words=False, break_on_hyphens=False) or [indent]


def operation_lines(op: OperationLine, width: int = 80) -> list[str]:
    """One operation as a short block: what it did to potential victims first (FLAGGED when it arrested
    any), then its dates, arrests by role, referrals, charges and networks. A block, not a table row,
    so it reads the same when piped at 80 columns."""
    t = op.tally
    victims = "potential victim" if t.victim_arrests == 1 else "potential victims"
    head = (f"FLAGGED {op.operation}: {t.victim_arrests:,} {victims} arrested" if t.flagged
            else f"{op.operation}: no potential victims arrested")
    dates = op.first_date if op.first_date == op.last_date else f"{op.first_date} to {op.last_date}"
    agencies = f" by {', '.join(op.agencies)}" if op.agencies else ""
    details = [
        f"dates: {dates}{agencies}",
        f"arrests: {t.arrests:,} ({t.victim_arrests:,} potential victims, {t.victim_share:.0%}; "
        f"{t.control_arrests:,} traffickers, controllers or managers; {t.buyer_arrests:,} buyers; "
        f"{t.other_arrests:,} role unknown)",
        f"referrals to services: {t.referrals:,}; diversions: {t.diversions:,}",
        f"controllers charged: {t.control_charges:,}; convicted: {t.control_convictions:,}",
    ]
    if op.networks:
        details.append(f"networks: {', '.join(op.networks)}")
    lines = _wrapped(head, width)
    for detail in details:
        lines += _wrapped(detail, width, "    ")
    return lines


def ledger_lines(ledger: Ledger, width: int = 80) -> list[str]:
    """The ledger as plain text no wider than `width` (ids excepted): the headline, then one block per
    operation in date order."""
    lines = _wrapped(ledger.headline(), width, hang="")
    for op in ledger.operations:
        lines += ["", *operation_lines(op, width)]
    return lines
