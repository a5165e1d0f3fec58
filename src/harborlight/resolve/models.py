"""The Splink models: comparisons with readable labels, blocking rules and how each is trained.

Every level carries a label, because `harborlight explain` shows these labels to the
analyst as the reasons two records were joined. Custom SQL is written in DuckDB's dialect
and translated by Splink for Spark.

Training never sees the synthetic truth: u probabilities come from random sampling,
m probabilities from expectation maximisation over the blocks named in `em_blocks`, and
the prior from deterministic rules assumed to have the recall given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

DUCKDB = "duckdb"


def _level(sql: str, label: str) -> cll.CustomLevel:
    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str=DUCKDB)


def _null(column: str, label: str) -> cll.CustomLevel:
    return cll.CustomLevel(
        f'"{column}_l" IS NULL OR "{column}_r" IS NULL', label_for_charts=label, base_dialect_str=DUCKDB
    ).configure(is_null_level=True)


def _same_or_not(
    column: str, output: str, description: str, missing: str, same: str, different: str, tf: bool = False
) -> cl.CustomComparison:
    """A three-level comparison: missing, the same value (optionally weighed by its frequency), different."""
    return cl.CustomComparison(
        output_column_name=output,
        comparison_description=description,
        comparison_levels=[
            _null(column, missing),
            cll.ExactMatchLevel(column, term_frequency_adjustments=tf).configure(label_for_charts=same),
            cll.ElseLevel().configure(label_for_charts=different),
        ],
    )


def premises_comparison(one_place: bool = False) -> cl.CustomComparison:
    """Where the two records place the business or person.

    `one_place`: the records name one business, which has one premises. Its records at
    different places (a move, an address typed quite wrong) are rare, and those levels
    get small set m probabilities instead of trained ones. EM cannot learn them: the
    blocks it learns from hold chain and network locations with one name or phone at
    different addresses, which it takes for one business (it learned that a third of
    one business's records are at different places). A person has a home and a
    workplace, so the person model learns them.
    """
    far = {"m_probability": 0.02, "fix_m_probability": True} if one_place else {}
    return cl.CustomComparison(
        output_column_name="premises",
        comparison_description="Premises: street address, unit and city",
        comparison_levels=[
            _null("street", "address missing"),
            _level(
                '"street_l" = "street_r" AND "unit_l" IS NOT DISTINCT FROM "unit_r" '
                'AND coalesce("zip5_l" = "zip5_r" OR "city_l" = "city_r", TRUE)',
                "same street address and unit",
            ),
            _level(
                '"street_l" = "street_r" AND ("unit_l" IS NULL OR "unit_r" IS NULL) '
                'AND coalesce("zip5_l" = "zip5_r" OR "city_l" = "city_r", TRUE)',
                "same street address, one unit missing",
            ),
            _level('"street_l" = "street_r"', "same street address, different unit or city").configure(
                m_probability=0.01
            ),
            # A typo in the street name, never in the house number: 102 and 103 Main St are neighbours.
            cll.And(
                _level('split_part("street_l", \' \', 1) = split_part("street_r", \' \', 1)', "same house number"),
                cll.JaroWinklerLevel("street", 0.9),
            ).configure(
                label_for_charts="same house number, street names nearly the same (Jaro-Winkler >= 0.9)",
                m_probability=0.05,
            ),
            _level('"zip5_l" = "zip5_r" OR "city_l" = "city_r"', "same ZIP code or city").configure(**far),
            cll.ElseLevel().configure(label_for_charts="different places", **far),
        ],
    )


# How often one business's two names of the same kind (two trading names, or two legal
# names) share nothing: no exact name, no word set within the other, no Jaro-Winkler >= 0.8.
# Set, not trained: the only blocks that leave names free to vary are a shared phone or
# premises, and those are exactly where successors, co-located businesses and a network's
# locations share a phone or an address under different names. EM cannot tell those from
# one business and would learn that a business's names often differ completely.
DIFFERENT_NAMES_SAME_KIND_M = 0.002


# The pair has no kind of name in common: one side only a legal name, the other only a trading name.
LEGAL_AGAINST_TRADING = (
    'NOT (("legal_name_l" IS NOT NULL AND "legal_name_r" IS NOT NULL) '
    'OR ("trade_name_l" IS NOT NULL AND "trade_name_r" IS NOT NULL))'
)


def _first_words_close() -> cll.Or:
    """First words nearly the same: a typo (`SRENE`, `ZNE`), not another word."""
    return cll.Or(cll.JaroWinklerLevel("first_word", 0.85), cll.DamerauLevenshteinLevel("first_word", 1))


def business_name_comparison(term_frequencies: bool = True) -> cl.CustomComparison:
    """Business names, legal and trading, compared so a clearly different name counts against a match.

    A filing's legal name and a listing's trading name of one business often differ
    (`LUCKY STAR SPA` trades as `GOLDEN JADE SPA`): that costs little. Two trading names, or
    two legal names, that share nothing are strong evidence of two businesses, strong
    enough to outweigh a shared address and phone.
    """
    return cl.CustomComparison(
        output_column_name="business_name",
        comparison_description="Business names (legal and trading)",
        comparison_levels=[
            _null("name", "name missing"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=term_frequencies).configure(
                label_for_charts="same name"
            ),
            cll.ArrayIntersectLevel("names", 1).configure(
                label_for_charts="a legal or trading name in common", m_probability=0.1
            ),
            # A typo, not another name with the same generic ending: the first words must
            # agree too, so `KOREAN DAY SPA` and `OCEAN DAY SPA` are not "nearly the same".
            cll.And(cll.JaroWinklerLevel("name", 0.92), _first_words_close()).configure(
                label_for_charts="names nearly the same (Jaro-Winkler >= 0.92, first words too)"
            ),
            # `SERENE HANDS` and `SERENE HANDS MIAMI`; `SPA` and `GOLDEN LOTUS SPA`.
            _level(
                'array_length(array_intersect("name_words_l", "name_words_r")) = array_length("name_words_l") '
                'OR array_length(array_intersect("name_words_l", "name_words_r")) = array_length("name_words_r")',
                "every word of one name in the other",
            ),
            cll.And(cll.JaroWinklerLevel("name", 0.8), _first_words_close()).configure(
                label_for_charts="names similar (Jaro-Winkler >= 0.8, first words nearly the same)"
            ),
            # One side has only a legal name, the other only a trading name: a filing and a listing.
            _level(LEGAL_AGAINST_TRADING, "different names, a legal name against a trading name"),
            cll.ElseLevel().configure(
                label_for_charts="different names of the same kind",
                m_probability=DIFFERENT_NAMES_SAME_KIND_M, fix_m_probability=True,
            ),
        ],
    )


def active_period_comparison() -> cl.CustomComparison:
    """Whether the two records' active periods overlap.

    A successor opens after its predecessor closed, so nothing about the predecessor is
    seen after the successor was registered. A record that ended before the other
    business was even registered (filed, licensed, named) therefore counts against a
    match. Two listings of one business are often seen at different times, so that
    weaker case is a level of its own. Expectation maximisation learns both weights.
    """
    return cl.CustomComparison(
        output_column_name="active_period",
        comparison_description="Active periods: filed to dissolved, issued to expired, first to last seen",
        comparison_levels=[
            _null("date_from", "dates missing"),
            _level(
                '"date_from_l" <= "date_to_r" AND "date_from_r" <= "date_to_l"',
                "active periods overlap",
            ),
            # Set, not trained, for the reason the far premises levels are: EM takes a
            # predecessor and its successor at one premises for one business.
            _level(
                '("registered_r" AND "date_to_l" < "date_from_r") OR ("registered_l" AND "date_to_r" < "date_from_l")',
                "one ended before the other was registered",
            ).configure(m_probability=0.01, fix_m_probability=True),
            cll.ElseLevel().configure(label_for_charts="one was seen only before the other was first seen"),
        ],
    )


def business_settings(term_frequencies: bool = True) -> SettingsCreator:
    # A phone shared by several businesses (a hotel's or a plaza's switchboard, a network's
    # advertised number) is frequent, and its term-frequency adjustment weakens it.
    phone = _same_or_not(
        "phone", "phone", "Phone number (E.164)", "phone missing", "same phone", "different phones",
        tf=term_frequencies,
    )
    filing = cl.CustomComparison(
        output_column_name="filing_reference",
        comparison_description="A trade name's owner filing, or the filing itself",
        comparison_levels=[
            _null("filing_ref", "no filing reference"),
            # An identifier: m is set, not trained (EM would drive "different" to zero).
            cll.ExactMatchLevel("filing_ref").configure(
                label_for_charts="trade name filed by this filing", m_probability=0.95, fix_m_probability=True
            ),
            cll.ElseLevel().configure(label_for_charts="different filings", m_probability=0.05, fix_m_probability=True),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            business_name_comparison(term_frequencies), premises_comparison(one_place=True), phone, filing,
            active_period_comparison(),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_bk", "city"),
            block_on("street_bk", "city"),
            block_on("street_bk", "zip5"),
            block_on("phone_bk"),
            block_on("filing_ref_bk"),
        ],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


def person_settings(term_frequencies: bool = True) -> SettingsCreator:
    name = cl.CustomComparison(
        output_column_name="person_name",
        comparison_description="Person names, in any order and romanization",
        comparison_levels=[
            _null("name_key", "name missing"),
            cll.ExactMatchLevel("name_key", term_frequency_adjustments=term_frequencies).configure(
                label_for_charts="same given and family name"
            ),
            cll.ExactMatchLevel("name_class_key", term_frequency_adjustments=term_frequencies).configure(
                label_for_charts="same name in another romanization"
            ),
            _level(
                '"name_class_key_l" = "alt_class_key_r" OR "alt_class_key_l" = "name_class_key_r"',
                "same name, family and given names read the other way",
            ).configure(m_probability=0.05),
            cll.JaroWinklerLevel("name_key", 0.92).configure(
                label_for_charts="names nearly the same, in any order (Jaro-Winkler >= 0.92)"
            ),
            cll.And(cll.ExactMatchLevel("family_class"), cll.JaroWinklerLevel("given", 0.85)).configure(
                label_for_charts="same family name, given names similar"
            ),
            _level('"family_class_l" = "family_class_r"', "same family name only").configure(m_probability=0.02),
            cll.ElseLevel().configure(label_for_charts="different names"),
        ],
    )
    license_number = cl.CustomComparison(
        output_column_name="license_number",
        comparison_description="Therapist license number",
        comparison_levels=[
            _null("license_number", "no license number"),
            # An identifier: m is set, not trained, so name coincidences cannot teach EM otherwise.
            # About one record in ten carries a mistyped or reissued number.
            cll.ExactMatchLevel("license_number").configure(
                label_for_charts="same license number", m_probability=0.88, fix_m_probability=True
            ),
            cll.DamerauLevenshteinLevel("license_number", 1).configure(
                label_for_charts="license numbers one keystroke apart", m_probability=0.04, fix_m_probability=True
            ),
            cll.ElseLevel().configure(
                label_for_charts="different license numbers", m_probability=0.08, fix_m_probability=True
            ),
        ],
    )
    # Context: the registered agent of the filings a person is named on. A controller's
    # filings tend to share one agent (often the controller); a mass agent company is
    # shared by thousands, which the term-frequency adjustment discounts.
    context = _same_or_not(
        "agent_context", "filing_agent", "Registered agent of the filings the person is named on",
        "no filing agent", "named on filings with the same registered agent",
        "filings with different registered agents", tf=term_frequencies,
    )
    # Context again: the mailing address of those filings. One owner's companies often
    # share a mailing address; a business's own premises is shared by nobody else.
    mailing = _same_or_not(
        "mailing_context", "filing_mailing_address", "Mailing address of the filings the person is named on",
        "no filing mailing address", "named on filings with the same mailing address",
        "filings with different mailing addresses", tf=term_frequencies,
    )
    # A date of birth is not in the contract; some sources carry one as an extra column.
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="Date of birth, where a source gives one",
        comparison_levels=[
            _null("birth_date", "no date of birth"),
            cll.ExactMatchLevel("birth_date").configure(label_for_charts="same date of birth"),
            cll.DamerauLevenshteinLevel("birth_date", 1).configure(label_for_charts="dates of birth one digit apart"),
            cll.ElseLevel().configure(label_for_charts="different dates of birth"),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[name, premises_comparison(), license_number, context, mailing, birth],
        blocking_rules_to_generate_predictions=[
            block_on("name_class_key_bk"),
            "l.alt_class_key_bk = r.name_class_key_bk",
            block_on("license_number_bk"),
            block_on("family_class", "street_bk"),
            block_on("given", "zip5"),
            block_on("family_class", "zip5"),
            block_on("birth_date"),
        ],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


def agent_settings(term_frequencies: bool = True) -> SettingsCreator:
    """Registered-agent companies. Its parameters are set, not trained.

    A handful of agent companies file for thousands of businesses, so two agent mentions
    picked at random are often the same company: the assumption behind estimating u by
    random sampling does not hold. The values below say what the levels mean instead:
    two different agent companies almost never share a name, and one company's
    mentions almost always do.
    """
    name = cl.CustomComparison(
        output_column_name="agent_name",
        comparison_description="Registered-agent company names",
        comparison_levels=[
            _null("name", "name missing"),
            cll.ExactMatchLevel("name").configure(label_for_charts="same name", m_probability=0.95, u_probability=0.001),
            cll.JaroWinklerLevel("name", 0.92).configure(
                label_for_charts="names nearly the same (Jaro-Winkler >= 0.92)", m_probability=0.04, u_probability=0.005
            ),
            cll.ElseLevel().configure(label_for_charts="different names", m_probability=0.01, u_probability=0.994),
        ],
    )
    place = premises_comparison()
    fixed = {  # label -> (m, u)
        "same street address and unit": (0.80, 0.001),
        "same street address, one unit missing": (0.10, 0.0005),
        "same street address, different unit or city": (0.02, 0.002),
        "same ZIP code or city": (0.05, 0.05),
        "different places": (0.03, 0.9465),
    }
    for level in place._comparison_levels:
        label = _label(level)
        if label in fixed:
            m, u = fixed[label]
            level.configure(m_probability=m, u_probability=u)
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=0.01,
        comparisons=[name, place],
        blocking_rules_to_generate_predictions=[block_on("name_bk"), block_on("street_bk", "city")],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


STARTING_VALUES_FILE = "data/starting_values.json"


def starting_values() -> dict:
    """Parameters learned on a synthetic world (unsupervised), shipped with the package.

    They are where training starts, and what a model uses as it is when the data are too
    few to train on (see engine.MIN_TRAINING_MENTIONS). `scripts/make_starting_values.py`
    makes the file.
    """
    path = resources.files("harborlight.resolve").joinpath(STARTING_VALUES_FILE)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _label(level) -> str | None:
    return getattr(level, "label_for_charts", None) or getattr(level, "_label_for_charts", None)


def apply_starting_values(settings: SettingsCreator, values: dict) -> SettingsCreator:
    """Set m, u and the prior from `values` (comparison -> label -> [m, u]) where the model leaves them open."""
    if not values:
        return settings
    for comparison in settings.comparisons:
        levels = values.get("levels", {}).get(comparison._output_column_name, {})
        for level in comparison._comparison_levels:
            mu = levels.get(_label(level))
            if not mu:
                continue
            m, u = mu
            options = {}
            if m is not None and getattr(level, "m_probability", None) is None:
                options["m_probability"] = m
            if u is not None and getattr(level, "u_probability", None) is None:
                options["u_probability"] = u
            if options:
                level.configure(**options)
    if values.get("prior"):
        settings.probability_two_random_records_match = values["prior"]
    return settings


@dataclass(frozen=True)
class ModelSpec:
    """A model and how to train it without labels."""

    name: str
    settings: callable
    prior_rules: tuple  # deterministic rules for the prior probability of a match
    prior_recall: float
    em_blocks: tuple  # blocking rules for expectation maximisation rounds
    trained: bool  # False: the settings carry every parameter

    def make_settings(self, term_frequencies: bool = True) -> SettingsCreator:
        """The model's settings, with the shipped starting values where training will begin.

        Term-frequency adjustments need a data set large enough for its value counts to
        mean something: in ten records, a name that appears twice is not a common name.
        """
        settings = self.settings(term_frequencies=term_frequencies)
        return apply_starting_values(settings, starting_values().get(self.name, {}))
    # Columns blocked on through a `<column>_bk` copy in which over-common values are left out.
    blocking_columns: tuple[str, ...]
    # Mentions identical in these columns are matched once, through their smallest id.
    collapse_on: tuple[str, ...] = ()


MODEL_SPECS = {
    "business": ModelSpec(
        "business", business_settings,
        (block_on("name_bk", "street_bk"), block_on("filing_ref_bk")), 0.6,
        # Blocks that leave the premises columns free, so premises weights are learned, and
        # a block on the premises, where a filing (no phone) meets its listings, so the
        # weight of a legal name against a different trading name is learned.
        (block_on("name_bk"), block_on("phone_bk"), block_on("street_bk", "city")), True,
        ("name", "street", "phone", "filing_ref"),
    ),
    "person": ModelSpec(
        "person", person_settings,
        (block_on("name_key", "street_bk"), block_on("license_number_bk")), 0.6,
        (block_on("license_number_bk"), block_on("name_class_key_bk")), True,
        ("name_class_key", "alt_class_key", "license_number", "street"),
    ),
    "agent": ModelSpec(
        "agent", agent_settings,
        (), 1.0, (), False,
        ("name", "street"),
        # One agent company files for thousands of businesses in a few written forms.
        collapse_on=("name", "street", "unit", "zip5", "city", "state"),
    ),
}
