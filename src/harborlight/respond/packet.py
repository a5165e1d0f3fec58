"""Investigation packets: one network, made into something an agency can act on without harming the workers.

A packet names the controllers with their evidence, lists the businesses with their
indicators, counts the potential victims (never names them), plans victim services, and
carries standing instructions. Before anything is written, the packet is checked against
the protection rule afresh: if it would list a protected person as a target or print a
protected person's identity, `ProtectionViolation` is raised and nothing is written.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harborlight.errors import HarborlightError
from harborlight.export.files import atomic_text_file
from harborlight.network.view import network_view
from harborlight.protection import protected_sql_for
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


class ProtectionViolation(HarborlightError):
    """The packet would name a protected person, or list one as a target. Nothing was written."""


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


def build_packet(warehouse: Warehouse, network_id: str) -> Packet:
    view = network_view(warehouse, network_id)
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
    languages, language_evidence = _languages(warehouse, members)
    services, unmet = _services(
        warehouse, {s for _, s in places if s}, {c for c, _ in places if c}, languages
    )
    return Packet(
        network_id=network_id,
        risk_score=view.risk_score,
        businesses=[{"entity_id": b, "name": n, "risk_score": r, "risk_band": band, "evidence": evidence.get(b, [])}
                    for b, n, r, band in view.members],
        controllers=[{"entity_id": c.person_id, "name": c.name, "controller_score": c.score,
                      "evidence": [{"business": b, "tie": k, "record": ref} for b, k, ref in c.ties]}
                     for c in view.controllers],
        timeline=[{"premises": st, "business": b, "name": n, "first_seen": str(f or ""), "last_seen": str(last or "")}
                  for st, b, n, f, last in view.timeline],
        potential_victims=len(view.protected),
        languages=[LANGUAGE_NAMES.get(c, c) for c in languages] or ["unknown: bring interpretation"],
        language_evidence=language_evidence,
        services=services,
        unmet_needs=unmet,
        operations=view.operations,
    )


def check_protection(warehouse: Warehouse, packet: Packet, rendered: list[str]) -> None:
    """Refuse a packet that lists a protected person as a target or prints a protected identity."""
    protected = {p for (p,) in warehouse.rows(protected_sql_for(warehouse))}
    targets = [c["entity_id"] for c in packet.controllers if c["entity_id"] in protected]
    if targets:
        raise ProtectionViolation(
            f"packet for {packet.network_id} refused: {len(targets)} protected person(s) listed as controllers"
        )
    identities = warehouse.rows(
        """SELECT DISTINCT v FROM (
              SELECT raw_name AS v FROM person_mentions WHERE list_contains(?, entity_id)
              UNION SELECT license_number FROM person_mentions WHERE list_contains(?, entity_id))
            WHERE v IS NOT NULL AND length(v) >= 4""",
        [sorted(protected), sorted(protected)],
    )
    for (value,) in identities:
        if any(value in text for text in rendered):
            raise ProtectionViolation(f"packet for {packet.network_id} refused: it would print a protected person's identity")


def render_html(packet: Packet) -> str:
    e = html.escape

    def table(headers: list[str], rows: list[list[str]]) -> str:
        head = "".join(f"<th>{e(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    risk = "" if packet.risk_score is None else f"{packet.risk_score:.3f}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Investigation packet {e(packet.network_id)}</title>",
        "<style>body{font:14px/1.4 sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;width:100%;"
        "margin:.5em 0 1.5em}td,th{border:1px solid #999;padding:4px;text-align:left;vertical-align:top}"
        ".instructions{border:3px solid #b00;padding:1em}@media print{body{margin:0}}</style></head><body>",
        f"<h1>Investigation packet: network {e(packet.network_id)}</h1>",
        f"<p id='summary'>Risk {e(risk)}; {len(packet.businesses)} businesses; {len(packet.controllers)} controllers.</p>",
        "<section class='instructions' id='instructions'><h2>Standing instructions</h2><ul>"
        + "".join(f"<li>{e(i)}</li>" for i in packet.instructions) + "</ul></section>",
        "<h2>Controllers</h2>",
        table(["controller", "score", "evidence"],
              [[f"{c['name']} ({c['entity_id']})", f"{c['controller_score']:.2f}",
                "; ".join(f"{x['tie']} of {x['business']} [{x['record']}]" for x in c["evidence"])]
               for c in packet.controllers]),
        "<h2>Businesses</h2>",
        table(["business", "risk", "indicators and evidence"],
              [[f"{b['name']} ({b['entity_id']})", "" if b["risk_score"] is None else f"{b['risk_score']:.3f} {b['risk_band']}",
                "; ".join(f"{x['indicator']}: {x['excerpt']} [{x['record']}]" for x in b["evidence"])]
               for b in packet.businesses]),
        "<h2>Timeline</h2>",
        table(["premises", "business", "from", "to"],
              [[t["premises"], f"{t['name']} ({t['business']})", t["first_seen"], t["last_seen"]] for t in packet.timeline]),
        "<h2 id='victims'>Potential victims</h2>",
        f"<p>About {packet.potential_victims} potential victims. Languages: {e(', '.join(packet.languages))}.</p>",
        "<ul>" + "".join(f"<li>{e(x)}</li>" for x in packet.language_evidence) + "</ul>",
        "<h2 id='services'>Victim-services plan</h2>",
        table(["provider", "hours", "services", "languages matched", "phone"],
              [[f"{p['name']} ({p['city']}, {p['state']})", p["hours"] or "", ", ".join(p["services"]),
                ", ".join(p["languages_matched"]), p["phone"] or ""] for p in packet.services]),
        "<ul>" + "".join(f"<li><strong>Unmet:</strong> {e(u)}</li>" for u in packet.unmet_needs) + "</ul>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_packet(warehouse: Warehouse, network_id: str, out: Path) -> tuple[Path, Path]:
    """Build, check and write packet.json and packet.html. A refused packet writes nothing."""
    packet = build_packet(warehouse, network_id)
    as_json = json.dumps(asdict(packet), indent=2, default=str)
    as_html = render_html(packet)
    check_protection(warehouse, packet, [as_json, as_html])
    with atomic_text_file(out / "packet.json") as handle:
        handle.write(as_json + "\n")
    with atomic_text_file(out / "packet.html") as handle:
        handle.write(as_html)
    return out / "packet.json", out / "packet.html"
