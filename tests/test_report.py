"""The overview report: sources, risk, networks drawn as SVG, fairness and the ledger, with no protected identity."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from test_outcomes import atlanta_rows

from harborlight.ingest import ingest
from harborlight.network.view import network_view
from harborlight.protection import ProtectionViolation, pseudonym, refuse_unsafe_output
from harborlight.indicators.scoring import Bands
from harborlight.network.summary import controller_explanations
from harborlight.report.charts import bands_in_use, risk_bins, risk_histogram_svg
from harborlight.report.diagram import Diagram, network_diagram, render_svg, text_width
from harborlight.report.overview import build_report, render_report, write_report

WORKER_SECRETS = ("SOO", "Soo", "MA777", "PARK, MIN", "Lone Rd")
SVG = "{http://www.w3.org/2000/svg}"


def test_the_diagram_draws_businesses_controllers_and_pseudonymous_workers_differently(network_ready, fresh_warehouse):
    view = network_view(fresh_warehouse, network_ready)
    svg = render_svg(network_diagram(fresh_warehouse, view))
    root = ElementTree.fromstring(svg)  # well-formed XML, so it renders inline in any browser
    groups = {cls: root.findall(f".//{{http://www.w3.org/2000/svg}}g[@class='{cls}']")
              for cls in ("business", "controller", "protected")}
    assert len(groups["business"]) == len(view.members) == 2
    assert all(g.find("{http://www.w3.org/2000/svg}rect") is not None for g in groups["business"])
    assert len(groups["controller"]) == len(view.controllers) >= 1
    assert "ZHANG" in svg.upper()
    assert len(groups["protected"]) >= 2  # the worker and the nominee, as pseudonyms
    protected_titles = {g.find("{http://www.w3.org/2000/svg}title").text.split(":")[0] for g in groups["protected"]}
    assert set(view.protected) <= protected_titles
    for secret in WORKER_SECRETS:
        assert secret not in svg


def test_the_same_network_is_drawn_the_same_way_twice(network_ready, fresh_warehouse):
    view = network_view(fresh_warehouse, network_ready)
    assert render_svg(network_diagram(fresh_warehouse, view)) == render_svg(network_diagram(fresh_warehouse, view))


def test_the_report_holds_every_section_and_leads_with_victim_arrests(network_ready, fresh_warehouse, write_rows, tmp_path):
    from harborlight.indicators.scoring import score
    from harborlight.network.detect import find_networks
    from harborlight.resolve.stage import resolve

    assert ingest(write_rows("outcomes", atlanta_rows()), fresh_warehouse).ok
    for stage in (resolve, score, find_networks):  # the report refuses a resolution older than the last load
        stage(fresh_warehouse)
    path = write_report(fresh_warehouse, tmp_path / "out" / "report.html")
    page = path.read_text(encoding="utf-8")
    headline = re.search(r"<p class='headline' id='headline'>(.*?)</p>", page).group(1)
    assert headline.startswith("109 of 169 arrests (64%)")
    for section in ("sources", "risk", "networks", "fairness", "outcomes", "ledger"):
        assert f"id='{section}'" in page
    assert page.count("class='network-diagram'") == 1 and "class='risk-histogram'" in page
    flagged = re.search(r"<tr class='flagged'>(.*?)</tr>", page).group(1)
    assert "FLAGGED</strong> Operation Atlanta 2019" in flagged
    assert re.search(r"<td class='nw'>2019-\d\d-\d\d", flagged)  # dates stay on one line
    assert "Fairness audit not run: give" in page
    for secret in WORKER_SECRETS + ("Person 1",):
        assert secret not in page
    assert "<script" not in page and "src=" not in page and "href=" not in page  # self-contained


def test_the_report_shows_the_fairness_result_when_groups_are_given(network_ready, fresh_warehouse):
    businesses = [b for (b,) in fresh_warehouse.rows("SELECT entity_id FROM entities WHERE kind = 'business'")]
    groups = {b: ("group_a" if i % 2 else "group_b", False) for i, b in enumerate(businesses)}
    report = build_report(fresh_warehouse, groups)
    page = render_report(report)
    assert [g.group for g in report.fairness.groups] == ["group_a", "group_b"]
    verdict = "<span class='pass'>passed</span>" if report.fairness.passed else "<span class='fail'>FAILED</span>"
    assert f"Fairness audit {verdict}" in page and "Fairness audit not run" not in page
    assert "<td>group_a</td>" in page and "<td>group_b</td>" in page


def test_a_report_that_would_draw_a_protected_person_as_a_controller_is_refused(network_ready, fresh_warehouse, tmp_path):
    fresh_warehouse.run("UPDATE network_persons SET protected = FALSE")  # force the condition
    with pytest.raises(ProtectionViolation, match="report refused"):
        write_report(fresh_warehouse, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_a_score_of_exactly_one_is_counted_in_the_top_tenth(fresh_warehouse):
    fresh_warehouse.run("CREATE TABLE business_scores (entity_id VARCHAR, risk_score DOUBLE, risk_band VARCHAR)")
    fresh_warehouse.run("INSERT INTO business_scores VALUES ('a', 1.0, 'high'), ('b', 0.0, 'low'), ('c', 0.55, 'elevated')")
    bins = risk_bins(fresh_warehouse)
    assert bins[9]["high"] == 1 and bins[0]["low"] == 1 and bins[5]["elevated"] == 1
    assert sum(sum(b.values()) for b in bins) == 3


def test_pseudonyms_in_the_report_are_the_ones_every_other_output_uses(network_ready, fresh_warehouse):
    view = network_view(fresh_warehouse, network_ready)
    page = render_report(build_report(fresh_warehouse))
    worker = fresh_warehouse.rows(
        "SELECT DISTINCT node_id FROM graph_edges WHERE kind = 'licensed_to_work_at'")[0][0]
    assert pseudonym(worker) in page and pseudonym(worker) in view.protected


def test_a_protected_name_is_caught_however_the_page_escapes_it(network_ready, fresh_warehouse):
    worker = fresh_warehouse.rows("SELECT DISTINCT node_id FROM graph_edges WHERE kind = 'licensed_to_work_at'")[0][0]
    fresh_warehouse.run("UPDATE person_mentions SET raw_name = 'O''Brien, Nguyễn' WHERE entity_id = ?", [worker])
    for rendered in ("<td>O&#x27;Brien, Nguyễn</td>", '{"name": "O\\u0027Brien, Nguy\\u1ec5n"}'.replace("\\u0027", "'")):
        with pytest.raises(ProtectionViolation, match="identity"):
            refuse_unsafe_output(fresh_warehouse, "page", [], [rendered])
    refuse_unsafe_output(fresh_warehouse, "page", [], ["<td>nothing of hers</td>"])


def test_a_protected_name_inside_a_longer_name_is_not_taken_for_it(network_ready, fresh_warehouse):
    worker = fresh_warehouse.rows("SELECT DISTINCT node_id FROM graph_edges WHERE kind = 'licensed_to_work_at'")[0][0]
    fresh_warehouse.run("UPDATE person_mentions SET raw_name = 'HAN, YOON' WHERE entity_id = ?", [worker])
    refuse_unsafe_output(fresh_warehouse, "page", [], ["<td>HAN, YOONHYE</td>", "KHAN, YOON"])
    for rendered in ("<td>HAN, YOON</td>", "officer HAN, YOON (secretary)", "HAN, YOON"):
        with pytest.raises(ProtectionViolation, match="identity"):
            refuse_unsafe_output(fresh_warehouse, "page", [], [rendered])


def test_a_report_before_resolution_says_what_to_run(write_rows, fresh_warehouse, tmp_path):
    from harborlight.errors import Stale

    assert ingest(write_rows("outcomes", atlanta_rows()), fresh_warehouse).ok
    with pytest.raises(Stale, match="run `harborlight resolve` first"):
        write_report(fresh_warehouse, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def thirty_business_network() -> Diagram:
    """A network of 30 businesses with long names of capitals (the widest text), four controllers tied to
    overlapping sets of them, a protected person at each, and shared phones along the ring."""
    words = ("ORCHID BODYWORK", "GOLDEN JADE", "SUNNY HEALTH", "Lucky Star", "THAI DAY", "Spring Wellness")
    kinds = ("CORPORATION", "SPA L.L.C.", "Massage Center", "DAY SPA INC")
    businesses = [(f"biz-{i:02d}", f"{words[i % 6]} {kinds[i % 4]} {i}", ("high", "elevated", "low", None)[i % 4])
                  for i in range(30)]
    ids = [b for b, _, _ in businesses]
    controllers = [(f"per-{j}", name, ids[j * 5: j * 5 + 12])
                   for j, name in enumerate(("PARK, HA-JI", "WANG, YAHUA", "JIANG, YU XIN LONGNAME", "LIM, KYU RA"))]
    protected = [(f"Person {i}", [ids[i]]) for i in range(30)]
    shared = [(ids[i], ids[i + 1], ["uses_phone"]) for i in range(0, 29, 2)]
    return Diagram("net-thirty", businesses, controllers, protected, shared)


def label_boxes(svg: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every business and controller label in a drawn diagram with its box (left, top, right, bottom),
    measured with the diagram's font metrics from the SVG's own coordinates and anchors."""
    root = ElementTree.fromstring(svg)
    boxes = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") not in ("business", "controller"):
            continue
        text = group.find(f"{SVG}text")
        if text is None or not text.text:
            continue
        x, y = float(text.get("x")), float(text.get("y"))
        width = text_width(text.text, bold=text.get("font-weight") == "bold")
        left = {"start": x, "middle": x - width / 2, "end": x - width}[text.get("text-anchor")]
        boxes.append((text.text, (left, y - 10.5, left + width, y + 3.5)))
    return boxes


def test_a_30_business_network_is_drawn_with_no_two_labels_overlapping():
    svg = render_svg(thirty_business_network())
    boxes = label_boxes(svg)
    assert len(boxes) == 30 + 4  # every business and every controller is named
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            overlap = box_a[0] < box_b[2] and box_b[0] < box_a[2] and box_a[1] < box_b[3] and box_b[1] < box_a[3]
            assert not overlap, f"{a!r} overlaps {b!r}"
    left, top, width, height = map(float, ElementTree.fromstring(svg).get("viewBox").split())
    assert all(left <= box[0] and box[2] <= left + width and top <= box[1] and box[3] <= top + height
               for _, box in boxes)  # and every label is inside the drawing


def test_every_line_style_a_diagram_uses_is_in_its_legend(network_ready, fresh_warehouse):
    for svg in (render_svg(thirty_business_network()),
                render_svg(network_diagram(fresh_warehouse, network_view(fresh_warehouse, network_ready)))):
        root = ElementTree.fromstring(svg)
        legend = root.find(f"{SVG}g[@class='legend']")
        keyed = {key.get("data-kind") for key in legend.iter(f"{SVG}g") if key.get("data-kind")}
        drawn = {line.get("class").split()[-1] for line in root.findall(f"{SVG}line")}
        assert drawn and drawn <= keyed
        assert {"business", "controller", "protected"} <= keyed


def test_the_histogram_has_both_axes_and_states_the_band_cutoffs():
    bins = [{"low": n, "elevated": 0, "high": 0} for n in (950, 42, 19)] + [{"low": 0, "elevated": 5, "high": 0}] * 4 + [
        {"low": 0, "elevated": 0, "high": 9}] * 3
    root = ElementTree.fromstring(risk_histogram_svg(bins, Bands(0.35, 0.8)))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    x_ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick x"]
    y_ticks = [int(t.text.replace(",", "")) for t in root.iter(f"{SVG}text") if t.get("class") == "tick y"]
    assert x_ticks == [f"{i / 10:.1f}" for i in range(11)]
    assert y_ticks[0] == 0 and len(y_ticks) >= 3 and y_ticks == sorted(y_ticks)
    assert {"risk_score", "businesses", "elevated ≥ 0.35", "high ≥ 0.80"} <= set(texts)
    assert "950" in texts  # the tallest bar is drawn broken, and says how tall it is
    assert y_ticks[-1] < 950 and root.find(f"{SVG}polyline[@class='break']") is not None


def test_the_histogram_states_the_cutoffs_the_scores_were_banded_with(fresh_warehouse):
    fresh_warehouse.run("CREATE TABLE business_scores (entity_id VARCHAR, risk_score DOUBLE, risk_band VARCHAR)")
    fresh_warehouse.run("INSERT INTO business_scores VALUES ('a', 0.2, 'low'), ('b', 0.45, 'elevated'), ('c', 0.9, 'high')")
    assert bands_in_use(fresh_warehouse) == Bands()  # the defaults explain these scores
    fresh_warehouse.run("INSERT INTO business_scores VALUES ('d', 0.41, 'elevated'), ('e', 0.35, 'low'), ('f', 0.86, 'high')")
    fresh_warehouse.run("UPDATE business_scores SET risk_band = 'elevated' WHERE entity_id = 'c'")
    assert bands_in_use(fresh_warehouse) == Bands(0.41, 0.86)  # a run with --elevated and --high


def test_controller_scores_are_explained_in_words_that_add_up_to_the_score(network_ready, fresh_warehouse, tmp_path):
    view = network_view(fresh_warehouse, network_ready)
    words = controller_explanations(fresh_warehouse, network_ready)
    assert set(words) == {c.person_id for c in view.controllers}
    for c in view.controllers:
        said = words[c.person_id]
        found = re.fullmatch(r"(\d\.\d\d): (one|two|three|four) kinds? of control evidence \(.+\), reaches (\d+) of "
                             r"(\d+) (?:high-risk )?businesses(; stayed on .*)?", said)
        assert found, said
        kinds = ("one", "two", "three", "four").index(found.group(2)) + 1
        added = 0.4 * min(1.0, kinds / 2) + 0.4 * int(found.group(3)) / int(found.group(4)) + 0.2 * bool(found.group(5))
        assert found.group(1) == f"{c.score:.2f}" and abs(added - c.score) < 0.005
    page = write_report(fresh_warehouse, tmp_path / "report.html").read_text(encoding="utf-8")
    assert all(w.replace("'", "&#x27;") in page for w in words.values())


def test_record_text_reaches_a_page_without_terminal_escape_codes():
    from harborlight.report.page import escape

    page = escape("Lotus\x1b[2J Spa\x1b]0;pwned\x07 \u202eevil")
    assert page == "Lotus Spa evil"
