"""Investigation packets: one network, made into something an agency can act on without harming the workers.

A packet names the controllers with their evidence, lists the businesses with their
indicators, counts the potential victims (never names them), plans victim services, and
carries standing instructions. Before anything is written, the packet is checked against
the protection rule afresh: if it would list a protected person as a target or print a
protected person's identity, `ProtectionViolation` is raised and nothing is written.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from harborlight.export.files import atomic_text_file
from harborlight.indicators.catalog import all_indicators
from harborlight.network.summary import controller_explanations
from harborlight.network.view import NetworkView, network_view, tie_phrase
from harborlight.protection import Protection
from harborlight.read import records
from harborlight.read.dates import business_dates, dated_timeline
from harborlight.read.guard import Guard
from harborlight.read.hotline import LANGUAGE_NAMES, HotlineSummary
from harborlight.read.viewer import ANALYST
from harborlight.report.diagram import network_diagram, render_svg
from harborlight.report.page import Html, document, escape, items, lines, plural, table
from harborlight.stages import require_fresh
from harborlight.warehouse import Warehouse

STANDING_INSTRUCTIONS = [
    "Do not arrest, cite or book the people who work in these businesses. They are presumed to be "
    "potential victims of trafficking.",
    "Any contact with workers is trauma-informed, with a qualified interpreter and a victim advocate present.",
    "Survivors decide whether, when and how they engage with services or with the investigation.",
    "Gather evidence about the controllers: corporate and trade-name filings, registered agents, property and "
    "lease records, bank and payment records, and who profits.",
]
NEEDED_SERVICES = ("shelter", "legal", "immigration", "medical", "interpretation")
# Languages named in evidence text (reviews, posts). Names of people are never read for this.
LANGUAGE_WORDS = {
    "zh": r"\b(mandarin|cantonese|chinese)\b", "ko": r"\bkorean\b", "th": r"\bthai\b",
    "vi": r"\bvietnamese\b", "es": r"\bspanish\b", "tl": r"\b(tagalog|filipino)\b",
}


@dataclass
class Packet:
    network_id: str
    risk_score: float | None
    businesses: list[dict]
    controllers: list[dict]
    timeline: list[dict]
    potential_victims: int
    languages: list[str]
    language_evidence: list[str]
    services: list[dict]
    unmet_needs: list[str]
    instructions: list[str] = field(default_factory=lambda: list(STANDING_INSTRUCTIONS))
    operations: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)  # "Tampa, FL": where the network's businesses are, most first
    # Hotline cases as counts and languages only (issue 13, part 6): never a case's details.
    hotline: str = ""  # "3 hotline contacts mention this network; languages needed: Korean"
    hotline_contacts: int = 0


def indicator_words(indicator_id: str) -> str:
    """An indicator as words in a sentence ("sexual-service language in reviews or ads"): the catalog's
    label, lower-cased at the start; an id the catalog does not know reads with spaces for underscores."""
    label = {i.id: i.label for i in all_indicators()}.get(indicator_id)
    if label is None:
        return indicator_id.replace("_", " ")
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def phone_text(raw: str | None) -> str:
    """A phone number in one format: (305) 555-0100 for a ten-digit North American number, with or
    without the leading 1; anything else as it was written."""
    if not raw:
        return ""
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return raw.strip()
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def place_text(city: str | None, state: str | None) -> str:
    """ "Tampa, FL": a city as people write it (title case when the record shouts), and its state."""
    city = (city or "").strip()
    city = city.title() if city.isupper() else city
    state = (state or "").strip().upper()
    return ", ".join(p for p in (city, state) if p)


def _languages(warehouse: Warehouse, members: list[str], guard: Guard,
               hotline: HotlineSummary = HotlineSummary()) -> tuple[list[str], list[str]]:
    """Languages the evidence shows workers need: the languages hotline contacts needed (counted, never
    cited by case), and languages that reviews name."""
    found: dict[str, str] = {}
    if members:
        for code in hotline.languages:
            found.setdefault(code, "hotline contacts about these businesses needed this language")
        for source, record_id, text, _, _ in records.reviews(warehouse, members, guard):
            for code, pattern in LANGUAGE_WORDS.items():
                if re.search(pattern, text, re.IGNORECASE) and re.search(r"\b(spoke|speak|speaks|spoken)\b", text, re.IGNORECASE):
                    found.setdefault(code, f"review {source}:{record_id} says the staff spoke it")
    codes = sorted(found)
    return codes, [f"{LANGUAGE_NAMES.get(c, c)}: {found[c]}" for c in codes]


# A provider outside the network's cities is in its area within this distance of one of its businesses
# (a metropolitan area: Queens and Manhattan, not Queens and Buffalo). Where no distance can be measured,
# the provider's state stands for the area.
AREA_KM = 150


def area_centres_sql() -> str:
    """Where each city is, as the mean latitude and longitude of the listings there (providers carry
    no coordinates; listings often do), keyed by upper-case city and state."""
    return """
    SELECT upper(trim(city)), upper(trim(state)), avg(latitude), avg(longitude) FROM listings
    WHERE latitude IS NOT NULL AND longitude IS NOT NULL AND city IS NOT NULL AND state IS NOT NULL
    GROUP BY ALL"""


def member_coordinates_sql() -> str:
    """The coordinates of the network's businesses, from their listings."""
    return """
    SELECT DISTINCT l.latitude, l.longitude FROM listings l
    JOIN business_mentions bm ON bm.record_type = 'listings' AND bm.source = l.source AND bm.record_id = l.record_id
    WHERE bm.entity_id IN (SELECT unnest(?::VARCHAR[])) AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL"""


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres (haversine)."""
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _distances(warehouse: Warehouse, members: list[str]) -> dict[tuple[str, str], float]:
    """(CITY, STATE) -> km from the nearest of the network's businesses, where listings give both ends."""
    if not members:
        return {}
    points = warehouse.rows(member_coordinates_sql(), [members])
    if not points:
        return {}
    return {(city, state): min(_km((lat, lon), p) for p in points)
            for city, state, lat, lon in warehouse.rows(area_centres_sql())}


def _services(
    warehouse: Warehouse, states: set[str], cities: set[str], languages: list[str], members: list[str] | None = None
) -> tuple[list[dict], list[str]]:
    """Providers in the network's areas only, nearest first: its cities, then providers within AREA_KM
    of its nearest business (where listings give coordinates; elsewhere in its states where they
    do not), 24-hour and language matches first among equals."""
    rows = warehouse.dicts(
        "SELECT name, services, languages, city, state, phone, hours, accepts_referrals FROM providers "
        "WHERE upper(state) IN (SELECT unnest(?::VARCHAR[])) ORDER BY name",
        [sorted(states)],
    ) if states else []
    distance = _distances(warehouse, members or []) if rows else {}
    plan = []
    for p in rows:
        services = [s for s in (p["services"] or []) if s in NEEDED_SERVICES or s in ("hotline", "case_management")]
        spoken = sorted(set(p["languages"] or []) & set(languages))
        key = ((p["city"] or "").strip().upper(), (p["state"] or "").strip().upper())
        local = key[0] in cities
        km = 0.0 if local else distance.get(key)
        if km is not None and km > AREA_KM:
            continue  # in one of the network's states, but too far from any of its businesses to be its area
        plan.append({
            "name": p["name"], "city": p["city"], "state": p["state"], "phone": phone_text(p["phone"]),
            "hours": p["hours"], "services": services,
            "languages_matched": [LANGUAGE_NAMES.get(c, c) for c in spoken], "same_city": local,
            "distance_km": None if km is None else round(km), "accepts_referrals": p["accepts_referrals"],
        })
    plan.sort(key=lambda p: (not p["same_city"], p["distance_km"] is None, p["distance_km"] or 0,
                             p["hours"] != "24h", -len(p["languages_matched"]), p["name"]))
    covered = {s for p in plan if p["accepts_referrals"] is not False for s in p["services"]}
    spoken_here = {name for p in plan for name in p["languages_matched"]}
    unmet = [f"no provider in the area offers {s}" for s in NEEDED_SERVICES if s not in covered]
    unmet += [f"no provider in the area speaks {LANGUAGE_NAMES.get(lang, lang)}" for lang in languages
              if LANGUAGE_NAMES.get(lang, lang) not in spoken_here]
    return plan, unmet


def timeline_events(rows: list[tuple]) -> list[dict]:
    """Each business at each premises, in order, with what its arrival means: the first opened there;
    a later one that arrived after the one before it was last seen reopened the place under a new name."""
    events: list[dict] = []
    before: dict[str, tuple] = {}  # premises -> the business seen there last
    for street, business, name, first, last in rows:
        prior = before.get(street)
        if prior is None:
            event = "opened"
        elif prior[2] is not None and first is not None and first >= prior[2]:
            event = f"reopened under a new name after {prior[1]} closed"
        else:
            event = f"open at the same time as {prior[1]}"
        before[street] = (business, name, last)
        events.append({"premises": street, "business": business, "name": name, "event": event,
                       "first_seen": str(first or ""), "last_seen": str(last or "")})
    return events


def build_packet(warehouse: Warehouse, network_id: str) -> Packet:
    return packet_from_view(warehouse, network_view(warehouse, network_id))


def member_places_sql() -> str:
    """Each business's city and state, as the network view names it (its most authoritative record)."""
    return "SELECT entity_id, city, state FROM entities WHERE entity_id IN (SELECT unnest(?::VARCHAR[]))"


def grouped_evidence(rows: list[tuple]) -> dict[str, list[dict]]:
    """business id -> its evidence, one entry per record and excerpt with every indicator that record
    supports: a review that shows three indicators is quoted once, not three times."""
    grouped: dict[str, dict[tuple[str, str], dict]] = {}
    for entity_id, indicator, record_type, source, record_id, excerpt in rows:
        record = f"{record_type}:{source}:{record_id}"
        entry = grouped.setdefault(entity_id, {}).setdefault(
            (record, excerpt or ""), {"record": record, "excerpt": excerpt or "", "indicators": [], "shows": []}
        )
        if indicator not in entry["indicators"]:
            entry["indicators"].append(indicator)
            entry["shows"].append(indicator_words(indicator))
    return {b: list(entries.values()) for b, entries in grouped.items()}


def _cities(places: dict[str, tuple[str | None, str | None]]) -> list[str]:
    """The places the businesses are in, the one with most businesses first."""
    counts: dict[str, int] = {}
    for city, state in places.values():
        if city:
            counts[place_text(city, state)] = counts.get(place_text(city, state), 0) + 1
    return sorted(counts, key=lambda c: (-counts[c], c))


def packet_from_view(
    warehouse: Warehouse, view: NetworkView, guard: Guard | None = None, today: date | None = None
) -> Packet:
    """The packet of one network view, its record text as `guard` lets it out (an analyst's view by
    default). `today` bounds the timeline (no business is "last seen" later)."""
    today = today or date.today()
    guard = guard or Guard.of(warehouse, ANALYST)
    members = [m[0] for m in view.members]
    evidence = grouped_evidence(records.indicator_evidence(warehouse, members, guard))
    places = {b: (city, state) for b, city, state in warehouse.rows(member_places_sql(), [members])} if members else {}
    names = {b: name for b, name, _, _ in view.members}
    hotline = view.hotline
    languages, language_evidence = _languages(warehouse, members, guard, hotline)
    states = {(s or "").strip().upper() for _, s in places.values() if s}
    cities = {(c or "").strip().upper() for c, _ in places.values() if c}
    services, unmet = _services(warehouse, states, cities, languages, members)
    dates = business_dates(warehouse, members, today)
    explained = controller_explanations(warehouse, view.network_id) if view.controllers else {}
    return Packet(
        network_id=view.network_id,
        risk_score=view.risk_score,
        businesses=[{"entity_id": b, "name": n, "city": places.get(b, (None, None))[0],
                     "state": places.get(b, (None, None))[1], "risk_score": r, "risk_band": band,
                     "first_seen": str(dates[b][0]) if b in dates else "",
                     "last_seen": str(dates[b][1]) if b in dates else "",
                     "evidence": evidence.get(b, [])}
                    for b, n, r, band in view.members],
        controllers=[{"entity_id": c.person_id, "name": c.name, "controller_score": c.score,
                      "score_explained": explained.get(c.person_id, ""),
                      "evidence": [{"business": b, "business_name": names.get(b, ""), "tie": k, "record": ref}
                                   for b, k, ref in c.ties]}
                     for c in view.controllers],
        timeline=timeline_events(dated_timeline(view.timeline, dates)),
        potential_victims=len(view.protected),
        languages=[LANGUAGE_NAMES.get(c, c) for c in languages] or ["unknown: bring interpretation"],
        language_evidence=language_evidence,
        services=services,
        unmet_needs=unmet,
        operations=list(view.operations),
        cities=_cities(places),
        hotline=hotline.phrase("this network") + ".",
        hotline_contacts=hotline.contacts,
    )


def _evidence_items(evidence: list[dict]) -> Html:
    """Each record once: a review quoted, other evidence as it reads, then the indicators it supports."""
    parts = []
    for x in evidence:
        text = f"“{x['excerpt']}”" if x["record"].startswith("reviews:") else x["excerpt"]
        parts.append(f"<li>{escape(text)} <span class='shows'>— {escape('; '.join(x['shows']))} "
                     f"[{escape(x['record'])}]</span></li>")
    return Html("<ul>" + "".join(parts) + "</ul>") if parts else Html("")


def _indicator_counts(evidence: list[dict]) -> str:
    """ "sexual-service language in reviews or ads (5 records), cash only (2 records)": what fired, most first."""
    counts: dict[str, int] = {}
    for x in evidence:
        for words in x["shows"]:
            counts[words] = counts.get(words, 0) + 1
    return "; ".join(f"{w} ({n} record{'s' if n > 1 else ''})" for w, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _where(p: dict) -> str:
    if p["same_city"]:
        return "same city"
    return "same state" if p["distance_km"] is None else f"about {p['distance_km']:,} km"


def _spans(cities: list[str]) -> str:
    if not cities:
        return ""
    shown = cities if len(cities) <= 4 else [*cities[:4], f"{len(cities) - 4} more places"]
    return " in " + (shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1])


def render_html(packet: Packet, diagram_svg: str = "") -> str:
    """The packet as one printable page. `diagram_svg` is the network drawn by report/diagram.py."""
    risk = "" if packet.risk_score is None else f"{packet.risk_score:.3f}"
    return document(f"Investigation packet {packet.network_id}", [
        f"<h1>Investigation packet: network {escape(packet.network_id)}</h1>",
        f"<p id='summary'>Risk {escape(risk)}; {len(packet.businesses)} businesses{escape(_spans(packet.cities))}; "
        f"{plural(len(packet.controllers), 'controller')}; {packet.potential_victims} potential victims.</p>",
        "<section class='instructions' id='instructions'><h2>Standing instructions</h2>"
        + items(packet.instructions) + "</section>",
        f"<figure>{diagram_svg}<figcaption>Who ties the businesses together.</figcaption></figure>"
        if diagram_svg else "",
        "<h2 id='controllers'>Controllers</h2>",
        table(["controller", "score", "evidence"],
              [[lines(c["name"], c["entity_id"], note=[1]), f"{c['controller_score']:.2f}",
                Html((f"<p class='shows'>Score {escape(c['score_explained'])}.</p>" if c.get("score_explained") else "")
                     + items(f"{tie_phrase(x['tie'])} {x['business_name']} ({x['business']}) [{x['record']}]"
                             for x in c["evidence"]))]
               for c in packet.controllers], numeric=[1]),
        "<h2 id='businesses'>Businesses</h2>",
        table(["business", "risk", "seen", "indicators and evidence"],
              [[lines(b["name"], place_text(b.get("city"), b.get("state")), b["entity_id"], note=[2]),
                "" if b["risk_score"] is None else lines(f"{b['risk_score']:.3f}", b["risk_band"]),
                lines(b.get("first_seen", ""), "to", b.get("last_seen", "")) if b.get("first_seen") else "",
                Html((f"<p class='shows'>{escape(_indicator_counts(b['evidence']))}</p>" if b["evidence"] else "")
                     + _evidence_items(b["evidence"]))]
               for b in packet.businesses], numeric=[1], nowrap=[1, 2]),
        "<h2 id='timeline'>Timeline at each premises</h2>",
        "<p class='note'>First and last seen: the earliest and latest dates in each business's own records "
        "(filings, licenses, listings, reviews), none later than the day the packet was made.</p>",
        table(["premises", "business", "what happened", "first seen", "last seen"],
              [[t["premises"], lines(t["name"], t["business"], note=[1]), t["event"], t["first_seen"], t["last_seen"]]
               for t in packet.timeline], nowrap=[3, 4]),
        "<h2 id='victims'>Potential victims</h2>",
        f"<p>About {packet.potential_victims} potential victims. Languages: {escape(', '.join(packet.languages))}.</p>",
        f"<p id='hotline'>{escape(packet.hotline)}</p>" if packet.hotline else "",
        items(packet.language_evidence),
        "<h2 id='services'>Victim-services plan</h2>",
        f"<p class='note'>Providers in the network's area, nearest first: its own cities, then those within "
        f"{AREA_KM} km of one of its businesses.</p>",
        table(["provider", "where", "hours", "services", "languages matched", "phone"],
              [[lines(p["name"], place_text(p["city"], p["state"]), note=[1]), _where(p), p["hours"] or "",
                ", ".join(x.replace("_", " ") for x in p["services"]), ", ".join(p["languages_matched"]), p["phone"] or ""]
               for p in packet.services], nowrap=[5]),
        items((f"Unmet: {u}" for u in packet.unmet_needs), cls="unmet"),
        "<h2 id='operations'>Enforcement operations naming these businesses</h2>",
        items(packet.operations) or "<p class='note'>None recorded.</p>",
    ])


def write_packet(warehouse: Warehouse, network_id: str, out: Path) -> tuple[Path, Path]:
    """Build, check and write packet.json and packet.html. A refused packet writes nothing."""
    require_fresh(warehouse, "resolve", "networks", what="packet", if_run=("score",))
    # One reading of who is protected for the view, the text and the final check: each reading learns
    # every protected name in the warehouse, which at a million records is most of a packet's time.
    # Nothing here writes to the warehouse, so the check still sees person_protection as it stands.
    protection = Protection(warehouse)
    view = network_view(warehouse, network_id, protection=protection)
    packet = packet_from_view(warehouse, view, Guard.of(warehouse, ANALYST, protection))
    as_json = json.dumps(asdict(packet), indent=2, default=str)
    as_html = render_html(packet, render_svg(network_diagram(warehouse, view)))
    protection.refuse(f"packet for {network_id}", [c["entity_id"] for c in packet.controllers], [as_json, as_html])
    with atomic_text_file(out / "packet.json") as handle:
        handle.write(as_json + "\n")
    with atomic_text_file(out / "packet.html") as handle:
        handle.write(as_html)
    return out / "packet.json", out / "packet.html"
