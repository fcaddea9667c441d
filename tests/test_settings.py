"""settings: each setting resolved once (CLI, environment, policy, default), with its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate_runner.config import load_policy
from gate_runner.errors import PolicyError, UsageError
from gate_runner.settings import (
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_VERDICT_PATH,
    CommandLine,
    Setting,
    resolve,
    resolve_gate,
)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "sepurux.yml"
    path.write_text(
        "version: 1\napi:\n  base_url: https://policy.example/api\ncampaigns:\n  c: {}\n",
        encoding="utf-8",
    )
    return path


def test_defaults_when_nothing_is_given() -> None:
    settings = resolve(CommandLine(), {})
    assert settings.verdict_path == Setting(DEFAULT_VERDICT_PATH, "default", "default")
    assert settings.request_timeout == Setting(DEFAULT_REQUEST_TIMEOUT, "default", "default")
    assert settings.soft_exit_code.value == 0
    assert settings.enforcement.value is None


def test_flags_and_environment_win_and_say_so() -> None:
    settings = resolve(
        CommandLine(enforcement="soft", soft_exit_code=42, verdict_path=Path("v.json")),
        {"GATE_RUNNER_REQUEST_TIMEOUT": "2.5"},
    )
    assert settings.verdict_path == Setting(Path("v.json"), "cli", "--verdict")
    assert settings.request_timeout == Setting(2.5, "env", "GATE_RUNNER_REQUEST_TIMEOUT")
    assert settings.enforcement == Setting("soft", "cli", "--enforcement")
    assert settings.soft_exit_code == Setting(42, "cli", "--soft-exit-code")


def test_base_url_order(policy_file: Path) -> None:
    policy = load_policy(policy_file)
    env = {"SEPURUX_API_BASE_URL": "http://env.example"}
    cli = resolve_gate(CommandLine(api_url="http://cli.example"), env, policy)
    assert cli.base_url == Setting("http://cli.example", "cli", "--api-url")
    from_env = resolve_gate(CommandLine(), env, policy)
    assert from_env.base_url == Setting("http://env.example", "env", "SEPURUX_API_BASE_URL")
    trusted = {"GATE_RUNNER_TRUSTED_ORIGINS": "https://policy.example"}
    from_policy = resolve_gate(CommandLine(), trusted, policy)
    assert from_policy.base_url.value == "https://policy.example/api"
    assert from_policy.base_url.source == "policy"
    assert from_policy.base_url.origin.startswith("api.base_url in ")


def test_a_policy_origin_the_ci_does_not_trust_is_an_error_at_its_line(
    policy_file: Path,
) -> None:
    policy = load_policy(policy_file)
    with pytest.raises(PolicyError) as raised:
        resolve_gate(
            CommandLine(), {"GATE_RUNNER_TRUSTED_ORIGINS": "https://other.example"}, policy
        )
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.line, diagnostic.col) == (3, 13)
    assert diagnostic.message.startswith("api.base_url names https://policy.example:443, an ")


def test_gate_timeout_order(policy_file: Path) -> None:
    policy = load_policy(policy_file)
    trusted = {"GATE_RUNNER_TRUSTED_ORIGINS": "https://policy.example:443/any/path"}
    assert resolve_gate(CommandLine(timeout=7), trusted, policy).timeout == Setting(
        7.0, "cli", "--timeout"
    )
    # Not in the file: the schema's default, said to be one.
    fallback = resolve_gate(CommandLine(), trusted, policy).timeout
    assert fallback.source == "default"
    assert fallback.value == policy.gate.timeout


@pytest.mark.parametrize(
    ("cli", "env", "message"),
    [
        (CommandLine(timeout=0), {}, "--timeout must be a positive number of seconds, not 0"),
        (CommandLine(soft_exit_code=3), {}, "--soft-exit-code 3 is not allowed"),
        (CommandLine(soft_exit_code=126), {}, "--soft-exit-code 126 is not allowed"),
        (CommandLine(), {"GATE_RUNNER_REQUEST_TIMEOUT": "nan"}, "GATE_RUNNER_REQUEST_TIMEOUT"),
        (
            CommandLine(),
            {"GATE_RUNNER_REQUEST_TIMEOUT": "soon"},
            "^GATE_RUNNER_REQUEST_TIMEOUT must be a positive number of seconds, not 'soon'$",
        ),
    ],
)
def test_bad_values_are_usage_errors(cli: CommandLine, env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolve(cli, env)
