"""The overview report: sources, risk, networks drawn as SVG, fairness and the ledger, with no protected identity."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from test_outcomes import atlanta_rows

from harborlight.ingest import ingest
from harborlight.network.view import network_view
from harborlight.protection import ProtectionViolation, pseudonym, refuse_unsafe_output
from harborlight.report.charts import risk_bins
from harborlight.report.diagram import network_diagram, render_svg
from harborlight.report.overview import build_report, render_report, write_report

WORKER_SECRETS = ("SOO", "Soo", "MA777", "PARK, MIN", "Lone Rd")


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
    assert "FLAGGED: Operation Atlanta 2019" in page
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
