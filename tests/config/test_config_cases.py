"""Policy cases on disk: valid ones load, invalid ones give exactly their .expected lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gate_runner.cli.typer_app import _register, app
from gate_runner.config import load_policy, validate_files
from gate_runner.config.schema import policy_schema
from gate_runner.templates import STARTER

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
VALID = sorted(p.name for p in (CASES / "valid").glob("*.yml"))
INVALID = sorted(p.name for p in (CASES / "invalid").glob("*.yml"))
SHIPPED = [REPO / "sepurux.yml.example", *sorted((REPO / "policies").glob("*.yml"))]


def _expected(name: str, server_url: str) -> list[str]:
    text = (CASES / "invalid" / name).with_suffix(".expected").read_text(encoding="utf-8")
    return text.replace("{server}", server_url).splitlines()


def test_every_invalid_case_has_its_expected_file() -> None:
    assert len(INVALID) >= 12
    for name in INVALID:
        assert (CASES / "invalid" / name).with_suffix(".expected").is_file(), name


@pytest.mark.parametrize("name", VALID)
def test_valid_case_loads(name: str, in_cases: Path, case_env: dict[str, str]) -> None:
    path = Path("valid") / name
    assert validate_files([path], env=case_env) == {str(path): []}
    policy = load_policy(path, env=case_env)
    assert policy.version == 1
    assert policy.digest.startswith("sha256:")
    assert policy.sources[-1].location == f"valid/{name}"


@pytest.mark.parametrize("name", INVALID)
def test_invalid_case_gives_expected_diagnostics(
    name: str, in_cases: Path, case_env: dict[str, str], server_url: str
) -> None:
    path = Path("invalid") / name
    found = validate_files([path], env=case_env)[str(path)]
    assert [str(d) for d in found] == _expected(name, server_url)


@pytest.mark.parametrize("name", INVALID)
@pytest.mark.slow
def test_invalid_case_through_the_cli(name: str, in_cases: Path, server_url: str) -> None:
    _register()
    result = CliRunner().invoke(app, ["validate", f"invalid/{name}"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == _expected(name, server_url)
    assert "Traceback" not in result.output


def test_cli_reports_every_file_in_one_run(in_cases: Path, server_url: str) -> None:
    _register()
    names = ["valid/minimal.yml", "invalid/wrong-type.yml", "invalid/unknown-key.yml"]
    result = CliRunner().invoke(app, ["validate", *names])
    assert result.exit_code == 2
    expected = _expected("wrong-type.yml", server_url) + _expected("unknown-key.yml", server_url)
    assert result.stderr.splitlines() == expected
    assert result.stdout == ""  # no success line after a failure


def test_schema_passes_its_metaschema_and_describes_every_property() -> None:
    import jsonschema

    schema = policy_schema()
    jsonschema.Draft202012Validator.check_schema(schema)

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert "description" in sub, f"{where}.{name} has no description"
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, where
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(schema, "#")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_policies_validate(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert validate_files([path.relative_to(REPO)], env={}) == {str(path.relative_to(REPO)): []}


def test_money_movement_is_stricter_than_the_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    base = load_policy(Path("policies/agents-baseline.yml"), env={})
    strict = load_policy(Path("policies/agents-money-movement.yml"), env={})
    assert [s.location for s in strict.sources] == [
        "policies/agents-baseline.yml",
        "policies/agents-money-movement.yml",
    ]
    assert base.enforcement.mode == strict.enforcement.mode == "hard"
    assert strict.gate.concurrency <= base.gate.concurrency
    values = {v.path: v.value for v in strict.effective}
    base_values = {v.path: v.value for v in base.effective}
    assert values["thresholds.min_pass_rate"] > base_values["thresholds.min_pass_rate"]
    assert (
        values["thresholds.min_reliability_score"] > base_values["thresholds.min_reliability_score"]
    )


def test_starter_validates(tmp_path: Path) -> None:
    path = tmp_path / "sepurux.yml"
    path.write_text(STARTER, encoding="utf-8")
    assert validate_files([path], env={}) == {str(path): []}


@pytest.mark.skipif(
    shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) is None,
    reason="check-jsonschema not installed",
)
@pytest.mark.slow
def test_example_validates_with_check_jsonschema() -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    files = [str(p) for p in SHIPPED]
    result = subprocess.run(
        [
            str(tool),
            "--default-filetype",
            "yaml",
            "--schemafile",
            str(REPO / "schemas" / "sepurux.schema.json"),
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
