"""Delivering a verdict (file, reports, comment, summary line), shared by `check` and `evaluate`.

Also the verdicts of the phases before a policy exists (invalid, interrupted), so that
every phase leaves a verdict and the reports a workflow uploads.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from gate_runner import __version__
from gate_runner.api.scheduler import call_cancellable
from gate_runner.channel import Channel
from gate_runner.ci import detect
from gate_runner.cli.common import report_policy_error
from gate_runner.enforce import GateDecision, mark_interrupted, verdict_with
from gate_runner.errors import ExitCode, PolicyError, PolicyFetchError, ServiceError, UsageError
from gate_runner.forges.publish import post_sticky_comment
from gate_runner.policy import Mode, Policy
from gate_runner.report import text as text_report
from gate_runner.report.output import ReportSpec, parse_report_spec, write_reports
from gate_runner.report.registry import REPORTERS
from gate_runner.runner import GateClock, GateOptions, undecided
from gate_runner.safe_text import terminal
from gate_runner.verdict import (
    CIContext,
    Enforcement,
    Location,
    PolicyInfo,
    Problem,
    RunError,
    Verdict,
)
from gate_runner.verdict_json import verdict_from_dict

# The digest of no bytes: the verdict of a policy that was never loaded has nothing to hash.
_NO_POLICY_DIGEST = "sha256:" + hashlib.sha256(b"").hexdigest()


def usable_report_specs(texts: Sequence[str]) -> tuple[list[ReportSpec], UsageError | None]:
    """The --report specs that parse, and the first that does not.

    The bad one is raised once the policy is loaded, so the verdict (and the reports that
    can be written) still exist for a `--report pdf` (docs/exit-codes.md).
    """
    specs: list[ReportSpec] = []
    first: UsageError | None = None
    for text in texts:
        try:
            specs.append(parse_report_spec(text))
        except UsageError as error:
            first = first or error
    return specs, first


def usage_error_verdict(
    policy: Policy,
    error: UsageError,
    *,
    ci: CIContext,
    clock: GateClock,
    enforcement: Mode | None,
    today: date,
) -> Verdict:
    """A usage error found after the policy loaded (an unknown --campaign, --report pdf, an
    unreadable --baseline): nothing was run; the policy and its mode are known; exit 2."""
    judged = undecided(
        policy, [], GateOptions(enforcement=enforcement), ci=ci, clock=clock, today=today
    )
    decision = GateDecision(
        "error", True, int(ExitCode.USAGE), "usage error: nothing was run, no decision"
    )
    usage = replace(judged, error=RunError("usage", str(error)))
    return verdict_with(usage, decision, interrupted=False)


def deliver(
    verdict: Verdict,
    verdict_path: Path,
    specs: Sequence[ReportSpec],
    *,
    channel: Channel,
    env: Mapping[str, str],
    comment: bool = False,
    cancel: threading.Event | None = None,
    forge_deadline: float | None = None,
) -> int:
    """Write the verdict and every report, print the summary, post the comment; the exit code.

    The verdict is scrubbed as data first, so no escape or cut in a reporter can split a
    token; every byte then leaves through the channel, which scrubs it again.
    """
    clean, document = scrubbed(verdict, channel)
    verdict_to_stdout = str(verdict_path) == "-"
    write_verdict(document, verdict_path, channel)
    to_stdout = verdict_to_stdout or any(
        s.destination == "-" and s.format != "github" for s in specs
    )
    if not any(s.format == "text" for s in specs):
        # The diagnostics of an invalid policy are on stderr already: once each.
        text = text_report.render(clean, problems=False)
        if to_stdout:
            channel.err(text)
        else:
            channel.out(text)
    warnings = write_reports(
        clean,
        specs,
        env=env,
        channel=channel,
        verdict_path=str(verdict_path),
        rendered={"json": document},  # the verdict document, serialised once
    )
    if comment:
        warnings += _comment(clean, channel, env, cancel, forge_deadline)
    for warning in warnings:
        channel.warning(warning)
    if not verdict_to_stdout:
        channel.line(f"gate-runner: verdict written to {terminal(verdict_path)}")
    return verdict.exit_code


def write_verdict(document: str, path: Path, channel: Channel) -> None:
    """The verdict file (`-` is stdout); a path we may not write is a usage error (exit 2)."""
    try:
        channel.write_file(path, document, human=False)
    except OSError as error:
        raise UsageError(f"cannot write the verdict to {path}: {error.strerror}") from None


def rewrite_interrupted(
    verdict: Verdict,
    verdict_path: Path,
    specs: Sequence[ReportSpec],
    *,
    channel: Channel,
    soft_exit_code: int,
) -> Verdict:
    """The signal came while reporting: the files are written again, interrupted (not stdout).

    Returns the interrupted verdict (its exit code is the one the job ends with)."""
    interrupted = mark_interrupted(verdict, soft_exit_code=soft_exit_code)
    clean, document = scrubbed(interrupted, channel)
    if str(verdict_path) != "-":
        try:
            channel.write_file(verdict_path, document, human=False)
        except (OSError, UsageError):
            return interrupted  # the copy written a moment ago stands
    files = [s for s in specs if s.format != "github" and s.destination != "-"]
    write_reports(clean, files, env={}, channel=channel, rendered={"json": document})
    return interrupted


def scrubbed(verdict: Verdict, channel: Channel) -> tuple[Verdict, str]:
    """The verdict with no secret left in any field, and its JSON document.

    Scrubbed as data before any reporter runs, so no escape or cut can split a token. The
    document is scrubbed as text (the scrubber knows JSON's escaped forms); only when that
    changed something is the verdict read back from it.
    """
    document = verdict.to_json()
    clean_document = channel.secrets.scrub(document)
    if clean_document == document:
        return verdict, document
    try:
        return verdict_from_dict(json.loads(clean_document)), clean_document
    except ValueError:
        # A secret that spans JSON syntax (a quote inside it): scrub field by field instead.
        clean = verdict_from_dict(channel.secrets.scrub_data(verdict.to_dict()))
        return clean, clean.to_json()


def verdict_without_policy(
    config: Path,
    error: RunError,
    *,
    exit_code: int,
    ci: CIContext,
    clock: GateClock,
    enforcement: Mode | None,
    interrupted: bool = False,
    notes: Sequence[str] = (),
    summary: str | None = None,
) -> Verdict:
    """A verdict for a phase before the policy existed: no campaigns, the reason, the code."""
    mode: Mode = enforcement or "hard"
    summary = summary or (
        "interrupted before the policy was loaded: no decision"
        if interrupted
        else "the policy is invalid: no decision"
    )
    return Verdict(
        outcome="error",
        blocking=True,
        exit_code=exit_code,
        summary=summary,
        enforcement=Enforcement(
            mode=mode,
            source="cli" if enforcement else "default",
            reason="the policy was not loaded, so its mode is unknown; nothing was run",
        ),
        policy=PolicyInfo(
            path=str(config),
            digest=_NO_POLICY_DIGEST,
            sources=(),
            on_error="fail",
            on_timeout="fail",
        ),
        ci=ci,
        timings=clock.timings(),
        campaigns=(),
        interrupted=interrupted,
        error=error,
        notes=tuple(notes),
        tool={"name": "gate-runner", "version": __version__},
    )


def policy_error_verdict(
    config: Path, error: PolicyError, *, ci: CIContext, clock: GateClock, enforcement: Mode | None
) -> Verdict:
    count = len(error.diagnostics)
    problems = tuple(
        Problem(
            # The diagnostic's own words, with the extends chain that led to it.
            str(d).removeprefix(f"{d.file}:{d.line}:{d.col}: "),
            Location(d.file, max(d.line, 1), max(d.col, 1)),
        )
        for d in error.diagnostics
    )
    problem_count = f"{count} problem{'s' if count != 1 else ''}"
    summary = None
    if isinstance(error, PolicyFetchError):
        # A remote file it extends could not be fetched: no decision, the policy may be fine.
        summary = "a remote policy could not be fetched and none is cached: no decision"
        why = RunError(
            "policy_fetch",
            f"{problem_count} fetching what the policy {config} extends; nothing cached",
            problems,
        )
    else:
        why = RunError("policy", f"{problem_count} in the policy {config}", problems)
    return verdict_without_policy(
        config,
        why,
        exit_code=int(error.exit_code),
        summary=summary,
        ci=ci,
        clock=clock,
        enforcement=enforcement,
    )


def deliver_policy_error(
    error: PolicyError,
    config: Path,
    verdict_path: Path,
    specs: Sequence[ReportSpec],
    *,
    channel: Channel,
    env: Mapping[str, str],
    enforcement: Mode | None,
    clock: GateClock | None = None,
) -> int:
    """An invalid policy: its diagnostics once, then a verdict and the reports; exit 2.

    Each diagnostic goes to stderr as found (as in every command), and the summary printed
    after it does not repeat them; a `--report text` on stdout lists them instead.
    """
    text_on_stdout = any(s.format == "text" and s.destination == "-" for s in specs)
    report_policy_error(error, channel, listed=not text_on_stdout)
    # What the files name may be secret too: the CI hides each before the summary is printed.
    channel.masks(env)
    verdict = policy_error_verdict(
        config, error, ci=detect(env), clock=clock or GateClock(), enforcement=enforcement
    )
    return deliver(verdict, verdict_path, specs, channel=channel, env=env)


def _comment(
    verdict: Verdict,
    channel: Channel,
    env: Mapping[str, str],
    cancel: threading.Event | None,
    deadline: float | None,
) -> list[str]:
    body = channel.filter(REPORTERS["markdown"].render(verdict))

    def post() -> str | None:
        return post_sticky_comment(verdict, verdict.ci, env, body=body, deadline=deadline)

    if cancel is None:
        warning = post()
    else:
        try:
            # A slow forge must not hold a cancelled job past CI's grace period.
            warning = call_cancellable(post, cancel, message="interrupted")
        except ServiceError:
            warning = "comment not posted: interrupted"
    return [warning] if warning else []
