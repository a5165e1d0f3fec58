"""The risk distribution as an inline SVG bar chart: businesses per tenth of risk_score, coloured by band."""

from __future__ import annotations

from harborlight.report.diagram import BAND_FILL
from harborlight.report.page import escape
from harborlight.warehouse import Warehouse

BINS = 10
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


def risk_histogram_svg(bins: list[dict[str, int]]) -> str:
    """Bars stacked by band, each labelled with its count; the x axis is risk_score from 0 to 1."""
    width, height, left, bottom, top = 640, 260, 40, 36, 36
    bar = (width - left - 10) / len(bins)
    peak = max((sum(b.values()) for b in bins), default=0) or 1
    scale = (height - bottom - top) / peak
    parts = [
        f"<svg class='risk-histogram' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='100%' style='max-width:{width}px' role='img' aria-label='Businesses by risk score'>",
        f"<line x1='{left}' y1='{height - bottom}' x2='{width - 10}' y2='{height - bottom}' stroke='#333'/>",
    ]
    for i, counts in enumerate(bins):
        x = left + i * bar
        y = height - bottom
        for band in BANDS:
            h = counts.get(band, 0) * scale
            if h:
                y -= h
                parts.append(
                    f"<rect class='bar {band}' x='{x + 3:.1f}' y='{y:.1f}' width='{bar - 6:.1f}' height='{h:.1f}' "
                    f"fill='{BAND_FILL[band]}'><title>{counts[band]:,} {band}, score {i / len(bins):.1f} to "
                    f"{(i + 1) / len(bins):.1f}</title></rect>"
                )
        total = sum(counts.values())
        parts.append(f"<text x='{x + bar / 2:.1f}' y='{y - 4:.1f}' text-anchor='middle'>{total:,}</text>")
        parts.append(
            f"<text x='{x + bar / 2:.1f}' y='{height - bottom + 14}' text-anchor='middle'>{i / len(bins):.1f}–{(i + 1) / len(bins):.1f}</text>"
        )
    parts.append(f"<text x='{width / 2:.0f}' y='{height - 4}' text-anchor='middle'>risk_score</text>")
    legend_x = width - 240
    for band in BANDS:
        parts.append(f"<rect x='{legend_x}' y='4' width='10' height='10' fill='{BAND_FILL[band]}'/>"
                     f"<text x='{legend_x + 14}' y='13'>{escape(band)}</text>")
        legend_x += 80
    parts.append("</svg>")
    return "".join(parts)
