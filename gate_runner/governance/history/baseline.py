"""``--baseline auto``: the verdict of the PR's merge base, or of its nearest filed ancestor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gate_runner.errors import UsageError
from gate_runner.git_commands import Git, GitError
from gate_runner.governance.history.store import StoreUnavailable, UnreadableEntry, VerdictStore
from gate_runner.governance.ref.git_source import (
    AUTO,
    MAX_COMMITS_BACK,
    PolicyRef,
    deepen_command,
    fetch_command,
    resolve_policy_ref,
)
from gate_runner.untrusted_json import loads


@dataclass(frozen=True)
class Baseline:
    """What was found (or why nothing was): never an error, the gate goes on without one."""

    verdict: dict[str, Any] | None
    commit: str | None  # the commit whose verdict it is
    commits_back: int | None  # 0: the merge base itself
    merge_base: str | None
    note: str  # one line for the verdict's notes

    def payloads(self) -> dict[str, dict[str, Any]]:
        """Campaign key -> saved payload, what GateOptions.baseline takes."""
        campaigns = (self.verdict or {}).get("campaigns")
        return {
            c["key"]: c["payload"]
            for c in (campaigns if isinstance(campaigns, list) else [])
            if isinstance(c, dict) and isinstance(c.get("key"), str)
            and isinstance(c.get("payload"), dict)
        }  # fmt: skip


def find_baseline(
    store: VerdictStore,
    git: Git,
    *,
    head: str = "HEAD",
    base_ref: str = "auto",
    env: Mapping[str, str] | None = None,
    max_commits: int = MAX_COMMITS_BACK,
) -> Baseline:
    def none(note: str, merge_base: str | None = None) -> Baseline:
        return Baseline(None, None, None, merge_base, f"no baseline: {note}")

    try:
        base = resolve_policy_ref(git, base_ref, env or {})
    except UsageError as error:  # a missing ref, no target branch, git itself
        return none(str(error).removeprefix(f"{AUTO}: "))
    try:
        merge_base = git.text(["merge-base", head, base.commit])
    except GitError:
        return none(_no_merge_base(git, head, base))
    try:
        history = git.text(
            ["rev-list", "--first-parent", f"--max-count={max_commits}", merge_base]
        ).split()
    except GitError as error:
        return none(str(error), merge_base)
    try:
        filed = store.commits()
    except StoreUnavailable as error:
        return none(str(error), merge_base)
    skipped: list[str] = []
    for back, commit in enumerate(history):
        if commit not in filed:
            continue
        try:
            data = loads(store.get(commit) or "")
        except StoreUnavailable as error:
            return none(str(error), merge_base)
        except UnreadableEntry as error:
            skipped.append(str(error))
            continue  # a damaged or planted entry is skipped, the next ancestor may do
        except ValueError as error:
            skipped.append(f"{store.name}:{commit[:12]}: {error}")
            continue
        if not isinstance(data, dict):
            skipped.append(f"{store.name}:{commit[:12]}: not a gate-runner verdict")
        else:
            where = (
                "the merge base"
                if back == 0
                else f"{back} commit{'s' if back > 1 else ''} before the merge base"
            )
            note = f"baseline: the verdict of {commit[:12]} ({where} {merge_base[:12]})"
            note += f" from {store.name}" + _skipped(skipped)
            return Baseline(data, commit, back, merge_base, note)
    searched = f"the merge base {merge_base[:12]} and its {len(history) - 1} first-parent ancestors"
    short = max_commits - len(history)
    shallow = (
        f" (the clone is shallow: {short} more would reach {max_commits}; deepen it with: "
        f"{deepen_command(git, base.name, short)})"
        if git.is_shallow() and short > 0
        else ""
    )
    return none(
        f"no verdict in {store.name} for {searched}{shallow}{_skipped(skipped)}", merge_base
    )


def unavailable(error: StoreUnavailable) -> Baseline:
    """No baseline, because the store could not be opened: the gate goes on without one."""
    return Baseline(None, None, None, None, f"no baseline: {error}")


def _skipped(skipped: list[str]) -> str:
    if not skipped:
        return ""
    return f"; skipped {len(skipped)} unreadable entr{'y' if len(skipped) == 1 else 'ies'}: " + (
        "; ".join(skipped)
    )


def _no_merge_base(git: Git, head: str, base: PolicyRef) -> str:
    if git.is_shallow():
        return (
            f"{head} and {base.name} share no commit in this shallow clone; fetch their history "
            f"with: {fetch_command(git, base.name)}"
        )
    return f"{head} and {base.name} have no common ancestor"
