"""The outcomes ledger counts arrests of victims as failures, and leads with them."""

from __future__ import annotations

import json
import subprocess
import sys

from harborlight.ingest import ingest
from harborlight.respond.outcomes import outcomes_ledger


def outcome(i: int, role: str, action: str, operation: str = "Operation Atlanta 2019") -> dict:
    return {"source": "press", "record_id": f"O{i}", "operation": operation, "date": "2019-02-01",
            "agency": "Atlanta Police Department", "person_ref": f"Person {i}", "person_role": role, "action": action}


def atlanta_rows() -> list[dict]:
    """169 arrests announced; 60 of them traffickers or buyers; the other 109 people selling sex."""
    rows = [outcome(i, "trafficker", "arrest") for i in range(20)]
    rows += [outcome(i, "buyer", "arrest") for i in range(20, 60)]
    rows += [outcome(i, "seller", "arrest") for i in range(60, 169)]
    rows += [outcome(169, "trafficker", "charge"), outcome(170, "worker", "referral")]
    return rows


def test_the_atlanta_ledger_leads_with_the_109_victim_arrests(write_rows, fresh_warehouse):
    ingest(write_rows("outcomes", atlanta_rows()), fresh_warehouse)
    ledger = outcomes_ledger(fresh_warehouse)
    o = ledger.overall
    assert (o.arrests, o.control_arrests, o.buyer_arrests, o.victim_arrests) == (169, 20, 40, 109)
    assert (o.referrals, o.control_charges) == (1, 1)
    assert ledger.headline().startswith("109 of 169 arrests (64%) were of people selling sex")
    (operation,) = ledger.operations
    assert operation.tally.flagged


def test_an_operation_that_arrests_no_victims_is_not_flagged(write_rows, fresh_warehouse):
    rows = [outcome(1, "controller", "arrest", "Op A"), outcome(2, "worker", "referral", "Op A"),
            outcome(3, "worker", "arrest", "Op B")]
    ingest(write_rows("outcomes", rows), fresh_warehouse)
    flags = {op.operation: op.tally.flagged for op in outcomes_ledger(fresh_warehouse).operations}
    assert flags == {"Op A": False, "Op B": True}


def test_the_ledger_never_shows_who_was_arrested(write_rows, fresh_warehouse):
    ingest(write_rows("outcomes", atlanta_rows()), fresh_warehouse)
    assert "Person" not in json.dumps(outcomes_ledger(fresh_warehouse).as_dict())


def test_outcomes_command_prints_json(write_rows, tmp_path):
    folder = write_rows("outcomes", atlanta_rows()).parent
    data = tmp_path / "data"
    run = lambda *a: subprocess.run([sys.executable, "-c", "from harborlight.cli import main; main()", *a],  # noqa: E731
                                    capture_output=True, text=True, cwd=tmp_path)
    assert run("ingest", str(folder), "--data-dir", str(data)).returncode == 0
    result = run("outcomes", "--json", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    ledger = json.loads(result.stdout)
    assert ledger["overall"]["victim_arrests"] == 109 and ledger["operations"][0]["flagged"] is True
    text = run("outcomes", "--data-dir", str(data))
    assert text.stdout.startswith("109 of 169 arrests") and "FLAGGED Operation Atlanta 2019: 109" in text.stdout


def test_outcomes_naming_a_networks_business_or_controller_are_shown_on_its_page(network_ready, fresh_warehouse, write_rows):
    from harborlight.indicators.scoring import score
    from harborlight.network.detect import find_networks
    from harborlight.network.view import network_view
    from harborlight.resolve.stage import resolve

    rows = [
        outcome(1, "buyer", "arrest", "Op Business") | {"business_ref": "Lucky Star Spa"},
        outcome(2, "controller", "arrest", "Op Controller") | {"person_ref": "Wei Zhang", "business_ref": "Elsewhere LLC"},
        # Only traffickers, controllers and managers are matched by name; a worker never is.
        outcome(3, "worker", "arrest", "Op Worker") | {"person_ref": "Soo-Jin Kim", "business_ref": "Elsewhere LLC"},
        outcome(4, "controller", "arrest", "Op Unrelated") | {"person_ref": "Somebody Else", "business_ref": "Elsewhere LLC"},
    ]
    assert ingest(write_rows("outcomes", rows), fresh_warehouse).ok
    for stage in (resolve, score, find_networks):  # the network view refuses a resolution older than the last load
        stage(fresh_warehouse)
    view = network_view(fresh_warehouse, network_ready)
    assert list(view.operations) == ["Op Business", "Op Controller"]
    networks = {op.operation: op.networks for op in outcomes_ledger(fresh_warehouse).operations}
    assert networks["Op Controller"] == [network_ready] and networks["Op Worker"] == []


def test_outcomes_piped_at_80_columns_fit_and_show_every_operation_and_its_flag(write_rows, tmp_path):
    import os

    rows = atlanta_rows() + [
        outcome(200, "buyer", "arrest", "Operation Long Name For A Multi-Agency Sweep Of Massage Businesses 2023"),
        outcome(201, "worker", "arrest", "Operation Long Name For A Multi-Agency Sweep Of Massage Businesses 2023"),
        outcome(202, "controller", "conviction", "Op Quiet"),
    ]
    folder = write_rows("outcomes", rows).parent
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "HARBORLIGHT_DATA_DIR"} | {"COLUMNS": "80", "TERM": "dumb"}
    run = lambda *a: subprocess.run([sys.executable, "-c", "from harborlight.cli import main; main()", *a],  # noqa: E731
                                    capture_output=True, text=True, cwd=tmp_path, env=env)
    assert run("ingest", str(folder), "--data-dir", str(data)).returncode == 0
    result = run("outcomes", "--data-dir", str(data))  # stdout is a pipe, not a terminal
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    assert "FLAGGED Operation Atlanta 2019: 109 potential victims arrested" in lines
    long_name = [line for line in lines if "Operation Long Name" in line]
    assert long_name and long_name[0].startswith("FLAGGED Operation Long Name")
    text = " ".join(result.stdout.split())  # an operation's name may fold onto a second line
    assert "Operation Long Name For A Multi-Agency Sweep Of Massage Businesses 2023: 1 potential victim arrested" in text
    assert "Op Quiet: no potential victims arrested" in lines
    assert "┃" not in result.stdout and "…" not in result.stdout  # no squeezed table, nothing cut
