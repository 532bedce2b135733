"""The command line: help everywhere, documented exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evaltools import __version__
from evaltools.cli.main import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("args", [[], ["demo"], ["validate"], ["instruments"],
                                  ["instruments", "list"], ["instruments", "show"],
                                  ["instruments", "codebook"]])
def test_every_command_has_help(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output
    assert "Exit codes: 0 ok, 1 problems in the data or the run, 2 wrong call." in result.output


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_demo_then_validate(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = runner.invoke(cli, ["demo", str(target), "--seed", "3", "--sites", "2"])
    assert result.exit_code == 0, result.output
    assert "2 sites" in result.output and "true effects" in result.output
    assert (target / "truth" / "true_effects.csv").is_file()
    result = runner.invoke(cli, ["validate", str(target)])
    assert result.exit_code == 0, result.output
    assert "study definition is valid" in result.output
    assert "controlled design, 2 sites, 2 groups, waves t0, t1, t2" in result.output


def test_demo_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    assert runner.invoke(cli, ["demo", str(target), "--sites", "1"]).exit_code == 0
    result = runner.invoke(cli, ["demo", str(target), "--sites", "1"])
    assert result.exit_code == 1
    assert "pass --force" in result.output
    assert "Traceback" not in result.output


def test_validate_lists_every_mistake_and_exits_1(runner: CliRunner, study_copy: Path) -> None:
    path = study_copy / "study.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["design"] = "prepost"
    data["waves"][1]["role"] = "pre"
    data["instruments"].append("rses_x")
    data["reports"]["language"] = "de"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    result = runner.invoke(cli, ["validate", str(study_copy)])
    assert result.exit_code == 1
    out = result.output
    assert "4 errors in the study definition" in out
    for fragment in ("design: value not allowed (did you mean 'pre_post'?); found 'prepost'",
                     "waves[1].role: value not allowed; found 'pre'; expected one of "
                     "'baseline', 'post', 'follow_up'",
                     "instruments[9]: unknown instrument (did you mean 'rses'?); found 'rses_x'",
                     "reports.language: value not allowed; found 'de'; expected one of 'nl', "
                     "'en'"):
        assert fragment in out
    assert "study.yml:" in out  # line numbers
    assert "Traceback" not in out


def test_validate_json(runner: CliRunner, study_copy: Path) -> None:
    path = study_copy / "study.yml"
    path.write_text(path.read_text("utf-8").replace("design: controlled", "design: cluster"),
                    "utf-8")
    result = runner.invoke(cli, ["validate", str(study_copy), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert payload["problems"][0]["location"] == "design"
    assert payload["problems"][0]["found"] == "'cluster'"
    assert isinstance(payload["problems"][0]["line"], int)


@pytest.mark.parametrize("args", [["validate", "does/not/exist"], ["demo", "--sites", "99"],
                                  ["demo", "--seed", "abc"], ["frobnicate"]])
def test_wrong_calls_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_console_script_is_installed() -> None:
    """The `evaltools` entry point runs as a real process with the documented exit codes."""
    exe = Path(sys.executable).parent / "evaltools"
    done = subprocess.run([str(exe), "validate", "/nonexistent/study"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2
    assert "does not exist" in done.stderr
