"""`gate-runner init`: the starter's modeline names a schema file that init wrote beside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import Done, run_gate

from gate_runner.templates import STARTER

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

PACKAGE_SCHEMA = Path(__file__).resolve().parents[1] / "gate_runner" / "schemas"


def _init(cwd: Path, *args: str) -> Done:
    return run_gate(
        ["init", *args],
        cwd=cwd,
    )


def test_modeline_points_at_the_schema_init_writes(tmp_path: Path) -> None:
    done = _init(tmp_path, "nested/dir/sepurux.yml")
    assert done.returncode == 0, done.stderr
    policy = tmp_path / "nested" / "dir" / "sepurux.yml"
    first = policy.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    target = match.group(1)
    assert "://" not in target  # offline, and the same in every clone
    schema = (policy.parent / target).read_text(encoding="utf-8")
    assert schema == (PACKAGE_SCHEMA / "sepurux.schema.json").read_text(encoding="utf-8")
    assert ".sepurux/sepurux.schema.json" in done.stdout


def test_init_refuses_to_overwrite_and_force_rewrites_both(tmp_path: Path) -> None:
    assert _init(tmp_path).returncode == 0
    schema = tmp_path / ".sepurux" / "sepurux.schema.json"
    schema.write_text("stale", encoding="utf-8")
    refused = _init(tmp_path)
    assert refused.returncode != 0 and schema.read_text(encoding="utf-8") == "stale"
    assert _init(tmp_path, "--force").returncode == 0
    assert schema.read_text(encoding="utf-8") != "stale"
    assert (tmp_path / "sepurux.yml").read_text(encoding="utf-8") == STARTER
