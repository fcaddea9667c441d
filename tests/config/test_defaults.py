"""The policy's defaults are the schema's `default` keywords, and only those."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate_runner.config import load_policy
from gate_runner.config import schema as schema_module
from gate_runner.config.schema import policy_defaults

SCHEMA = Path(__file__).resolve().parents[2] / "gate_runner" / "schemas" / "sepurux.schema.json"


def test_every_setting_default_is_read_from_the_schema_file() -> None:
    raw = json.loads(SCHEMA.read_text(encoding="utf-8"))["properties"]
    assert policy_defaults() == {
        ("api", "base_url"): raw["api"]["properties"]["base_url"]["default"],
        ("api", "token_env"): raw["api"]["properties"]["token_env"]["default"],
        ("api", "auth_header"): raw["api"]["properties"]["auth_header"]["default"],
        ("gate", "timeout"): raw["gate"]["properties"]["timeout"]["default"],
        ("gate", "concurrency"): raw["gate"]["properties"]["concurrency"]["default"],
        ("gate", "on_error"): raw["gate"]["properties"]["on_error"]["default"],
        ("gate", "on_timeout"): raw["gate"]["properties"]["on_timeout"]["default"],
        ("gate", "policy_changes"): raw["gate"]["properties"]["policy_changes"]["default"],
        ("gate", "repeat"): raw["gate"]["properties"]["repeat"]["default"],
        ("gate", "on_inconclusive"): raw["gate"]["properties"]["on_inconclusive"]["default"],
        ("enforcement", "mode"): raw["enforcement"]["properties"]["mode"]["default"],
    }


def test_a_policy_that_sets_nothing_gets_the_schema_defaults(tmp_path: Path) -> None:
    path = tmp_path / "sepurux.yml"
    path.write_text(
        "version: 1\nassertions: [{name: a, expr: '`true`'}]\ncampaigns: {core: {}}\n",
        encoding="utf-8",
    )
    policy = load_policy(path, env={})
    defaults = policy_defaults()
    assert policy.api.base_url == defaults[("api", "base_url")]
    assert policy.api.token_env == defaults[("api", "token_env")]
    assert policy.api.auth_header == defaults[("api", "auth_header")]
    assert policy.gate.timeout == defaults[("gate", "timeout")]
    assert policy.gate.concurrency == defaults[("gate", "concurrency")]
    assert policy.gate.on_error == defaults[("gate", "on_error")]
    assert policy.gate.on_timeout == defaults[("gate", "on_timeout")]
    assert policy.enforcement.mode == defaults[("enforcement", "mode")]
    assert policy.campaigns[0].assertions[0].level == "error"
    shown = {v.path: v.value for v in policy.effective if v.origin.file == "<default>"}
    assert shown == {".".join(map(str, k)): v for k, v in defaults.items()}


def test_changing_a_default_in_the_schema_changes_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One place: edit the schema and the builder follows, with nothing else to update.
    edited = json.loads(SCHEMA.read_text(encoding="utf-8"))
    edited["properties"]["gate"]["properties"]["concurrency"]["default"] = 3
    edited["properties"]["enforcement"]["properties"]["mode"]["default"] = "soft"
    edited["$defs"]["assertion"]["properties"]["level"]["default"] = "warn"
    schema_module.policy_schema.cache_clear()
    schema_module.policy_defaults.cache_clear()
    monkeypatch.setattr(schema_module, "policy_schema", lambda: edited)
    try:
        path = tmp_path / "sepurux.yml"
        path.write_text(
            "version: 1\nassertions: [{name: a, expr: '`true`'}]\ncampaigns: {core: {}}\n",
            encoding="utf-8",
        )
        policy = load_policy(path, env={})
    finally:
        schema_module.policy_defaults.cache_clear()
    assert policy.gate.concurrency == 3
    assert policy.enforcement.mode == "soft"
    assert policy.campaigns[0].assertions[0].level == "warn"
