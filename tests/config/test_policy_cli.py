"""The policy commands through the CLI: validate, explain, schema, init."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from support import run_gate
from typer.testing import CliRunner

from gate_runner.cli.typer_app import _register, app

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "sepurux.yml.example"


@pytest.fixture
def runner() -> CliRunner:
    _register()
    return CliRunner()


def test_validate_default_file_missing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert result.stderr == "sepurux.yml:1:1: cannot read the policy: No such file or directory\n"


@pytest.mark.slow
def test_validate_example_from_another_directory(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok: {EXAMPLE} is valid\n"


def test_validate_json(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\ngate: {timeout: -1}\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", "--format", "json", str(EXAMPLE), str(bad)])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["files"][str(EXAMPLE)] == []
    (problem,) = data["files"][str(bad)]
    assert (problem["line"], problem["col"]) == (2, 17)
    assert problem["message"] == "gate.timeout: must be greater than 0"


@pytest.mark.slow
def test_validate_unknown_format_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "--format", "xml", str(EXAMPLE)])
    assert result.exit_code == 2


@pytest.mark.slow
def test_explain_text_and_json(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = runner.invoke(
        app, ["explain", "--config", "sepurux.yml.example", "--as-of", "2026-12-09"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "enforcement on 2026-12-09: soft "
        "(schedule entry from 2026-12-08 (sepurux.yml.example:32:7))" in result.stdout
    )
    assert "  gate.timeout = 600  (sepurux.yml.example:23:12)" in result.stdout
    assert "  min_pass_rate = 0.9  [pass_rate >= 0.9]  (sepurux.yml.example:57:33)" in (
        result.stdout
    )
    assert (
        '  assertions[0].name = "no-unsafe-attempts"  (policies/agents-baseline.yml:'
        in result.stdout
    )
    result = runner.invoke(
        app,
        ["explain", "--config", "sepurux.yml.example", "--format", "json", "--as-of", "2026-11-01"],
    )
    data = json.loads(result.stdout)
    assert data["enforcement"] == {
        "date": "2026-11-01",
        "mode": "hard",
        "source": "policy",
        # enforce.mode_in_force's own words: explain says what the verdict will.
        "reason": "enforcement.mode: hard (sepurux.yml.example:29:9)",
        "origin": "sepurux.yml.example:29:9",
    }
    core = next(c for c in data["campaigns"] if c["key"] == "core-reliability")
    # Each threshold says what it checks, from the threshold table.
    assert {
        "key": "min_pass_rate",
        "value": 0.9,
        "rule": "pass_rate >= 0.9",
        "origin": "sepurux.yml.example:57:33",
    } in core["thresholds"]
    assert data["digest"].startswith("sha256:")


def test_explain_default_mode(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("version: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["explain", "--config", str(path), "--format", "json"])
    assert json.loads(result.stdout)["enforcement"]["source"] == "default"


@pytest.mark.slow
def test_explain_invalid_policy(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("version: 3\n", encoding="utf-8")
    result = runner.invoke(app, ["explain", "--config", str(path)])
    assert result.exit_code == 2
    # The one error handler: the diagnostics, then the count line check also prints.
    assert result.stderr.endswith(
        ":1:10: unknown policy version 3: this gate-runner reads version 1\n"
        "gate-runner: 1 problem in the policy\n"
    )


def test_explain_bad_date(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "--config", str(EXAMPLE), "--as-of", "soon"])
    assert result.exit_code == 2
    assert "--as-of 'soon': expected a date like 2026-12-15" in result.stderr


@pytest.mark.parametrize(("flags", "name"), [([], "sepurux"), (["--verdict"], "verdict")])
def test_schema(runner: CliRunner, flags: list[str], name: str) -> None:
    result = runner.invoke(app, ["schema", *flags])
    assert result.exit_code == 0
    expected = (REPO / "gate_runner" / "schemas" / f"{name}.schema.json").read_text("utf-8")
    assert result.stdout == expected if expected.endswith("\n") else expected + "\n"


@pytest.mark.slow
def test_schema_both_flags(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "--verdict", "--scenario"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_schema_missing_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)
    result = runner.invoke(app, ["schema", "--scenario"])
    assert result.exit_code == 4
    assert result.stderr == (
        "gate-runner: error: schemas/scenario.schema.json is missing from this installation\n"
    )


@pytest.mark.slow
def test_init_writes_a_valid_starter_and_refuses_to_overwrite(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "sepurux.yml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0
    assert runner.invoke(app, ["validate", str(target)]).exit_code == 0
    target.write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 2
    assert "already exists; use --force" in result.stderr
    assert target.read_text(encoding="utf-8") == "mine"
    assert runner.invoke(app, ["init", str(target), "--force"]).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("# yaml-language-server")


@pytest.mark.slow
def test_validate_in_a_subprocess_never_prints_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_bytes(b"\xff\xfe not utf-8")
    result = run_gate(
        ["validate", str(bad)],
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr == "bad.yml:1:1: the policy is not UTF-8 text\n"
