"""Build the synthetic world: legitimate businesses, IMB networks, and everything said about them.

`generate(out, seed, scale)` is deterministic for a seed, variant and scale: one
random generator is consumed in a fixed order, and dates count from a fixed
"today" (AS_OF). Every random choice reads either the calibration (the
documented figures) or the variant's style (names, noise, layouts).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from harborlight.synth import text as T
from harborlight.synth.calibration import Calibration
from harborlight.synth.model import AS_OF, Agent, Business, Network, Person
from harborlight.synth.names import (
    AGENT_COMPANIES,
    CHAIN_BRANDS,
    ETHNIC_WORDS,
    FOOT_TAILS,
    HOLDING_WORDS,
    INDEPENDENT_TAILS,
    MEDICAL_TAILS,
    OTHER_KINDS,
    PLACE_WORDS,
    SPA_ADJECTIVES,
    SPA_NOUNS,
    SPA_TAILS,
    casual_name,
    make_person,
)
from harborlight.synth.places import Metro, Premises, make_phone, make_premises, written_phone
from harborlight.synth.records import RecordMaker, days_between, legal_name
from harborlight.synth.style import Style
from harborlight.synth.variants import variant as find_variant
from harborlight.synth.writer import WorldWriter

IMB_LANGUAGES = {"chinese": "zh", "korean": "ko", "thai": "th", "vietnamese": "vi", "other": "en"}
OFFICER_ROLES_CONTROL = ["president", "manager", "director", "officer"]
NOMINEE_TITLES = ["secretary", "director", "president"]
OWNER_ROLES = ["owner", "member"]
LAST_REOPENING = AS_OF - timedelta(days=120)
BRIDGE_SIZE = 8  # a worker move between two networks at least this large is the bridge case
DISCIPLINE = [
    "Unlicensed persons practicing massage",
    "Sexual misconduct in the practice of massage; license revoked",
    "Failure to keep required records; fined",
    "Persons residing on the premises of a massage establishment",
]


@dataclass
class WorldSummary:
    out: Path
    seed: int
    scale: float
    businesses: int
    networks: int
    records: dict[str, int]
    variant: str = "standard"
    prevalence: float = 0.10


def generate(
    out: Path,
    seed: int = 7,
    scale: float = 1.0,
    fmt: str = "csv",
    compressed: bool = False,
    calibration: Calibration | None = None,
    progress: Callable[[int, int], None] | None = None,
    prevalence: float | None = None,
    variant: str = "standard",
) -> WorldSummary:
    """Write a synthetic world of about `scale * 1000` businesses to `out`.

    `prevalence` is the share of IMBs among massage businesses (illicit, chain, independent,
    reflexology); None keeps the calibration's (0.10). `variant` names a kind of world
    (`standard`, `b`): the same truth semantics made with other names, noise and layouts.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    chosen = find_variant(variant)
    cal = calibration or chosen.calibration
    if prevalence is not None:
        cal = cal.with_prevalence(prevalence)
    writer = WorldWriter(out, fmt, compressed)
    try:
        builder = _WorldBuilder(random.Random(seed), writer, scale, cal, chosen.style, progress)
        builder.build()
    finally:
        writer.close()
    return WorldSummary(
        out, seed, scale, builder.n_businesses, len(builder.networks), dict(writer.counts),
        chosen.name, cal.value("imb_prevalence"),
    )


class _WorldBuilder:
    def __init__(self, rng, writer, scale, calibration, style, progress):
        self.rng: random.Random = rng
        self.writer: WorldWriter = writer
        self.cal: Calibration = calibration
        self.style: Style = style
        self.layout = style.layout
        self.make = RecordMaker(rng, writer, style)
        self.target = max(20, round(scale * calibration.businesses_per_scale))
        self.progress = progress
        self.n_businesses = 0
        self.n_persons = 0
        self.networks: list[Network] = []
        self.agents = self._agent_companies(max(self.layout.agents_per_scale, round(self.layout.agents_per_scale * scale)))
        self.agent_weights = [1.0 / (i + 1) for i in range(len(self.agents))]  # a few serve very many
        self.buyer_pool = [self._handle() for _ in range(max(50, round(300 * scale)))]

    # -- ids and small helpers -----------------------------------------------------------------
    def _metro(self) -> Metro:
        return self.rng.choice(self.style.addresses.metros)

    def _premises(self, metro: Metro, commercial: bool = True) -> Premises:
        return make_premises(self.rng, metro, self.style.addresses, commercial)

    def _person(self, group: str, role: str, metro: Metro, network_id: str = "") -> Person:
        self.n_persons += 1
        name = make_person(
            self.rng, group, self.style.pools, self.cal.value("common_name_share"), self.style.middle_initial_share
        )
        return Person(
            id=f"P{self.n_persons:07d}", name=name, role=role, network_id=network_id,
            home=self._premises(metro, commercial=False),
        )

    def _truth_person(self, p: Person) -> None:
        self.writer.truth(
            "persons", true_entity_id=p.id, role=p.role, network_id=p.network_id,
            is_nominee="true" if p.is_nominee else "false", also_network_id=p.also_network_id,
        )

    def _business(
        self, name: str, legal: str, category: str, metro: Metro, opened: date,
        premises: Premises | None = None, premises_id: str | None = None,
    ) -> Business:
        """A new business, at new premises unless it takes over the premises of an earlier one."""
        self.n_businesses += 1
        if self.progress and self.n_businesses % 500 == 0:
            self.progress(self.n_businesses, self.target)
        premises_id = premises_id or f"S{self.n_businesses:07d}"
        return Business(
            id=f"B{self.n_businesses:07d}",
            name=name,
            legal_name=legal,
            category=category,
            premises=premises or self._premises(metro),
            premises_id=premises_id,
            phone=make_phone(self.rng, metro),
            opened=opened,
            building_id=premises_id,
        )

    def _truth_business(self, b: Business) -> None:
        self.writer.truth(
            "businesses", true_entity_id=b.id, is_imb="true" if b.is_imb else "false",
            network_id=b.network_id, category=b.category, owner_group=b.owner_group,
            premises_id=b.premises_id, building_id=b.building_id, phone=b.phone,
        )

    def _handle(self) -> str:
        rng = self.rng
        words = ["mike", "tom", "bigdog", "traveler", "jd", "hobby", "monger", "fan", "guy", "rider"]
        return f"{rng.choice(words)}_{rng.choice(['fl', 'tx', 'ca', 'ny', 'x', ''])}{rng.randrange(1, 999)}"

    def _opened(self) -> date:
        return days_between(self.rng, date(2010, 1, 1), date(2025, 6, 30))

    def _written_phone(self, digits: str) -> str:
        return written_phone(self.rng, digits, self.style.addresses)

    def _agent_companies(self, n: int) -> list[Agent]:
        agents = []
        for i in range(n):
            metro = self._metro()
            base = AGENT_COMPANIES[i % len(AGENT_COMPANIES)]
            name = base if i < len(AGENT_COMPANIES) else f"{metro.city} {base}"
            agent = Agent(f"A{i + 1:05d}", name, "company", self._premises(metro))
            agents.append(agent)
            self.writer.truth("persons", true_entity_id=agent.id, role="agent_service", network_id="", is_nominee="false")
        return agents

    def _commercial_agent(self) -> Agent:
        return self.rng.choices(self.agents, weights=self.agent_weights)[0]

    def _self_agent(self, person: Person) -> Agent:
        return Agent(person.id, person.name.plain(), "person", person.home or self._premises(self._metro()), person)

    # -- the world -----------------------------------------------------------------------------
    def build(self) -> None:
        counts = self.cal.category_counts(self.target)
        self._chains(counts["chain"])
        self._legit_singles(counts)
        self._imb_networks(counts["imb"])
        self._worker_moves()
        for net in self.networks:
            for p in net.workers:
                self._truth_person(p)
        self._providers()
        self._operations()

    # -- legitimate businesses -----------------------------------------------------------------
    def _chains(self, n_locations: int) -> None:
        rng, layout = self.rng, self.layout
        n_brands = max(2, round(n_locations / layout.locations_per_chain_brand))
        per_brand = max(1, n_locations // n_brands)
        for i in range(n_brands):
            brand = CHAIN_BRANDS[i % len(CHAIN_BRANDS)] + ("" if i < len(CHAIN_BRANDS) else f" {i // len(CHAIN_BRANDS) + 1}")
            agent = self._commercial_agent()
            home = self._metro()
            founders = [self._person("other", "legit_owner", home) for _ in range(2)]
            franchisor = self._business(brand, f"{brand} Franchising LLC", "franchisor", home, date(2008, 1, 1))
            franchisor.owners = founders
            franchisor.owner_group = "other"
            self.make.filing(franchisor, [("president", founders[0]), ("director", founders[1])], agent)
            self._truth_business(franchisor)
            for p in founders:
                self._truth_person(p)
            for _ in range(per_brand):
                metro = self._metro()
                group = rng.choices(layout.chain_owner_groups, layout.chain_owner_group_weights)[0]
                owner = self._person(group, "legit_owner", metro)
                place = rng.choice(PLACE_WORDS)
                b = self._business(brand, legal_name(rng, f"{owner.name.family} {place} Wellness"), "chain", metro, self._opened())
                b.owners, b.owner_group = [owner], owner.name.name_group
                filing = self.make.filing(b, [("manager", owner), ("member", franchisor)], agent)
                self.make.trade_name(b, filing, b.legal_name)
                self._legit_operations(b, therapists=(3, 8), hours=T.LEGIT_HOURS, prices=T.LEGIT_PRICES)
                self._truth_business(b)
                self._truth_person(owner)

    def _legit_singles(self, counts: dict[str, int]) -> None:
        """Independent, reflexology, medical and other businesses: most alone at their premises, some
        in a building with others that share its switchboard phone, some the successor of an unrelated
        business that closed at the same premises."""
        rng = self.rng
        queue = [c for c in ("independent", "reflexology", "medical", "other") for _ in range(counts[c])]
        rng.shuffle(queue)
        start_building, start_turnover, sizes, size_weights = self._single_layout_rates()
        i = 0
        while i < len(queue):
            left = len(queue) - i
            draw = rng.random()
            if draw < start_building and left >= 2:
                k = min(left, rng.choices(sizes, size_weights)[0])
                self._building(queue[i : i + k])
                i += k
            elif draw < start_building + start_turnover and left >= 2:
                self._turnover(queue[i], queue[i + 1])
                i += 2
            else:
                self._legit_single(queue[i])
                i += 1

    def _single_layout_rates(self) -> tuple[float, float, list[int], tuple[float, ...]]:
        """Per-step chances of starting a building group or a turnover pair, such that the shares of
        single businesses in buildings (`colocated_share`) and that are successors
        (`legit_turnover_share`) come out as calibrated."""
        sizes, weights = [2, 3, 4], self.layout.colocated_group_weights
        mean_size = sum(k * w for k, w in zip(sizes, weights)) / sum(weights)
        colocated, turnover = self.cal.value("colocated_share"), self.cal.value("legit_turnover_share")
        # A building of k uses k places in the queue, a turnover pair 2 (one of them a successor).
        steps = 1 / (1 - colocated * (mean_size - 1) / mean_size - turnover)
        return colocated * steps / mean_size, turnover * steps, sizes, weights

    def _building(self, categories: list[str]) -> None:
        """Distinct legitimate businesses in one building: one street address, their own units (one
        may show none), one switchboard phone, different names, open at the same time."""
        rng = self.rng
        metro = self._metro()
        base = self._premises(metro)
        units = rng.sample(range(100, 400), k=len(categories))
        unitless = rng.randrange(len(categories)) if rng.random() < self.layout.colocated_unitless_share else -1
        switchboard = make_phone(rng, metro)
        anchor = days_between(rng, date(2012, 1, 1), date(2023, 6, 30))
        building_id, names = "", set()
        for k, category in enumerate(categories):
            premises = replace(base, unit="" if k == unitless else str(units[k]))
            opened = days_between(rng, anchor - timedelta(days=900), min(anchor + timedelta(days=900), date(2025, 6, 30)))
            b = self._legit_single(
                category, metro=metro, premises=premises, phone=switchboard, opened=opened, open_now=True,
                avoid_names=names, building_id=building_id,
            )
            building_id = b.building_id
            names.add(b.name.lower())

    def _turnover(self, first: str, second: str) -> None:
        """A legitimate business closes and an unrelated one opens at its premises later."""
        rng = self.rng
        before = self._legit_single(first, closing=True)
        opened = before.closed + timedelta(days=rng.randint(10, 180))
        keeps = rng.random() < self.cal.value("legit_successor_keeps_phone")
        self._legit_single(
            second, metro=before.metro, premises=before.premises, premises_id=before.premises_id,
            phone=before.phone if keeps else None, opened=opened, open_now=True, avoid_names={before.name.lower()},
        )

    def _legit_single(
        self, category: str, metro: Metro | None = None, premises: Premises | None = None,
        premises_id: str | None = None, phone: str | None = None, opened: date | None = None,
        open_now: bool = False, closing: bool = False, avoid_names: frozenset[str] | set[str] = frozenset(),
        building_id: str = "",
    ) -> Business:
        rng, layout = self.rng, self.layout
        metro = metro or self._metro()
        east_asian = {
            "reflexology": self.cal.value("east_asian_reflexology_owner_share"),
            "independent": self.cal.value("east_asian_independent_owner_share"),
        }.get(category, layout.other_category_east_asian_share)
        if rng.random() < east_asian:
            group = rng.choice(["chinese", "korean"])
        else:
            group = rng.choices(layout.legit_non_east_asian_groups, layout.legit_non_east_asian_weights)[0]
        owner = self._person(group, "legit_owner", metro)
        hours, prices, therapists = T.LEGIT_HOURS, T.LEGIT_PRICES, (1, 4)
        for _ in range(6):  # a business in a building or at a former business's premises has its own name
            if category == "reflexology":
                words = [rng.choice(ETHNIC_WORDS)] if rng.random() < 0.5 else [rng.choice(SPA_ADJECTIVES)]
                name = f"{words[0]} {rng.choice(FOOT_TAILS)}"
            elif category == "independent":
                lead = rng.choice([owner.name.family, rng.choice(PLACE_WORDS), rng.choice(SPA_ADJECTIVES)])
                if group != "other" and rng.random() < 0.3:
                    lead = rng.choice(ETHNIC_WORDS)
                name = f"{lead} {rng.choice(INDEPENDENT_TAILS)}"
            elif category == "medical":
                name = f"{rng.choice(PLACE_WORDS)} {rng.choice(MEDICAL_TAILS)}"
            else:
                name = f"{rng.choice([owner.name.family, rng.choice(PLACE_WORDS)])} {rng.choice(OTHER_KINDS)}"
            if name.lower() not in avoid_names:
                break
        if category == "reflexology":
            prices, therapists = T.FOOT_PRICES, (1, 3)
            if rng.random() < self.cal.value("late_hours_legit_foot_share"):
                hours = T.LATE_LEGIT_HOURS
        elif category == "medical":
            prices, therapists = [None], (0, 2)
        legal = legal_name(rng, name if rng.random() < 0.6 else f"{owner.name.family} {rng.choice(HOLDING_WORDS)}")
        if closing:
            opened = days_between(rng, date(2010, 1, 1), date(2021, 12, 31))
        b = self._business(name, legal, category, metro, opened or self._opened(), premises, premises_id)
        if phone:
            b.phone = phone
        if building_id:
            b.building_id = building_id
        b.owners, b.owner_group = [owner], owner.name.name_group
        if closing:
            b.closed = days_between(rng, b.opened + timedelta(days=365), AS_OF - timedelta(days=200))
        elif not open_now and rng.random() < layout.legit_closed_share:
            b.closed = days_between(rng, b.opened, AS_OF)
        officers: list = [(rng.choice(OWNER_ROLES + ["president", "manager"]), owner)]
        if rng.random() < 0.3:
            partner = self._person(group, "legit_owner", metro)
            officers.append((rng.choice(["secretary", "director", "member"]), partner))
            self._truth_person(partner)
        agent = self._commercial_agent() if rng.random() >= layout.legit_self_agent_share else self._self_agent(owner)
        status = "inactive" if b.closed else "active"
        filing = self.make.filing(b, officers, agent, status, b.closed)
        if b.name != b.legal_name and rng.random() < 0.4:
            self.make.trade_name(b, filing, b.legal_name)
        if category == "other":
            if rng.random() < 0.5:
                self.make.listing(b, "directory", rng.choice(T.LEGIT_HOURS), None, b.phone)
        else:
            self._legit_operations(b, therapists, hours, prices)
        self._truth_business(b)
        self._truth_person(owner)
        return b

    def _legit_operations(self, b: Business, therapists: tuple[int, int], hours: list, prices: list) -> None:
        rng, layout = self.rng, self.layout
        if b.category != "medical":
            status = rng.choices(["active", "expired", "probation"], [0.93, 0.05, 0.02])[0]
            self.make.establishment_license(b, status, DISCIPLINE[2] if status == "probation" else None)
        for _ in range(rng.randint(*therapists)):
            group = rng.choices(layout.legit_worker_groups, layout.legit_worker_group_weights)[0]
            worker = self._person(group, "worker", b.metro)
            worker.license_number = f"MA{rng.randrange(10000, 99999)}"
            if rng.random() < 0.85:
                self.make.therapist_license(worker, b, lives_on_site=False)
            self._truth_person(worker)
        shown_hours, price = rng.choice(hours), rng.choice(prices)
        if rng.random() < 0.85:
            listing = self.make.listing(b, "review_site", shown_hours, price, b.phone)
            for _ in range(rng.randint(0, 6)):
                cue = rng.random() < 0.015  # an innocent review that happens to read like a cue
                self.make.review(listing, b, T.pick(rng, T.CONDUCT_CUES if cue else T.LEGIT_REVIEWS), self._handle())
        if rng.random() < 0.5:
            self.make.listing(b, "directory", shown_hours, None, b.phone)
        if rng.random() < 0.05:
            ad = self.make.listing(b, "ad_site", shown_hours, price, b.phone)
            self.make.review(ad, b, T.pick(rng, T.LEGIT_ADS), self._handle())
        if b.category in ("chain", "independent", "reflexology"):
            figure = "false_board_review_share_east_asian" if b.owner_group == "east_asian" else "false_board_review_share_other"
            if rng.random() < self.cal.value(figure):
                # A sex-buyer board lists a legitimate spa: one or two posts in the board's jargon.
                board = self.make.listing(b, "review_board", shown_hours, price, b.phone)
                for _ in range(rng.randint(1, 2)):
                    self.make.review(board, b, T.pick(rng, T.FALSE_BOARD_POSTS), rng.choice(self.buyer_pool))
        if rng.random() < 0.01:
            self.make.tip(b, self._tip_values(b, T.pick(rng, T.LEGIT_TIP_TEXTS), "community", "en"))

    # -- illicit massage business networks -----------------------------------------------------
    def _network_size(self, remaining: int) -> int:
        weights = self.cal.network_size_weights
        size = self.rng.choices(range(1, len(weights) + 1), weights=weights)[0]
        return min(size, remaining)

    def _imb_networks(self, n_imbs: int) -> None:
        remaining = n_imbs
        while remaining > 0:
            size = self._network_size(remaining)
            self._imb_network(size)
            remaining -= size

    def _imb_network(self, size: int) -> None:
        rng, cal, layout = self.rng, self.cal, self.layout
        net_id = f"N{len(self.networks) + 1:05d}"
        metro = self._metro()
        if rng.random() < cal.value("east_asian_imb_controller_share"):
            lead_group = rng.choice(["chinese", "korean"])
        else:
            lead_group = rng.choice(layout.imb_lead_other_groups)
        n_controllers = rng.choices([1, 2, 3], weights=cal.controllers_per_network_weights)[0]
        controllers = [self._person(lead_group, "controller", metro, net_id) for _ in range(n_controllers)]
        manager = self._person(lead_group, "manager", metro, net_id) if rng.random() < 0.6 else None
        worker_group = rng.choices(layout.imb_worker_groups, layout.imb_worker_group_weights)[0]
        workers = []
        for _ in range(max(2, round(size * rng.uniform(*layout.workers_per_business)))):
            w = self._person(worker_group, "worker", metro, net_id)
            w.language = IMB_LANGUAGES[worker_group]
            if rng.random() < cal.value("worker_licensed_share"):
                w.license_number = f"MA{rng.randrange(10000, 99999)}"
            workers.append(w)
        agent_draw = rng.choices(["commercial", "controller", "own"], layout.network_agent_weights)[0]
        agent = {"commercial": self._commercial_agent, "controller": lambda: self._self_agent(controllers[0])}.get(
            agent_draw, lambda: None
        )()
        phones = [make_phone(rng, metro) for _ in range(rng.randint(*layout.network_phones))]
        net = Network(net_id, metro, controllers, manager, workers, phones, agent)
        net.buyer_handles = rng.sample(self.buyer_pool, k=min(len(self.buyer_pool), rng.randint(3, 10)))
        self.networks.append(net)
        if rng.random() < cal.value("network_holding_company_share"):
            net.holding = self._holding_company(net)
        net.controllers_hidden = rng.random() < cal.value("network_controllers_hidden_share")
        if net.controllers_hidden and net.holding is None:
            # With no holding company, the one trace left is a controller acting as registered agent.
            net.agent = self._self_agent(controllers[0])

        n_reopened = sum(rng.random() < cal.value("imb_reopened_share") for _ in range(size - 1)) if size > 1 else 0
        originals = []
        for i in range(size):
            m = metro if rng.random() < layout.network_metro_share else self._metro()
            still_open = [o for o in originals if o.closed is None and o.opened < LAST_REOPENING]
            if i < size - n_reopened or not still_open:
                originals.append(self._imb_business(net, m, self._opened(), None))
            else:
                # The earlier business closes and a new one opens at the same premises under a new name.
                before = rng.choice(still_open)
                before.closed = days_between(rng, before.opened + timedelta(days=90), LAST_REOPENING)
                opened = before.closed + timedelta(days=rng.randint(5, 90))
                originals.append(self._imb_business(net, before.metro, opened, before))
        self._assign_workers(net)
        for b in net.businesses:
            b.has_filing = rng.random() < cal.value("imb_has_filing")
        self._worker_officers(net)
        first_filing = True
        for b in net.businesses:
            self._imb_records(net, b, first_filing)
            first_filing = first_filing and not b.has_filing
            self._truth_business(b)
        for p in controllers + ([manager] if manager else []):
            self._truth_person(p)

    def _imb_business(self, net: Network, metro: Metro, opened: date, predecessor: Business | None) -> Business:
        rng = self.rng
        lead = rng.choice(SPA_ADJECTIVES if rng.random() < 0.7 else ETHNIC_WORDS)
        name = f"{lead} {rng.choice(SPA_TAILS)}"
        legal = legal_name(rng, name if rng.random() < 0.4 else f"{rng.choice(SPA_ADJECTIVES)} {rng.choice(SPA_NOUNS)}")
        b = self._business(
            name, legal, "imb", metro, opened,
            predecessor.premises if predecessor else None, predecessor.premises_id if predecessor else None,
        )
        if predecessor is not None and rng.random() < self.cal.value("imb_successor_keeps_phone"):
            b.phone = predecessor.phone
        b.is_imb, b.network_id, b.predecessor = True, net.id, predecessor
        b.owners = net.controllers
        b.owner_group = net.controllers[0].name.name_group
        net.businesses.append(b)
        return b

    def _assign_workers(self, net: Network) -> None:
        """Every worker works somewhere; some also rotate to another location."""
        for i, w in enumerate(net.workers):
            net.businesses[i % len(net.businesses)].workers.append(w)
        if len(net.businesses) > 1:
            for w in net.workers:
                if self.rng.random() < self.layout.worker_rotation_share:
                    other = self.rng.choice(net.businesses)
                    if w not in other.workers:
                        other.workers.append(w)

    def _worker_officers(self, net: Network) -> None:
        """In a share of networks with two or more filings, one worker is named officer on 2-3 of them.

        Her officer records give her home address or none; her license (if any) is written with another
        name order and, where her family name has one, another romanization, so nothing but her name
        ties the two. She is a worker and a nominee in the truth."""
        rng = self.rng
        filed = [b for b in net.businesses if b.has_filing]
        if len(filed) < 2 or rng.random() >= self.cal.value("network_worker_officer_share"):
            return
        # Not a worker who may be signed up as a single filing's nominee too (the first at a location).
        firsts = {b.workers[0].id for b in net.businesses if b.workers}
        worker = rng.choice([w for w in net.workers if w.id not in firsts] or net.workers)
        worker.is_nominee = True
        for b in rng.sample(filed, k=min(len(filed), rng.randint(2, 3))):
            net.worker_officers[b.id] = (rng.choice(NOMINEE_TITLES), worker)
        name = worker.name
        other_spelling = rng.choice(name.family_variants) if name.family_variants else name.family
        officer_order, license_order = rng.choice([("comma", "given_first"), ("given_first", "comma"), ("comma", "family_first")])
        if license_order == "family_first" and name.group not in ("chinese", "korean", "vietnamese"):
            license_order = "given_first"
        worker.name_forms = {"officer": (officer_order, name.family), "license": (license_order, other_spelling)}

    def _holding_company(self, net: Network) -> Business:
        rng = self.rng
        boss = net.controllers[0]
        name = f"{rng.choice([boss.name.family, rng.choice(SPA_ADJECTIVES)])} {rng.choice(HOLDING_WORDS)}"
        h = self._business(name, legal_name(rng, name), "holding", net.metro, self._opened() - timedelta(days=400), boss.home)
        h.network_id, h.owners, h.owner_group = net.id, net.controllers, boss.name.name_group
        self.make.filing(h, [("manager", c) for c in net.controllers], self._commercial_agent())
        self._truth_business(h)
        return h

    def _imb_officers(self, net: Network, b: Business, first_filing: bool) -> list:
        """Who a filing names, drawn to the shares Polaris found in IMB corporate records.

        Unless the network's controllers are hidden, its first filing names one of them; later
        filings name one at the rate that keeps `imb_filing_names_controller` over all filings."""
        rng, cal = self.rng, self.cal
        if net.controllers_hidden:
            named_controller = 0.0
        elif first_filing:
            named_controller = 1.0
        else:
            named_controller = cal.controller_extra_filing_share()
        with_officers = 0.85
        owner_role_share = cal.value("imb_filing_names_owner") / with_officers
        role = rng.choice(OWNER_ROLES) if rng.random() < owner_role_share else rng.choice(OFFICER_ROLES_CONTROL)
        draw = rng.random()
        if draw < named_controller:
            return [(role, rng.choice(net.controllers))]
        if draw < named_controller + 0.25 and net.holding is not None:
            return [(role, net.holding)]
        if draw < with_officers:
            if b.workers and rng.random() < 0.4:
                nominee = b.workers[0]  # a worker signed up as the business's officer
            else:
                nominee = self._person(net.controllers[0].name.group, "nominee", b.metro, net.id)
                nominee.is_nominee = True
                self._truth_person(nominee)
            nominee.is_nominee = True
            return [(role, nominee)]
        return []

    def _imb_records(self, net: Network, b: Business, first_filing: bool) -> None:
        rng, cal = self.rng, self.cal
        filing = None
        if b.has_filing:
            agent = net.agent
            officers = self._imb_officers(net, b, first_filing)
            if b.id in net.worker_officers:
                officers.append(net.worker_officers[b.id])
            if agent is None:
                who = next((o for _, o in officers if isinstance(o, Person)), net.controllers[0])
                agent = self._self_agent(who)
            status = rng.choice(["dissolved", "inactive", "revoked"]) if b.closed else "active"
            filing = self.make.filing(b, officers, agent, status, b.closed)
        if rng.random() < 0.4:
            self.make.trade_name(b, filing, b.legal_name)
        if rng.random() < 0.6:
            status = rng.choices(["active", "expired", "revoked", "suspended", "probation"], [0.6, 0.15, 0.1, 0.08, 0.07])[0]
            discipline = rng.choice(DISCIPLINE) if status in ("revoked", "suspended", "probation") else None
            self.make.establishment_license(b, status, discipline)
        lives_on_site = rng.random() < 0.5
        for w in b.workers:
            if w.license_number:
                self.make.therapist_license(w, b, lives_on_site)
        hours, price = rng.choice(T.IMB_HOURS), rng.choice(T.IMB_PRICES)
        phone = rng.choice(net.phones) if rng.random() < cal.value("imb_network_phone_share") else b.phone
        if rng.random() < cal.value("imb_review_board_share"):
            board = self.make.listing(b, "review_board", hours, price, phone)
            for _ in range(rng.randint(2, 8)):
                texts = T.EXPLICIT_POSTS if rng.random() < 0.7 else T.CONDUCT_CUES
                handle = rng.choice(net.buyer_handles) if rng.random() < 0.6 else rng.choice(self.buyer_pool)
                self.make.review(board, b, T.pick(rng, texts), handle)
        if rng.random() < 0.4:
            ad = self.make.listing(b, "ad_site", hours, price, phone)
            for _ in range(rng.randint(1, 2)):
                self.make.review(ad, b, T.pick(rng, T.AD_TEXTS), self._handle())
        if rng.random() < 0.7:
            site = self.make.listing(b, "review_site", hours if rng.random() < 0.7 else None, price, phone)
            for _ in range(rng.randint(1, 6)):
                draw = rng.random()
                if draw < 0.45:
                    review = T.pick(rng, T.LEGIT_REVIEWS)
                elif draw < 0.93:
                    review = T.pick(rng, T.CONDUCT_CUES)
                else:
                    review = T.LANGUAGE_MENTIONS[b.workers[0].language if b.workers else "zh"]
                self.make.review(site, b, review, self._handle())
        if rng.random() < 0.3:
            self.make.listing(b, "directory", None, None, phone)
        if rng.random() < 0.25:
            survivor = rng.random() < 0.3
            role = "survivor" if survivor else rng.choice(["community", "family", "anonymous", "service_provider", "law_enforcement"])
            language = b.workers[0].language if survivor and b.workers else "en"
            tip_text = T.pick(rng, T.TIP_TEXTS)
            if rng.random() < 0.3:
                tip_text += T.TIP_WORKER_MENTION.format(alias=rng.choice(T.WORKER_ALIASES))
            self.make.tip(b, self._tip_values(b, tip_text, role, language, phone))

    def _worker_moves(self) -> None:
        """Rarely, a licensed worker is also licensed at a business of a second network, in her metro
        when one is there. When a world has two networks of BRIDGE_SIZE+ businesses and no move joins
        two such networks, one drawn move (or a new one) is placed between them: the bridge case."""
        rng = self.rng
        moves: list[tuple[Person, Network, Network]] = []
        for net in self.networks:
            for w in net.workers:
                if w.license_number and rng.random() < self.cal.value("worker_moved_share"):
                    target = self._move_target(net, w)
                    if target is not None:
                        moves.append((w, net, target))
        big = [n for n in self.networks if len(n.businesses) >= BRIDGE_SIZE]
        bridged = any(len(a.businesses) >= BRIDGE_SIZE and len(b.businesses) >= BRIDGE_SIZE for _, a, b in moves)
        if len(big) >= 2 and not bridged:
            pairs = [(a, b) for a in big for b in big if a is not b]
            same_metro = [(a, b) for a, b in pairs if a.metro == b.metro]
            first, second = rng.choice(same_metro or pairs)
            licensed = [w for w in first.workers if w.license_number]
            if licensed:
                bridge = (rng.choice(licensed), first, second)
                if moves:
                    moves[0] = bridge
                else:
                    moves.append(bridge)
        for w, home, target in moves:
            w.also_network_id = target.id
            home_metros = {b.metro for b in home.businesses if w in b.workers}
            places = [b for b in target.businesses if b.metro in home_metros] or target.businesses
            self.make.therapist_license(w, rng.choice(places), lives_on_site=rng.random() < 0.5)

    def _move_target(self, net: Network, w: Person) -> Network | None:
        metros = {b.metro for b in net.businesses if w in b.workers}
        others = [n for n in self.networks if n is not net and n.businesses]
        near = [n for n in others if any(b.metro in metros for b in n.businesses)]
        pool = near or others
        return self.rng.choice(pool) if pool else None

    def _tip_values(self, b: Business, tip_text: str, role: str, language: str, phone: str | None = None) -> dict:
        rng = self.rng
        received = days_between(rng, b.opened, b.closed or AS_OF)
        return {
            "received_at": f"{received.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
            "channel": rng.choice(["call", "call", "text", "chat", "email", "webform"]),
            "reporter_role": role,
            "language": language,
            "text": tip_text,
            "location_text": f"near {b.premises.street} {b.premises.suffix}, {b.metro.city}",
            "business_name": b.name if rng.random() < 0.7 else None,
            "phone": self._written_phone(phone or b.phone) if rng.random() < 0.5 else None,
        }

    # -- services and enforcement --------------------------------------------------------------
    def _providers(self) -> None:
        rng = self.rng
        kinds = [
            ("{city} Anti-Trafficking Coalition", ["hotline", "case_management", "shelter"]),
            ("Legal Aid of {city}", ["legal", "immigration"]),
            ("{city} Asian Women's Shelter", ["shelter", "case_management", "interpretation"]),
            ("{city} Community Health Center", ["medical", "mental_health"]),
            ("{city} Immigrant Justice Project", ["immigration", "legal", "interpretation"]),
        ]
        for metro in self.style.addresses.metros:
            for template, services in rng.sample(kinds, k=rng.randint(2, len(kinds))):
                languages = ["en"] + rng.sample(["es", "zh", "ko", "th", "vi", "tl"], k=rng.randint(0, 3))
                self.make.provider({
                    "name": template.format(city=metro.city),
                    "services": ";".join(services),
                    "languages": ";".join(languages),
                    "city": metro.city,
                    "state": metro.state,
                    "zip": metro.zip_prefix + "01",
                    "phone": self._written_phone(make_phone(rng, metro)),
                    "hours": "24h" if "hotline" in services or rng.random() < 0.2 else "business",
                    "accepts_referrals": "true" if rng.random() < 0.85 else "false",
                })

    def _operations(self) -> None:
        """Enforcement against some networks: some target controllers, some arrest the workers."""
        rng = self.rng
        words = "Harbor Lantern Silk Road Lotus Sunrise Guardian Safe Passage Open Door Keystone Tidewater".split()
        for net in self.networks:
            if rng.random() >= 0.2 or not net.businesses:
                continue
            operation = f"Operation {rng.choice(words)} {net.id[-3:]}"
            when = days_between(rng, max(b.opened for b in net.businesses), AS_OF)
            agency = f"{net.metro.city} Police Department"
            source = rng.choice(["court_records", "press_releases"])
            business = rng.choice(net.businesses)

            def act(person: Person | None, role: str, action: str, charge: str | None, name: str | None = None) -> None:
                self.make.outcome(source, {
                    "operation": operation, "date": when.isoformat(), "agency": agency,
                    "person_ref": name or (casual_name(rng, person.name, self.style.names) if person else None),
                    "person_role": role, "action": action, "charge": charge, "business_ref": business.name,
                }, person.id if person else "")

            for c in net.controllers:
                if rng.random() < 0.6:
                    act(c, "controller", "arrest", "human trafficking")
                    if rng.random() < 0.5:
                        act(c, "controller", "charge", "human trafficking; money laundering")
                else:
                    act(c, "controller", "no_action", None)
            if net.manager and rng.random() < 0.5:
                act(net.manager, "manager", "arrest", "deriving support from prostitution")
            for _ in range(rng.randint(0, 8)):
                buyer = make_person(rng, rng.choice(["other", "other", "chinese", "korean"]), self.style.pools, 0.0, 0.0)
                act(None, "buyer", "arrest", "solicitation", f"{buyer.given} {buyer.family}")
            victim_arrests = rng.random() < 0.55  # the practice harborlight exists to end
            for w in net.workers[: rng.randint(2, 6)]:
                if victim_arrests:
                    act(w, rng.choice(["seller", "worker"]), "arrest", rng.choice(["prostitution", "unlicensed massage"]))
                else:
                    act(w, "worker", rng.choice(["referral", "referral", "diversion"]), None)

