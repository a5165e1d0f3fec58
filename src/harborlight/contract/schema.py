"""The nine record types of data contract version 1, declared once.

Every other part of harborlight (readers, the warehouse schema, the synthetic
world, the export) takes field names, kinds and allowed values from here, so a
field is spelt in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property


class Kind(str, Enum):
    """How a field's text is checked and how the warehouse stores it."""

    TEXT = "text"
    CHOICE = "choice"  # one value from a fixed list, stored lower-case
    CHOICE_LIST = "choice_list"  # a `;`-separated list of values from a fixed list
    CODE_LIST = "code_list"  # a `;`-separated list of short codes (ISO 639-1)
    DATE = "date"  # ISO 8601; a time part is accepted and the calendar date kept
    TIMESTAMP = "timestamp"  # ISO 8601 date or date-time, stored in UTC
    BOOL = "bool"
    NUMBER = "number"


SQL_TYPES = {
    Kind.TEXT: "VARCHAR",
    Kind.CHOICE: "VARCHAR",
    Kind.CHOICE_LIST: "VARCHAR[]",
    Kind.CODE_LIST: "VARCHAR[]",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.BOOL: "BOOLEAN",
    Kind.NUMBER: "DOUBLE",
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None  # inclusive bounds for NUMBER fields
    high: float | None = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class RecordType:
    name: str  # the file name without extension, and the warehouse table name
    description: str
    fields: tuple[Field, ...]

    # Cached: readers and importers ask once a row. (A frozen dataclass keeps a cached
    # property in its instance dict, which freezing does not guard.)
    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _text(*names: str) -> tuple[Field, ...]:
    return tuple(Field(n) for n in names)


def _choice(name: str, choices: str, required: bool = False) -> Field:
    return Field(name, Kind.CHOICE, required, tuple(choices.split()))


def _dates(*names: str) -> tuple[Field, ...]:
    return tuple(Field(n, Kind.DATE) for n in names)


def _address(prefix: str = "") -> tuple[Field, ...]:
    return _text(*(f"{prefix}{part}" for part in ("address", "city", "state", "zip")))


_KEY = (Field("source", required=True), Field("record_id", required=True))

ENTITY_TYPES = "corporation llc partnership sole_prop nonprofit other"
FILING_STATUSES = "active inactive dissolved revoked"
OFFICER_ROLES = "president director manager member officer owner secretary treasurer other"
NAME_TYPES = "person company"
LICENSE_TYPES = "establishment therapist other"
LICENSE_STATUSES = "active expired revoked suspended probation"
SITE_KINDS = "review_site review_board ad_site directory"
CHANNELS = "call text chat email webform"
REPORTER_ROLES = "survivor family community law_enforcement service_provider anonymous"
SERVICES = "shelter legal medical mental_health immigration case_management interpretation hotline"
PROVIDER_HOURS = "24h business"
PERSON_ROLES = "trafficker controller manager buyer seller worker unknown"
ACTIONS = "arrest citation charge conviction diversion referral no_action"

FILINGS = RecordType(
    "filings",
    "a business entity in a corporate registry",
    _KEY
    + (
        Field("entity_name", required=True),
        _choice("entity_type", ENTITY_TYPES),
        _choice("status", FILING_STATUSES),
    )
    + _dates("filed_date", "status_date")
    + _address("principal_")
    + _address("mailing_")
    + _text("ein", "registered_agent_name")
    + (_choice("registered_agent_type", NAME_TYPES),)
    + _address("registered_agent_"),
)

OFFICERS = RecordType(
    "officers",
    "a person or company named on a filing",
    _KEY
    + (
        Field("filing_record_id", required=True),
        _choice("role", OFFICER_ROLES, required=True),
        Field("name", required=True),
        _choice("name_type", NAME_TYPES),
    )
    + _text("address", "city", "state", "zip"),
)

FICTITIOUS_NAMES = RecordType(
    "fictitious_names",
    "a registered trade name (doing business as)",
    _KEY
    + (Field("dba_name", required=True),)
    + _text("owner_name", "owner_filing_record_id", "address", "city", "state", "zip")
    + _dates("filed_date", "expires_date"),
)

LICENSES = RecordType(
    "licenses",
    "a state or city license",
    _KEY
    + (
        _choice("license_type", LICENSE_TYPES, required=True),
        Field("license_number"),
        Field("licensee_name", required=True),
    )
    + _text("business_name", "address", "city", "state", "zip", "phone")
    + (_choice("status", LICENSE_STATUSES),)
    + _dates("issued_date", "expires_date")
    + _text("discipline"),
)

LISTINGS = RecordType(
    "listings",
    "a business as one web page shows it",
    _KEY
    + (_choice("site_kind", SITE_KINDS, required=True), Field("business_name", required=True))
    + _text("address", "city", "state", "zip", "phone", "url", "hours", "price")
    + _dates("first_seen", "last_seen")
    + (
        Field("latitude", Kind.NUMBER, low=-90, high=90),
        Field("longitude", Kind.NUMBER, low=-180, high=180),
    ),
)

REVIEWS = RecordType(
    "reviews",
    "a review or post about a listing",
    _KEY
    + (Field("listing_record_id", required=True), Field("posted_date", Kind.DATE))
    # `reviewer` is a handle on a public site: the warehouse keeps only its keyed hash.
    + _text("reviewer", "rating")
    + (Field("text", required=True),),
)

TIPS = RecordType(
    "tips",
    "one hotline signal",
    _KEY
    + (
        Field("received_at", Kind.TIMESTAMP, required=True),
        _choice("channel", CHANNELS, required=True),
        _choice("reporter_role", REPORTER_ROLES),
        Field("language"),
        Field("text", required=True),
    )
    + _text("location_text", "business_name", "phone"),
)

PROVIDERS = RecordType(
    "providers",
    "a victim-service provider",
    _KEY
    + (
        Field("name", required=True),
        Field("services", Kind.CHOICE_LIST, required=True, choices=tuple(SERVICES.split())),
        Field("languages", Kind.CODE_LIST),
    )
    + _text("city", "state", "zip", "phone")
    + (_choice("hours", PROVIDER_HOURS), Field("accepts_referrals", Kind.BOOL)),
)

OUTCOMES = RecordType(
    "outcomes",
    "one enforcement action against one person",
    _KEY
    + (
        Field("operation", required=True),
        Field("date", Kind.DATE, required=True),
        Field("agency"),
        Field("person_ref"),
        _choice("person_role", PERSON_ROLES, required=True),
        _choice("action", ACTIONS, required=True),
    )
    + _text("charge", "business_ref"),
)

RECORD_TYPES: dict[str, RecordType] = {
    rt.name: rt
    for rt in (
        FILINGS,
        OFFICERS,
        FICTITIOUS_NAMES,
        LICENSES,
        LISTINGS,
        REVIEWS,
        TIPS,
        PROVIDERS,
        OUTCOMES,
    )
}

# Fields that are never stored in clear. The warehouse keeps a keyed hash instead.
HASHED_FIELDS: dict[str, tuple[str, ...]] = {"reviews": ("reviewer",)}
