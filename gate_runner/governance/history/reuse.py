"""gate.reuse (issue 21): a campaign's result filed under what it judged, and found again.

The key is the effective policy's digest and its sources, the campaign and its Sepurux
settings, the API base, and the git tree of `paths` at the commit under test, read from git
objects (never the working tree). A record is untrusted text: anyone who can write the store
wrote it, so it is read through untrusted_json, capped, and checked field by field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gate_runner.errors import UsageError
from gate_runner.files import read_regular
from gate_runner.git_commands import Git, GitError, is_full_sha
from gate_runner.governance.history.store import ReuseRecords, UnreadableEntry
from gate_runner.policy import Campaign, Policy
from gate_runner.thresholds import request_thresholds
from gate_runner.untrusted_json import MAX_FILE_BYTES, loads
from gate_runner.verdict import CampaignResult, CIContext, DecisionPayload, Reused

RECORD_KIND = "gate-runner reuse record"
_KEY = re.compile(r"[0-9a-f]{64}\Z")
# A record filed a little "later" than now is clock skew between runners; more is not trusted.
_SKEW_S = 300
_MAX_RUNS = 20
_TRACE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ReusedRuns:
    """A stored result the runner judges anew instead of running: its runs' payloads."""

    reused: Reused
    runs: tuple[tuple[str | None, DecisionPayload], ...]  # (run id, payload), in run order


@dataclass(frozen=True)
class ReusePlan:
    """One policy's reuse: each campaign's key, what was found, and why reuse is off, if so."""

    records: ReuseRecords | None = None
    keys: Mapping[str, str] = field(default_factory=dict)  # campaign key -> reuse key
    found: Mapping[str, ReusedRuns] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def plan_reuse(
    policy: Policy,
    campaigns: Sequence[Campaign],
    records: ReuseRecords | None,
    *,
    api_base: str,
    ci: CIContext,
    fresh: bool,
    now: datetime,
    git: Git | None = None,
) -> ReusePlan:
    """Each campaign's key, and the results young enough to stand in for a run (not --fresh)."""
    reuse = policy.gate.reuse
    if reuse is None:
        return ReusePlan()
    if records is None:
        return ReusePlan(notes=("gate.reuse: nothing is reused or filed without --store",))
    try:
        tree = paths_tree(git or Git(), ci.commit, reuse.paths)
    except GitError as error:
        return ReusePlan(notes=(f"gate.reuse: nothing is reused or filed: {error}",))
    if isinstance(tree, NoTree):
        return ReusePlan(notes=(f"gate.reuse: nothing is reused or filed: {tree.why}",))
    keys = {c.key: reuse_key(policy, c, api_base=api_base, tree=tree) for c in campaigns}
    found: dict[str, ReusedRuns] = {}
    notes: list[str] = []
    for campaign_key, key in ({} if fresh else keys).items():
        try:
            text = records.get(key)
        except (UnreadableEntry, GitError) as error:
            notes.append(f"gate.reuse: {campaign_key}: the stored result is not used: {error}")
            continue
        if text is None:
            continue
        try:
            reused = read_record(text, key=key, campaign=campaign_key, now=now)
        except ValueError as error:
            where = f"{records.name}:{key[:12]}"
            notes.append(f"gate.reuse: {campaign_key}: {where} is not used: {error}")
            continue
        if reused.reused.age <= reuse.max_age_s:
            found[campaign_key] = reused
    return ReusePlan(records, keys, found, tuple(notes))


@dataclass(frozen=True)
class NoTree:
    why: str


def paths_tree(git: Git, commit: str | None, paths: Sequence[str]) -> str | NoTree:
    """sha256 over `git ls-files -s` of `paths` in the tree of `commit` (else HEAD).

    Read through a throw-away index filled from the commit, so git's own pathspec rules
    apply and the working tree is never read; a working tree with changes under `paths` is
    no commit at all, so it gets no tree (nothing is reused or filed).
    """
    at = (git.commit_of(commit) if commit else None) or git.commit_of("HEAD")
    if at is None:
        return NoTree("no git clone here has the commit under test")
    # :(top) and --full-name: the same paths and the same listing from any folder.
    specs = ["--", *(f":(top){p}" for p in paths)]
    if git.text(["status", "--porcelain", "--untracked-files=all", *specs]):
        return NoTree("the working tree has changes under gate.reuse.paths")
    handle, index = tempfile.mkstemp(prefix="gate-runner-reuse-", suffix=".index")
    os.close(handle)
    try:
        env = {"GIT_INDEX_FILE": index}
        git.run(["read-tree", at], env=env)
        listed = git.run(["ls-files", "-s", "-z", "--full-name", *specs], env=env)
    finally:
        Path(index).unlink(missing_ok=True)
    if not listed:
        return NoTree(f"gate.reuse.paths match no file at {at[:12]}")
    return hashlib.sha256(listed).hexdigest()


def reuse_key(policy: Policy, campaign: Campaign, *, api_base: str, tree: str) -> str:
    """What a result depends on, as one sha256: any change runs the campaign again."""
    c = campaign
    parts = {
        "policy": policy.digest,
        # The files it came from, pins included: a moved pin runs again even when the
        # merged content came out the same.
        "sources": [s.sha256 for s in policy.sources],
        "campaign": c.key,
        "sepurux": {
            "campaign": c.name_or_id,
            "project": policy.api.project,
            "trace_id": c.trace_id,
            "trace_file": _file_digest(c.trace_file),
            "mutation_pack_id": c.mutation_pack_id,
            "thresholds": request_thresholds(c.thresholds),
        },
        "api": api_base,
        "paths_tree": tree,
    }
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _file_digest(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return "sha256:" + hashlib.sha256(read_regular(Path(path), _TRACE_BYTES)).hexdigest()
    except OSError:
        return f"unreadable:{path}"  # the run will say why; this key is never reused by it


def record_text(result: CampaignResult, *, key: str, ci: CIContext, now: datetime) -> str | None:
    """The record to file for a result that was run and reached a decision, else None."""
    usable = result.reused is None and result.status == "done" and result.error is None
    payloads = [(r.run_id, r.payload) for r in result.runs] or [(result.run_id, result.payload)]
    if not usable or ci.commit is None or any(p is None for _, p in payloads):
        return None
    record = {
        "kind": RECORD_KIND,
        "key": key,
        "campaign": result.key,
        "commit": ci.commit,
        "branch": ci.branch,
        "ci_run": ci.build_url,
        "filed_at": _iso(now),
        "outcome": result.outcome,
        "runs": [{"run_id": run_id, "payload": payload} for run_id, payload in payloads],
    }
    return json.dumps(record, ensure_ascii=False, allow_nan=False, sort_keys=True) + "\n"


def read_record(text: str, *, key: str, campaign: str, now: datetime) -> ReusedRuns:
    """A stored record as the runner uses it; ValueError says why it cannot be."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ValueError(f"more than {MAX_FILE_BYTES:,} bytes")
    data = loads(text)
    if not isinstance(data, dict) or data.get("kind") != RECORD_KIND:
        raise ValueError("not a gate-runner reuse record")
    if data.get("key") != key or not _KEY.match(key):
        raise ValueError("it was filed under another key")
    if data.get("campaign") != campaign:
        raise ValueError("it is another campaign's")
    commit = data.get("commit")
    if not isinstance(commit, str) or not is_full_sha(commit.lower()):
        raise ValueError("its commit is not a full sha")
    filed_at = _moment(data.get("filed_at"))
    age = int((now - filed_at).total_seconds())
    if age < -_SKEW_S:
        raise ValueError(f"it says it was filed in the future ({data['filed_at']})")
    runs = data.get("runs")
    if not isinstance(runs, list) or not 1 <= len(runs) <= _MAX_RUNS:
        raise ValueError(f"it needs 1 to {_MAX_RUNS} runs")
    kept: list[tuple[str | None, DecisionPayload]] = []
    for run in runs:
        payload = run.get("payload") if isinstance(run, dict) else None
        run_id = run.get("run_id") if isinstance(run, dict) else None
        if not isinstance(payload, dict) or not (run_id is None or isinstance(run_id, str)):
            raise ValueError("a run without a payload object")
        kept.append((run_id, payload))
    reused = Reused(
        commit=commit.lower(),
        age=max(age, 0),
        key=key,
        filed_at=_iso(filed_at),
        branch=_text(data.get("branch")),
        ci_run=_text(data.get("ci_run")),
    )
    return ReusedRuns(reused, tuple(kept))


def file_results(
    plan: ReusePlan, results: Sequence[CampaignResult], *, ci: CIContext, now: datetime
) -> list[str]:
    """File each run result under its key; what could not be filed, as notes."""
    if plan.records is None:
        return []
    notes = []
    for result in results:
        key = plan.keys.get(result.key)
        text = record_text(result, key=key, ci=ci, now=now) if key else None
        if key is None or text is None:
            continue
        try:
            plan.records.put(key, text)
        except (UsageError, OSError) as error:  # GitError is a UsageError
            notes.append(f"gate.reuse: {result.key}: its result was not filed: {error}")
    return notes


def _moment(value: Any) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("its filed_at is not a time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("its filed_at is not a time") from None
    if moment.tzinfo is None:
        raise ValueError("its filed_at has no time zone")
    return moment.astimezone(timezone.utc)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 1000 else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
