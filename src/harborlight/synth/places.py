"""Places for the synthetic world: metro areas, premises, and how records write them.

The metro list is a hand-picked set of US cities with an approximate centre,
a ZIP prefix and an area code, enough to place businesses on a map. Street
names are generic. The noise functions reproduce what real records do to one
address: Street/St/St., Suite/Ste/#, upper case, a missing unit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# name, state, latitude, longitude, ZIP prefix (3 digits), area code
METROS = [
    ("Miami", "FL", 25.77, -80.19, "331", "305"),
    ("Orlando", "FL", 28.54, -81.38, "328", "407"),
    ("Tampa", "FL", 27.95, -82.46, "336", "813"),
    ("Jacksonville", "FL", 30.33, -81.66, "322", "904"),
    ("Atlanta", "GA", 33.75, -84.39, "303", "404"),
    ("Houston", "TX", 29.76, -95.37, "770", "713"),
    ("Dallas", "TX", 32.78, -96.80, "752", "214"),
    ("San Jose", "CA", 37.34, -121.89, "951", "408"),
    ("San Francisco", "CA", 37.77, -122.42, "941", "415"),
    ("Los Angeles", "CA", 34.05, -118.24, "900", "213"),
    ("San Diego", "CA", 32.72, -117.16, "921", "619"),
    ("Seattle", "WA", 47.61, -122.33, "981", "206"),
    ("Denver", "CO", 39.74, -104.99, "802", "303"),
    ("Chicago", "IL", 41.88, -87.63, "606", "312"),
    ("New York", "NY", 40.71, -74.01, "100", "212"),
    ("Queens", "NY", 40.73, -73.79, "113", "718"),
    ("Boston", "MA", 42.36, -71.06, "021", "617"),
    ("Philadelphia", "PA", 39.95, -75.17, "191", "215"),
    ("Phoenix", "AZ", 33.45, -112.07, "850", "602"),
    ("Las Vegas", "NV", 36.17, -115.14, "891", "702"),
]

# Variant "b" lays its world out over other metro areas and streets.
B_METROS = [
    ("Fort Lauderdale", "FL", 26.12, -80.14, "333", "954"),
    ("St. Petersburg", "FL", 27.77, -82.64, "337", "727"),
    ("Austin", "TX", 30.27, -97.74, "787", "512"),
    ("San Antonio", "TX", 29.42, -98.49, "782", "210"),
    ("Oakland", "CA", 37.80, -122.27, "946", "510"),
    ("Sacramento", "CA", 38.58, -121.49, "958", "916"),
    ("Irvine", "CA", 33.68, -117.83, "926", "949"),
    ("Portland", "OR", 45.52, -122.68, "972", "503"),
    ("Minneapolis", "MN", 44.98, -93.27, "554", "612"),
    ("Charlotte", "NC", 35.23, -80.84, "282", "704"),
    ("Raleigh", "NC", 35.78, -78.64, "276", "919"),
    ("Nashville", "TN", 36.16, -86.78, "372", "615"),
    ("Baltimore", "MD", 39.29, -76.61, "212", "410"),
    ("Fairfax", "VA", 38.85, -77.31, "220", "703"),
    ("Newark", "NJ", 40.74, -74.17, "071", "973"),
    ("Flushing", "NY", 40.76, -73.83, "113", "929"),
    ("Honolulu", "HI", 21.31, -157.86, "968", "808"),
]
B_STREETS = (
    "Bolsa Brookhurst Beach Harbor Valley View Euclid Magnolia Katella Garfield Bristol Jefferson "
    "Roosevelt Kingsley Northern Southern Hollywood University Lafayette Pleasant Chestnut Walnut "
    "Sycamore Poplar Dogwood Hickory Juniper Aspen Redwood Mission Alameda Camino Plaza Commerce "
    "Gateway Corporate Executive Metro Crossroads Summit Ridge Meadow Prairie Canyon"
).split()
B_UNIT_FORMS = ("Suite {u}", "STE {u}", "#{u}", "Rm {u}", "Room {u}", "Unit {u}", "Space {u}", "Bldg 1 #{u}")
B_PHONE_FORMATS = ("({a}) {b}-{c}", "{a}-{b}-{c}", "{a} {b} {c}", "({a}){b}-{c}", "{a}/{b}-{c}", "+1-{a}-{b}-{c}")

STREETS = (
    "Main Oak Maple Pine Cedar Elm Washington Lincoln Park Lake Hill Sunset Ocean Palm Bay "
    "Harbor Market Church Mill Spring Center River Forest Highland Jefferson Madison Franklin "
    "Biscayne Colonial Westheimer Bellaire Peachtree Buford Stevens Creek El Camino Garden Grove "
    "Federal University Commerce Airport Industrial Orange Magnolia Willow Sheridan Broadway"
).split()
SUFFIXES = {
    "Street": ["St", "St.", "Street", "ST"],
    "Avenue": ["Ave", "Ave.", "Avenue", "AVE", "Av"],
    "Boulevard": ["Blvd", "Blvd.", "Boulevard", "BLVD"],
    "Road": ["Rd", "Rd.", "Road", "RD"],
    "Drive": ["Dr", "Dr.", "Drive", "DR"],
    "Highway": ["Hwy", "Highway", "HWY"],
    "Parkway": ["Pkwy", "Parkway", "PKWY"],
    "Lane": ["Ln", "Lane", "LN"],
    "Way": ["Way", "WAY"],
}
DIRECTIONS = {"N": ["N", "N.", "North"], "S": ["S", "S.", "South"], "E": ["E", "East"], "W": ["W", "West"]}
UNIT_FORMS = ("Suite {u}", "Ste {u}", "Ste. {u}", "#{u}", "Unit {u}", "STE {u}", "Suite #{u}")


@dataclass(frozen=True)
class Metro:
    city: str
    state: str
    lat: float
    lon: float
    zip_prefix: str
    area_code: str


METRO_LIST = [Metro(*m) for m in METROS]
B_METRO_LIST = [Metro(*m) for m in B_METROS]


@dataclass(frozen=True)
class Premises:
    """One physical address. Several businesses may occupy it over the years."""

    number: int
    direction: str
    street: str
    suffix: str
    unit: str
    metro: Metro
    zip: str
    lat: float
    lon: float

    def canonical(self) -> str:
        parts = [str(self.number), self.direction, self.street, self.suffix]
        line = " ".join(p for p in parts if p)
        return f"{line}, Suite {self.unit}" if self.unit else line


@dataclass(frozen=True)
class AddressWriting:
    """How one kind of world lays out and writes places and phones."""

    metros: tuple[Metro, ...]
    streets: tuple[str, ...]
    commercial_unit_share: float  # commercial premises with a suite or unit number
    noise: float  # an address written in a non-canonical form
    unit_dropped: float  # ... that leaves the unit off
    upper_share: float  # ... in capitals
    unit_forms: tuple[str, ...]
    phone_formats: tuple[str, ...]  # format strings over a, b, c (area code, exchange, line) and digits
    phone_format_weights: tuple[float, ...]


STANDARD_PHONE_FORMATS = ("({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "{digits}", "1{digits}")


def make_premises(rng: random.Random, metro: Metro, writing: AddressWriting, commercial: bool = True) -> Premises:
    return Premises(
        number=rng.randrange(100, 19999),
        direction=rng.choice(["", "", "", "N", "S", "E", "W"]),
        street=rng.choice(writing.streets),
        suffix=rng.choice(list(SUFFIXES)),
        unit=str(rng.choice([rng.randrange(1, 30), rng.randrange(100, 400)]))
        if commercial and rng.random() < writing.commercial_unit_share else "",
        metro=metro,
        zip=metro.zip_prefix + f"{rng.randrange(0, 100):02d}",
        lat=round(metro.lat + rng.uniform(-0.25, 0.25), 5),
        lon=round(metro.lon + rng.uniform(-0.25, 0.25), 5),
    )


def written_address(rng: random.Random, p: Premises, writing: AddressWriting) -> str:
    """The street line as one record writes it."""
    if rng.random() >= writing.noise:
        return p.canonical()
    direction = rng.choice(DIRECTIONS[p.direction]) if p.direction else ""
    suffix = rng.choice(SUFFIXES[p.suffix])
    line = " ".join(x for x in (str(p.number), direction, p.street, suffix) if x)
    if p.unit and rng.random() >= writing.unit_dropped:
        line += rng.choice([", ", " "]) + rng.choice(writing.unit_forms).format(u=p.unit)
    return line.upper() if rng.random() < writing.upper_share else line


def make_phone(rng: random.Random, metro: Metro) -> str:
    """A phone number as ten digits."""
    return f"{metro.area_code}{rng.randrange(200, 999)}{rng.randrange(0, 10000):04d}"


def written_phone(rng: random.Random, digits: str, writing: AddressWriting) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    form = rng.choices(writing.phone_formats, weights=writing.phone_format_weights)[0]
    return form.format(a=a, b=b, c=c, digits=digits)
