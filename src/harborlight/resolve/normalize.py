"""Normalize names, addresses and phones, with the libraries made for each.

- Person names: the `LAST, FIRST` form is split at the comma. Without a comma, a name
  is read family-name-first when it starts with a known family name (and does not end
  with one), given-name-first otherwise, and the other reading is kept as an
  alternative. Titles before the name and suffixes after it (a short fixed list: Dr., Mrs.,
  Jr., III) are removed. Given names lose hyphens and inner spaces (Mei-Ling, Mei Ling,
  Meiling agree).
- Business names: upper case, d/b/a prefixes, `&` as AND, punctuation, leading THE and
  legal suffixes removed.
- Addresses: usaddress tags the parts; street suffixes and directions take their USPS
  abbreviations, and the unit keeps only its identifier (Suite 5, Ste 5 and #5 agree).
- Phones: phonenumbers, to E.164; numbers it finds invalid (0000000000) become unknown.

Every function takes raw text (or None) and returns None for unknown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import usaddress

from harborlight.resolve.romanization import family_class, known_family_names

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^A-Z0-9 ]+")
LEGAL_SUFFIXES = frozenset(
    "LLC LLLP LLP LP LTD INC INCORPORATED CORP CORPORATION CO COMPANY PLLC PA PC PLC".split()
)
_DBA = re.compile(r"^(D\s*/?\s*B\s*/?\s*A|A\s*/?\s*K\s*/?\s*A)\b[\s:.-]*", re.IGNORECASE)
STREET_SUFFIXES = {
    "STREET": "ST", "STR": "ST", "ST": "ST", "AVENUE": "AVE", "AV": "AVE", "AVE": "AVE", "AVN": "AVE",
    "BOULEVARD": "BLVD", "BLVD": "BLVD", "BLV": "BLVD", "ROAD": "RD", "RD": "RD", "DRIVE": "DR", "DR": "DR",
    "HIGHWAY": "HWY", "HWY": "HWY", "PARKWAY": "PKWY", "PKWY": "PKWY", "PKY": "PKWY", "LANE": "LN", "LN": "LN",
    "WAY": "WAY", "COURT": "CT", "CT": "CT", "PLACE": "PL", "PL": "PL", "CIRCLE": "CIR", "CIR": "CIR",
    "TERRACE": "TER", "TER": "TER", "PLAZA": "PLZ", "PLZ": "PLZ", "SQUARE": "SQ", "SQ": "SQ", "TRAIL": "TRL",
}
DIRECTIONS = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "N": "N", "S": "S", "E": "E", "W": "W",
    "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
    "NE": "NE", "NW": "NW", "SE": "SE", "SW": "SW",
}


def clean(text: str | None) -> str | None:
    """Upper case ASCII letters and digits, single spaces; None when nothing is left."""
    if text is None:
        return None
    # Đ (Vietnamese D with stroke) has no decomposition: without this, ĐẶNG would fold to ANG.
    text = text.replace("Đ", "D").replace("đ", "d")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()
    out = _SPACES.sub(" ", _NOT_WORD.sub(" ", folded)).strip()
    return out or None


# -- phones ---------------------------------------------------------------------------------
@lru_cache(maxsize=200_000)
def normalize_phone(raw: str | None, region: str = "US") -> str | None:
    if not raw or not any(c.isdigit() for c in raw):
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# -- business names -------------------------------------------------------------------------
@lru_cache(maxsize=200_000)
def normalize_business_name(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = _DBA.sub("", raw.strip()).replace("&", " AND ").replace("+", " AND ")
    text = re.sub(r"\b([A-Za-z])\.(?=[A-Za-z]\.)", r"\1", text)  # L.L.C. -> LLC
    words = (clean(text) or "").split()
    while words and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "THE":
        words.pop(0)
    return " ".join(words) or None


SQL_BUSINESS_NAME = "hl_business_name"
SQL_PERSON_CLASS_KEYS = "hl_person_class_keys"
SQL_STREET = "hl_street"


def person_class_keys(raw: str | None) -> list[str]:
    """The romanization-class keys a person's name can be read as (both orders when no comma says which)."""
    name = parse_person_name(raw)
    return [k for k in (name.class_key, name.alt_class_key) if k]


def register_sql_functions(con) -> None:
    """Make `hl_business_name(text)`, `hl_person_class_keys(text)` and `hl_street(address)` available
    in SQL on a DuckDB connection, so queries that compare a raw name or address with resolved ones
    normalize it exactly as resolution did."""
    import duckdb

    functions = [
        (SQL_BUSINESS_NAME, normalize_business_name, "VARCHAR"),
        (SQL_PERSON_CLASS_KEYS, person_class_keys, "VARCHAR[]"),
        (SQL_STREET, street_of, "VARCHAR"),
    ]
    for name, function, returns in functions:
        try:
            con.create_function(name, function, ["VARCHAR"], returns, side_effects=False)
        except (duckdb.NotImplementedException, duckdb.CatalogException) as exc:
            # Already registered on this connection, or on another cursor of the same database (the
            # workspace reads through one cursor per request, and they share one catalog).
            if "already created" not in str(exc) and "already exists" not in str(exc):
                raise


def looks_like_company(raw: str | None) -> bool:
    """A name ending in a legal suffix, or with words only companies use."""
    words = (clean(_DBA.sub("", raw or "").replace(".", "")) or "").split()
    company_words = {"HOLDINGS", "INVESTMENTS", "GROUP", "MANAGEMENT", "ENTERPRISES", "SERVICES", "AGENTS", "AGENT"}
    return bool(words) and (words[-1] in LEGAL_SUFFIXES or bool(company_words & set(words)))


# -- addresses ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Address:
    street: str | None  # "1145 AIRPORT PKWY": number, direction, name, suffix
    unit: str | None  # "148"


_UNIT_WORDS = re.compile(r"\b(SUITE|STE|UNIT|APT|APARTMENT|RM|ROOM|FL|FLOOR|BLDG)\b\.?|#", re.IGNORECASE)


# Re-reading a street takes one more pass at most on every address fuzzed so far; the cap only
# guarantees an end.
_MAX_REREADS = 5


@lru_cache(maxsize=500_000)
def parse_address(raw: str | None) -> Address:
    """The street and unit of a raw address. The street returned reads as itself: the tagger sees
    context (commas, periods) that `clean` removes, so a street built from one reading can be tagged
    otherwise when read again (`959.3,7` gave `959 3 7`, then `959 3`). It is read again until it
    stays the same, so a street normalized twice (a search term, a key compared in SQL) still matches."""
    address = _read_address(raw)
    street = address.street
    for _ in range(_MAX_REREADS):
        again = _read_address(street).street if street else None
        if again == street:
            break
        street = again
    return Address(street, address.unit)


@lru_cache(maxsize=200_000)  # streets re-read are shared by many addresses (units, spellings)
def _read_address(raw: str | None) -> Address:
    if not raw or not raw.strip():
        return Address(None, None)
    try:
        tagged, _ = usaddress.tag(raw)
    except usaddress.RepeatedLabelError:
        tagged = {}
    number = clean(tagged.get("AddressNumber"))
    name = clean(tagged.get("StreetName"))
    if not number or not name:
        return _fallback_address(raw)
    pre = DIRECTIONS.get(clean(tagged.get("StreetNamePreDirectional")) or "", "")
    post_type = clean(tagged.get("StreetNamePostType")) or ""
    suffix = STREET_SUFFIXES.get(post_type, post_type)
    post_dir = DIRECTIONS.get(clean(tagged.get("StreetNamePostDirectional")) or "", "")
    street = " ".join(p for p in (number, pre, name, suffix, post_dir) if p)
    unit = clean(tagged.get("OccupancyIdentifier") or tagged.get("SubaddressIdentifier"))
    return Address(street, unit.replace(" ", "") if unit else None)


def _fallback_address(raw: str) -> Address:
    """When the tagger cannot find a number and a street: split off the unit, clean the rest."""
    parts = _UNIT_WORDS.split(raw, maxsplit=1)
    street_words = (clean(parts[0]) or "").split()
    street = " ".join(STREET_SUFFIXES.get(w, DIRECTIONS.get(w, w)) for w in street_words) or None
    unit = clean(parts[-1]) if len(parts) > 1 else None
    return Address(street, unit.replace(" ", "") if unit else None)


def street_of(raw: str | None) -> str | None:
    """The street of a raw address (number, direction, name, suffix), as mentions and premises key it."""
    return parse_address(raw).street


def zip5(raw: str | None) -> str | None:
    digits = re.sub(r"\D", "", raw or "")
    return digits[:5] if len(digits) >= 5 else None


# -- person names ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PersonName:
    given: str | None  # hyphens and inner spaces removed: MEILING
    middle: str | None  # initials
    family: str | None
    family_class: str | None  # romanization class (ZHANG and CHANG share one)
    # Without a comma, "TRAN THI TUAN" may be family-first or given-first. The reading
    # not taken is kept, so a comparison can try it too.
    alt_given: str | None = None
    alt_family: str | None = None

    @staticmethod
    def _key(given: str | None, family: str | None, classed: bool) -> str | None:
        if classed and family:
            family = family_class(family)
        parts = sorted(p for p in (given, family) if p)
        return " ".join(parts) or None

    @property
    def token_key(self) -> str | None:
        """Given and family name in alphabetical order: the same whichever order was written."""
        return self._key(self.given, self.family, classed=False)

    @property
    def class_key(self) -> str | None:
        """As token_key, with the family name replaced by its romanization class."""
        return self._key(self.given, self.family, classed=True)

    @property
    def alt_class_key(self) -> str | None:
        """class_key of the other reading of a name written without a comma."""
        return self._key(self.alt_given, self.alt_family, classed=True) if self.alt_family else None


def _given_and_middle(words: list[str]) -> tuple[str | None, str | None]:
    """Join a multi-part given name (MEI LING -> MEILING); single letters are middle initials."""
    given = [w for w in words if len(w) > 1]
    initials = [w for w in words if len(w) == 1]
    return ("".join(given) or None), (" ".join(initials) or None)


# Titles before a name and suffixes after it, as US records write them. A fixed list, not
# nameparser's: its 800 titles and suffixes hold syllables of East Asian given and family names
# (RA, MA, DO, SE, PA, CHI, HON), and dropping them split one person in two on the built-in world:
# JO, RA YEON was read as YEON JO, while RA-YEON CHO kept RAYEON.
PERSONAL_TITLES = frozenset("MR MRS MS MISS MX DR PROF REV SIR DAME MADAM MME MLLE".split())
NAME_SUFFIXES = frozenset("JR SR II III IV ESQ MD PHD DDS DMD DVM CPA RN LMT LMBT CMT".split())


def _without_titles(text: str) -> list[str]:
    """Words of a name, less the titles it starts with and the suffixes it ends with (Dr., Mrs.,
    Jr., III). Only the ends are read: a title or suffix inside a name is a part of it."""
    words = (clean(text) or "").split()
    while words and words[0] in PERSONAL_TITLES:
        words.pop(0)
    while words and words[-1] in NAME_SUFFIXES:
        words.pop()
    return words


@lru_cache(maxsize=500_000)
def parse_person_name(raw: str | None) -> PersonName:
    if not raw or not raw.strip():
        return PersonName(None, None, None, None)
    # A hyphen joins the parts of one name (Eun-woo, Smith-Jones): join them before splitting.
    raw = re.sub(r"\s*-\s*", "", raw)
    if "," in raw:
        family_part, _, rest = raw.partition(",")
        family = clean(family_part)
        family = family.replace(" ", "") if family else None
        given, middle = _given_and_middle(_without_titles(rest))
        return PersonName(given, middle, family, family_class(family) if family else None)
    words = _without_titles(raw)
    if not words:
        return PersonName(None, None, None, None)
    if len(words) == 1:
        return PersonName(None, None, words[0], family_class(words[0]))
    given_first = (*_given_and_middle(words[:-1]), words[-1])
    family_first = (*_given_and_middle(words[1:]), words[0])
    families = known_family_names()
    if words[0] in families and words[-1] not in families:
        (given, middle, family), (alt_given, _, alt_family) = family_first, given_first
    else:
        (given, middle, family), (alt_given, _, alt_family) = given_first, family_first
    return PersonName(given, middle, family, family_class(family), alt_given, alt_family)
