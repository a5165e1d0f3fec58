"""The `harborlight` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import VALID_ROWS

from harborlight.cli import app

ROOT = Path(__file__).parent.parent
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def harborlight(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "HARBORLIGHT_DATA_DIR"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from harborlight.cli import main; main()", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_and_takes_a_data_dir(command, tmp_path):
    result = harborlight(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--data-dir" in result.stdout
    assert "HARBORLIGHT_DATA_DIR" in result.stdout
    assert len(result.stdout.split()) > 15


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_cli_docs(command):
    assert f"## `harborlight {command}" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_synth_ingest_status_export_round_trip(tmp_path):
    data = tmp_path / "data"
    assert harborlight("synth", "--out", "world", "--seed", "2", "--scale", "0.2", cwd=tmp_path).returncode == 0
    ingested = harborlight("ingest", "world", "--data-dir", str(data), cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr
    assert "loaded filings.csv" in ingested.stdout
    resolved = harborlight("resolve", "--data-dir", str(data), cwd=tmp_path)
    assert resolved.returncode == 0, resolved.stderr
    assert "business:" in resolved.stdout
    status = harborlight("status", "--data-dir", str(data), cwd=tmp_path)
    assert status.returncode == 0 and "fl_sunbiz" in status.stdout
    assert "resolution: duckdb" in status.stdout
    scored = harborlight("score", "--data-dir", str(data), cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr
    assert "high" in scored.stdout
    audited = harborlight("audit", "fairness", "--truth", "world", "--data-dir", str(data), cwd=tmp_path)
    assert audited.returncode in (0, 1), audited.stderr
    assert "fairness audit" in audited.stdout
    exported = harborlight("export", "--format", "csv", "--out", "out", "--data-dir", str(data), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "out" / "persons.csv").exists()
    businesses = (tmp_path / "out" / "businesses.csv").read_text(encoding="utf-8").splitlines()
    assert any(",high," in line or ",low," in line for line in businesses[1:])


def test_data_dir_defaults_to_harborlight_data_and_follows_the_environment(write_rows, tmp_path):
    folder = write_rows("tips", [VALID_ROWS["tips"]])
    assert harborlight("ingest", str(folder), cwd=tmp_path).returncode == 0
    assert (tmp_path / "harborlight-data" / "warehouse.duckdb").exists()
    env_dir = tmp_path / "from-env"
    assert harborlight("ingest", str(folder), cwd=tmp_path, env={"HARBORLIGHT_DATA_DIR": str(env_dir)}).returncode == 0
    assert (env_dir / "warehouse.duckdb").exists()


def test_bad_input_gets_one_line_per_problem_and_no_traceback(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "filings.csv").write_text(
        "source,record_id,entity_name,status,filed_date\n"
        "fl,1,Lotus,open,2019-02-22\n"
        "fl,2,Jade,active,22/02/2019\n"
        + "fl,3,A very long name " + "x" * 300 + ",bogus-status-" + "y" * 200 + ",\n",
        encoding="utf-8",
    )
    result = harborlight("ingest", str(folder), "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("rejected filings.csv")
    assert lines[1].strip().startswith("filings.csv:2: status: 'open' is not one of")
    assert lines[2].strip().startswith("filings.csv:3: filed_date: '22/02/2019' is not an ISO 8601 date")
    assert lines[3].strip().startswith("filings.csv:4: status: 'bogus-status-yyyy")
    assert len(lines) == 4


def test_missing_folder_is_a_clear_error(tmp_path):
    result = harborlight("ingest", "nowhere", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: nowhere: no such file or folder"


def test_status_before_any_ingest_says_what_to_do(tmp_path):
    result = harborlight("status", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 2
    assert "run `harborlight ingest DIR` first" in result.stderr


def test_demo_runs_the_main_job_and_says_where_the_results_are(tmp_path):
    result = harborlight("demo", "--scale", "0.3", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "export:" in result.stdout
    for name in ("record_entities.csv", "businesses.csv", "persons.csv", "networks.csv"):
        assert (tmp_path / "d" / "demo" / "export" / name).exists()
    demo = tmp_path / "d" / "demo"
    assert f"report: {demo / 'report.html'}" in result.stdout
    assert f"{demo / 'packet' / 'packet.html'}" in result.stdout
    assert (demo / "packet" / "packet.json").exists()
    again = harborlight("demo", "--scale", "0.3", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert again.stdout == result.stdout


def test_audit_fairness_explains_itself_and_takes_a_data_dir(tmp_path):
    result = harborlight("audit", "fairness", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--groups" in result.stdout and "--truth" in result.stdout and "--data-dir" in result.stdout


def test_audit_fairness_needs_exactly_one_source_of_groups(tmp_path):
    result = harborlight("audit", "fairness", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 2
    assert "give exactly one of --groups FILE or --truth WORLD_DIR" in result.stderr
