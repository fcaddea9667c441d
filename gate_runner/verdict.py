"""The verdict model: one document that every report is rendered from, and its JSON form."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar

from gate_runner.errors import ServiceErrorKind
from gate_runner.statistics.budget import Budget, Spend

# What the service answers for one finished run: the data every check reads.
DecisionPayload = dict[str, Any]


# inconclusive: repeated runs could not show a bar met or missed at the policy's confidence.
Outcome = Literal["pass", "fail", "warn", "error", "inconclusive"]
Mode = Literal["observe", "soft", "hard"]
CheckStatus = Literal["pass", "fail", "warn", "error", "inconclusive", "waived"]
OnInconclusive = Literal["fail", "warn", "pass"]
# policy: a loosening policy change under review or blocked (check --policy-ref);
# failures: failing tools classed new/existing against the baseline (--baseline auto).
CheckKind = Literal["decision", "threshold", "assertion", "run", "policy", "failures"]
RunStatus = Literal["done", "error", "timeout", "cancelled", "pending", "skipped"]
# A gate-wide error may also be a usage error (a policy that could not be used).
# "policy": the policy could not be loaded (a verdict is still written, exit 2);
# "policy_fetch": a remote file of it could not be fetched, nothing cached (exit 3).
RunErrorKind = ServiceErrorKind | Literal["usage", "policy", "policy_fetch"]

SCHEMA_VERSION = 1
GOVERNANCE_FIELDS = ("policy_changes", "baseline", "waivers")
BUDGET_FIELDS = ("budget", "spent")
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "warn", "error", "inconclusive")

Model = TypeVar("Model")


def with_changes(model: Model, **changes: Any) -> Model:
    """dataclasses.replace for this module's frozen models, which have no __post_init__:
    a copy of the instance's fields with `changes` set, without running __init__."""
    # replace() rebuilds every field through the frozen __init__ (an object.__setattr__ each):
    # ~3 µs for a Check, and a replay judges millions of checks (issue 22); this is ~0.7 µs.
    fields = model.__dict__
    if not changes.keys() <= fields.keys():
        unknown = ", ".join(sorted(changes.keys() - fields.keys()))
        raise TypeError(f"{type(model).__name__} has no field {unknown}")
    copy = object.__new__(type(model))
    copy.__dict__.update(fields, **changes)
    return copy


@dataclass(frozen=True)
class Location:
    """A place in a policy file (path relative to the working directory, or a URL)."""

    path: str
    line: int
    column: int = 1


@dataclass(frozen=True)
class WaiverNote:
    until: str  # ISO date
    reason: str
    expired: bool
    location: Location | None = None


@dataclass(frozen=True)
class JudgedBar:
    """One bar a staged threshold was judged against (its own, or a looser one it tightened)."""

    expected: Any
    status: CheckStatus
    mode: Mode
    mode_from: str
    location: Location | None = None


@dataclass(frozen=True)
class Check:
    """One check of one campaign, with what was expected and what was seen."""

    id: str  # "decision", "threshold:min_pass_rate", "assertion:refund-tool-stable", "run"
    kind: CheckKind
    name: str
    status: CheckStatus
    level: Literal["error", "warn"]
    message: str  # one line a human reads
    expected: Any = None
    actual: Any = None
    location: Location | None = None
    waiver: WaiverNote | None = None
    # The mode this check was judged at, and where it came from ("sepurux.yml:12:7 rule
    # schedule", "--enforcement"); None only where no policy judged (a hand-built check).
    mode: Mode | None = None
    mode_from: str | None = None
    # A tightened, staged threshold: every bar it was judged against; the stricter won.
    bars: tuple[JudgedBar, ...] = ()


@dataclass(frozen=True)
class Enforcement:
    """The mode in force and why: source is cli, campaign, schedule, policy, default, or rule
    (a staged rule's own mode governs the campaign's result)."""

    mode: Mode
    source: Literal["cli", "campaign", "schedule", "policy", "default", "rule"]
    reason: str
    location: Location | None = None


@dataclass(frozen=True)
class Problem:
    """One problem in a policy that could not be used, at its place in the file."""

    message: str
    location: Location


@dataclass(frozen=True)
class RunError:
    """Why no decision was reached: kind as in errors.ServiceError, and the human line."""

    kind: RunErrorKind
    message: str
    # kind "policy": each diagnostic at its line, so every report can point at it.
    diagnostics: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class FailingTool:
    """A tool in `top_failing_tools`, new or already failing in the baseline's same campaign."""

    tool: str
    count: int | None  # as the payload gave it
    status: Literal["new", "existing"]
    baseline_count: int | None = None  # an existing failure: how often it failed then


@dataclass(frozen=True)
class RunRecord:
    """One run of a campaign, judged alone on its own numbers (issue #12)."""

    run_id: str | None
    dashboard_url: str | None
    status: RunStatus
    outcome: Outcome
    metrics: dict[str, Any]  # the run's own values of what the thresholds read, and `trials`
    duration_s: float | None = None
    payload: DecisionPayload | None = None  # kept so `evaluate` can re-judge the runs


@dataclass(frozen=True)
class Aggregate:
    """How a campaign's runs became one judgement: the method, the rule, the interval."""

    method: str  # median, worst, best, mean, pooled
    rule: str  # run-rates-t, effective-counts, pooled-wilson(-sprt), point, interval, ... (plan.py)
    runs: int
    stopped: Literal["decided", "budget", "deadline", "planned"]
    metrics: dict[str, Any]  # metric -> its aggregate
    pooled: dict[str, int] | None = None  # {"successes", "trials"} of a counted rate
    interval: dict[str, Any] | None = None  # {"low", "high", "confidence", "method", "basis"}
    on_inconclusive: OnInconclusive = "fail"
    effective_attempts: float | None = None  # the attempts the rule counted (N/DE for a rate)
    # The flaky test: {test, flaky, chi2, df, p_value, icc, reason} (statistics.variability).
    variability: dict[str, Any] | None = None


@dataclass(frozen=True)
class Reused:
    """Where a reused campaign result came from (gate.reuse, issue 21): no run was started."""

    commit: str  # the commit whose check filed it
    age: int  # seconds between its filing and this check
    key: str  # the reuse key it was filed under (sha256 hex)
    filed_at: str  # ISO 8601 UTC
    branch: str | None = None
    ci_run: str | None = None  # the CI run that filed it (its build URL)


@dataclass(frozen=True)
class CampaignResult:
    key: str
    campaign: str
    campaign_id: str | None
    run_id: str | None
    dashboard_url: str | None
    status: RunStatus
    outcome: Outcome
    blocking: bool
    enforcement: Enforcement
    checks: tuple[Check, ...]
    payload: DecisionPayload | None
    error: RunError | None = None
    # "pass" when the policy's on_error/on_timeout turned this error into a non-blocking result.
    error_policy: Literal["fail", "pass"] | None = None
    duration_s: float | None = None
    location: Location | None = None
    baseline_run_id: str | None = None
    # Classed against the baseline; None when either side has no top_failing_tools list.
    failures: tuple[FailingTool, ...] | None = None
    # The baseline's pass rate for this campaign (--baseline), so pictures need no other file.
    baseline_pass_rate: float | None = None
    # Issue #12: every run (the last one's id and link are also run_id/dashboard_url above).
    runs: tuple[RunRecord, ...] = ()
    aggregate: Aggregate | None = None
    flaky: bool = False  # the runs vary more than chance allows (False when not tested)
    spread: str | None = None  # "2 of 3 runs passed on their own, 1 failed; pass_rate 0.8–0.9"
    # What on_inconclusive made of an inconclusive outcome (blocking follows it).
    inconclusive_policy: OnInconclusive | None = None
    reused: Reused | None = None  # judged from a stored result instead of new runs
    # Issue 21: the runs, trials and money this campaign spent, when the policy sets gate.budget.
    spent: Spend | None = None
    # statistics.icc: auto (issue 22): {source, used, estimate, commits, runs, df, reason}
    icc: dict[str, Any] | None = None


@dataclass(frozen=True)
class MergeQueue:
    """A merge queue's entry (issue 21): GitHub's merge group or GitLab's merge train.

    The commit judged (CIContext.commit) is the entry's head, where the queue's required
    checks look; `pull_requests` are the ones the CI names for it.
    """

    kind: Literal["merge_group", "merge_train"]
    head_sha: str | None
    base_sha: str | None = None
    base_ref: str | None = None
    head_ref: str | None = None
    pull_requests: tuple[int, ...] = ()


@dataclass(frozen=True)
class CIContext:
    vendor: str  # github, gitlab, circleci, jenkins, buildkite, azure, bitbucket, generic, local
    repository: str | None = None
    commit: str | None = None
    branch: str | None = None
    pull_request: int | None = None
    build_url: str | None = None
    merge_queue: MergeQueue | None = None  # a merge group or merge train's entry


@dataclass(frozen=True)
class PolicyInfo:
    path: str
    digest: str
    sources: tuple[dict[str, str], ...]  # {"location", "sha256"}
    on_error: Literal["fail", "pass"]
    on_timeout: Literal["fail", "pass"]
    # What `replay` rebuilds the policy from: {kind, source, pin?, text?} in merge order
    # (policy.RecordedFile). Empty for a policy that was not loaded, and in verdicts before it.
    files: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class PolicyPart:
    """One policy of a monorepo check (`--config` repeated, `--discover`), judged on its own."""

    path: str
    digest: str
    prefix: str | None  # put before its campaign keys ("services/api/core"); None: kept as is
    campaigns: tuple[str, ...]  # its campaign keys as this verdict names them
    outcome: Outcome
    blocking: bool
    exit_code: int
    summary: str
    files: tuple[dict[str, str], ...] = ()  # as PolicyInfo.files, for this policy


@dataclass(frozen=True)
class Timings:
    started_at: str  # ISO 8601 UTC
    finished_at: str
    duration_s: float


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    blocking: bool
    exit_code: int
    summary: str
    enforcement: Enforcement  # the gate-wide mode; campaigns may override
    policy: PolicyInfo
    ci: CIContext
    timings: Timings
    campaigns: tuple[CampaignResult, ...]
    interrupted: bool = False
    error: RunError | None = None  # a gate-wide error (e.g. the campaign list could not be read)
    notes: tuple[str, ...] = field(default=())  # expired waivers and other things a user should see
    # Governance (docs/governance.md), each None when not asked for: the base policy's
    # verdict on a policy change (check --policy-ref), the baseline found (--baseline auto)
    # and the waivers in force under the policy's waiver rules.
    policy_changes: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    waivers: dict[str, Any] | None = None
    tool: dict[str, str] = field(default_factory=lambda: {"name": "gate-runner", "version": ""})
    schema_version: int = SCHEMA_VERSION
    # Filled only when several policies were merged into this verdict (gate_runner.monorepo).
    policies: tuple[PolicyPart, ...] = field(default=())
    # Issue 21: the gate's gate.budget and what all its campaigns spent (None: no budget set).
    budget: Budget | None = None
    spent: Spend | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(asdict(self))
        # Governance fields appear only when asked for, so other verdicts keep their shape.
        for name in GOVERNANCE_FIELDS:
            if data.get(name) is None:
                data.pop(name, None)
        for name in BUDGET_FIELDS:
            if data.get(name) is None:
                data.pop(name, None)
        for campaign in data["campaigns"]:
            for check in campaign["checks"]:
                if not check["bars"]:
                    del check["bars"]  # only a threshold judged against several bars has them
                if check["mode"] is None:  # a verdict no policy judged keeps its older shape
                    del check["mode"], check["mode_from"]
            # only a gate with a budget says what it spent; icc only under icc: auto
            for optional in ("failures", "reused", "spent", "icc"):
                if campaign.get(optional) is None:
                    campaign.pop(optional, None)
            _drop_empty_diagnostics(campaign.get("error"))
        _drop_empty_diagnostics(data.get("error"))
        if data["ci"].get("merge_queue") is None:
            data["ci"].pop("merge_queue", None)  # other verdicts keep their shape
        if not data["policies"]:
            del data["policies"]  # a one-policy verdict reads as it always did
        if not data["policy"]["files"]:
            del data["policy"]["files"]  # no policy was loaded, or several (each part's own)
        return data

    def to_json(self) -> str:
        return (
            json.dumps(
                self.to_dict(), indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False
            )
            + "\n"
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        # A payload may hold NaN or Infinity (Python's json reads them); JSON has no such
        # numbers, so the verdict keeps them as the strings a reader would recognise.
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _drop_empty_diagnostics(error: dict[str, Any] | None) -> None:
    """Only a policy error lists diagnostics: every other error keeps its two fields."""
    if error is not None and not error.get("diagnostics"):
        error.pop("diagnostics", None)
