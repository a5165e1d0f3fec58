"""The risk distribution as an inline SVG bar chart: businesses per tenth of risk_score, coloured by band,
with both axes and the band cut-offs drawn on it."""

from __future__ import annotations

import math

from harborlight.errors import UsageError
from harborlight.indicators.scoring import Bands
from harborlight.report.diagram import BAND_FILL
from harborlight.report.page import escape
from harborlight.warehouse import Warehouse

BINS = 10
BREAK_RATIO = 4  # a bar this many times the second tallest is drawn broken
BANDS = ("low", "elevated", "high")


def risk_bins_sql() -> str:
    """Businesses per tenth of risk_score and band (a score of exactly 1 falls in the top tenth)."""
    return f"""
    SELECT least(floor(risk_score * {BINS}), {BINS - 1})::INTEGER AS bin, risk_band, count(*)
    FROM business_scores GROUP BY ALL ORDER BY bin, risk_band"""


def risk_bins(warehouse: Warehouse) -> list[dict[str, int]]:
    """For each tenth of the score, how many businesses of each band fall in it."""
    bins = [dict.fromkeys(BANDS, 0) for _ in range(BINS)]
    if warehouse.table_exists("business_scores"):
        for i, band, n in warehouse.rows(risk_bins_sql()):
            bins[i][band] = bins[i].get(band, 0) + n
    return bins


def band_edges_sql() -> str:
    """Per band, the lowest and highest score it holds."""
    return "SELECT risk_band, min(risk_score), max(risk_score) FROM business_scores GROUP BY risk_band"


def bands_in_use(warehouse: Warehouse) -> Bands:
    """The cut-offs the stored scores were banded with. `score` does not record them, so they are read
    back from the scores: the default bands when the scores agree with them, else the lowest score
    of each band (a run with --elevated or --high), rounded down to two decimals."""
    default = Bands()
    if not warehouse.table_exists("business_scores"):
        return default
    edges = {band: (lo, hi) for band, lo, hi in warehouse.rows(band_edges_sql())}

    def agrees(cut: float, below: str, at: str) -> bool:
        return (below not in edges or edges[below][1] < cut) and (at not in edges or edges[at][0] >= cut)

    if agrees(default.elevated, "low", "elevated") and agrees(default.high, "elevated", "high"):
        return default
    elevated = math.floor(edges["elevated"][0] * 100) / 100 if "elevated" in edges else default.elevated
    high = math.floor(edges["high"][0] * 100) / 100 if "high" in edges else default.high
    try:
        return Bands(elevated, high)
    except UsageError:  # scores that no pair of cut-offs explains: the defaults are the best statement left
        return default


def _ticks(peak: int) -> list[int]:
    """Round numbers from 0 to at least `peak`, four to six of them."""
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        step = candidate
        if peak / candidate <= 5:
            break
    else:
        step = 10 ** math.ceil(math.log10(peak / 5))
    return list(range(0, peak + step, step)) if peak else [0, 1]


def risk_histogram_svg(bins: list[dict[str, int]], bands: Bands | None = None) -> str:
    """Bars stacked by band, each labelled with its count; an x axis of risk_score from 0 to 1 with a
    tick at every tenth, a y axis of businesses, and the band cut-offs drawn as dashed rules. A bar
    more than BREAK_RATIO times the next tallest is drawn broken, so the others stay readable."""
    bands = bands or Bands()
    width, height, left, right, bottom, top = 680, 300, 56, 16, 48, 40
    plot_w, plot_h = width - left - right, height - bottom - top
    bar = plot_w / len(bins)
    totals = sorted(sum(b.values()) for b in bins)
    # One bar many times taller than the rest (the mass of low scores) would flatten every other bar:
    # the axis then stops above the second tallest and that bar is drawn broken, its count written on it.
    broken = len(totals) > 1 and totals[-2] > 0 and totals[-1] > BREAK_RATIO * totals[-2]
    ticks = _ticks(math.ceil(totals[-2] * 1.25) if broken else (totals[-1] if totals else 0))
    scale = plot_h / ticks[-1]
    base = height - bottom
    parts = [
        f"<svg class='risk-histogram' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='100%' style='max-width:{width}px' role='img' aria-label='Businesses by risk score, with the band cut-offs "
        f"elevated from {bands.elevated:.2f} and high from {bands.high:.2f}'>",
    ]
    # y axis: businesses, with light gridlines at round numbers
    for t in ticks:
        y = base - t * scale
        parts.append(f"<line class='grid' x1='{left}' y1='{y:.1f}' x2='{width - right}' y2='{y:.1f}' stroke='#e3e3e3'/>"
                     f"<text class='tick y' x='{left - 6}' y='{y + 4:.1f}' text-anchor='end'>{t:,}</text>")
    parts.append(f"<line class='axis y' x1='{left}' y1='{top - 6}' x2='{left}' y2='{base}' stroke='#333'/>")
    parts.append(f"<text class='axis-title' x='14' y='{top + plot_h / 2:.0f}' text-anchor='middle' "
                 f"transform='rotate(-90 14 {top + plot_h / 2:.0f})'>businesses</text>")
    for i, counts in enumerate(bins):
        x = left + i * bar
        y = base
        for band in BANDS:
            h = min(counts.get(band, 0) * scale, y - top)  # a broken bar stops at the top of the plot
            if h > 0:
                y -= h
                parts.append(
                    f"<rect class='bar {band}' x='{x + 3:.1f}' y='{y:.1f}' width='{bar - 6:.1f}' height='{h:.1f}' "
                    f"fill='{BAND_FILL[band]}'><title>{counts[band]:,} {band}, score {i / len(bins):.1f} to "
                    f"{(i + 1) / len(bins):.1f}</title></rect>"
                )
        total = sum(counts.values())
        if total > ticks[-1]:  # broken: a white zigzag across it, under the top of the plot
            zig = " ".join(f"{x + 3 + k * (bar - 6) / 6:.1f},{top + 14 + (4 if k % 2 else 0)}" for k in range(7))
            parts.append(f"<polyline class='break' points='{zig}' fill='none' stroke='#fff' stroke-width='4'/>")
        if total:
            parts.append(f"<text class='count' x='{x + bar / 2:.1f}' y='{y - 4:.1f}' text-anchor='middle'>{total:,}</text>")
    # x axis: risk_score, a tick at every tenth
    parts.append(f"<line class='axis x' x1='{left}' y1='{base}' x2='{width - right}' y2='{base}' stroke='#333'/>")
    for i in range(len(bins) + 1):
        x = left + i * bar
        parts.append(f"<line x1='{x:.1f}' y1='{base}' x2='{x:.1f}' y2='{base + 5}' stroke='#333'/>"
                     f"<text class='tick x' x='{x:.1f}' y='{base + 18}' text-anchor='middle'>{i / len(bins):.1f}</text>")
    parts.append(f"<text class='axis-title' x='{left + plot_w / 2:.0f}' y='{height - 8}' text-anchor='middle'>"
                 "risk_score</text>")
    # band cut-offs, labelled above the plot
    for name, cut in (("elevated", bands.elevated), ("high", bands.high)):
        x = left + cut * plot_w
        parts.append(f"<line class='cutoff' x1='{x:.1f}' y1='{top - 8}' x2='{x:.1f}' y2='{base}' stroke='#333' "
                     f"stroke-dasharray='5 3'/><text class='cutoff' x='{x + 4:.1f}' y='{top - 10}'>"
                     f"{escape(name)} ≥ {cut:.2f}</text>")
    legend_x = width - right - 230
    for band in BANDS:
        parts.append(f"<rect x='{legend_x}' y='6' width='10' height='10' fill='{BAND_FILL[band]}'/>"
                     f"<text x='{legend_x + 14}' y='15'>{escape(band)}</text>")
        legend_x += 78
    parts.append("</svg>")
    return "".join(parts)
