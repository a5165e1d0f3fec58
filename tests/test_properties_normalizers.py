"""The name, address and phone normalizers, fuzzed with Hypothesis: any Unicode text (every category,
surrogates aside, since Python cannot encode them; long strings too) is normalized without an
exception, and normalizing what a normalizer returned changes nothing (f(f(x)) == f(x)).

Resolution compares normalized values with values normalized again later (a search term, a
premises key, a record loaded twice); a normalizer that moved its own output would split one
business or person in two.
"""

from __future__ import annotations

import os

from hypothesis import example, given, settings
from hypothesis import strategies as st

from harborlight.resolve.normalize import (
    clean,
    normalize_business_name,
    normalize_phone,
    parse_address,
    parse_person_name,
    person_class_keys,
    street_of,
    zip5,
)

# Every Unicode category but surrogates (Cs), which no Python str that came from a file holds.
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
LONG_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=500, max_size=2000)
# Text that looks like what records hold: letters, digits and the punctuation of names and addresses.
RECORD_LIKE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ,.-#&+/'()ĐđÉéÑñ",
                      max_size=80)
TEXT = st.one_of(ANY_TEXT, RECORD_LIKE, LONG_TEXT)
PHONE_LIKE = st.text(alphabet="0123456789 ()-+.xext", max_size=30)
ADDRESS_LIKE = st.builds(
    lambda number, direction, name, suffix, unit: f"{number} {direction} {name} {suffix} {unit}",
    st.integers(0, 99999), st.sampled_from(["", "N", "South", "NE"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789", min_size=1, max_size=20),
    st.sampled_from(["St", "Street", "Ave", "Blvd", "Road", "", "Hwy"]),
    st.sampled_from(["", "Ste 4", "Suite 5", "#5", "Apt 2B", "Unit A"]),
)
# Modest by default so the suite stays quick; HARBORLIGHT_FUZZ_EXAMPLES=5000 runs longer (docs/fuzzing.md).
EXAMPLES = settings(max_examples=int(os.environ.get("HARBORLIGHT_FUZZ_EXAMPLES", "150")), deadline=None)


@EXAMPLES
@given(TEXT)
@example("Đặng Thị Mai")
@example("\u0000\u200b\ufeff")
def test_clean_keeps_only_upper_ascii_words_and_is_idempotent(raw):
    once = clean(raw)
    assert once is None or (once == once.strip() and once.isascii() and "  " not in once)
    assert clean(once) == once


@EXAMPLES
@given(st.one_of(TEXT, PHONE_LIKE))
@example("(305) 555-0100")
@example("+1 305 555 0100 ext 12")
def test_a_normalized_phone_is_e164_and_normalizes_to_itself(raw):
    once = normalize_phone(raw)
    assert once is None or (once.startswith("+") and once[1:].isdigit())
    assert normalize_phone(once) == once


@EXAMPLES
@given(TEXT)
@example("D/B/A The L.L.C. & Co LLC")
@example("THE")
def test_a_normalized_business_name_normalizes_to_itself(raw):
    once = normalize_business_name(raw)
    assert normalize_business_name(once) == once


@EXAMPLES
@given(st.one_of(TEXT, ADDRESS_LIKE))
@example("100 Main Street Suite 4")
@example("PO Box 12 #4")
def test_a_normalized_street_normalizes_to_itself(raw):
    address = parse_address(raw)
    assert street_of(address.street) == address.street
    assert parse_address(address.street).unit is None or address.street is not None


@EXAMPLES
@given(TEXT)
@example("12345-6789")
def test_zip5_is_five_digits_and_normalizes_to_itself(raw):
    once = zip5(raw)
    assert once is None or (len(once) == 5 and once.isdigit())
    assert zip5(once) == once


def _written(name) -> str | None:
    """A parsed name written back as `FAMILY, GIVEN MIDDLE`, the form a registry writes."""
    if name.family is None:
        return None
    return f"{name.family}, {' '.join(p for p in (name.given, name.middle) if p)}"


@EXAMPLES
@given(TEXT)
@example("ZHANG, WEI")
@example("Dr. Mei-Ling Tran Jr.")
@example("Jo, Ra Yeon")
def test_a_parsed_person_name_written_back_parses_to_the_same_name(raw):
    name = parse_person_name(raw)
    person_class_keys(raw)  # the SQL function resolution registers: no exception either
    again = parse_person_name(_written(name))
    if name.family is None:
        assert again.family is None
        return
    assert (again.given, again.family, again.family_class) == (name.given, name.family, name.family_class)
    assert again.token_key == name.token_key
