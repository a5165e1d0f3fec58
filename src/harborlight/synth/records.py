"""Write records about true entities, with the noise real sources add.

Each method writes one record of one contract file, and tells the writer
which true entity it is about, so `truth/records.csv` can be filled as we go.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from harborlight.synth.model import AS_OF, Agent, Business, Person
from harborlight.synth.names import LEGAL_SUFFIXES, registry_name, typo
from harborlight.synth.places import Premises, written_address, written_phone
from harborlight.synth.style import Style
from harborlight.synth.writer import WorldWriter

SITE_SOURCES = {
    "review_site": "reviewhub",
    "review_board": "boardwatch",
    "ad_site": "classifiedsx",
    "directory": "spadirectory",
}
ENTITY_TYPES_BY_SUFFIX = {"LLC": "llc", "L.L.C.": "llc", "Inc": "corporation", "Inc.": "corporation",
                          "Corp": "corporation", "Corporation": "corporation", "Co": "corporation"}


def filing_source(state: str) -> str:
    return "fl_sunbiz" if state == "FL" else f"{state.lower()}_sos"


def days_between(rng: random.Random, start: date, end: date) -> date:
    span = max((end - start).days, 0)
    return start + timedelta(days=rng.randrange(span + 1))


class RecordMaker:
    def __init__(self, rng: random.Random, writer: WorldWriter, style: Style):
        self.rng = rng
        self.writer = writer
        self.style = style
        self.missing = style.missing
        self.casing = style.casing
        self._seq: dict[str, int] = {}

    def _next(self, key: str) -> int:
        self._seq[key] = self._seq.get(key, 0) + 1
        return self._seq[key]

    def _maybe(self, share: float, value: object) -> object:
        """`value`, or nothing for a share of records: real sources leave fields empty."""
        return value if self.rng.random() >= share else None

    def _phone(self, digits: str) -> str:
        return written_phone(self.rng, digits, self.style.addresses)

    def _address_fields(self, p: Premises, prefix: str = "", zip_missing: float | None = None) -> dict[str, object]:
        rng = self.rng
        zip_missing = self.missing.zip if zip_missing is None else zip_missing
        return {
            f"{prefix}address": written_address(rng, p, self.style.addresses),
            f"{prefix}city": p.metro.city.upper() if rng.random() < self.casing.city_upper else p.metro.city,
            f"{prefix}state": p.metro.state,
            f"{prefix}zip": self._maybe(
                zip_missing, p.zip if rng.random() >= self.casing.zip4 else f"{p.zip}-{rng.randrange(10000):04d}"
            ),
        }

    # -- corporate registry ------------------------------------------------------------------
    def filing(
        self,
        b: Business,
        officers: list[tuple[str, Person | Business]],
        agent: Agent | None,
        status: str = "active",
        status_date: date | None = None,
    ) -> tuple[str, str]:
        rng = self.rng
        source = filing_source(b.metro.state)
        # Document numbers are unique across states here, so trade names never point ambiguously.
        doc = f"{rng.choice('LPM')}{b.opened.year % 100:02d}{self._next('filings'):07d}"
        suffix = b.legal_name.rsplit(" ", 1)[-1]
        values: dict[str, object] = {
            "source": source,
            "record_id": doc,
            "entity_name": b.legal_name.upper() if rng.random() < self.casing.entity_name_upper else b.legal_name,
            "entity_type": ENTITY_TYPES_BY_SUFFIX.get(suffix, "other"),
            "status": status,
            "filed_date": b.opened.isoformat(),
            "status_date": status_date.isoformat() if status_date else None,
            "ein": self._maybe(self.missing.ein, f"{rng.randrange(10, 99)}-{rng.randrange(1000000, 9999999)}"),
        }
        values.update(self._address_fields(b.premises, "principal_"))
        mailing = b.owners[0].home if b.owners and b.owners[0].home and rng.random() < self.style.layout.mailing_at_owner_home else b.premises
        if rng.random() >= self.missing.mailing_address:
            values.update(self._address_fields(mailing, "mailing_"))
        if agent is not None:
            values["registered_agent_name"] = (
                registry_name(rng, agent.person.name, self.style.names) if agent.person else agent.name.upper()
            )
            values["registered_agent_type"] = agent.kind
            values.update(self._address_fields(agent.premises, "registered_agent_"))
        self.writer.record("filings", values, b.id)
        for k, (role, who) in enumerate(officers, start=1):
            self._officer(source, doc, k, role, who)
        return source, doc

    def _officer(self, source: str, doc: str, k: int, role: str, who: Person | Business) -> None:
        rng = self.rng
        values: dict[str, object] = {"source": source, "record_id": f"{doc}-{k}", "filing_record_id": doc, "role": role}
        if isinstance(who, Business):
            values.update(name=who.legal_name.upper(), name_type="company")
            values.update(self._address_fields(who.premises))
        else:
            order, family = who.name_forms.get("officer", (None, None))
            values.update(
                name=registry_name(rng, who.name, self.style.names, order, family),
                name_type=self._maybe(self.missing.officer_name_type, "person"),
            )
            home = who.home if who.home and rng.random() >= self.missing.officer_home else None
            if home:
                values.update(self._address_fields(home))
        self.writer.record("officers", values, who.id)

    def trade_name(self, b: Business, filing: tuple[str, str] | None, owner_name: str) -> None:
        rng = self.rng
        source = f"{b.metro.state.lower()}_fictitious"
        values: dict[str, object] = {
            "source": source,
            "record_id": f"G{b.opened.year % 100:02d}{self._next(source):07d}",
            "dba_name": b.name.upper() if rng.random() < self.casing.dba_upper else b.name,
            "owner_name": owner_name,
            "owner_filing_record_id": filing[1] if filing and rng.random() >= self.missing.trade_name_filing_link else None,
            "filed_date": b.opened.isoformat(),
            "expires_date": date(b.opened.year + 5, 12, 31).isoformat(),
        }
        values.update(self._address_fields(b.premises))
        self.writer.record("fictitious_names", values, b.id)

    # -- licensing -----------------------------------------------------------------------------
    def _license_source(self, b: Business) -> str:
        return f"{b.metro.state.lower()}_massage_board"

    def establishment_license(self, b: Business, status: str, discipline: str | None) -> None:
        rng = self.rng
        source = self._license_source(b)
        values: dict[str, object] = {
            "source": source,
            "record_id": f"EST{self._next(source):08d}",
            "license_type": "establishment",
            "license_number": f"MM{rng.randrange(10000, 99999)}",
            "licensee_name": b.legal_name,
            "business_name": b.name,
            "phone": self._maybe(self.missing.license_phone, self._phone(b.phone)),
            "status": status,
            "issued_date": b.opened.isoformat(),
            "expires_date": (b.opened + timedelta(days=730)).isoformat(),
            "discipline": discipline,
        }
        values.update(self._address_fields(b.premises))
        self.writer.record("licenses", values, b.id)

    def therapist_license(self, worker: Person, b: Business, lives_on_site: bool) -> None:
        rng = self.rng
        source = self._license_source(b)
        home = b.premises if lives_on_site or worker.home is None else worker.home
        order, family = worker.name_forms.get("license", (None, None))
        values: dict[str, object] = {
            "source": source,
            "record_id": f"MA{self._next(source):08d}",
            "license_type": "therapist",
            "license_number": worker.license_number,
            "licensee_name": registry_name(rng, worker.name, self.style.names, order, family),
            "business_name": self._maybe(self.missing.license_business_name, b.name),
            "status": "active" if rng.random() < self.style.layout.therapist_active_share else "expired",
            "issued_date": days_between(rng, b.opened, AS_OF).isoformat(),
        }
        values.update(self._address_fields(home))
        self.writer.record("licenses", values, worker.id)

    # -- the web -------------------------------------------------------------------------------
    def listing(self, b: Business, site_kind: str, hours: str | None, price: str | None, phone: str) -> tuple[str, str]:
        rng = self.rng
        source = SITE_SOURCES[site_kind]
        record_id = f"{source[:2]}{self._next(source):08d}"
        name = b.name
        if rng.random() < self.casing.listing_typo:
            name = typo(rng, name)
        elif rng.random() < self.casing.listing_city_suffix:
            name = f"{name} - {b.metro.city}"
        if b.is_imb and rng.random() < self.casing.listing_just_spa:
            name = "SPA"  # over-common values that blocking must survive
        if rng.random() < self.casing.listing_zero_phone:
            phone = "0000000000"
        first = days_between(rng, b.opened, b.closed or AS_OF)
        values: dict[str, object] = {
            "source": source,
            "record_id": record_id,
            "site_kind": site_kind,
            "business_name": name,
            "phone": self._maybe(self.missing.listing_phone, self._phone(phone)),
            "url": f"https://{source}.example/{record_id}",
            "hours": hours,
            "price": price,
            "first_seen": first.isoformat(),
            "last_seen": days_between(rng, first, b.closed or AS_OF).isoformat(),
            "latitude": self._maybe(self.missing.coordinates, b.premises.lat),
            "longitude": b.premises.lon,
        }
        if values["latitude"] is None:
            values["longitude"] = None
        values.update(self._address_fields(b.premises, zip_missing=self.missing.listing_zip))
        self.writer.record("listings", values, b.id)
        return source, record_id

    def review(self, listing: tuple[str, str], b: Business, text: str, handle: str) -> None:
        rng = self.rng
        source, listing_id = listing
        values = {
            "source": source,
            "record_id": f"{listing_id}-r{self._next(listing_id)}",
            "listing_record_id": listing_id,
            "posted_date": days_between(rng, b.opened, b.closed or AS_OF).isoformat(),
            "reviewer": handle,
            "rating": str(rng.randint(1, 5)),
            "text": text,
        }
        self.writer.record("reviews", values, b.id)

    # -- hotline, services, enforcement --------------------------------------------------------
    def tip(self, b: Business | None, values: dict[str, object]) -> None:
        values = {"source": "hotline", "record_id": f"T{self._next('hotline'):08d}", **values}
        self.writer.record("tips", values, b.id if b else "")

    def provider(self, values: dict[str, object]) -> None:
        values = {"source": "provider_directory", "record_id": f"PR{self._next('providers'):06d}", **values}
        self.writer.record("providers", values, "")

    def outcome(self, source: str, values: dict[str, object], true_entity_id: str) -> None:
        values = {"source": source, "record_id": f"{source[:3].upper()}{self._next(source):07d}", **values}
        self.writer.record("outcomes", values, true_entity_id)


def legal_name(rng: random.Random, base: str) -> str:
    return f"{base} {rng.choice(LEGAL_SUFFIXES)}"
