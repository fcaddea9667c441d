"""Scenario files: the examples load, defaults apply, and every invalid file gets an exact error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gate_runner.errors import ExitCode, UsageError
from gate_runner.sandbox import Metrics, Scenario, campaign_uuid, load_scenario, scenario_schema
from gate_runner.sandbox.demo import DEMO_SCENARIO
from gate_runner.sandbox.faults import Fault

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sandbox"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yml")), ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.campaigns


def test_demo_file_equals_the_built_in_demo() -> None:
    assert load_scenario(EXAMPLES / "demo.yml") == Scenario.from_dict(DEMO_SCENARIO)
    with (EXAMPLES / "demo.yml").open() as handle:
        assert yaml.safe_load(handle) == DEMO_SCENARIO


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "gate-runner sandbox scenario"


def test_defaults() -> None:
    scenario = Scenario.from_dict({"campaigns": [{"name": "core"}]})
    assert scenario.token is None and scenario.reliability_scale == 1 and scenario.faults == ()
    campaign = scenario.campaigns[0]
    assert campaign.id == campaign_uuid("core") and campaign.duration == 1.0
    assert campaign.mode == "run" and campaign.metrics == Metrics()
    assert scenario.campaign(campaign.id.upper()) is campaign


def test_faults_are_parsed() -> None:
    data = {
        "campaigns": [{"name": "c", "faults": [{"on": "poll", "kind": "never_finishes"}]}],
        "faults": [{"on": "create", "kind": "status", "status": 429, "retry_after": 2, "times": 3}],
    }
    scenario = Scenario.from_dict(data)
    assert scenario.faults == (
        Fault(kind="status", on="create", times=3, status=429, retry_after=2),
    )
    assert scenario.campaigns[0].faults[0].kind == "never_finishes"


def problem(data: dict[str, Any]) -> str:
    with pytest.raises(UsageError) as caught:
        Scenario.from_dict(data)
    assert caught.value.exit_code == ExitCode.USAGE
    return str(caught.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "<scenario>: (top level): 'campaigns' is a required property"),
        (
            {"campaigns": [{"name": "a", "duration": -1}]},
            "<scenario>: campaigns[0].duration: -1 is less than the minimum of 0",
        ),
        (
            {"campaigns": [{"name": "a", "durration": 1}]},
            "<scenario>: campaigns[0]: Additional properties are not allowed "
            "('durration' was unexpected)",
        ),
        (
            {"campaigns": [{"name": "a", "metrics": {"pass_rate": 1.5}}]},
            "<scenario>: campaigns[0].metrics.pass_rate: 1.5 is greater than the maximum of 1",
        ),
        (
            {"campaigns": [{"name": "a", "id": "not-a-uuid"}]},
            "<scenario>: campaigns[0].id: 'not-a-uuid' does not match "
            "'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'",
        ),
        (
            {"campaigns": [{"name": "a"}], "reliability_scale": 10},
            "<scenario>: reliability_scale: 10 is not one of [1, 100]",
        ),
        (
            {"campaigns": [{"name": "a"}], "faults": [{"on": "create", "kind": "status"}]},
            "<scenario>: faults[0]: 'status' is a required property",
        ),
        (
            {"campaigns": [{"name": "a"}], "faults": [{"on": "create", "kind": "run_failed"}]},
            "<scenario>: faults[0].on: 'create' is not one of ['poll', 'any']",
        ),
        (
            {"campaigns": [{"name": "a"}], "faults": [{"on": "poll", "kind": "explode"}]},
            "<scenario>: faults[0].kind: 'explode' is not one of ['status', 'reset', 'slow', "
            "'truncated', 'array', 'wrong_types', 'missing_fields', 'run_failed', "
            "'never_finishes', 'no_run_id', 'oversized', 'redirect', 'drip', 'unsafe_json']",
        ),
        (
            {
                "campaigns": [{"name": "a"}],
                "faults": [{"on": "poll", "kind": "status", "status": 500, "delay": 2}],
            },
            "<scenario>: faults[0]: `delay` applies only to kind slow or drip, not status",
        ),
        (
            {
                "campaigns": [
                    {"name": "a", "faults": [{"on": "poll", "kind": "reset", "fields": ["x"]}]}
                ]
            },
            "<scenario>: campaigns[0].faults[0]: `fields` applies only to kind wrong_types or "
            "missing_fields, not reset",
        ),
        (
            {"campaigns": [{"name": "a"}, {"name": "a"}]},
            "<scenario>: campaigns[1].name: duplicate campaign name 'a'\n"
            f"<scenario>: campaigns[1].id: duplicate campaign id {campaign_uuid('a')}",
        ),
    ],
)
def test_invalid_scenarios_name_the_problem(data: dict[str, Any], message: str) -> None:
    assert problem(data) == message


def test_every_problem_is_reported_at_once() -> None:
    data = {"campaigns": [{"name": "a", "duration": -1, "mode": "bulk"}], "token": ""}
    assert problem(data).splitlines() == [
        "<scenario>: campaigns[0].duration: -1 is less than the minimum of 0",
        "<scenario>: campaigns[0].mode: 'bulk' is not one of ['run', 'batch']",
        "<scenario>: token: '' should be non-empty",
    ]


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yml"
    bad_yaml.write_text("campaigns:\n  - name: a\n   duration: [1\n")
    with pytest.raises(UsageError, match=rf"^{bad_yaml}:3:\d+: invalid YAML: "):
        load_scenario(bad_yaml)
    invalid = tmp_path / "invalid.yml"
    invalid.write_text("campaigns:\n  - name: a\n    duration: fast\n")
    with pytest.raises(UsageError) as caught:
        load_scenario(invalid)
    assert str(caught.value) == f"{invalid}: campaigns[0].duration: 'fast' is not of type 'number'"
    listed = tmp_path / "list.yml"
    listed.write_text("- name: a\n")
    with pytest.raises(UsageError) as caught:
        load_scenario(listed)
    assert str(caught.value) == f"{listed}: a scenario must be a mapping with a `campaigns` list"
    with pytest.raises(UsageError, match=r"missing\.yml: cannot read scenario file"):
        load_scenario(tmp_path / "missing.yml")


def test_on_is_a_key_not_a_boolean_in_scenario_files(tmp_path: Path) -> None:
    path = tmp_path / "on.yml"
    path.write_text(
        "campaigns: [{name: a}]\n"
        "faults:\n"
        "  - on: poll\n"
        "    kind: wrong_types\n"
        "    fields: [status]\n"
        "    value: yes\n"
        "  - {on: create, kind: reset, processed: true}\n"
    )
    faults = load_scenario(path).faults
    assert [(f.on, f.kind) for f in faults] == [("poll", "wrong_types"), ("create", "reset")]
    assert faults[0].value == "yes" and faults[1].processed is True
