"""The `harborlight` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import subprocess
import sys
from importlib.metadata import version as package_version
from pathlib import Path

import pytest
from conftest import VALID_ROWS

from harborlight import cli
from harborlight.cli import app
from harborlight.config import installation_key
from harborlight.errors import BadRequest, NotFound, WarehouseError
from harborlight.terminal import SafeConsole
from harborlight.warehouse import Warehouse

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


SUBCOMMANDS = sorted(f"{group.name} {c.name or c.callback.__name__}"
                     for group in app.registered_groups for c in group.typer_instance.registered_commands)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_a_heading_in_the_cli_docs(command):
    headings = [line for line in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("## ")]
    assert any(f"`harborlight {command}" in heading for heading in headings), command


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
    result = harborlight("demo", "--no-serve", "--scale", "0.3", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "export:" in result.stdout
    for name in ("record_entities.csv", "businesses.csv", "persons.csv", "networks.csv"):
        assert (tmp_path / "d" / "demo" / "export" / name).exists()
    demo = tmp_path / "d" / "demo"
    assert f"report: {demo / 'report.html'}" in result.stdout
    assert f"{demo / 'packet' / 'packet.html'}" in result.stdout
    assert (demo / "packet" / "packet.json").exists()
    again = harborlight("demo", "--no-serve", "--scale", "0.3", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert again.stdout == result.stdout


def test_audit_fairness_explains_itself_and_takes_a_data_dir(tmp_path):
    result = harborlight("audit", "fairness", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--groups" in result.stdout and "--truth" in result.stdout and "--data-dir" in result.stdout


def test_audit_fairness_needs_exactly_one_source_of_groups(tmp_path):
    result = harborlight("audit", "fairness", "--data-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 2
    assert "give exactly one of --groups FILE or --truth WORLD_DIR" in result.stderr


# -- typed errors: one line, the kind's exit code, never a traceback --------------------------------------
BAD_REQUEST, NOT_FOUND = BadRequest.exit_code, NotFound.exit_code


def one_error_line(result: subprocess.CompletedProcess, exit_code: int) -> str:
    """The single `error:` line a failed command printed, after checking it printed nothing else."""
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_version_is_the_installed_package_version(tmp_path):
    result = harborlight("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"harborlight {package_version('harborlight')}\n"
    declared = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)
    assert package_version("harborlight") == declared.group(1)


@pytest.mark.parametrize("scale", ["0", "-1"])
def test_demo_with_no_world_to_make_is_one_line_and_touches_nothing(scale, tmp_path):
    line = one_error_line(harborlight("demo", "--no-serve", "--scale", scale, "--data-dir", "d", cwd=tmp_path), BAD_REQUEST)
    assert "--scale must be above 0" in line
    assert not (tmp_path / "d").exists()


def test_ingest_of_a_missing_folder_creates_nothing(tmp_path):
    one_error_line(harborlight("ingest", "nowhere", "--data-dir", "d", cwd=tmp_path), BAD_REQUEST)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["resolve", "score", "networks", "migrate", "status", "outcomes"])
def test_a_command_on_a_data_dir_without_a_warehouse_says_to_ingest_and_creates_nothing(command, tmp_path):
    line = one_error_line(harborlight(command, "--data-dir", "no-such-dir", cwd=tmp_path), BAD_REQUEST)
    assert "run `harborlight ingest DIR` first" in line
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_engine_is_one_line(tmp_path):
    line = one_error_line(harborlight("resolve", "--engine", "hadoop", "--data-dir", "d", cwd=tmp_path), BAD_REQUEST)
    assert "--engine must be one of duckdb, spark" in line


def test_spark_without_java_is_one_line_before_any_work(tmp_path):
    no_java = tmp_path / "bin-without-java"
    no_java.mkdir()
    env = {"PATH": str(no_java), "JAVA_HOME": ""}
    result = harborlight("resolve", "--engine", "spark", "--data-dir", "d", cwd=tmp_path, env=env)
    assert "Java" in one_error_line(result, BAD_REQUEST)
    assert not (tmp_path / "d").exists()


# Installed on PYTHONPATH as sitecustomize, so the CLI's process starts with pyspark unimportable.
BLOCK_PYSPARK = '''
import sys

class _NoPyspark:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pyspark":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoPyspark())
'''


def test_spark_without_the_spark_extra_is_one_line(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_PYSPARK, encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(blocker), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = harborlight("resolve", "--engine", "spark", "--data-dir", "d", cwd=tmp_path, env=env)
    assert "pip install 'harborlight[spark]'" in one_error_line(result, BAD_REQUEST)


def test_writing_over_a_folder_or_into_a_file_is_one_line_naming_the_path(tmp_path):
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    report = one_error_line(harborlight("report", "--out", "a-folder", cwd=tmp_path), BAD_REQUEST)
    assert report == "error: cannot write a-folder: it is a folder (a file is needed there)"
    packet = one_error_line(harborlight("packet", "net-1", "--out", "a-file", cwd=tmp_path), BAD_REQUEST)
    assert packet == "error: cannot write a-file: a file is in the way (a folder is needed there)"
    synth = one_error_line(harborlight("synth", "--out", "a-file/world", cwd=tmp_path), BAD_REQUEST)
    assert "a-file" in synth


def test_writing_where_nothing_may_be_written_is_one_line(tmp_path):
    # /proc and /sys refuse new entries even to root, so this holds whoever runs the tests.
    for place in ("/proc/harborlight-world", "/sys/harborlight-world"):
        line = one_error_line(harborlight("synth", "--out", place, cwd=tmp_path), BAD_REQUEST)
        assert line.startswith(f"error: cannot write {place}: ")


def test_an_os_error_from_deep_inside_is_one_line_and_a_bug_keeps_its_traceback(monkeypatch, capsys):
    def full_disk():
        raise OSError(errno.ENOSPC, "No space left on device", "/data/out.csv")

    monkeypatch.setattr(cli, "app", full_disk)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1  # the machine failed, not the request
    assert capsys.readouterr().err == "error: cannot use /data/out.csv: no space left on device\n"

    def bug():
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "app", bug)
    with pytest.raises(KeyError):
        cli.main()


# -- a network whose records carry terminal escape codes ---------------------------------------------------
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\u202e"


def hostile_records() -> dict:
    """The two-spa network of test_networks.py, with escape codes in names, addresses and a source."""
    from test_networks import two_spa_records

    files = two_spa_records()
    files["filings"][0]["entity_name"] += ESCAPES
    files["filings"][1]["principal_address"] += ESCAPES
    files["listings"][0]["business_name"] += ESCAPES
    files["officers"][0]["name"] = "ZHANG,\x1b[2J WEI"
    files["tips"] = [dict(VALID_ROWS["tips"], source="hotline" + ESCAPES, business_name="Lucky Star Spa" + ESCAPES)]
    return files


@pytest.fixture(scope="module")
def hostile_network(tmp_path_factory) -> tuple[Path, str, str]:
    """A data dir with `hostile_records` ingested, resolved, scored and networked through the CLI;
    returns it with its network's id and the id of the business with the hostile legal name."""
    from conftest import _encode_csv

    root = tmp_path_factory.mktemp("hostile")
    (root / "records").mkdir()
    for record_type, rows in hostile_records().items():
        (root / "records" / f"{record_type}.csv").write_bytes(_encode_csv(rows, None))
    data = root / "data"
    for step in (["ingest", "records"], ["resolve"], ["score"], ["networks"]):
        done = harborlight(*step, "--data-dir", str(data), cwd=root)
        assert done.returncode == 0, (step, done.stderr)
    with Warehouse(data / "warehouse.duckdb", installation_key(data), read_only=True) as warehouse:
        (network_id,) = warehouse.rows("SELECT network_id FROM networks")[0]
        (business_id,) = warehouse.rows(
            "SELECT entity_id FROM record_entities WHERE record_type = 'filings' AND record_id = 'F1'")[0]
    return data, network_id, business_id


def test_record_text_cannot_send_escape_codes_to_the_terminal(hostile_network, tmp_path):
    data, network_id, business_id = hostile_network
    for command in (["explain", business_id], ["network", network_id], ["status"], ["networks"]):
        result = harborlight(*command, "--data-dir", str(data), cwd=tmp_path)
        assert result.returncode == 0, (command, result.stderr)
        for stream in (result.stdout, result.stderr):
            assert not set(stream) & set("\x1b\x07\x9b\x9d\u202e"), command
    explained = harborlight("explain", business_id, "--data-dir", str(data), cwd=tmp_path).stdout
    assert "LUCKY STAR SPA INC" in explained and "pwned" not in explained  # the sequence goes whole


def test_a_wrong_id_is_not_found(hostile_network, tmp_path):
    data = str(hostile_network[0])
    for command in (["explain", "biz-doesnotexist"], ["network", "net-doesnotexist"],
                    ["packet", "net-doesnotexist", "--out", "packet"]):
        line = one_error_line(harborlight(*command, "--data-dir", data, cwd=tmp_path), NOT_FOUND)
        assert "doesnotexist" in line
    assert not (tmp_path / "packet").exists()


def test_export_into_a_place_that_cannot_be_written_is_one_line(hostile_network, tmp_path):
    for fmt in ("csv", "ftm", "gexf"):
        result = harborlight("export", "--format", fmt, "--out", "/sys/harborlight-export",
                             "--data-dir", str(hostile_network[0]), cwd=tmp_path)
        assert "/sys/harborlight-export" in one_error_line(result, BAD_REQUEST), fmt


def test_json_printed_through_the_console_stays_valid_and_carries_no_raw_control_characters():
    buffer = io.StringIO()
    SafeConsole(file=buffer, force_terminal=True).print_json(json.dumps({"name": "Lucky" + ESCAPES}))
    printed = buffer.getvalue()
    assert not set(printed) & set("\x07\u202e") and "\x1b]" not in printed and "\x1b[2J" not in printed
    # JSON escapes control characters (\u001b), which a terminal does not act on; the bidi override goes.
    assert json.loads(re.sub(r"\x1b\[[0-9;]*m", "", printed)) == {"name": "Lucky\x1b]0;pwned\x07\x1b[2J"}


def test_a_failed_warehouse_statement_is_one_line_that_keeps_the_whole_sql(fresh_warehouse):
    statement = "SELECT no_such_column\nFROM batches\nWHERE batch_id = ?"
    with pytest.raises(WarehouseError) as failed:
        fresh_warehouse.run(statement, [1])
    assert "\n" not in str(failed.value) and "while running: SELECT no_such_column FROM batches" in str(failed.value)
    assert failed.value.sql == statement
