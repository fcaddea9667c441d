"""The pre-commit hook's entry, run as pre-commit runs it: only gate policies are validated.

pre-commit passes the hook's `args` and then the staged file names that match `files:`
(https://pre-commit.com/#hooks-args, #hooks-files).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from support import Done, run_gate

from gate_runner.cli.precommit_hook import is_policy

ROOT = Path(__file__).resolve().parents[2]
HOOK = next(
    h
    for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    if h["id"] == "gate-runner-validate"
)

KYVERNO = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-labels}
spec: {rules: []}
"""
VALID = "version: 1\napi: {token_env: SEPURUX_API_KEY}\ncampaigns:\n  a: {}\n"
INVALID = "version: 1\ncampaigns:\n  a: {min_pass_rate: 2}\nbogus: true\n"
MODELINE = "# yaml-language-server: $schema=../schemas/sepurux.schema.json\n"


def run_hook(cwd: Path, *files: str) -> Done:
    # The entry as pre-commit runs it, without --offline: that flag is the config engineer's.
    entry = HOOK["entry"].split()
    assert entry[:2] == ["python", "-m"]
    return run_gate(files, cwd=cwd, command=[sys.executable, *entry[1:]])


def write(root: Path, name: str, text: str) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return name


def test_kubernetes_and_kyverno_yaml_under_policies_is_left_alone(tmp_path: Path) -> None:
    names = [
        write(tmp_path, "policies/require-labels.yaml", KYVERNO),
        write(tmp_path, "policies/deploy.yml", "apiVersion: apps/v1\nkind: Deployment\n"),
    ]
    done = run_hook(tmp_path, *names)
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == ""


@pytest.mark.slow
def test_policies_by_name_or_declared_schema_are_validated(tmp_path: Path) -> None:
    good = write(tmp_path, "sepurux.yml", VALID)
    bad = write(tmp_path, "policies/base.yml", MODELINE + INVALID)
    other = write(tmp_path, "policies/k.yaml", KYVERNO)
    done = run_hook(tmp_path, good, bad, other)
    assert done.returncode == 2
    assert "policies/base.yml:" in done.stderr and "k.yaml" not in done.stderr
    assert run_hook(tmp_path, good, other).returncode == 0


def test_is_policy(tmp_path: Path) -> None:
    cases = {
        "sepurux.yml": ("x: 1\n", True),
        "agents.sepurux.yaml": ("x: 1\n", True),
        "central/base.yml": (MODELINE + VALID, True),
        "central/key.yml": ('"$schema": https://x.example/sepurux.schema.json\n' + VALID, True),
        "central/other.yml": ("# yaml-language-server: $schema=kyverno.json\n", False),
        "mysepurux.yml": ("x: 1\n", False),
        "policies/k.yml": (KYVERNO, False),
    }
    for name, (text, expected) in cases.items():
        write(tmp_path, name, text)
        assert is_policy(tmp_path / name) is expected, name
    assert is_policy(tmp_path / "missing.yml") is False
