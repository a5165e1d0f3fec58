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

Names stay legible up to MAX_LABELLED businesses: every label's box is estimated from the
font (`text_width`), and labels that would overlap are moved outward, one at a time, until
none does; a name moved off its square gets a dotted pointer. The drawing grows to hold
them, and carries its own legend: one entry for every kind of mark and line it draws.
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


# Label boxes, estimated from the page's font (11px sans-serif, DejaVu Sans's advances rounded up) so that
# labels can be kept apart without a browser: capitals and wide letters, other letters and digits, narrow marks.
FONT_PX = 11.0
ASCENT, DESCENT = 10.5, 3.5
_WIDE = set("ABCDEFGHKMNOPQRSTUVWXYZmw@%&")
_NARROW = set(" .,:;'!|-()[]/iljftI")
BOLD = 1.12  # bold text runs this much wider


def text_width(text: str, bold: bool = False) -> float:
    """An upper bound on how wide `text` is drawn in the diagram's font, in px."""
    em = sum(0.80 if c in _WIDE else 0.36 if c in _NARROW else 0.66 for c in text)
    return em * FONT_PX * (BOLD if bold else 1.0)


@dataclass
class Label:
    text: str
    x: float  # anchor point of the text
    y: float  # baseline
    anchor: str  # start, middle or end
    node: tuple[float, float]  # what it names
    outward: float  # -1 to move it up when it must move, +1 to move it down
    bold: bool = False
    home: float = field(init=False)  # the baseline it was given, before any move

    def __post_init__(self) -> None:
        self.home = self.y

    @property
    def moved(self) -> bool:
        return abs(self.y - self.home) > 2

    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the drawn text."""
        w = text_width(self.text, self.bold)
        left = self.x - (w if self.anchor == "end" else w / 2 if self.anchor == "middle" else 0.0)
        return left, self.y - ASCENT, left + w, self.y + DESCENT


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _business_label(text: str, x: float, y: float, n: int) -> Label:
    """Where a business's name goes: outside the ring, beside its square, reading away from the centre.
    Only the top and bottom squares of a small ring are labelled centred above or below."""
    dx, dy = x - CX, y - CY
    norm = math.hypot(dx, dy) or 1.0
    lx, ly = x + 14 * dx / norm, y + 14 * dy / norm + 4
    if abs(dx) < 1 and n <= 12:
        return Label(text, lx, ly + (8 if dy > 0 else 0), "middle", (x, y), 1.0 if dy > 0 else -1.0)
    return Label(text, lx, ly, "start" if dx >= 0 else "end", (x, y), 1.0 if dy > 0 else -1.0)


def place_labels(labels: list[Label], gap: float = 1.0) -> list[Label]:
    """Move labels apart so that no two boxes overlap: each in turn, nearest the centre line first,
    steps outward (up above the centre, down below it) past every label already placed that it hits."""
    placed: list[Label] = []
    for label in sorted(labels, key=lambda lb: (abs(lb.node[1] - CY), lb.node[0], lb.text)):
        for _ in range(4 * len(labels) + 1):
            hit = next((p for p in placed if overlaps(label.box(), p.box())), None)
            if hit is None:
                break
            _, top, _, bottom = hit.box()
            label.y = (top - DESCENT - gap) if label.outward < 0 else (bottom + ASCENT + gap)
        placed.append(label)
    return placed


def labels_for(d: Diagram, pos: dict[str, tuple[float, float]]) -> list[Label]:
    """Every text label of the diagram, placed apart: business names (up to MAX_LABELLED), controller names."""
    labels = []
    if len(d.businesses) <= MAX_LABELLED:  # beyond, names would crowd the ring: they stay in tooltips
        labels += [_business_label(_short(name), *pos[b], len(d.businesses)) for b, name, _ in d.businesses]
    for cid, name, _ in d.controllers:
        x, y = pos[cid]
        labels.append(Label(_short(name), x, y - 14, "middle", (x, y), -1.0, bold=True))
    return place_labels(labels)


def legend_svg(kinds: set[str], y: float, x: float = 10.0) -> tuple[str, float]:
    """The key to what a diagram draws, one entry for each kind of node and line it uses, from `y` down;
    and where it ends."""
    entries = []
    if "business" in kinds:
        swatches = "".join(
            f"<rect x='{{x}}' y='-6' width='10' height='10' fill='{BAND_FILL[band]}' stroke='#222' transform='translate({i * 13},0)'/>"
            for i, band in enumerate(("high", "elevated", "low"))
        )
        entries.append(("business", swatches, 3 * 13 + 2, "business (fill: risk high, elevated, low)"))
    if "controller" in kinds:
        entries.append(("controller", "<circle cx='{cx}' cy='-1' r='6' fill='#1f2d3d'/>", 14, "controller"))
    if "protected" in kinds:
        entries.append(("protected", "<circle cx='{cx}' cy='-1' r='4.5' fill='#fff' stroke='#5d6d7e' stroke-width='1.5'/>", 14,
                        "protected person (pseudonym)"))
    for kind, style, text in LINE_STYLES:
        if kind in kinds:
            entries.append((kind, f"<line x1='{{x}}' y1='-1' x2='{{x2}}' y2='-1' {style}/>", 24, text))
    parts, cursor, row = [], x, 0
    for kind, mark, width, text in entries:
        needed = width + 6 + text_width(text) + 18
        if cursor + needed > WIDTH - 10 and cursor > x:
            cursor, row = x, row + 1
        ty = y + row * 18
        parts.append(f"<g class='key' data-kind='{kind}' transform='translate(0,{ty:.0f})'>"
                     + mark.format(x=f"{cursor:.0f}", cx=f"{cursor + 6:.0f}", x2=f"{cursor + width - 2:.0f}")
                     + f"<text x='{cursor + width + 6:.0f}' y='3'>{escape(text)}</text></g>")
        cursor += needed
    return "<g class='legend'>" + "".join(parts) + "</g>", y + (row + 1) * 18


# Each kind of line a diagram draws, how it is drawn, and what the legend calls it.
LINE_STYLES = (
    ("controller_tie", "stroke='#34495e' stroke-width='1.2'", "controller's tie to a business"),
    ("protected_tie", "stroke='#8e9bb0' stroke-width='1'", "protected person's tie"),
    ("shared", "stroke='#999' stroke-dasharray='4 3'", "shared phone, agent or premises"),
    ("pointer", "stroke='#777' stroke-width='.8' stroke-dasharray='2 2'", "from a business to its name"),
)
STYLE = {kind: style for kind, style, _ in LINE_STYLES}


def render_svg(d: Diagram) -> str:
    pos = layout(d)
    common = {(a, b) for _, _, businesses in d.controllers for a in businesses for b in businesses}
    used: set[str] = set()
    lines: list[str] = []
    for a, b, kinds in d.shared:
        if (a, b) in common:
            continue  # a controller already ties them; the line would add only clutter
        (x1, y1), (x2, y2) = pos[a], pos[b]
        used.add("shared")
        lines.append(
            f"<line class='shared' x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' {STYLE['shared']} "
            f"stroke-opacity='.6'><title>shared: {escape(', '.join(kinds))}</title></line>"
        )
    ties = [(c[0], c[2], "controller_tie") for c in d.controllers] + [(p[0], p[1], "protected_tie") for p in d.protected]
    for key, businesses, kind in ties:
        x1, y1 = pos[key]
        for b in businesses:
            if b in pos:
                x2, y2 = pos[b]
                used.add(kind)
                lines.append(f"<line class='tie {kind}' x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' {STYLE[kind]}/>")
    labels = labels_for(d, pos)
    texts = {}
    for label in labels:
        texts[label.node, label.bold] = label
        left, top, right, bottom = label.box()
        if not label.bold and label.moved:
            # moved off its square: a faint pointer from the square to the near end of its name
            ex = right if label.anchor == "end" else left if label.anchor == "start" else (left + right) / 2
            ey = bottom if label.node[1] > bottom else top
            used.add("pointer")
            lines.append(f"<line class='pointer' x1='{label.node[0]:.1f}' y1='{label.node[1]:.1f}' x2='{ex:.1f}' "
                         f"y2='{ey:.1f}' {STYLE['pointer']}/>")
    nodes: list[str] = []
    for b, name, band in d.businesses:
        x, y = pos[b]
        used.add("business")
        named = texts.get(((x, y), False))
        text = (f"<text x='{named.x:.1f}' y='{named.y:.1f}' text-anchor='{named.anchor}'>{escape(named.text)}</text>"
                if named else "")
        nodes.append(
            f"<g class='business'><rect x='{x - 8:.1f}' y='{y - 8:.1f}' width='16' height='16' fill='{BAND_FILL.get(band, BAND_FILL[None])}' "
            f"stroke='#222'/><title>{escape(name)} ({escape(b)}), risk {escape(band or 'unscored')}</title>{text}</g>"
        )
    for cid, name, businesses in d.controllers:
        x, y = pos[cid]
        used.add("controller")
        label = texts[(x, y), True]
        nodes.append(
            f"<g class='controller'><circle cx='{x:.1f}' cy='{y:.1f}' r='10' fill='#1f2d3d'/>"
            f"<title>controller {escape(name)} ({escape(cid)}), tied to {len(businesses)} businesses</title>"
            f"<text x='{label.x:.1f}' y='{label.y:.1f}' text-anchor='middle' font-weight='bold'>{escape(label.text)}</text></g>"
        )
    for name, businesses in d.protected:
        x, y = pos[name]
        used.add("protected")
        nodes.append(
            f"<g class='protected'><circle cx='{x:.1f}' cy='{y:.1f}' r='5' fill='#fff' stroke='#5d6d7e' stroke-width='1.5'/>"
            f"<title>{escape(name)}: protected (potential victim or probable nominee), never a target</title></g>"
        )
    # The drawing grows to hold every label, and the legend goes under it.
    boxes = [lb.box() for lb in labels] + [(x - 10, y - 10, x + 10, y + 10) for x, y in pos.values()]
    left = min([0.0, *(b[0] - 6 for b in boxes)])
    top = min([0.0, *(b[1] - 6 for b in boxes)])
    right = max([float(WIDTH), *(b[2] + 6 for b in boxes)])
    bottom = max([float(HEIGHT), *(b[3] + 6 for b in boxes)])
    legend, bottom = legend_svg(used, bottom + 14, left + 10)
    width, height = right - left, bottom - top
    return "".join([
        f"<svg class='network-diagram' data-network='{escape(d.network_id)}' xmlns='http://www.w3.org/2000/svg' "
        f"viewBox='{left:.0f} {top:.0f} {width:.0f} {height:.0f}' width='100%' style='max-width:{width:.0f}px' role='img' "
        f"aria-label='Diagram of network {escape(d.network_id)}'>",
        f"<title>Network {escape(d.network_id)}</title>",
        *lines, *nodes, legend,
        "</svg>",
    ])

