"""Names, addresses and phones normalize so that the same thing written differently compares equal."""

from __future__ import annotations

import pytest

from harborlight.resolve.normalize import (
    looks_like_company,
    normalize_business_name,
    normalize_phone,
    parse_address,
    parse_person_name,
    zip5,
)
from harborlight.resolve.romanization import family_class, known_family_names


@pytest.mark.parametrize(
    "written",
    ["ZHANG, WEI", "Wei Zhang", "Zhang Wei", "ZHANG WEI", "Wei Chang", "CHANG, WEI", "Cheung Wei"],
)
def test_order_and_romanization_variants_share_a_class_key(written):
    assert parse_person_name(written).class_key == parse_person_name("ZHANG, WEI").class_key


@pytest.mark.parametrize("written", ["CHANG, MEI-LING", "Mei-Ling Chang", "Mei Ling Chang", "MEILING CHANG", "Chang Mei-ling"])
def test_hyphenated_spaced_and_joined_given_names_are_equal(written):
    name = parse_person_name(written)
    assert (name.given, name.family) == ("MEILING", "CHANG")


def test_family_name_first_is_recognised_only_when_the_first_word_is_a_family_name():
    assert parse_person_name("Kim Soo-jin").family == "KIM"
    assert parse_person_name("Soo-jin Kim").family == "KIM"
    assert parse_person_name("Yoon Eun-woo").family == "YOON"  # WOO is a family name too, but joined here
    assert parse_person_name("Daniel J Rodriguez").family == "RODRIGUEZ"


def test_middle_initials_are_kept_apart_from_the_given_name():
    name = parse_person_name("RODRIGUEZ, DANIEL J")
    assert (name.given, name.middle, name.family) == ("DANIEL", "J", "RODRIGUEZ")


@pytest.mark.parametrize(
    ("a", "b"),
    [("ZHANG", "CHANG"), ("XU", "HSU"), ("ZHOU", "CHOU"), ("LEE", "YI"), ("LEE", "RHEE"), ("PARK", "PAK"),
     ("CHOI", "CHOE"), ("JUNG", "CHUNG"), ("KIM", "GIM"), ("ZENG", "TSANG"), ("ZENG", "TSENG"), ("LUO", "LAW"),
     ("CAI", "TSAI"), ("PAN", "POON"), ("SEO", "SUH"), ("MOON", "MUN")],
)
def test_romanization_table_joins_the_variants(a, b):
    assert family_class(a) == family_class(b)


def test_romanization_keeps_unrelated_names_apart_and_leaves_unknown_names_alone():
    assert family_class("PARK") != family_class("KIM")
    assert family_class("SMITH") == "SMITH"
    assert {"ZHANG", "PAK", "HSU"} <= known_family_names()


@pytest.mark.parametrize("written", ["LEE JUN", "ZHANG WEI", "KIM SUNG", "WANG FENG", "LI FANG"])
def test_a_given_name_syllable_is_not_read_as_a_family_name(written):
    assert parse_person_name(written).family == written.split()[0]


def test_vietnamese_d_with_stroke_folds_to_d():
    assert parse_person_name("Đặng Thị Lan") == parse_person_name("DANG THI LAN")


@pytest.mark.parametrize("empty", [None, "", "   ", ",", "-"])
def test_empty_person_names_are_unknown(empty):
    assert parse_person_name(empty).token_key is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Golden Lotus Spa, LLC", "GOLDEN LOTUS SPA"),
        ("The Golden Lotus Spa L.L.C.", "GOLDEN LOTUS SPA"),
        ("D/B/A Golden Lotus Spa", "GOLDEN LOTUS SPA"),
        ("dba: Golden Lotus Spa Inc.", "GOLDEN LOTUS SPA"),
        ("Stretch & Restore", "STRETCH AND RESTORE"),
        ("STRETCH AND RESTORE CORPORATION", "STRETCH AND RESTORE"),
        ("Spa Ça Va", "SPA CA VA"),
        ("LLC", None),  # nothing but a suffix: no name to compare
        ("", None),
        (None, None),
    ],
)
def test_business_names_lose_suffixes_articles_and_punctuation(raw, expected):
    assert normalize_business_name(raw) == expected


def test_company_names_are_told_from_person_names():
    assert looks_like_company("Sunstate Registered Agents Inc")
    assert looks_like_company("Han Holdings")
    assert not looks_like_company("ZHANG, WEI")


@pytest.mark.parametrize(
    "written",
    ["1145 Airport Parkway Suite 148", "1145 AIRPORT PKWY, STE 148", "1145 Airport Pkwy. #148", "1145 airport pkwy unit 148"],
)
def test_street_suffix_and_unit_forms_are_equal(written):
    assert parse_address(written) == parse_address("1145 Airport Pkwy Ste. 148")
    assert parse_address(written).unit == "148"


def test_directions_are_abbreviated_and_a_missing_unit_is_unknown():
    assert parse_address("9941 South Garden Road").street == "9941 S GARDEN RD"
    assert parse_address("9941 S. Garden Rd").street == "9941 S GARDEN RD"
    assert parse_address("9941 S Garden Rd").unit is None


@pytest.mark.parametrize("junk", [None, "", "   ", "???", "Suite 5"])
def test_degenerate_addresses_do_not_crash(junk):
    parse_address(junk)


@pytest.mark.parametrize(
    "written", ["(305) 555-0123", "305-555-0123", "305.555.0123", "+1 305 555 0123", "3055550123", "13055550123"]
)
def test_phone_formats_normalize_to_e164(written):
    assert normalize_phone(written) == "+13055550123"


@pytest.mark.parametrize("junk", ["0000000000", "123", "", None, "call us", "555-0000"])
def test_invalid_phones_are_unknown(junk):
    assert normalize_phone(junk) is None


def test_zip_codes_keep_five_digits():
    assert zip5("33101-1234") == "33101"
    assert zip5("331") is None
    assert zip5(None) is None
