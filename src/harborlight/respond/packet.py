"""Investigation packets: one network, made into something an agency can act on without harming the workers.

A packet names the controllers with their evidence, lists the businesses with their
indicators, counts the potential victims (never names them), plans victim services, and
carries standing instructions. Before anything is written, the packet is checked against
the protection rule afresh: if it would list a protected person as a target or print a
protected person's identity, `ProtectionViolation` is raised and nothing is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harborlight.export.files import atomic_text_file
from harborlight.network.view import NetworkView, network_view, tie_phrase
from harborlight.protection import refuse_unsafe_output
from harborlight.report.diagram import LEGEND, network_diagram, render_svg
from harborlight.report.page import document, escape, items, table
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
LANGUAGE_NAMES = {"zh": "Mandarin or Cantonese", "ko": "Korean", "th": "Thai", "vi": "Vietnamese",
                  "es": "Spanish", "tl": "Tagalog", "en": "English"}


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


def _languages(warehouse: Warehouse, members: list[str]) -> tuple[list[str], list[str]]:
    """Languages the evidence shows workers need: tip languages, and languages that reviews name."""
    found: dict[str, str] = {}
    marks = ",".join("?" for _ in members)
    if members and warehouse.table_exists("indicator_evidence"):
        for code, source, record_id in warehouse.rows(
            f"""SELECT DISTINCT t.language, t.source, t.record_id FROM indicator_evidence ev
                JOIN tips t ON ev.record_type = 'tips' AND t.source = ev.source AND t.record_id = ev.record_id
                WHERE ev.entity_id IN ({marks}) AND t.language IS NOT NULL AND t.language <> 'en'""",
            members,
        ):
            found.setdefault(code, f"hotline tip {source}:{record_id} was in this language")
    if members:
        for source, record_id, text in warehouse.rows(
            f"""SELECT r.source, r.record_id, r.text FROM reviews r JOIN business_mentions bm
                ON bm.record_type = 'listings' AND bm.source = r.source AND bm.record_id = r.listing_record_id
                WHERE bm.entity_id IN ({marks})""",
            members,
        ):
            for code, pattern in LANGUAGE_WORDS.items():
                if re.search(pattern, text, re.IGNORECASE) and re.search(r"\b(spoke|speak|speaks|spoken)\b", text, re.IGNORECASE):
                    found.setdefault(code, f"review {source}:{record_id} says the staff spoke it")
    codes = sorted(found)
    return codes, [f"{LANGUAGE_NAMES.get(c, c)}: {found[c]}" for c in codes]


def _services(warehouse: Warehouse, states: set[str], cities: set[str], languages: list[str]) -> tuple[list[dict], list[str]]:
    """Providers in the network's cities or states, best language and service cover first, 24-hour first."""
    rows = warehouse.dicts(
        "SELECT name, services, languages, city, state, phone, hours, accepts_referrals FROM providers "
        "WHERE upper(state) IN (SELECT unnest(?::VARCHAR[])) ORDER BY name",
        [sorted(states)],
    ) if states else []
    plan = []
    for p in rows:
        services = [s for s in (p["services"] or []) if s in NEEDED_SERVICES or s in ("hotline", "case_management")]
        spoken = sorted(set(p["languages"] or []) & set(languages))
        local = (p["city"] or "").upper() in cities
        plan.append({
            "name": p["name"], "city": p["city"], "state": p["state"], "phone": p["phone"], "hours": p["hours"],
            "services": services, "languages_matched": spoken, "same_city": local,
            "accepts_referrals": p["accepts_referrals"],
        })
    plan.sort(key=lambda p: (p["hours"] != "24h", not p["same_city"], -len(p["languages_matched"]), p["name"]))
    covered = {s for p in plan if p["accepts_referrals"] is not False for s in p["services"]}
    spoken = {lang for p in plan for lang in p["languages_matched"]}
    unmet = [f"no provider in the area offers {s}" for s in NEEDED_SERVICES if s not in covered]
    unmet += [f"no provider in the area speaks {LANGUAGE_NAMES.get(lang, lang)}" for lang in languages if lang not in spoken]
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


def packet_from_view(warehouse: Warehouse, view: NetworkView) -> Packet:
    members = [m[0] for m in view.members]
    evidence: dict[str, list[dict]] = {}
    if members and warehouse.table_exists("indicator_evidence"):
        marks = ",".join("?" for _ in members)
        for entity_id, indicator, record_type, source, record_id, excerpt in warehouse.rows(
            f"SELECT entity_id, indicator_id, record_type, source, record_id, excerpt FROM indicator_evidence "
            f"WHERE entity_id IN ({marks}) ORDER BY entity_id, indicator_id, source, record_id",
            members,
        ):
            evidence.setdefault(entity_id, []).append(
                {"indicator": indicator, "record": f"{record_type}:{source}:{record_id}", "excerpt": excerpt}
            )
    places = warehouse.rows(
        f"SELECT DISTINCT upper(city), upper(state) FROM entities WHERE entity_id IN ({','.join('?' for _ in members)})",
        members,
    ) if members else []
    names = {b: name for b, name, _, _ in view.members}
    languages, language_evidence = _languages(warehouse, members)
    services, unmet = _services(
        warehouse, {s for _, s in places if s}, {c for c, _ in places if c}, languages
    )
    return Packet(
        network_id=view.network_id,
        risk_score=view.risk_score,
        businesses=[{"entity_id": b, "name": n, "risk_score": r, "risk_band": band, "evidence": evidence.get(b, [])}
                    for b, n, r, band in view.members],
        controllers=[{"entity_id": c.person_id, "name": c.name, "controller_score": c.score,
                      "evidence": [{"business": b, "business_name": names.get(b, ""), "tie": k, "record": ref}
                                   for b, k, ref in c.ties]}
                     for c in view.controllers],
        timeline=timeline_events(view.timeline),
        potential_victims=len(view.protected),
        languages=[LANGUAGE_NAMES.get(c, c) for c in languages] or ["unknown: bring interpretation"],
        language_evidence=language_evidence,
        services=services,
        unmet_needs=unmet,
        operations=view.operations,
    )


def render_html(packet: Packet, diagram_svg: str = "") -> str:
    """The packet as one printable page. `diagram_svg` is the network drawn by report/diagram.py."""
    risk = "" if packet.risk_score is None else f"{packet.risk_score:.3f}"
    return document(f"Investigation packet {packet.network_id}", [
        f"<h1>Investigation packet: network {escape(packet.network_id)}</h1>",
        f"<p id='summary'>Risk {escape(risk)}; {len(packet.businesses)} businesses; "
        f"{len(packet.controllers)} controllers; {packet.potential_victims} potential victims.</p>",
        "<section class='instructions' id='instructions'><h2>Standing instructions</h2>"
        + items(packet.instructions) + "</section>",
        f"<figure>{diagram_svg}{LEGEND}<figcaption>Who ties the businesses together.</figcaption></figure>"
        if diagram_svg else "",
        "<h2 id='controllers'>Controllers</h2>",
        table(["controller", "score", "evidence"],
              [[f"{c['name']} ({c['entity_id']})", f"{c['controller_score']:.2f}",
                items(f"{tie_phrase(x['tie'])} {x['business_name']} ({x['business']}) [{x['record']}]"
                      for x in c["evidence"])]
               for c in packet.controllers], numeric=[1]),
        "<h2 id='businesses'>Businesses</h2>",
        table(["business", "risk", "indicators and evidence"],
              [[f"{b['name']} ({b['entity_id']})", "" if b["risk_score"] is None else f"{b['risk_score']:.3f} {b['risk_band']}",
                items(f"{x['indicator']}: {x['excerpt']} [{x['record']}]" for x in b["evidence"])]
               for b in packet.businesses]),
        "<h2 id='timeline'>Timeline at each premises</h2>",
        table(["premises", "business", "what happened", "first seen", "last seen"],
              [[t["premises"], f"{t['name']} ({t['business']})", t["event"], t["first_seen"], t["last_seen"]]
               for t in packet.timeline]),
        "<h2 id='victims'>Potential victims</h2>",
        f"<p>About {packet.potential_victims} potential victims. Languages: {escape(', '.join(packet.languages))}.</p>",
        items(packet.language_evidence),
        "<h2 id='services'>Victim-services plan</h2>",
        table(["provider", "hours", "services", "languages matched", "phone"],
              [[f"{p['name']} ({p['city']}, {p['state']})", p["hours"] or "", ", ".join(p["services"]),
                ", ".join(p["languages_matched"]), p["phone"] or ""] for p in packet.services]),
        items((f"Unmet: {u}" for u in packet.unmet_needs), cls="unmet"),
        "<h2 id='operations'>Enforcement operations naming these businesses</h2>",
        items(packet.operations) or "<p class='note'>None recorded.</p>",
    ])


def write_packet(warehouse: Warehouse, network_id: str, out: Path) -> tuple[Path, Path]:
    """Build, check and write packet.json and packet.html. A refused packet writes nothing."""
    require_fresh(warehouse, "resolve", "networks", what="packet", if_run=("score",))
    view = network_view(warehouse, network_id)
    packet = packet_from_view(warehouse, view)
    as_json = json.dumps(asdict(packet), indent=2, default=str)
    as_html = render_html(packet, render_svg(network_diagram(warehouse, view)))
    refuse_unsafe_output(
        warehouse, f"packet for {network_id}", [c["entity_id"] for c in packet.controllers], [as_json, as_html]
    )
    with atomic_text_file(out / "packet.json") as handle:
        handle.write(as_json + "\n")
    with atomic_text_file(out / "packet.html") as handle:
        handle.write(as_html)
    return out / "packet.json", out / "packet.html"
