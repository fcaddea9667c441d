"""Every setting that can make a gate easier to pass, or send its work or its review
elsewhere, is a loosening: `diff` says so and `check --policy-ref` keeps the base (issue 20)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from governance.cli import run
from support import validate_verdict

from gate_runner.governance.diff.diff_rules import KEYS
from gate_runner.sandbox import Sandbox
from gate_runner.sandbox.scenario import Scenario

from .prrepo import pull_request

SCHEMA = Path(__file__).parents[2] / "gate_runner" / "schemas" / "sepurux.schema.json"


def _schema_keys(node: dict[str, Any], path: str, defs: dict[str, Any]) -> Iterator[str]:
    """Every key a policy can set, as diff_rules.KEYS names it: ``campaigns.*.aggregate``,
    ``assertions[].level``; a list or mapping of entries is named too (entries come and go)."""
    if "$ref" in node:
        # "#/$defs/NAME" or deeper ("#/$defs/limits/properties/min_pass_rate").
        target: Any = defs
        for part in node["$ref"].removeprefix("#/$defs/").split("/"):
            target = target[part]
        yield from _schema_keys(target, path, defs)
        return
    for branch in node.get("oneOf", []):
        yield from _schema_keys(branch, path, defs)
    if "properties" in node:
        for key, child in node["properties"].items():
            yield from _schema_keys(child, f"{path}.{key}".lstrip("."), defs)
        return
    if "oneOf" in node:
        return
    if node.get("type") == "array":
        yield path
        items = node.get("items", {})
        if {"properties", "$ref", "oneOf"} & set(items):  # entries, not a list of strings
            yield from _schema_keys(items, f"{path}[]", defs)
        return
    if isinstance(node.get("additionalProperties"), dict):
        yield path
        yield from _schema_keys(node["additionalProperties"], f"{path}.*", defs)
        return
    yield path


def test_every_key_of_the_schema_has_a_class_and_every_class_a_key() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    keys = set(_schema_keys(schema, "", schema["$defs"]))
    # The walk reaches what the issue names, so an empty or shallow walk cannot pass.
    assert {"campaigns.*.aggregate", "statistics.trials", "enforcement.soft.reviewers",
            "gate.timeout", "api.token_env", "assertions[].level"} <= keys  # fmt: skip
    assert sorted(keys - set(KEYS)) == [], "keys with no class in diff_rules.KEYS"
    assert sorted(set(KEYS) - keys) == [], "classes of keys the schema does not have"


STRICT = """
version: 1
gate: {on_error: pass, on_timeout: pass, timeout: 600}
statistics: {confidence: 0.95, trials: trace_count}
enforcement:
  mode: soft
  soft: {reviewers: [alice, acme/sre], label: needs-sre}
campaigns:
  core: {aggregate: worst, repeat: 3}
"""

# Each pull request changes one line of STRICT; `diff` called every one "no change" or
# neutral, so `--policy-ref` let the pull request's own policy judge.
LOOSENINGS = {
    "campaigns.core.aggregate": ("aggregate: worst", "aggregate: best"),
    "statistics.trials": ("trials: trace_count", "trials: '`100000`'"),
    "enforcement.soft.reviewers": ("reviewers: [alice, acme/sre]", "reviewers: [mallory]"),
    "enforcement.soft.label": ("label: needs-sre", "label: anything"),
    "gate.timeout": ("timeout: 600", "timeout: 1"),
    "api.token_env": ("version: 1", "version: 1\napi: {token_env: NOT_SET_ANYWHERE}"),
}


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(LOOSENINGS))
def test_diff_classes_each_as_a_loosening(tmp_path: Path, path: str) -> None:
    old, new = LOOSENINGS[path]
    assert old in STRICT
    repo = pull_request(
        tmp_path, {"sepurux.yml": STRICT}, {"sepurux.yml": STRICT.replace(old, new)}
    )
    done = run(repo.path, "diff", "main", "--format", "json")
    assert done.code == 1, done.stdout + done.stderr
    changes = {c["path"]: c for c in json.loads(done.stdout)}
    assert set(changes) == {path}
    assert changes[path]["effect"] == "loosens"
    assert changes[path]["location"] and changes[path]["location"].startswith("sepurux.yml:")


SCENARIO = {
    "token": "sandbox-token",
    "campaigns": [{"name": "core", "duration": 0, "metrics": {"pass_rate": 0.5, "failures": 3}}],
}

GATE = """
version: 1
gate: {on_error: pass}
thresholds: {min_pass_rate: 0.9}
campaigns:
  core: {}
"""


@pytest.mark.slow
def test_a_renamed_token_env_runs_with_the_base_api_and_meets_the_base_bar(
    tmp_path: Path,
) -> None:
    # The base passes a run that cannot be made (on_error: pass); the pull request names a
    # variable CI does not set, so with its own api nothing would run and the gate would pass.
    pr = GATE.replace("version: 1", "version: 1\napi: {token_env: NOT_SET_ANYWHERE}")
    repo = pull_request(tmp_path, {"sepurux.yml": GATE}, {"sepurux.yml": pr})
    with Sandbox(Scenario.from_dict(SCENARIO)) as sandbox:
        done = run(
            repo.path,
            "check",
            "--policy-ref",
            "main",
            "--api-url",
            sandbox.url,
            env={"SEPURUX_API_KEY": sandbox.token},
        )
    verdict = json.loads((repo.path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    assert done.code == 1, done.stdout + done.stderr
    changes = verdict["policy_changes"]
    assert changes["judged_by"] == "base"
    assert [(c["path"], c["effect"]) for c in changes["changes"]] == [("api.token_env", "loosens")]
    core = verdict["campaigns"][0]
    assert core["error"] is None  # run with the base's SEPURUX_API_KEY, not the PR's variable
    assert core["outcome"] == "fail" and core["blocking"] is True
