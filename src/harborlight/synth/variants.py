"""The kinds of world `generate` can make: each a calibration and a style, written out in full.

`standard` is the world the project was first built and tuned on. Other variants
keep its truth semantics (the same roles, the same phenomena) but are made
with their own parameter sets, so that figures measured on them say something
about data harborlight was not tuned on.
"""

from __future__ import annotations

from dataclasses import dataclass

from harborlight.synth.calibration import Calibration, Figure, standard_figures
from harborlight.synth.names import B_POOLS, STANDARD_POOLS, NameWriting
from harborlight.synth.places import (
    B_METRO_LIST,
    B_PHONE_FORMATS,
    B_STREETS,
    B_UNIT_FORMS,
    METRO_LIST,
    STANDARD_PHONE_FORMATS,
    STREETS,
    UNIT_FORMS,
    AddressWriting,
)
from harborlight.synth.style import Casing, Layout, Missing, Style


@dataclass(frozen=True)
class Variant:
    name: str
    calibration: Calibration
    style: Style
    description: str


STANDARD_STYLE = Style(
    name="standard",
    pools=STANDARD_POOLS,
    names=NameWriting(
        romanization_share=0.35,
        order_weights=(0.5, 0.25, 0.25),
        upper_share=0.45,
        middle_shown_share=0.7,
        typo_rate=0.04,
    ),
    addresses=AddressWriting(
        metros=tuple(METRO_LIST),
        streets=tuple(STREETS),
        commercial_unit_share=0.6,
        noise=0.5,
        unit_dropped=0.1,
        upper_share=0.3,
        unit_forms=UNIT_FORMS,
        phone_formats=STANDARD_PHONE_FORMATS,
        phone_format_weights=(1, 1, 1, 1, 1, 1),
    ),
    missing=Missing(
        zip=0.05,
        listing_zip=0.15,
        ein=0.5,
        mailing_address=0.4,
        listing_phone=0.1,
        coordinates=0.3,
        officer_name_type=0.15,
        license_business_name=0.2,
        license_phone=0.3,
        officer_home=0.3,
        trade_name_filing_link=0.15,
    ),
    casing=Casing(
        entity_name_upper=0.6,
        city_upper=0.3,
        dba_upper=0.5,
        zip4=0.2,
        listing_typo=0.08,
        listing_city_suffix=0.15,
        listing_just_spa=0.01,
        listing_zero_phone=0.004,
    ),
    layout=Layout(
        agents_per_scale=6,
        network_agent_weights=(0.5, 0.35, 0.15),
        network_metro_share=0.85,
        network_phones=(1, 2),
        workers_per_business=(2.0, 3.5),
        worker_rotation_share=0.35,
        imb_worker_groups=("chinese", "korean", "thai", "vietnamese"),
        imb_worker_group_weights=(1, 1, 1, 1),
        imb_lead_other_groups=("other", "thai", "vietnamese"),
        legit_worker_groups=("other", "chinese", "korean", "thai", "vietnamese"),
        legit_worker_group_weights=(2, 1, 1, 1, 1),
        chain_owner_groups=("other", "chinese", "korean", "vietnamese"),
        chain_owner_group_weights=(0.7, 0.1, 0.1, 0.1),
        legit_non_east_asian_groups=("other", "thai", "vietnamese"),
        legit_non_east_asian_weights=(2, 1, 1),
        other_category_east_asian_share=0.15,
        legit_self_agent_share=0.5,
        legit_closed_share=0.06,
        colocated_group_weights=(0.6, 0.3, 0.1),
        colocated_unitless_share=0.3,
        locations_per_chain_brand=15,
        mailing_at_owner_home=0.3,
        therapist_active_share=0.9,
    ),
    middle_initial_share=0.4,
)

STANDARD = Variant(
    "standard", Calibration(), STANDARD_STYLE,
    "the world harborlight was built and tuned on",
)

B_STYLE = Style(
    name="b",
    pools=B_POOLS,
    names=NameWriting(
        romanization_share=0.5,
        order_weights=(0.3, 0.35, 0.35),
        upper_share=0.6,
        middle_shown_share=0.5,
        typo_rate=0.07,
    ),
    addresses=AddressWriting(
        metros=tuple(B_METRO_LIST),
        streets=tuple(B_STREETS),
        commercial_unit_share=0.75,
        noise=0.65,
        unit_dropped=0.2,
        upper_share=0.45,
        unit_forms=B_UNIT_FORMS,
        phone_formats=B_PHONE_FORMATS,
        phone_format_weights=(3, 2, 2, 1, 1, 1),
    ),
    missing=Missing(
        zip=0.12,
        listing_zip=0.25,
        ein=0.7,
        mailing_address=0.55,
        listing_phone=0.18,
        coordinates=0.45,
        officer_name_type=0.3,
        license_business_name=0.35,
        license_phone=0.45,
        officer_home=0.45,
        trade_name_filing_link=0.3,
    ),
    casing=Casing(
        entity_name_upper=0.8,
        city_upper=0.5,
        dba_upper=0.7,
        zip4=0.35,
        listing_typo=0.12,
        listing_city_suffix=0.2,
        listing_just_spa=0.02,
        listing_zero_phone=0.01,
    ),
    layout=Layout(
        agents_per_scale=4,
        network_agent_weights=(0.35, 0.45, 0.2),
        network_metro_share=0.75,
        network_phones=(1, 3),
        workers_per_business=(1.5, 3.0),
        worker_rotation_share=0.45,
        imb_worker_groups=("chinese", "korean", "thai", "vietnamese"),
        imb_worker_group_weights=(1.0, 0.7, 1.3, 1.5),
        imb_lead_other_groups=("vietnamese", "thai", "other"),
        legit_worker_groups=("other", "chinese", "korean", "thai", "vietnamese"),
        legit_worker_group_weights=(3, 1, 1, 1.5, 2),
        chain_owner_groups=("other", "chinese", "korean", "vietnamese", "thai"),
        chain_owner_group_weights=(0.6, 0.1, 0.05, 0.15, 0.1),
        legit_non_east_asian_groups=("other", "thai", "vietnamese"),
        legit_non_east_asian_weights=(1, 1, 1.5),
        other_category_east_asian_share=0.2,
        legit_self_agent_share=0.35,
        legit_closed_share=0.1,
        colocated_group_weights=(0.4, 0.35, 0.25),
        colocated_unitless_share=0.5,
        locations_per_chain_brand=10,
        mailing_at_owner_home=0.45,
        therapist_active_share=0.85,
    ),
    middle_initial_share=0.25,
)


def _b_figures() -> dict[str, Figure]:
    """Variant b's figures: each set here on its own, the sources of the standard world kept
    where the same publication stands behind a different assumed level."""
    base = standard_figures()
    values = {
        "imb_prevalence": 0.10,
        "imb_filing_names_controller": 0.25,
        "imb_filing_names_owner": 0.20,
        "imb_has_filing": 0.80,
        "imb_reopened_share": 0.30,
        "imb_successor_keeps_phone": 0.60,
        "imb_network_phone_share": 0.70,
        "imb_review_board_share": 0.75,
        "network_holding_company_share": 0.55,
        "network_controllers_hidden_share": 0.30,
        "network_worker_officer_share": 0.35,
        "worker_licensed_share": 0.40,
        "worker_moved_share": 0.03,
        "colocated_share": 0.10,
        "legit_turnover_share": 0.07,
        "legit_successor_keeps_phone": 0.40,
        "false_board_review_share_other": 0.025,
        "false_board_review_share_east_asian": 0.075,
        "common_name_share": 0.04,
        "east_asian_reflexology_owner_share": 0.70,
        "east_asian_independent_owner_share": 0.35,
        "east_asian_imb_controller_share": 0.75,
        "late_hours_legit_foot_share": 0.35,
    }
    return {name: Figure(values[name], figure.source) for name, figure in base.items()}


B = Variant(
    "b",
    Calibration(
        businesses_per_scale=1000,
        legit_shares={"chain": 0.10, "independent": 0.33, "reflexology": 0.20, "medical": 0.12, "other": 0.25},
        network_size_weights=(
            0.12, 0.14, 0.13, 0.11, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.025, 0.02, 0.015, 0.01, 0.01, 0.005, 0.005,
        ),
        controllers_per_network_weights=(0.45, 0.35, 0.20),
        figures=_b_figures(),
    ),
    B_STYLE,
    "other metro areas and streets; Cantonese, McCune-Reischauer and more Vietnamese and Thai names; more noise "
    "and missing fields; larger networks, more holding companies and self-agents, more co-location and successors",
)

VARIANTS: dict[str, Variant] = {"standard": STANDARD, "b": B}


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}") from None
