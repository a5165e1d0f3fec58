"""The report and a packet, made by the demo, render in a real headless Chromium (Debian's package).

Screenshots of what Chromium drew are saved under build/screenshots/ (not tracked), so a test
run leaves the work tree as it found it. `make screenshots` (HARBORLIGHT_REFRESH_SCREENSHOTS=1)
writes them to docs/img/ instead, where the README shows them: a deliberate refresh, committed
on purpose. `make install` installs Chromium where it is missing; a machine without it fails here
rather than skipping, because a page nobody has seen render is not a page that works.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from harborlight.config import Settings
from harborlight.pipeline import open_warehouse, run_demo
from harborlight.respond.outcomes import outcomes_ledger

ROOT = Path(__file__).parent.parent
REFRESH = os.environ.get("HARBORLIGHT_REFRESH_SCREENSHOTS") == "1"
IMG = ROOT / "docs" / "img" if REFRESH else ROOT / "build" / "screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's outputs (seed 7, scale 1): the same world `make demo` shows."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo"))
    result = run_demo(settings, seed=7, scale=1.0)
    with open_warehouse(settings, read_only=True) as warehouse:
        operations = len(outcomes_ledger(warehouse).operations)
    return result, operations


@pytest.fixture(scope="module")
def img() -> Path:
    """Where screenshots go: build/screenshots/, or docs/img/ on a deliberate refresh."""
    IMG.mkdir(parents=True, exist_ok=True)
    return IMG


def open_page(browser: Browser, path: Path) -> tuple[Page, list[str]]:
    """The page loaded from disk, and every URL it asked for besides itself."""
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    return page, [u for u in requests if u != path.resolve().as_uri()]


def test_the_report_renders_every_section_with_diagrams_and_a_chart(demo, browser, img):
    demo, operations = demo
    page, fetched = open_page(browser, demo.report)
    assert fetched == []  # self-contained: no stylesheet, script, font or image from anywhere
    headline = page.locator("#headline")
    assert headline.is_visible() and " arrests " in headline.inner_text()
    for section in ("sources", "risk", "networks", "fairness", "outcomes"):
        assert page.locator(f"h2#{section}").is_visible()
    diagrams = page.locator("svg.network-diagram")
    assert diagrams.count() == min(5, demo.networks.networks)
    first = diagrams.first
    box = first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200
    assert first.locator("g.business").count() >= 2
    assert first.locator("g.controller").count() >= 1
    assert first.locator("g.protected").count() >= 1
    assert first.locator("g.business rect").first.bounding_box()["width"] > 5
    assert page.locator("svg.risk-histogram rect.bar").count() >= 2
    assert page.locator("#fairness-result").inner_text().startswith("Fairness audit passed")
    assert page.locator("#ledger tbody tr").count() == operations
    flagged = page.locator("#ledger tbody tr.flagged")
    assert flagged.count() >= 1 and flagged.first.inner_text().startswith("FLAGGED")
    assert flagged.first.locator("td").first.evaluate("td => getComputedStyle(td).borderLeftColor") == "rgb(187, 0, 0)"
    dates = page.locator("#ledger tbody tr td:nth-child(2)").first
    assert dates.evaluate("td => getComputedStyle(td).whiteSpace") == "nowrap"
    histogram = page.locator("svg.risk-histogram")
    assert histogram.locator("text.tick.x").count() == 11 and histogram.locator("text.tick.y").count() >= 3
    assert histogram.locator("text.cutoff").count() == 2
    page.screenshot(path=str(img / "report.png"))
    page.locator("section.network").first.screenshot(path=str(img / "report-network.png"))
    page.close()


def test_the_packet_renders_instructions_controllers_victims_and_services_and_prints(demo, browser, img):
    demo, _ = demo
    packet = json.loads((demo.packet.parent / "packet.json").read_text(encoding="utf-8"))
    page, fetched = open_page(browser, demo.packet)
    assert fetched == []
    assert page.locator("#instructions").is_visible()
    assert "Do not arrest" in page.locator("#instructions").inner_text()
    assert page.locator("svg.network-diagram g.controller").count() == len(packet["controllers"])
    controllers = page.locator("h2#controllers + table tbody tr")
    assert controllers.count() == len(packet["controllers"]) >= 1
    assert f"About {packet['potential_victims']} potential victims" in page.locator("body").inner_text()
    assert page.locator("h2#services").is_visible()
    page.screenshot(path=str(img / "packet.png"))
    assert page.pdf(format="Letter")[:4] == b"%PDF"  # printable: Chromium lays it out as pages
    page.close()


# Every business and controller name in every drawn diagram, with the box Chromium gave it.
LABEL_BOXES = """() => [...document.querySelectorAll('svg.network-diagram')].map(svg =>
  [...svg.querySelectorAll('g.business text, g.controller text')].filter(t => t.textContent).map(t => {
    const r = t.getBBox(); return [t.textContent, r.x, r.y, r.x + r.width, r.y + r.height]; }))"""


def test_no_two_names_in_a_drawn_diagram_overlap_as_chromium_lays_them_out(tmp_path, browser):
    from test_report import thirty_business_network

    from harborlight.report.diagram import render_svg
    from harborlight.report.page import document

    path = tmp_path / "thirty.html"
    path.write_text(document("thirty", [render_svg(thirty_business_network())]), encoding="utf-8")
    page, _ = open_page(browser, path)
    (boxes,) = page.evaluate(LABEL_BOXES)
    assert len(boxes) == 34
    for i, (a, *box_a) in enumerate(boxes):
        for b, *box_b in boxes[i + 1:]:
            overlap = box_a[0] < box_b[2] and box_b[0] < box_a[2] and box_a[1] < box_b[3] and box_b[1] < box_a[3]
            assert not overlap, f"{a!r} overlaps {b!r}"
    page.close()
