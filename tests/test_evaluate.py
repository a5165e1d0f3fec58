"""`harborlight evaluate`: every figure from an export and a truth folder, checked by hand on a tiny world."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from test_cli import harborlight

from harborlight.errors import ContractError, UsageError
from harborlight.evaluate import evaluate_export, precision_at_k
from harborlight.indicators.fairness import compare_groups, rate_ratio_interval, wilson_interval

Z = 1.959963984540054

# The tiny world. Businesses: IMBs B1, B2 (network N1, with holding company H1) and B3 (N2);
# legitimate L1 (other), L2 (east_asian), L3 (other), L4 (chain, not scored) and a franchisor F1.
TRUE_BUSINESSES = [
    ("B1", "true", "N1", "imb", "east_asian"), ("B2", "true", "N1", "imb", "east_asian"),
    ("H1", "false", "N1", "holding", "east_asian"), ("B3", "true", "N2", "imb", "other"),
    ("L1", "false", "", "independent", "other"), ("L2", "false", "", "reflexology", "east_asian"),
    ("L3", "false", "", "independent", "other"), ("L4", "false", "", "chain", "other"),
    ("F1", "false", "", "franchisor", "other"),
]
# Persons: controllers C1, C2 (and C3 with no record), manager M1, workers W1, W3, nominee Q1, legit owner O1.
TRUE_PERSONS = [
    ("C1", "controller", "N1", "false"), ("C2", "controller", "N2", "false"), ("C3", "controller", "N2", "false"),
    ("M1", "manager", "N1", "false"), ("W1", "worker", "N1", "false"), ("W3", "worker", "", "false"),
    ("Q1", "nominee", "N1", "true"), ("O1", "legit_owner", "", "false"),
]
# (record_type, source, record_id, true entity, predicted entity). "-7" is written by the
# export as "'-7" (its spreadsheet guard) and must still match the truth.
RECORDS = [
    ("filings", "s", "f1", "B1", "biz-a"), ("listings", "s", "l1", "B1", "biz-a"),
    ("filings", "s", "f2", "B2", "biz-b"), ("listings", "s", "l2", "B2", "biz-b"),
    ("filings", "s", "f3", "B3", "biz-c"), ("listings", "s", "l3", "B3", "biz-c"),
    ("listings", "s", "l4", "L1", "biz-c"),  # a legitimate listing merged into an IMB
    ("filings", "s", "f4", "L1", "biz-d"),
    ("filings", "s", "f5", "H1", "biz-h"),
    ("listings", "s", "l5", "L2", "biz-e"), ("licenses", "s", "e5", "L2", "biz-e"),
    ("listings", "s", "l6", "L3", "biz-f"),
    ("listings", "s", "-7", "L4", "biz-g"),
    ("filings", "s", "f8", "F1", "biz-z"),
    ("officers", "s", "o1", "C1", "per-1"), ("officers", "s", "o2", "C1", "per-1"),
    ("licenses", "s", "t4", "W1", "per-1"),  # a worker's license merged into a controller
    ("licenses", "s", "t1", "W1", "per-3"), ("licenses", "s", "t2", "W1", "per-3"),
    ("officers", "s", "o3", "M1", "per-2"),
    ("officers", "s", "o4", "Q1", "per-4"),  # a nominee, ranked as controller and shown in clear
    ("officers", "s", "o5", "O1", "per-5"),
    ("licenses", "s", "t3", "W3", "per-6"),  # a worker shown in clear
    ("officers", "s", "o7", "C2", "per-7"),
    ("reviews", "s", "r1", "B1", None),  # in the truth, not an entity record
]
# entity -> (risk_score, risk_band, network_id); biz-g is not scored.
BUSINESSES = {
    "biz-a": ("0.9", "high", "net-1"), "biz-b": ("0.6", "elevated", "net-2"), "biz-c": ("0.8", "high", "net-2"),
    "biz-d": ("0.7", "high", "net-2"), "biz-e": ("0.6", "elevated", ""), "biz-f": ("0.1", "low", "net-3"),
    "biz-g": ("", "", "net-3"), "biz-h": ("0.5", "elevated", "net-1"), "biz-z": ("0.05", "low", ""),
}
PERSONS = {"per-1": "false", "per-2": "false", "per-3": "true", "per-4": "false", "per-5": "false",
           "per-6": "false", "per-7": "false", "per-9": "false"}  # per-9: known only as a registered agent
NETWORKS = {"net-1": "per-1;per-4", "net-2": "per-2;per-9", "net-3": "per-5"}


def write_csv(path: Path, header: list[str], rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def tiny_truth(tmp_path) -> Path:
    """A world folder whose truth/ holds the tiny world above."""
    world = tmp_path / "world"
    write_csv(world / "truth" / "records.csv", ["source", "record_id", "record_type", "true_entity_id"],
              [(s, r, t, true) for t, s, r, true, _ in RECORDS])
    write_csv(world / "truth" / "businesses.csv",
              ["true_entity_id", "is_imb", "network_id", "category", "owner_group", "premises_id"],
              [(*b, f"S{i}") for i, b in enumerate(TRUE_BUSINESSES)])
    write_csv(world / "truth" / "persons.csv", ["true_entity_id", "role", "network_id", "is_nominee"], TRUE_PERSONS)
    return world


@pytest.fixture
def tiny_export(tmp_path) -> Path:
    """An export folder of the tiny world's predicted entities, as `harborlight export` writes it."""
    out = tmp_path / "export"
    write_csv(out / "record_entities.csv", ["source", "record_id", "record_type", "entity_id"],
              [(s, "'-7" if r == "-7" else r, t, e) for t, s, r, _, e in RECORDS if e])
    write_csv(out / "businesses.csv", ["entity_id", "name", "address", "city", "state", "zip", "risk_score",
                                        "risk_band", "network_id", "top_indicators"],
              [(e, "Name", "", "", "", "", score, band, net, "") for e, (score, band, net) in BUSINESSES.items()])
    write_csv(out / "persons.csv", ["entity_id", "display_name", "roles", "network_id", "controller_score", "protected"],
              [(e, "worker-1a2b" if p == "true" else "A Name", "", "", "", p) for e, p in PERSONS.items()])
    write_csv(out / "networks.csv", ["network_id", "n_businesses", "n_persons", "risk_score", "controller_ids"],
              [(n, 1, 1, 0.5, ids) for n, ids in NETWORKS.items()])
    return out


def test_resolution_figures_are_pairwise_over_business_and_person_records(tiny_export, tiny_truth):
    result = evaluate_export(tiny_export, tiny_truth)
    # Businesses: true pairs B1, B2, B3, L1, L2 (5); predicted a, b, e (1 each) and c (3): 6; right: a, b, c's B3, e.
    assert (result.business.true_pairs, result.business.predicted_pairs, result.business.records) == (5, 6, 14)
    assert result.business.precision == pytest.approx(4 / 6)
    assert result.business.recall == pytest.approx(4 / 5)
    assert result.business.f1 == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))
    # Persons: true pairs C1 (1) and W1 (3); predicted per-1 (3) and per-3 (1); right: C1's and W1's t1-t2.
    assert (result.person.true_pairs, result.person.predicted_pairs, result.person.records) == (4, 4, 10)
    assert (result.person.precision, result.person.recall, result.person.f1) == (0.5, 0.5, 0.5)


def test_network_pairs_count_true_network_businesses_and_a_legit_business_in_an_imb_network(tiny_export, tiny_truth):
    networks = evaluate_export(tiny_export, tiny_truth).networks
    # True: N1 = {B1, B2, H1} (3 pairs), N2 = {B3}. Predicted: net-1 = {B1, H1}, net-2 = {B2, B3}.
    assert (networks.businesses, networks.true_networks, networks.imb_networks) == (4, 2, 2)
    assert (networks.true_pairs, networks.predicted_pairs) == (3, 2)
    assert (networks.precision, networks.recall) == (0.5, pytest.approx(1 / 3))
    assert networks.f1 == pytest.approx(0.4)
    # L1's records are in biz-c and biz-d, both in net-2 with IMBs; L3 and L4 share a network of their own.
    assert (networks.legit_in_imb_networks, networks.legit_in_imb_network_ids) == (1, ["L1"])


def test_protected_people_among_controllers_and_named_in_clear_are_counted(tiny_export, tiny_truth):
    protection = evaluate_export(tiny_export, tiny_truth).protection
    assert protection.protected_among_controllers == 1  # per-4, the nominee
    assert protection.protected_named == 2  # per-4 and per-6; per-3 is shown by pseudonym
    assert (protection.protected_among_controllers_ids, protection.protected_named_ids) == (["Q1"], ["Q1", "W3"])
    assert protection.controllers_holding_protected_records == 2  # per-1 holds W1's license, per-4 is Q1
    # Controllers of IMB networks: per-1 (C1), per-4 (Q1), per-2 (M1), and per-9 with no record.
    assert (protection.controllers, protection.controllers_without_truth) == (4, 1)
    assert protection.controller_precision == pytest.approx(2 / 3)
    # C1, C2 and M1 have records (C3 has none); C1 and M1 were found.
    assert protection.true_controllers == 3
    assert protection.controller_recall == pytest.approx(2 / 3)


def test_risk_figures_cover_scored_storefront_businesses(tiny_export, tiny_truth):
    risk = evaluate_export(tiny_export, tiny_truth).risk
    # Storefront and scored: a .9, b .6, c .8 (IMBs); d .7, e .6, f .1. The holding company,
    # the franchisor and unscored biz-g are left out.
    assert (risk.businesses, risk.imbs) == (6, 3)
    assert risk.auc == pytest.approx(7.5 / 9)
    assert risk.average_precision == pytest.approx(1 / 3 + 1 / 3 + (1 / 3) * (3 / 5))
    assert risk.precision_at_k == pytest.approx(2 / 3)
    assert risk.brier == pytest.approx((0.01 + 0.16 + 0.04 + 0.49 + 0.36 + 0.01) / 6)


def test_fairness_rates_have_counts_wilson_intervals_and_a_corrected_ratio_interval(tiny_export, tiny_truth):
    fairness = evaluate_export(tiny_export, tiny_truth).fairness
    east, other = fairness.audit.group("east_asian"), fairness.audit.group("other")
    assert (east.businesses, east.false_positives, other.businesses, other.false_positives) == (1, 0, 2, 1)
    assert (east.rate_low, east.rate_high) == (0.0, pytest.approx(0.7935, abs=1e-4))
    assert (other.rate_low, other.rate_high) == (pytest.approx(0.0945, abs=1e-4), pytest.approx(0.9055, abs=1e-4))
    # East-Asian has no false positive: the point ratio is 0, the interval adds half a business to each cell.
    assert fairness.ratio == 0.0
    spread = Z * math.sqrt(1 / 0.5 - 1 / 2 + 1 / 1.5 - 1 / 3)
    assert fairness.ratio_low == pytest.approx(0.5 * math.exp(-spread))
    assert fairness.ratio_high == pytest.approx(0.5 * math.exp(spread))


def test_the_evaluation_lists_every_target_and_whether_it_is_met(tiny_export, tiny_truth):
    result = evaluate_export(tiny_export, tiny_truth)
    targets = {c.key: c.met for c in result.checks() if c.target}
    assert targets == {
        "business.precision": False, "business.f1": False, "person.precision": False, "person.f1": False,
        "networks.f1": False, "networks.legit_in_imb_networks": False,
        "protection.protected_among_controllers": False, "protection.protected_named": False,
        "risk.auc": False, "risk.precision_at_k": False, "fairness.ratio": True,
    }
    data = json.loads(json.dumps(result.to_dict()))
    assert data["all_targets_met"] is False
    assert data["fairness"]["groups"][0] == {
        "group": "east_asian", "businesses": 1, "false_positives": 0, "rate": 0.0,
        "rate_low": 0.0, "rate_high": pytest.approx(0.7935, abs=1e-4),
    }


def test_an_export_without_scores_has_no_risk_or_fairness_figures(tiny_export, tiny_truth):
    rows = list(csv.reader((tiny_export / "businesses.csv").open(encoding="utf-8")))
    write_csv(tiny_export / "businesses.csv", rows[0], [r[:6] + ["", ""] + r[8:] for r in rows[1:]])
    result = evaluate_export(tiny_export, tiny_truth)
    assert result.risk is None and result.fairness is None
    assert any("run `harborlight score`" in n for n in result.notes)
    assert {c.key: c.met for c in result.checks()}["risk"] is False


def test_no_false_positive_in_either_group_is_a_ratio_of_one_with_a_wide_interval():
    result = compare_groups({"east_asian": (40, 0), "other": (60, 0)})
    east = result.group("east_asian")
    assert east.ratio_to_rest == 1.0 and result.passed
    assert east.ratio_low < 0.1 and east.ratio_high > 10  # zero against zero says little
    assert math.isfinite(east.ratio_low) and math.isfinite(east.ratio_high)


def test_false_positives_only_in_one_group_are_an_infinite_ratio_that_fails(tmp_path, tiny_export, tiny_truth):
    result = compare_groups({"east_asian": (40, 2), "other": (60, 0)})
    assert result.group("east_asian").ratio_to_rest == math.inf and not result.passed
    assert result.group("other").ratio_to_rest == 0.0
    assert math.isfinite(result.group("east_asian").ratio_high)
    # Through the evaluation: L2 (east_asian) in band high, L1 (other) not; JSON holds null, not Infinity.
    scores = dict(BUSINESSES, **{"biz-d": ("0.7", "low", "net-2"), "biz-e": ("0.6", "high", "")})
    write_csv(tiny_export / "businesses.csv", ["entity_id", "risk_score", "risk_band", "network_id"],
              [(e, s, b, n) for e, (s, b, n) in scores.items()])
    evaluation = evaluate_export(tiny_export, tiny_truth)
    assert evaluation.fairness.ratio == math.inf
    text = json.dumps(evaluation.to_dict(), allow_nan=False)
    assert json.loads(text)["fairness"]["ratio"] is None and json.loads(text)["fairness"]["ratio_is_infinite"]
    assert {c.key: c.met for c in evaluation.checks()}["fairness.ratio"] is False


def test_wilson_and_katz_intervals_match_their_textbook_values():
    low, high = wilson_interval(10, 100)
    assert (low, high) == (pytest.approx(0.0552, abs=1e-4), pytest.approx(0.1744, abs=1e-4))
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = rate_ratio_interval(20, 100, 10, 100)
    spread = Z * math.sqrt(1 / 20 - 1 / 100 + 1 / 10 - 1 / 100)
    assert (low, high) == (pytest.approx(2 * math.exp(-spread)), pytest.approx(2 * math.exp(spread)))


def test_precision_at_k_shares_out_ties_at_the_kth_score():
    # k = 2: one positive above the tie, then one place for three tied scores of which one is positive.
    assert precision_at_k([1, 1, 0, 0, 0], [0.9, 0.5, 0.5, 0.5, 0.1]) == pytest.approx((1 + 1 / 3) / 2)
    assert precision_at_k([1, 1, 0], [0.9, 0.8, 0.1]) == 1.0


def test_a_majority_tie_goes_to_the_smallest_true_id(tiny_export, tiny_truth):
    # biz-c gets a second L1 record: B3 and L1 tie at two records each, and B3 < L1.
    with (tiny_export / "record_entities.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["s", "l4b", "listings", "biz-c"])
    with (tiny_truth / "truth" / "records.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["s", "l4b", "listings", "L1"])
    assert evaluate_export(tiny_export, tiny_truth).risk.imbs == 3


def test_the_truth_folder_itself_may_be_given(tiny_export, tiny_truth):
    assert evaluate_export(tiny_export, tiny_truth / "truth").business == evaluate_export(tiny_export, tiny_truth).business


@pytest.mark.parametrize(
    ("folder", "file", "content", "error", "message"),
    [
        ("export", "networks.csv", None, UsageError, r"export/networks.csv: no such file"),
        ("export", "businesses.csv", "entity_id,risk_score,network_id\nbiz-a,0.5,\n", ContractError,
         r"businesses.csv:1: needs the column\(s\) risk_band"),
        ("export", "businesses.csv", "entity_id,risk_score,risk_band,network_id\nbiz-a,high,high,\n", ContractError,
         r"businesses.csv:2: risk_score: 'high' is not a number"),
        ("export", "businesses.csv", "entity_id,risk_score,risk_band,network_id\nbiz-a,1.5,high,\n", ContractError,
         r"businesses.csv:2: risk_score: 1.5 is not between 0 and 1"),
        ("export", "businesses.csv", "entity_id,risk_score,risk_band,network_id\nbiz-a,0.5,red,\n", ContractError,
         r"businesses.csv:2: risk_band: 'red' is not one of low, elevated, high"),
        ("export", "persons.csv", "entity_id,protected\nper-1,maybe\n", ContractError,
         r"persons.csv:2: protected: 'maybe' is not true or false"),
        ("export", "record_entities.csv", "source,record_id,record_type,entity_id\ns,f1,filings,biz-nowhere\n",
         ContractError, r"record_entities.csv:2: entity_id: 'biz-nowhere' is not in businesses.csv"),
        ("export", "networks.csv", b"network_id,controller_ids\nnet-\xff,\n", ContractError, r"networks.csv: is not valid UTF-8"),
        ("export", "networks.csv", "network_id,controller_ids\nnet-1,per-1,extra\n", ContractError,
         r"networks.csv:2: has a different number of cells than the header"),
        ("world/truth", "businesses.csv", "true_entity_id,is_imb,network_id,category,owner_group\nB1,yes,,imb,other\n",
         ContractError, r"truth/businesses.csv:2: is_imb: 'yes' is not true or false"),
        ("world/truth", "persons.csv", "true_entity_id,role,network_id\nC1,controller,N1\n", ContractError,
         r"truth/persons.csv:1: needs the column\(s\) is_nominee"),
        ("world/truth", "records.csv", None, UsageError, r"truth/records.csv: no such file"),
    ],
)
def test_a_missing_or_malformed_file_is_one_clear_error_naming_it(
    tmp_path, tiny_export, tiny_truth, folder, file, content, error, message
):
    path = tmp_path / folder / file
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(error, match=message) as caught:
        evaluate_export(tiny_export, tiny_truth)
    assert "\n" not in str(caught.value)


def test_a_folder_without_truth_or_export_is_a_usage_error(tmp_path, tiny_export, tiny_truth):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="empty: no truth/ folder"):
        evaluate_export(tiny_export, tmp_path / "empty")
    with pytest.raises(UsageError, match="nowhere: no such folder"):
        evaluate_export(tmp_path / "nowhere", tiny_truth)


def test_the_cli_prints_a_missing_file_as_one_line_without_a_traceback(tmp_path, tiny_export, tiny_truth):
    (tiny_export / "persons.csv").unlink()
    result = harborlight("evaluate", "--truth", str(tiny_truth), "--export", str(tiny_export), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tiny_export / 'persons.csv'}: no such file"]


EVERY_FIGURE = {
    "business_resolution": ["precision", "recall", "f1", "predicted_pairs", "true_pairs", "records"],
    "person_resolution": ["precision", "recall", "f1", "predicted_pairs", "true_pairs", "records"],
    "networks": ["precision", "recall", "f1", "legit_in_imb_networks", "true_networks", "imb_networks"],
    "protection": ["protected_among_controllers", "protected_named", "controllers_holding_protected_records",
                   "controller_precision", "controller_recall"],
    "risk": ["auc", "average_precision", "precision_at_k", "brier", "businesses", "imbs"],
    "fairness": ["ratio", "ratio_low", "ratio_high", "groups"],
}


def test_synth_to_evaluate_round_trip_on_a_small_world_prints_every_figure(tmp_path):
    data = str(tmp_path / "data")
    assert harborlight("synth", "--out", "world", "--seed", "5", "--scale", "0.2", cwd=tmp_path).returncode == 0
    for step in (["ingest", "world"], ["resolve"], ["score"], ["networks"], ["export", "--out", "out"]):
        done = harborlight(*step, "--data-dir", data, cwd=tmp_path)
        assert done.returncode == 0, (step, done.stderr)
    given = harborlight("evaluate", "--truth", "world", "--export", "out", "--json", cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    figures = json.loads(given.stdout)
    for section, keys in EVERY_FIGURE.items():
        assert set(keys) <= set(figures[section]), section
    assert {g["group"] for g in figures["fairness"]["groups"]} == {"east_asian", "other"}
    assert len(figures["targets"]) == 11 and isinstance(figures["all_targets_met"], bool)
    assert figures["business_resolution"]["records"] > 100 and figures["risk"]["imbs"] > 0
    # Without --export, the data dir's warehouse is exported to a temporary folder: same figures.
    default = json.loads(harborlight("evaluate", "--truth", "world", "--json", "--data-dir", data, cwd=tmp_path).stdout)
    assert {k: v for k, v in default.items() if k != "export"} == {k: v for k, v in figures.items() if k != "export"}
    table = harborlight("evaluate", "--truth", "world", "--export", "out", cwd=tmp_path)
    assert "network pair F1" in table.stdout and "targets met:" in table.stdout
    audited = harborlight("audit", "fairness", "--truth", "world", "--data-dir", data, cwd=tmp_path)
    assert audited.returncode in (0, 1), audited.stderr
    assert "95% interval" in audited.stdout and "Wilson" in audited.stdout
