"""The network list: where each network is and what its riskiest businesses are called, readable at 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys

from harborlight.network.summary import ORDERING, NetworkSummary, network_summaries, summary_lines


def test_a_summary_names_the_networks_city_and_its_businesses_riskiest_first(network_ready, fresh_warehouse):
    (summary,) = network_summaries(fresh_warehouse)
    assert summary.network_id == network_ready and summary.n_businesses == 2
    assert summary.cities == ["Miami, FL"]
    names = {name.upper() for name in summary.top_names}
    assert names == {"LUCKY STAR SPA INC", "GOLDEN JADE SPA LLC"}
    scores = dict(fresh_warehouse.rows(
        "SELECT upper(e.name), s.risk_score FROM business_scores s JOIN entities e USING (entity_id) "
        "WHERE upper(e.name) IN (SELECT unnest(?::VARCHAR[]))", [sorted(names)]))
    assert [scores[n.upper()] for n in summary.top_names] == sorted(scores.values(), reverse=True)


def test_summary_lines_fit_80_columns_however_long_the_names_and_strip_control_characters():
    summary = NetworkSummary(
        "net-0123456789abcdef", 1234, 5678, 0.99987,
        cities=[f"Some Very Long City Name {i}, FL" for i in range(9)],
        top_names=["GOLDEN JADE HEALTH AND WELLNESS CORPORATION OF AMERICA", "Lucky\x1b[2J Star Spa", "Zen LLC"],
    )
    lines = summary_lines([summary], width=80)
    assert all(len(line) <= 80 for line in lines)
    assert "\x1b" not in "".join(lines)
    assert any("more)" in line and "Some Very Long City Name 0, FL" in line for line in lines)
    assert "strongest first" in " ".join(lines) and "risk" in ORDERING


def test_networks_piped_at_80_columns_lists_cities_and_names_and_says_what_it_orders_by(network_ready, fresh_warehouse):
    fresh_warehouse.close()  # the command opens the warehouse itself
    env = {k: v for k, v in os.environ.items() if k != "HARBORLIGHT_DATA_DIR"} | {"COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-c", "from harborlight.cli import main; main()", "networks", "--data-dir",
         str(fresh_warehouse.path.parent)], capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = " ".join(result.stdout.split())
    assert f"1. {network_ready}" in text and "in Miami, FL" in text
    assert "LUCKY STAR SPA" in text.upper() and "GOLDEN JADE SPA" in text.upper()
    assert "strongest first: by risk" in text and "then by number of businesses" in text
