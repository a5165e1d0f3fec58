"""A network drawn as inline SVG: businesses, controllers and protected people, each drawn differently.

- Businesses are squares on a ring, filled by risk band.
- Controllers are dark circles inside the ring, labelled with their names: they are
  the targets.
- Protected people (workers and probable nominees) are small hollow circles just
  inside the ring, beside the businesses they are tied to, labelled only by pseudonym
  in a tooltip. Their names are never read here.
- Lines join people to businesses; dashed grey lines join businesses that share a
  phone, a registered agent or a premises in succession but no controller.

The layout is computed, not simulated, so the same network is drawn the same way every
time: businesses in id order around the ring; each person at the mean angle of the
businesses they are tied to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from harborlight.network.view import NetworkView
from harborlight.report.page import escape
from harborlight.warehouse import Warehouse

WIDTH, HEIGHT = 820, 500
CX, CY = WIDTH / 2, HEIGHT / 2
# Rings, from the centre out: controllers, protected people, businesses; business names outside.
BUSINESS_RING, PROTECTED_RING = 200.0, 150.0
BAND_FILL = {"high": "#c0392b", "elevated": "#e67e22", "low": "#95a5a6", None: "#bdc3c7"}
MAX_LABELLED = 30  # businesses named on the ring; a larger network keeps names in tooltips
SHARED_KINDS = ("uses_phone", "registered_agent", "succeeded_at_same_premises")


@dataclass
class Diagram:
    network_id: str
    businesses: list[tuple[str, str, str | None]]  # id, name, risk band
    controllers: list[tuple[str, str, list[str]]]  # id, name, business ids
    protected: list[tuple[str, list[str]]]  # pseudonym, business ids
    shared: list[tuple[str, str, list[str]]] = field(default_factory=list)  # business a, business b, kinds


def shared_links_sql() -> str:
    """Links between two of a network's businesses through something other than a person."""
    return """
    SELECT l.a, l.b, l.kinds FROM business_links l
    JOIN network_members ma ON ma.business_id = l.a AND ma.network_id = ?
    JOIN network_members mb ON mb.business_id = l.b AND mb.network_id = ?
    ORDER BY l.a, l.b"""


def network_diagram(warehouse: Warehouse, view: NetworkView) -> Diagram:
    controllers = [(c.person_id, c.name, sorted({b for b, _, _ in c.ties})) for c in view.controllers]
    nid = view.network_id
    shared = []
    for a, b, kinds in warehouse.rows(shared_links_sql(), [nid, nid]):
        through = [k for k in kinds if k in SHARED_KINDS]
        if through:
            shared.append((a, b, through))
    businesses = sorted((b, name, band) for b, name, _, band in view.members)
    return Diagram(nid, businesses, controllers, view.protected_ties, shared)


def _mean_angle(angles: list[float], fallback: float) -> float:
    x = sum(math.cos(a) for a in angles)
    y = sum(math.sin(a) for a in angles)
    return math.atan2(y, x) if (x or y) else fallback


def _at(angle: float, radius: float) -> tuple[float, float]:
    return CX + radius * math.cos(angle), CY + radius * math.sin(angle)


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout(d: Diagram) -> dict[str, tuple[float, float]]:
    """Positions of every node, keyed by business id, controller id or pseudonym."""
    n = len(d.businesses)
    angle = {b: -math.pi / 2 + 2 * math.pi * i / n for i, (b, _, _) in enumerate(d.businesses)}
    pos = {b: _at(a, BUSINESS_RING if n > 1 else 0.0) for b, a in angle.items()}
    # Controllers: ordered by where their businesses are, spread evenly on an inner ring
    # that widens with their number so their names do not collide.
    order = sorted(d.controllers, key=lambda c: _mean_angle([angle[b] for b in c[2] if b in angle], 0.0))
    ring = min(100.0, 20.0 + 16.0 * len(order)) if len(order) > 1 else 0.0
    for i, (cid, _, _) in enumerate(order):
        pos[cid] = _at(-math.pi / 2 + 2 * math.pi * i / len(order), ring)
    # Protected people: beside their businesses, fanned out when several share one.
    groups: dict[float, list[str]] = {}
    for name, businesses in d.protected:
        a = _mean_angle([angle[b] for b in businesses if b in angle], 0.0)
        groups.setdefault(round(a, 6), []).append(name)
    slot = 2 * math.pi / max(n, 1)
    for a, names in groups.items():
        step = min(0.09, 0.8 * slot / len(names))
        for j, name in enumerate(names):
            offset = (j - (len(names) - 1) / 2) * step
            pos[name] = _at(a + offset, PROTECTED_RING - (16 if j % 2 else 0))
    return pos


def _label(x: float, y: float) -> tuple[float, float, str]:
    """Where a business's name goes: outside the ring, anchored away from the centre."""
    dx, dy = x - CX, y - CY
    norm = math.hypot(dx, dy) or 1.0
    lx, ly = x + 14 * dx / norm, y + 14 * dy / norm + 4
    anchor = "middle" if abs(dx) < 30 else ("start" if dx > 0 else "end")
    return lx, ly + (8 if dy > 0 and anchor == "middle" else 0), anchor


def render_svg(d: Diagram) -> str:
    pos = layout(d)
    common = {(a, b) for _, _, businesses in d.controllers for a in businesses for b in businesses}
    parts = [
        f"<svg class='network-diagram' data-network='{escape(d.network_id)}' xmlns='http://www.w3.org/2000/svg' "
        f"viewBox='0 0 {WIDTH} {HEIGHT}' width='100%' style='max-width:{WIDTH}px' role='img' "
        f"aria-label='Diagram of network {escape(d.network_id)}'>",
        f"<title>Network {escape(d.network_id)}</title>",
    ]
    for a, b, kinds in d.shared:
        if (a, b) in common:
            continue  # a controller already ties them; the line would add only clutter
        (x1, y1), (x2, y2) = pos[a], pos[b]
        parts.append(
            f"<line class='shared' x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='#999' "
            f"stroke-dasharray='4 3' stroke-opacity='.6'><title>shared: {escape(', '.join(kinds))}</title></line>"
        )
    for key, businesses, colour in [(c[0], c[2], "#34495e") for c in d.controllers] + [(p[0], p[1], "#8e9bb0") for p in d.protected]:
        x1, y1 = pos[key]
        for b in businesses:
            if b in pos:
                x2, y2 = pos[b]
                parts.append(f"<line class='tie' x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{colour}' stroke-width='1'/>")
    for b, name, band in d.businesses:
        x, y = pos[b]
        lx, ly, anchor = _label(x, y)
        label = escape(_short(name)) if len(d.businesses) <= MAX_LABELLED else ""  # beyond, names would overlap
        parts.append(
            f"<g class='business'><rect x='{x - 8:.1f}' y='{y - 8:.1f}' width='16' height='16' fill='{BAND_FILL.get(band, BAND_FILL[None])}' "
            f"stroke='#222'/><title>{escape(name)} ({escape(b)}), risk {escape(band or 'unscored')}</title>"
            f"<text x='{lx:.1f}' y='{ly:.1f}' text-anchor='{anchor}'>{label}</text></g>"
        )
    for cid, name, businesses in d.controllers:
        x, y = pos[cid]
        parts.append(
            f"<g class='controller'><circle cx='{x:.1f}' cy='{y:.1f}' r='10' fill='#1f2d3d'/>"
            f"<title>controller {escape(name)} ({escape(cid)}), tied to {len(businesses)} businesses</title>"
            f"<text x='{x:.1f}' y='{y - 14:.1f}' text-anchor='middle' font-weight='bold'>{escape(_short(name))}</text></g>"
        )
    for name, businesses in d.protected:
        x, y = pos[name]
        parts.append(
            f"<g class='protected'><circle cx='{x:.1f}' cy='{y:.1f}' r='5' fill='#fff' stroke='#5d6d7e' stroke-width='1.5'/>"
            f"<title>{escape(name)}: protected (potential victim or probable nominee), never a target</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


LEGEND = (
    "<svg class='legend' xmlns='http://www.w3.org/2000/svg' width='720' height='28' role='img' aria-label='Legend'>"
    "<rect x='4' y='6' width='14' height='14' fill='#c0392b' stroke='#222'/><text x='24' y='18'>business (fill: risk band)</text>"
    "<circle cx='200' cy='13' r='8' fill='#1f2d3d'/><text x='214' y='18'>controller</text>"
    "<circle cx='300' cy='13' r='5' fill='#fff' stroke='#5d6d7e' stroke-width='1.5'/>"
    "<text x='312' y='18'>protected person (pseudonym)</text>"
    "<line x1='500' y1='13' x2='522' y2='13' stroke='#999' stroke-dasharray='4 3'/>"
    "<text x='526' y='18'>shared phone, agent or premises</text></svg>"
)
