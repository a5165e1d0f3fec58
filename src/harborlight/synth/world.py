"""Build the synthetic world: legitimate businesses, IMB networks, and everything said about them.

`generate(out, seed, scale)` is deterministic for a seed: one random generator
is consumed in a fixed order, and dates count from a fixed "today" (AS_OF).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from harborlight.synth import text as T
from harborlight.synth.calibration import DEFAULT, Calibration
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
from harborlight.synth.places import METRO_LIST, Metro, Premises, make_phone, make_premises, written_phone
from harborlight.synth.records import RecordMaker, days_between, legal_name
from harborlight.synth.writer import WorldWriter

IMB_WORKER_GROUPS = (("chinese", "zh"), ("korean", "ko"), ("thai", "th"), ("vietnamese", "vi"))
OFFICER_ROLES_CONTROL = ["president", "manager", "director", "officer"]
OWNER_ROLES = ["owner", "member"]
LAST_REOPENING = AS_OF - timedelta(days=120)
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


def generate(
    out: Path,
    seed: int = 7,
    scale: float = 1.0,
    fmt: str = "csv",
    compressed: bool = False,
    calibration: Calibration = DEFAULT,
    progress: Callable[[int, int], None] | None = None,
) -> WorldSummary:
    """Write a synthetic world of about `scale * 1000` businesses to `out`."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    writer = WorldWriter(out, fmt, compressed)
    try:
        builder = _WorldBuilder(random.Random(seed), writer, scale, calibration, progress)
        builder.build()
    finally:
        writer.close()
    return WorldSummary(out, seed, scale, builder.n_businesses, len(builder.networks), dict(writer.counts))


class _WorldBuilder:
    def __init__(self, rng, writer, scale, calibration, progress):
        self.rng: random.Random = rng
        self.writer: WorldWriter = writer
        self.cal: Calibration = calibration
        self.make = RecordMaker(rng, writer)
        self.target = max(20, round(scale * calibration.businesses_per_scale))
        self.progress = progress
        self.n_businesses = 0
        self.n_persons = 0
        self.networks: list[Network] = []
        self.agents = self._agent_companies(max(6, round(6 * scale)))
        self.agent_weights = [1.0 / (i + 1) for i in range(len(self.agents))]  # a few serve very many
        self.buyer_pool = [self._handle() for _ in range(max(50, round(300 * scale)))]

    # -- ids and small helpers -----------------------------------------------------------------
    def _metro(self) -> Metro:
        return self.rng.choice(METRO_LIST)

    def _person(self, group: str, role: str, metro: Metro, network_id: str = "") -> Person:
        self.n_persons += 1
        person = Person(
            id=f"P{self.n_persons:07d}",
            name=make_person(self.rng, group),
            role=role,
            network_id=network_id,
            home=make_premises(self.rng, metro, commercial=False),
        )
        return person

    def _truth_person(self, p: Person) -> None:
        self.writer.truth(
            "persons", true_entity_id=p.id, role=p.role, network_id=p.network_id,
            is_nominee="true" if p.is_nominee else "false",
        )

    def _business(
        self, name: str, legal: str, category: str, metro: Metro, opened: date,
        premises: Premises | None = None, premises_id: str | None = None,
    ) -> Business:
        """A new business, at new premises unless it takes over the premises of an earlier one."""
        self.n_businesses += 1
        if self.progress and self.n_businesses % 500 == 0:
            self.progress(self.n_businesses, self.target)
        return Business(
            id=f"B{self.n_businesses:07d}",
            name=name,
            legal_name=legal,
            category=category,
            premises=premises or make_premises(self.rng, metro),
            premises_id=premises_id or f"S{self.n_businesses:07d}",
            phone=make_phone(self.rng, metro),
            opened=opened,
        )

    def _truth_business(self, b: Business) -> None:
        self.writer.truth(
            "businesses", true_entity_id=b.id, is_imb="true" if b.is_imb else "false",
            network_id=b.network_id, category=b.category, owner_group=b.owner_group,
            premises_id=b.premises_id,
        )

    def _handle(self) -> str:
        rng = self.rng
        words = ["mike", "tom", "bigdog", "traveler", "jd", "hobby", "monger", "fan", "guy", "rider"]
        return f"{rng.choice(words)}_{rng.choice(['fl', 'tx', 'ca', 'ny', 'x', ''])}{rng.randrange(1, 999)}"

    def _opened(self) -> date:
        return days_between(self.rng, date(2010, 1, 1), date(2025, 6, 30))

    def _agent_companies(self, n: int) -> list[Agent]:
        agents = []
        for i in range(n):
            metro = self._metro()
            base = AGENT_COMPANIES[i % len(AGENT_COMPANIES)]
            name = base if i < len(AGENT_COMPANIES) else f"{metro.city} {base}"
            agent = Agent(f"A{i + 1:05d}", name, "company", make_premises(self.rng, metro))
            agents.append(agent)
            self.writer.truth("persons", true_entity_id=agent.id, role="agent_service", network_id="", is_nominee="false")
        return agents

    def _commercial_agent(self) -> Agent:
        return self.rng.choices(self.agents, weights=self.agent_weights)[0]

    def _self_agent(self, person: Person) -> Agent:
        return Agent(person.id, person.name.plain(), "person", person.home or make_premises(self.rng, self._metro()), person)

    # -- the world -----------------------------------------------------------------------------
    def build(self) -> None:
        shares = self.cal.category_shares
        counts = {cat: round(share * self.target) for cat, share in shares.items()}
        self._chains(counts["chain"])
        for category in ("independent", "reflexology", "medical", "other"):
            for _ in range(counts[category]):
                self._legit_single(category)
        self._imb_networks(counts["imb"])
        self._providers()
        self._operations()

    # -- legitimate businesses -----------------------------------------------------------------
    def _chains(self, n_locations: int) -> None:
        rng = self.rng
        n_brands = max(2, round(n_locations / 15))
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
                group = rng.choices(["other", "chinese", "korean", "vietnamese"], [0.7, 0.1, 0.1, 0.1])[0]
                owner = self._person(group, "legit_owner", metro)
                place = rng.choice(PLACE_WORDS)
                b = self._business(brand, legal_name(rng, f"{owner.name.family} {place} Wellness"), "chain", metro, self._opened())
                b.owners, b.owner_group = [owner], owner.name.name_group
                filing = self.make.filing(b, [("manager", owner), ("member", franchisor)], agent)
                self.make.trade_name(b, filing, b.legal_name)
                self._legit_operations(b, therapists=(3, 8), hours=T.LEGIT_HOURS, prices=T.LEGIT_PRICES)
                self._truth_business(b)
                self._truth_person(owner)

    def _legit_single(self, category: str) -> None:
        rng = self.rng
        metro = self._metro()
        east_asian = {
            "reflexology": self.cal.value("east_asian_reflexology_owner_share"),
            "independent": self.cal.value("east_asian_independent_owner_share"),
        }.get(category, 0.15)
        group = rng.choice(["chinese", "korean"]) if rng.random() < east_asian else rng.choice(["other", "other", "thai", "vietnamese"])
        owner = self._person(group, "legit_owner", metro)
        hours, prices, therapists = T.LEGIT_HOURS, T.LEGIT_PRICES, (1, 4)
        if category == "reflexology":
            words = [rng.choice(ETHNIC_WORDS)] if rng.random() < 0.5 else [rng.choice(SPA_ADJECTIVES)]
            name = f"{words[0]} {rng.choice(FOOT_TAILS)}"
            prices, therapists = T.FOOT_PRICES, (1, 3)
            if rng.random() < self.cal.value("late_hours_legit_foot_share"):
                hours = T.LATE_LEGIT_HOURS
        elif category == "independent":
            lead = rng.choice([owner.name.family, rng.choice(PLACE_WORDS), rng.choice(SPA_ADJECTIVES)])
            if group != "other" and rng.random() < 0.3:
                lead = rng.choice(ETHNIC_WORDS)
            name = f"{lead} {rng.choice(INDEPENDENT_TAILS)}"
        elif category == "medical":
            name = f"{rng.choice(PLACE_WORDS)} {rng.choice(MEDICAL_TAILS)}"
            prices, therapists = [None], (0, 2)
        else:
            name = f"{rng.choice([owner.name.family, rng.choice(PLACE_WORDS)])} {rng.choice(OTHER_KINDS)}"
        b = self._business(name, legal_name(rng, name if rng.random() < 0.6 else f"{owner.name.family} {rng.choice(HOLDING_WORDS)}"), category, metro, self._opened())
        b.owners, b.owner_group = [owner], owner.name.name_group
        if rng.random() < 0.06:
            b.closed = days_between(rng, b.opened, AS_OF)
        officers: list = [(rng.choice(OWNER_ROLES + ["president", "manager"]), owner)]
        if rng.random() < 0.3:
            partner = self._person(group, "legit_owner", metro)
            officers.append((rng.choice(["secretary", "director", "member"]), partner))
            self._truth_person(partner)
        agent = self._commercial_agent() if rng.random() < 0.5 else self._self_agent(owner)
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

    def _legit_operations(self, b: Business, therapists: tuple[int, int], hours: list, prices: list) -> None:
        rng = self.rng
        if b.category != "medical":
            status = rng.choices(["active", "expired", "probation"], [0.93, 0.05, 0.02])[0]
            self.make.establishment_license(b, status, DISCIPLINE[2] if status == "probation" else None)
        for _ in range(rng.randint(*therapists)):
            group = rng.choice(["other", "other", "chinese", "korean", "thai", "vietnamese"])
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
        if rng.random() < 0.015:
            board = self.make.listing(b, "review_board", shown_hours, price, b.phone)
            self.make.review(board, b, T.pick(rng, T.LEGIT_REVIEWS), rng.choice(self.buyer_pool))
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
        rng, cal = self.rng, self.cal
        net_id = f"N{len(self.networks) + 1:05d}"
        metro = self._metro()
        lead_group = rng.choice(["chinese", "korean"]) if rng.random() < cal.value("east_asian_imb_controller_share") else rng.choice(["other", "thai", "vietnamese"])
        n_controllers = rng.choices([1, 2, 3], weights=cal.controllers_per_network_weights)[0]
        controllers = [self._person(lead_group, "controller", metro, net_id) for _ in range(n_controllers)]
        manager = self._person(lead_group, "manager", metro, net_id) if rng.random() < 0.6 else None
        worker_group, language = rng.choice(IMB_WORKER_GROUPS)
        workers = []
        for _ in range(max(2, round(size * rng.uniform(2.0, 3.5)))):
            w = self._person(worker_group, "worker", metro, net_id)
            w.language = language
            if rng.random() < cal.value("worker_licensed_share"):
                w.license_number = f"MA{rng.randrange(10000, 99999)}"
            workers.append(w)
        agent_draw = rng.random()
        agent = self._commercial_agent() if agent_draw < 0.5 else self._self_agent(controllers[0]) if agent_draw < 0.85 else None
        phones = [make_phone(rng, metro) for _ in range(rng.randint(1, 2))]
        net = Network(net_id, metro, controllers, manager, workers, phones, agent)
        net.buyer_handles = rng.sample(self.buyer_pool, k=min(len(self.buyer_pool), rng.randint(3, 10)))
        self.networks.append(net)
        if rng.random() < cal.value("network_holding_company_share"):
            net.holding = self._holding_company(net)

        n_reopened = sum(rng.random() < cal.value("imb_reopened_share") for _ in range(size - 1)) if size > 1 else 0
        originals = []
        for i in range(size):
            m = metro if rng.random() < 0.85 else self._metro()
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
            self._imb_records(net, b)
            self._truth_business(b)
        for p in controllers + workers + ([manager] if manager else []):
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
        b.is_imb, b.network_id, b.predecessor = True, net.id, predecessor
        b.owners = net.controllers
        b.owner_group = net.controllers[0].name.name_group
        net.businesses.append(b)
        return b

    def _assign_workers(self, net: Network) -> None:
        """Every worker works somewhere; about a third also rotate to another location."""
        for i, w in enumerate(net.workers):
            net.businesses[i % len(net.businesses)].workers.append(w)
        if len(net.businesses) > 1:
            for w in net.workers:
                if self.rng.random() < 0.35:
                    other = self.rng.choice(net.businesses)
                    if w not in other.workers:
                        other.workers.append(w)

    def _holding_company(self, net: Network) -> Business:
        rng = self.rng
        boss = net.controllers[0]
        name = f"{rng.choice([boss.name.family, rng.choice(SPA_ADJECTIVES)])} {rng.choice(HOLDING_WORDS)}"
        h = self._business(name, legal_name(rng, name), "holding", net.metro, self._opened() - timedelta(days=400), boss.home)
        h.network_id, h.owners, h.owner_group = net.id, net.controllers, boss.name.name_group
        self.make.filing(h, [("manager", c) for c in net.controllers], self._commercial_agent())
        self._truth_business(h)
        return h

    def _imb_officers(self, net: Network, b: Business) -> list:
        """Who a filing names, drawn to the shares Polaris found in IMB corporate records."""
        rng, cal = self.rng, self.cal
        named_controller = cal.value("imb_filing_names_controller")
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

    def _imb_records(self, net: Network, b: Business) -> None:
        rng, cal = self.rng, self.cal
        filing = None
        if rng.random() < cal.value("imb_has_filing"):
            agent = net.agent
            officers = self._imb_officers(net, b)
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
        phone = rng.choice(net.phones) if rng.random() < 0.6 else b.phone
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
            "phone": written_phone(rng, phone or b.phone) if rng.random() < 0.5 else None,
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
        for metro in METRO_LIST:
            for template, services in rng.sample(kinds, k=rng.randint(2, len(kinds))):
                languages = ["en"] + rng.sample(["es", "zh", "ko", "th", "vi", "tl"], k=rng.randint(0, 3))
                self.make.provider({
                    "name": template.format(city=metro.city),
                    "services": ";".join(services),
                    "languages": ";".join(languages),
                    "city": metro.city,
                    "state": metro.state,
                    "zip": metro.zip_prefix + "01",
                    "phone": written_phone(rng, make_phone(rng, metro)),
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
                    "person_ref": name or (casual_name(rng, person.name) if person else None),
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
                buyer = make_person(rng, rng.choice(["other", "other", "chinese", "korean"]))
                act(None, "buyer", "arrest", "solicitation", f"{buyer.given} {buyer.family}")
            victim_arrests = rng.random() < 0.55  # the practice harborlight exists to end
            for w in net.workers[: rng.randint(2, 6)]:
                if victim_arrests:
                    act(w, rng.choice(["seller", "worker"]), "arrest", rng.choice(["prostitution", "unlicensed massage"]))
                else:
                    act(w, "worker", rng.choice(["referral", "referral", "diversion"]), None)

