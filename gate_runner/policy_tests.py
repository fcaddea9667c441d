"""Policy tests: saved payloads and the outcome each must give, run like unit tests for a policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner import untrusted_json
from gate_runner.errors import GateRunnerError, UsageError
from gate_runner.policy import Policy
from gate_runner.runner import GateOptions, evaluate_payloads
from gate_runner.verdict import CIContext

# Cases are YAML; JSON files beside them are the payloads they name with `payload_file`.
CASE_SUFFIXES = (".yml", ".yaml")
_CASE_KEYS = {
    "description",
    "policy",
    "campaign",
    "payload",
    "payloads",  # several runs of the campaign, in the order they ran (issue #12)
    "payload_file",
    "today",
    "enforcement",
    "expect",
}
_EXPECT_KEYS = {"outcome", "failing_checks", "exit_code", "blocking", "flaky"}


@dataclass(frozen=True)
class CaseResult:
    path: Path
    passed: bool
    problems: tuple[str, ...]


def find_cases(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such directory of policy tests")
    return sorted(p for p in directory.rglob("*") if p.suffix in CASE_SUFFIXES and p.is_file())


def run_case(path: Path, default_policy: Path, load: Callable[[Path], Policy]) -> CaseResult:
    """Evaluate one case; a broken case file is a UsageError, a wrong outcome a failed result."""
    case = _read_case(path)
    policy_path = (path.parent / case["policy"]).resolve() if "policy" in case else default_policy
    policy = _with_campaign(load(policy_path), case.get("campaign"))
    key = case.get("campaign") or _only_campaign(policy, path)
    payload = case.get("payload")
    if "payload_file" in case:
        payload = _read_payload_file(path, path.parent / case["payload_file"])
    saved: dict[str, Any] | list[dict[str, Any]]
    runs = case.get("payloads")
    if runs is not None:
        if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) for r in runs):
            raise UsageError(f"{path}: `payloads` must be a non-empty list of JSON objects")
        saved = runs
    elif isinstance(payload, dict):
        saved = payload
    else:
        raise UsageError(f"{path}: `payload` (or `payload_file`) must be a JSON object")
    today = _date(case.get("today"), path)
    options = GateOptions(campaign_keys=(key,), enforcement=case.get("enforcement"))
    try:
        verdict = evaluate_payloads(
            policy, {key: saved}, options, ci=CIContext("local"), today=today
        )
    except GateRunnerError as error:
        raise UsageError(f"{path}: {error}") from None
    result = verdict.campaigns[0]
    expect = case["expect"]
    problems: list[str] = []
    if "outcome" in expect and result.outcome != expect["outcome"]:
        problems.append(f"expected outcome {expect['outcome']}, got {result.outcome}")
    if "failing_checks" in expect:
        failing = sorted(
            c.id for c in result.checks if c.status in ("fail", "warn", "error", "inconclusive")
        )
        if failing != sorted(expect["failing_checks"]):
            problems.append(
                f"expected failing checks {sorted(expect['failing_checks'])}, got {failing}"
            )
    if "exit_code" in expect and verdict.exit_code != expect["exit_code"]:
        problems.append(f"expected exit code {expect['exit_code']}, got {verdict.exit_code}")
    if "flaky" in expect and result.flaky != expect["flaky"]:
        problems.append(f"expected flaky {expect['flaky']}, got {result.flaky}")
    if "blocking" in expect and verdict.blocking != expect["blocking"]:
        problems.append(f"expected blocking {expect['blocking']}, got {verdict.blocking}")
    return CaseResult(path, not problems, tuple(problems))


def _read_payload_file(case: Path, path: Path) -> Any:
    try:
        return untrusted_json.load_file(path)
    except OSError as error:
        raise UsageError(f"{case}: cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UsageError(f"{case}: {path}: {error}") from None


def _read_case(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: cannot read the case: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("expect"), dict):
        raise UsageError(f"{path}: a case is a mapping with an `expect` mapping")
    unknown = sorted(set(data) - _CASE_KEYS) + sorted(set(data["expect"]) - _EXPECT_KEYS)
    if unknown:
        raise UsageError(f"{path}: unknown key(s) {', '.join(unknown)}")
    return data


def _with_campaign(policy: Policy, key: str | None) -> Policy:
    """A central policy with no campaigns: test its defaults as a campaign named by the case."""
    if policy.campaigns:
        return policy
    campaign = policy.defaults_campaign(key or "default")
    return replace(policy, campaigns=(campaign,))


def _only_campaign(policy: Policy, path: Path) -> str:
    if len(policy.campaigns) != 1:
        keys = ", ".join(c.key for c in policy.campaigns)
        raise UsageError(
            f"{path}: the policy has several campaigns ({keys}); name one with `campaign`"
        )
    return policy.campaigns[0].key


def _date(value: Any, path: Path) -> date:
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{path}: `today` must be a date like 2026-12-01") from None
