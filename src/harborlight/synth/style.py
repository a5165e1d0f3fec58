"""How a kind of world is made: its name pools, its noise and its layouts.

The figures a world is calibrated to live in `calibration.py`; everything else a
random choice reads lives here, in one `Style` per kind of world. The standard
world and variant "b" (`variants.py`) are two instances written separately, so a
constant tuned on one world is never silently reused by the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from harborlight.synth.names import NamePools, NameWriting
from harborlight.synth.places import AddressWriting


@dataclass(frozen=True)
class Missing:
    """Shares of records that leave a field empty, as real sources do."""

    zip: float  # registry and license addresses
    listing_zip: float
    ein: float
    mailing_address: float  # a filing with no mailing address block
    listing_phone: float
    coordinates: float
    officer_name_type: float
    license_business_name: float
    license_phone: float
    officer_home: float  # a person officer with no address
    trade_name_filing_link: float  # a trade-name filing that does not cite its owner's filing number


@dataclass(frozen=True)
class Casing:
    """Shares of records written in capitals, or with other small slips."""

    entity_name_upper: float
    city_upper: float
    dba_upper: float
    zip4: float  # a ZIP written with its +4
    listing_typo: float  # a listing's business name with a typo
    listing_city_suffix: float  # ... or with " - City" after it
    listing_just_spa: float  # an illicit listing called just "SPA"
    listing_zero_phone: float  # a listing phone of 0000000000


@dataclass(frozen=True)
class Layout:
    """How businesses and networks are arranged."""

    agents_per_scale: int  # commercial registered-agent companies per unit of scale
    network_agent_weights: tuple[float, float, float]  # commercial agent, a controller as agent, each filing its own
    network_metro_share: float  # a network business in the network's home metro
    network_phones: tuple[int, int]  # booking phones per network, min and max
    workers_per_business: tuple[float, float]
    worker_rotation_share: float  # a network worker also works at another of its locations
    imb_worker_groups: tuple[str, ...]
    imb_worker_group_weights: tuple[float, ...]
    imb_lead_other_groups: tuple[str, ...]  # groups of non-East-Asian controllers
    legit_worker_groups: tuple[str, ...]
    legit_worker_group_weights: tuple[float, ...]
    chain_owner_groups: tuple[str, ...]
    chain_owner_group_weights: tuple[float, ...]
    legit_non_east_asian_groups: tuple[str, ...]
    legit_non_east_asian_weights: tuple[float, ...]
    other_category_east_asian_share: float  # owners of medical and other businesses
    legit_self_agent_share: float  # a legitimate single business acting as its own agent
    legit_closed_share: float
    colocated_group_weights: tuple[float, float, float]  # groups of 2, 3, 4 businesses in one building
    colocated_unitless_share: float  # one business of a building group shows no unit
    locations_per_chain_brand: int
    mailing_at_owner_home: float  # a filing's mailing address at the owner's home
    therapist_active_share: float


@dataclass(frozen=True)
class Style:
    name: str
    pools: NamePools
    names: NameWriting
    addresses: AddressWriting
    missing: Missing
    casing: Casing
    layout: Layout
    middle_initial_share: float  # people of the "other" group with a middle initial
