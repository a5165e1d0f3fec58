"""The true entities of the synthetic world, before any record is written about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from harborlight.synth.names import PersonName
from harborlight.synth.places import Metro, Premises

AS_OF = date(2026, 1, 1)  # the world's "today"; never the machine's clock, so runs repeat


@dataclass
class Person:
    id: str
    name: PersonName
    role: str  # controller, nominee, manager, worker, legit_owner
    network_id: str = ""
    home: Premises | None = None
    is_nominee: bool = False
    license_number: str = ""  # set for licensed therapists
    language: str = "en"
    # Record kind ("officer", "license") -> (name order, family-name spelling) that kind must use,
    # for a worker whose officer records and license are written differently.
    name_forms: dict[str, tuple[str, str]] = field(default_factory=dict)
    also_network_id: str = ""  # a worker also licensed at a business of this second network


@dataclass
class Agent:
    """A registered agent: a commercial agent company, or a person acting as agent."""

    id: str
    name: str
    kind: str  # "company" or "person"
    premises: Premises
    person: Person | None = None


@dataclass
class Business:
    id: str
    name: str  # the trading name shown on listings and trade-name filings
    legal_name: str  # the name on the corporate filing
    category: str  # imb, chain, independent, reflexology, medical, other, holding, franchisor
    premises: Premises
    premises_id: str
    phone: str
    opened: date
    closed: date | None = None
    is_imb: bool = False
    network_id: str = ""
    owner_group: str = ""
    owners: list[Person] = field(default_factory=list)
    workers: list[Person] = field(default_factory=list)
    predecessor: Business | None = None  # the business that closed at these premises before it
    building_id: str = ""  # the building; businesses in different units of one building share it
    has_filing: bool = True

    @property
    def metro(self) -> Metro:
        return self.premises.metro


@dataclass
class Network:
    id: str
    metro: Metro
    controllers: list[Person]
    manager: Person | None
    workers: list[Person]
    phones: list[str]
    agent: Agent | None  # the agent most of its filings use; None: each filing names its own
    holding: Business | None = None
    businesses: list[Business] = field(default_factory=list)
    buyer_handles: list[str] = field(default_factory=list)
    controllers_hidden: bool = False  # controllers only as registered agent or holding-company manager
    worker_officers: dict[str, tuple[str, Person]] = field(default_factory=dict)  # business id -> (role, worker)
