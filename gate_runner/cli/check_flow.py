"""The `check` command's flow: plan, start the sandbox if asked, run the gate, write everything."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from gate_runner.cli.dry_run import print_plan
from gate_runner.errors import ExitCode, PolicyError, ServiceError, UsageError
from gate_runner.settings import CommandLine, resolve, resolve_gate
from gate_runner.verdict import RunError, Verdict, read_baseline, write_atomically

if TYPE_CHECKING:
    from gate_runner.governance.check_gate import GovernedGate
    from gate_runner.policy import Mode, Policy
    from gate_runner.report import ReportSpec
    from gate_runner.verdict import CIContext


@dataclass(frozen=True)
class CheckRequest:
    config: Path
    campaigns: tuple[str, ...]
    enforcement: Mode | None
    timeout: float | None
    api_url: str | None
    verdict_path: Path
    reports: tuple[str, ...]
    soft_exit_code: int
    dry_run: bool
    fresh: bool
    baseline: Path | None
    sandbox: Path | None
    comment: bool
    policy_ref: str | None = None  # check --policy-ref REF|auto (docs/governance.md)
    store: str | None = None  # --store DIR|git-notes, where --baseline auto looks


def run_check(request: CheckRequest) -> int:
    from gate_runner.ci import detect
    from gate_runner.runner import GateClock, GateOptions, mark_interrupted, select_campaigns

    clock = GateClock()
    specs = report_specs(request.reports)
    command_line = CommandLine(
        api_url=request.api_url,
        timeout=request.timeout,
        enforcement=request.enforcement,
        soft_exit_code=request.soft_exit_code,
        verdict_path=request.verdict_path,
    )
    settings = resolve(command_line, os.environ)
    request_timeout = settings.request_timeout.value
    if request.sandbox and request.api_url:
        raise UsageError("--sandbox starts its own API; leave out --api-url")
    env = os.environ
    ci = detect(env)
    governed = _govern_or_verdict(request, ci, clock, specs)
    if isinstance(governed, int):
        return governed  # the ref could not be read: its verdict is written, exit 2
    policy = governed.policy
    select_campaigns(policy, request.campaigns)  # an unknown key is a usage error before any call
    baseline_auto = str(request.baseline) == "auto"
    options = GateOptions(
        campaign_keys=request.campaigns,
        enforcement=settings.enforcement.value,
        timeout=request.timeout,  # the runner resolves it with the policy (settings.gate_timeout)
        soft_exit_code=settings.soft_exit_code.value,
        fresh=request.fresh,
        baseline=(
            governed.baseline_payloads()
            if baseline_auto
            else read_baseline(request.baseline)
            if request.baseline is not None
            else {}
        ),
    )
    gate = resolve_gate(command_line, env, policy)
    if request.dry_run:
        print_plan(policy, options, ci, gate.base_url)
        return int(ExitCode.OK)
    with ExitStack() as stack:
        base_url = gate.base_url.value
        env_token = env.get(policy.api.token_env) or None
        token = env_token
        if request.sandbox is not None:
            sandbox = stack.enter_context(_sandbox(request.sandbox))
            base_url, token = sandbox.url, sandbox.token
            typer.echo(f"gate-runner: sandbox from {request.sandbox} at {sandbox.url}", err=True)
        # The CI's token stays a secret even when --sandbox talks with another one, and
        # so do the forge tokens --comment uses.
        forge = _forge_tokens(env) if request.comment else []
        secrets = tuple(dict.fromkeys(t for t in (token, env_token, *forge) if t))
        # Before anything else is printed, so the runner hides the token everywhere.
        print_masks(secrets)
        cancel = stack.enter_context(_cancel_on_signals())
        verdict = _run(
            policy,
            options,
            base_url,
            token,
            ci=ci,
            clock=clock,
            cancel=cancel,
            request_timeout=request_timeout,
        )
        verdict = _governed(verdict, governed, options, ci)
        if cancel.is_set() and not verdict.interrupted:
            # Cancelled after the last decision: the verdict is whole, but CI asked us to stop.
            verdict = mark_interrupted(verdict, soft_exit_code=request.soft_exit_code)
        code = finish(
            verdict,
            request.verdict_path,
            specs,
            secrets=secrets,
            comment=request.comment,
            cancel=cancel,
            masks_printed=True,
        )
        if cancel.is_set() and not verdict.interrupted:
            # The signal came while reporting: the files must not say the job ran to its end.
            interrupted = mark_interrupted(verdict, soft_exit_code=request.soft_exit_code)
            _rewrite_files(interrupted, request.verdict_path, specs, secrets)
        return int(ExitCode.INTERRUPTED) if cancel.is_set() else code


def _govern_or_verdict(
    request: CheckRequest, ci: CIContext, clock: Any, specs: Sequence[ReportSpec]
) -> GovernedGate | int:
    """The policy that judges (--policy-ref), the waiver rules, the baseline (--baseline auto).

    A ref that cannot be read is exit 2 with the one fix named, and still a verdict file
    (judged by nothing, so it says why); it never falls back to the working tree.
    """
    from gate_runner.config import load_policy
    from gate_runner.governance.check_gate import GovernanceRequest, prepare

    governance = GovernanceRequest(
        policy_ref=request.policy_ref,
        baseline_auto=str(request.baseline) == "auto",
        store=request.store,
    )
    try:
        return prepare(
            request.config, governance, load=load_policy, env=os.environ, today=date.today()
        )
    except PolicyError:
        raise
    except UsageError as error:
        if request.policy_ref is None:
            raise
        from gate_runner.runner import GateOptions, assemble

        typer.echo(f"gate-runner: error: {error}", err=True)
        policy = load_policy(request.config)  # only to name the policy in the verdict
        verdict = assemble(
            policy, [], GateOptions(), ci=ci, clock=clock, interrupted=False, today=date.today()
        )
        message = f"--policy-ref {request.policy_ref}: {error}"
        verdict = replace(
            verdict,
            outcome="error",
            blocking=True,
            exit_code=int(ExitCode.USAGE),
            summary=message,
            error=RunError("usage", message),
        )
        return finish(verdict, request.verdict_path, specs, secrets=(), comment=False)


def _governed(verdict: Verdict, governed: GovernedGate, options: Any, ci: CIContext) -> Verdict:
    from gate_runner.governance.check_gate import govern
    from gate_runner.runner import evaluate_payloads

    today = date.today()

    def rejudge(policy: Policy, key: str, payload: dict[str, Any]) -> Any:
        one = replace(options, campaign_keys=(key,))
        return evaluate_payloads(policy, {key: payload}, one, ci=ci, today=today).campaigns[0]

    return govern(
        verdict,
        governed,
        rejudge=rejudge,
        baseline=options.baseline,
        soft_exit_code=options.soft_exit_code,
    )


def _run(
    policy: Policy,
    options: Any,
    base_url: str,
    token: str | None,
    *,
    ci: CIContext,
    clock: Any,
    cancel: threading.Event,
    request_timeout: float,
) -> Verdict:
    from gate_runner.cli.progress import Progress
    from gate_runner.runner import gate_error_verdict, run_gate, select_campaigns

    today = date.today()
    try:
        if token is None:
            raise ServiceError(
                "auth",
                f"no API token: the variable {policy.api.token_env} is not set "
                f"(api.token_env in {policy.path}); set it in the CI secrets",
            )
        from gate_runner.api import SepuruxClient

        client = SepuruxClient(
            base_url,
            token,
            token_env=policy.api.token_env,
            auth_header=policy.api.auth_header,
            project=policy.api.project,
            request_timeout=request_timeout,
        )
    except ServiceError as error:
        return gate_error_verdict(policy, error, options, ci=ci, today=today, clock=clock)
    total = len(select_campaigns(policy, options.campaign_keys))
    try:
        with Progress(sys.stderr, live=sys.stderr.isatty(), total=total) as progress:
            return run_gate(
                policy,
                options,
                client,
                ci=ci,
                today=today,
                clock=clock,
                on_event=progress.on_event,
                cancel=cancel,
            )
    finally:
        client.close()


def finish(
    verdict: Verdict,
    verdict_path: Path,
    specs: Sequence[ReportSpec],
    *,
    secrets: Sequence[str],
    comment: bool,
    cancel: threading.Event | None = None,
    masks_printed: bool = False,
) -> int:
    """Write the verdict and every report, print the summary, post the comment; the exit code."""
    from gate_runner.report import REPORTERS, write_reports
    from gate_runner.report.output import scrub

    if not masks_printed:
        print_masks(secrets)
    try:
        write_atomically(verdict_path, scrub(verdict.to_json(), secrets))
    except OSError as error:
        raise UsageError(f"cannot write the verdict to {verdict_path}: {error.strerror}") from None
    to_stdout = any(s.destination == "-" and s.format != "github" for s in specs)
    summary = scrub(REPORTERS["text"].render(verdict), secrets)
    if not any(s.format == "text" for s in specs):
        typer.echo(summary, nl=False, err=to_stdout)
    warnings = write_reports(
        verdict,
        specs,
        env=os.environ,
        stdout=sys.stdout,
        secrets=secrets,
        verdict_path=str(verdict_path),
        masks_printed=True,
    )
    if comment:
        warnings += _comment(verdict, secrets, cancel)
    for warning in warnings:
        typer.echo(f"gate-runner: warning: {scrub(warning, secrets)}", err=True)
    typer.echo(f"gate-runner: verdict written to {verdict_path}", err=True)
    return verdict.exit_code


def _forge_tokens(env: Mapping[str, str]) -> list[str]:
    from gate_runner.ci import forge_tokens

    return forge_tokens(env)


def print_masks(secrets: Sequence[str]) -> None:
    """On GitHub Actions, `::add-mask::` each secret (escaped, each line) before any output."""
    from gate_runner.report.github import mask_commands

    if os.environ.get("GITHUB_ACTIONS") == "true" and secrets:
        sys.stdout.write(mask_commands(secrets))
        sys.stdout.flush()


def report_specs(texts: Sequence[str]) -> list[ReportSpec]:
    from gate_runner.report import parse_report_spec

    return [parse_report_spec(text) for text in texts]


def _comment(verdict: Verdict, secrets: Sequence[str], cancel: threading.Event | None) -> list[str]:
    from gate_runner.api.scheduler import call_cancellable
    from gate_runner.ci import post_sticky_comment
    from gate_runner.report import REPORTERS
    from gate_runner.report.output import scrub

    body = scrub(REPORTERS["markdown"].render(verdict), secrets)

    def post() -> str | None:
        return post_sticky_comment(verdict, verdict.ci, os.environ, body=body)

    if cancel is None:
        warning = post()
    else:
        try:
            # A slow forge must not hold a cancelled job past CI's grace period.
            warning = call_cancellable(post, cancel, message="interrupted")
        except ServiceError:
            warning = "comment not posted: interrupted"
    return [warning] if warning else []


def _rewrite_files(
    verdict: Verdict, verdict_path: Path, specs: Sequence[ReportSpec], secrets: Sequence[str]
) -> None:
    """The verdict and the file reports again, now interrupted; stdout is not repeated."""
    from gate_runner.report import write_reports
    from gate_runner.report.output import scrub

    try:
        write_atomically(verdict_path, scrub(verdict.to_json(), secrets))
    except OSError:
        return  # the copy written a moment ago stands
    files = [s for s in specs if s.format != "github" and s.destination != "-"]
    write_reports(verdict, files, env={}, stdout=sys.stdout, secrets=secrets)


@contextmanager
def _sandbox(scenario_path: Path) -> Iterator[Any]:
    from gate_runner.sandbox import Sandbox, load_scenario

    with Sandbox(load_scenario(scenario_path), host="127.0.0.1", port=0) as sandbox:
        yield sandbox


@contextmanager
def _cancel_on_signals() -> Iterator[threading.Event]:
    """SIGINT/SIGTERM set an event the scheduler watches, so the verdict is still written."""
    cancel = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield cancel
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt  # a second signal: stop now
        cancel.set()
        name = signal.Signals(signum).name
        sys.stderr.write(f"gate-runner: {name} received; stopping and writing the verdict\n")

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield cancel
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
