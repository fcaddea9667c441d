"""`check`'s request and its preparation: the policies, governance, the baseline, a plan each.

Nothing here calls the API: an unknown --campaign, an unreadable --baseline or two flags that
cannot go together are usage errors before any run (use_case.check runs the plans).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gate_runner.errors import UsageError
from gate_runner.forges.publish import read_approvals
from gate_runner.governance.check_gate import GovernanceRequest, GovernedGate, prepare
from gate_runner.governance.ref.discover_ref import discover_with_ref
from gate_runner.monorepo import campaign_prefixes, discover_policies
from gate_runner.monorepo.merge_verdicts import prefixed
from gate_runner.monorepo.select import baseline_for, judged, select_across
from gate_runner.policy import Mode, Policy
from gate_runner.runner import GateOptions
from gate_runner.saved_payloads import read_baseline, read_baseline_runs, saved_runs
from gate_runner.settings import CommandLine, GateSettings, Setting, Settings, resolve
from gate_runner.verdict import DecisionPayload

DEFAULT_CONFIG = Path("sepurux.yml")


@dataclass(frozen=True)
class CheckRequest:
    """What `check` is asked, parsed: no output path, report or forge (the caller delivers)."""

    configs: tuple[Path, ...] = ()  # each --config; none: sepurux.yml
    discover: bool = False
    campaigns: tuple[str, ...] = ()
    enforcement: Mode | None = None
    timeout: float | None = None
    api_url: str | None = None
    soft_exit_code: int = 0
    fresh: bool = False
    baseline: Path | None = None  # a verdict file, or `auto` (found in `store`)
    sandbox: Path | None = None  # a scenario file: run against a local sandbox
    policy_ref: str | None = None  # --policy-ref REF|auto (docs/governance.md)
    store: str | None = None  # --store DIR|git-notes, where --baseline auto looks
    dry_run: bool = False  # plan only: no sandbox, no call
    floors: tuple[str, ...] = ()  # --floor and GATE_RUNNER_FLOOR (settings.floor_policies)

    @property
    def config(self) -> Path:
        """The first policy (the one a verdict without policy names)."""
        return self.configs[0] if self.configs else DEFAULT_CONFIG

    @property
    def baseline_auto(self) -> bool:
        return self.baseline is not None and str(self.baseline) == "auto"

    def command_line(self) -> CommandLine:
        return CommandLine(
            api_url=self.api_url,
            timeout=self.timeout,
            enforcement=self.enforcement,
            soft_exit_code=self.soft_exit_code,
            sandbox=self.sandbox is not None,
        )


@dataclass(frozen=True)
class PolicyPlan:
    """One policy's runs: the options the runner gets, the API, and the keys it judges."""

    policy: Policy
    prefix: str | None
    options: GateOptions
    base_url: Setting[str]
    governed: GovernedGate
    judged: frozenset[str]  # its campaign keys as the verdict names them
    timeout: float  # the gate's --timeout or gate.timeout, in seconds


def policy_paths(request: CheckRequest, env: Mapping[str, str]) -> list[Path]:
    """The policies to judge: --discover's, else each --config given (once each).

    With --policy-ref, --discover also takes the policies only the ref has: a deleted one.
    """
    if request.discover:
        if request.configs:
            raise UsageError("--discover finds the policies itself; leave out --config")
        if request.policy_ref is not None:
            return discover_with_ref(Path("."), request.policy_ref, env)
        return discover_policies(Path("."))
    return list(dict.fromkeys(request.configs or (request.config,)))


def check_usage(request: CheckRequest, env: Mapping[str, str]) -> Settings:
    """The settings no policy changes; a bad flag, or two that cannot go together, is a
    usage error before anything is read."""
    settings = resolve(request.command_line(), env)
    if request.sandbox and request.api_url:
        raise UsageError("--sandbox starts its own API; leave out --api-url")
    return settings


def plan_policies(
    request: CheckRequest,
    governed: Sequence[GovernedGate],
    gates: Sequence[GateSettings],
    settings: Settings,
) -> tuple[PolicyPlan, ...]:
    """Each policy that runs: its campaigns (--campaign), its part of the baseline, its API
    (`gates`: each one's settings.resolve_gate, in the order of `governed`)."""
    policies = [g.policy for g in governed]
    prefixes = campaign_prefixes([g.policy.path for g in governed])
    # An unknown campaign key is a usage error before any call.
    selected = select_across(policies, prefixes, request.campaigns)
    baseline, baseline_runs = _baseline(request, governed)
    by_policy = {id(g.policy): (g, gate) for g, gate in zip(governed, gates, strict=True)}
    plans = []
    # judged(): each policy --campaign selects anything of, with the keys it runs.
    for policy, prefix, keys in judged(policies, prefixes, selected):
        options = GateOptions(
            campaign_keys=keys,
            enforcement=settings.enforcement.value,
            # The runner resolves the gate timeout with the policy (settings.gate_timeout).
            timeout=request.timeout,
            soft_exit_code=settings.soft_exit_code.value,
            fresh=request.fresh,
            baseline=baseline_for(policy, prefix, baseline),
            baseline_runs=baseline_for(policy, prefix, baseline_runs),
        )
        one, gate = by_policy[id(policy)]
        plans.append(
            PolicyPlan(
                policy,
                prefix,
                options,
                gate.base_url,
                one,
                frozenset(prefixed(prefix, k) for k in keys),
                gate.timeout.value,
            )
        )
    return tuple(plans)


def _baseline(
    request: CheckRequest, governed: Sequence[GovernedGate]
) -> tuple[dict[str, DecisionPayload], Mapping[str, Sequence[DecisionPayload]]]:
    """The baseline verdict's payloads and runs: --baseline FILE, or the one auto found."""
    if request.baseline_auto:
        found = governed[0].baseline
        document = found.verdict if found is not None else None
        usable = document is not None and isinstance(document.get("campaigns"), list)
        runs = saved_runs(document) if usable and document else {}
        return governed[0].baseline_payloads(), runs
    if request.baseline is not None:
        return read_baseline(request.baseline), read_baseline_runs(request.baseline)
    return {}, {}


def prepare_policy(
    request: CheckRequest,
    path: Path,
    env: Mapping[str, str],
    today: date,
    load: Callable[[Path], Policy],
    *,
    first: bool,
) -> GovernedGate:
    """The policy that judges (--policy-ref), the waiver rules, the baseline (--baseline auto).

    A ref that cannot be read raises PolicyRefUnreadable: exit 2 with the one fix named,
    and still a verdict file; it never falls back to the working tree.
    """
    if request.baseline_auto and request.store is None:
        raise UsageError(
            "--baseline auto needs --store DIR, git-notes, sqlite:PATH or postgresql://…"
        )
    governance = GovernanceRequest(
        policy_ref=request.policy_ref,
        baseline_auto=request.baseline_auto and first,
        store=request.store,
        floors=request.floors,
    )
    return prepare(path, governance, load=load, env=env, today=today, approvals=read_approvals)
