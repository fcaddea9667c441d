"""Several policies judged separately, merged into one verdict (pure).

The merge rule: the outcome is the worst of the policies' (fail, error, warn, pass), the
verdict blocks when any policy blocks, and the exit code is enforce.worst_exit_code's (130
interrupted, 1 blocked, 3 no decision, 2 usage, the soft exit code, 0). Campaign keys carry their
policy's prefix (its directory) so every name stays unique in every report. The gate-wide
`enforcement` and `policy.path` are the first policy's (where a finding without a line of its
own points); `policy.digest` hashes every policy's digest; `policies` keeps each one's result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from gate_runner.enforce import HEADS, overall_outcome, worst_exit_code
from gate_runner.verdict import PolicyInfo, PolicyPart, RunError, Timings, Verdict

_POLICY_NAMES = ("sepurux.yml", "sepurux.yaml")


@dataclass(frozen=True)
class PolicyRun:
    """One policy's own verdict and the prefix its campaign keys get in the merged one."""

    path: str
    prefix: str | None
    verdict: Verdict


def campaign_prefixes(paths: Sequence[str]) -> list[str | None]:
    """Each policy's prefix: its directory (`services/api`), or the file without its suffix
    when it is not named sepurux.yml; None (keys kept) for one policy alone and for the
    repository's top-level sepurux.yml."""
    if len(paths) < 2:
        return [None] * len(paths)
    prefixes: list[str | None] = []
    taken: set[str] = set()
    for path in paths:
        pure = PurePosixPath(path.replace("\\", "/"))
        base = (pure.parent if pure.name in _POLICY_NAMES else pure.with_suffix("")).as_posix()
        if base == ".":
            prefixes.append(None)  # the top-level policy keeps its keys; the others hold a "/"
            continue
        candidate, count = base, 1
        while candidate in taken:  # the same directory twice: still two names
            count += 1
            candidate = f"{base}#{count}"
        taken.add(candidate)
        prefixes.append(candidate)
    return prefixes


def prefixed(prefix: str | None, key: str) -> str:
    return key if prefix is None else f"{prefix}/{key}"


def merge_verdicts(runs: Sequence[PolicyRun], *, soft_exit_code: int) -> Verdict:
    """One verdict from several: campaigns in policy order, keys prefixed, `policies` filled."""
    if not runs:
        raise ValueError("no verdict to merge")
    if len(runs) == 1 and runs[0].prefix is None:  # one policy: its verdict as it is
        return runs[0].verdict
    first = runs[0].verdict
    campaigns = tuple(
        replace(c, key=prefixed(run.prefix, c.key)) for run in runs for c in run.verdict.campaigns
    )
    parts = tuple(
        PolicyPart(
            path=run.path,
            digest=run.verdict.policy.digest,
            prefix=run.prefix,
            campaigns=tuple(prefixed(run.prefix, c.key) for c in run.verdict.campaigns),
            outcome=run.verdict.outcome,
            blocking=run.verdict.blocking,
            exit_code=run.verdict.exit_code,
            summary=run.verdict.summary,
            files=run.verdict.policy.files,
        )
        for run in runs
    )
    codes = [run.verdict.exit_code for run in runs]
    exit_code = worst_exit_code(codes, soft_exit_code=soft_exit_code)
    outcome = overall_outcome([run.verdict.outcome for run in runs])
    return replace(
        first,
        outcome=outcome,
        blocking=any(run.verdict.blocking for run in runs),
        exit_code=exit_code,
        summary=_summary(runs, exit_code, outcome),
        policy=_policy_info(runs),
        timings=_timings(runs),
        campaigns=campaigns,
        interrupted=any(run.verdict.interrupted for run in runs),
        error=_error(runs),
        notes=tuple(
            dict.fromkeys(f"{run.path}: {note}" for run in runs for note in run.verdict.notes)
        ),
        policies=parts,
        # Each policy has its own gate.budget: the merged verdict names none (the first's
        # would read as everyone's); each campaign keeps what it spent.
        budget=None,
        spent=None,
    )


def _summary(runs: Sequence[PolicyRun], exit_code: int, outcome: str) -> str:
    heads = {int(code): head for code, head in HEADS.items()}
    if exit_code in heads:
        head = heads[exit_code]
    elif exit_code != 0 or any(run.verdict.exit_code != 0 for run in runs):
        head = "REVIEW REQUIRED"
    else:
        head = {"pass": "PASS", "warn": "PASS WITH WARNINGS"}.get(outcome, "NOT BLOCKING")
    details = "; ".join(f"{run.path}: {run.verdict.summary}" for run in runs)
    return f"{head}: {len(runs)} policies — {details}"


def _policy_info(runs: Sequence[PolicyRun]) -> PolicyInfo:
    first = runs[0].verdict.policy
    digests = "\n".join(run.verdict.policy.digest for run in runs)
    sources = {s.get("location", ""): s for run in runs for s in run.verdict.policy.sources}
    return PolicyInfo(
        path=first.path,  # where a finding with no line of its own is pointed
        digest="sha256:" + hashlib.sha256(digests.encode("utf-8")).hexdigest(),
        sources=tuple(sources.values()),
        on_error=first.on_error,
        on_timeout=first.on_timeout,
    )


def _timings(runs: Sequence[PolicyRun]) -> Timings:
    # ISO 8601 UTC strings in one format sort as times do.
    started = min(run.verdict.timings.started_at for run in runs)
    finished = max(run.verdict.timings.finished_at for run in runs)
    total = round(sum(run.verdict.timings.duration_s for run in runs), 3)
    return Timings(started_at=started, finished_at=finished, duration_s=total)


def _error(runs: Sequence[PolicyRun]) -> RunError | None:
    for run in runs:
        if run.verdict.error is not None:
            error = run.verdict.error
            return RunError(error.kind, f"{run.path}: {error.message}")
    return None
