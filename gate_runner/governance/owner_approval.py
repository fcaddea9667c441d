"""Policy owners' approval of a loosening: who may approve, read from the BASE ref, and whether
every owner group approved the pull request's head commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gate_runner.git_commands import Git, GitError
from gate_runner.governance import codeowners
from gate_runner.governance.ref.git_source import GitRefReader, PolicyRef

CODEOWNERS = "codeowners"
_MAX_CODEOWNERS_BYTES = 3 * 1024 * 1024  # GitHub ignores a CODEOWNERS file over 3 MB


@dataclass(frozen=True)
class Owners:
    """Each group needs one approval: `gate.policy_owners` is one group; CODEOWNERS gives one
    per matching section (GitLab). A name is a user ("alice") or a team or group
    ("acme/policy-team"), without its @."""

    groups: tuple[tuple[str, ...], ...]
    source: str  # where they are named: "gate.policy_owners at main:sepurux.yml"
    problem: str | None = None  # why nobody can approve

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for group in self.groups for name in group))

    def shown(self) -> str:
        return ", ".join(f"@{name}" if "/" in name else name for name in self.names)


@dataclass(frozen=True)
class Approvals:
    """What the forge shows for the head commit: (owner name, who approved) pairs."""

    approved: tuple[tuple[str, str], ...] = ()
    problem: str | None = None  # why approvals could not be read: the base bar judges


# Reads, from the running CI's forge, which owners approved the pull request's head commit
# (gate_runner.forges.approvals.read_approvals).
ReadApprovals = Callable[[Owners, Mapping[str, str]], Approvals]


def policy_owners(
    setting: tuple[str, ...] | Literal["codeowners"],
    *,
    git: Git,
    ref: PolicyRef,
    config: Path,
    policy_label: str,
    forge: str,
) -> Owners:
    """The owners the base policy names, or the policy file's code owners in the CODEOWNERS
    file at the ref (git's objects only: a pull request cannot name itself owner)."""
    if setting != CODEOWNERS:
        names = tuple(dict.fromkeys(name.lstrip("@") for name in setting))
        where = f"gate.policy_owners at {policy_label}"
        if not names:
            return Owners((), where, f"{policy_label} names no gate.policy_owners")
        return Owners((names,), where)
    reader = GitRefReader(git, ref)
    locations = codeowners.LOCATIONS["gitlab" if forge == "gitlab" else "github"]
    for location in locations:
        spec = f"{ref.commit}:{location}"
        if not git.ok(["cat-file", "-e", "--end-of-options", spec]):
            continue
        where = f"CODEOWNERS at {ref.name}:{location}"
        try:
            text = git.blob(spec, _MAX_CODEOWNERS_BYTES).decode("utf-8", "replace")
        except GitError as error:  # a directory, or over GitHub's own 3 MB limit
            return Owners((), where, f"{ref.name}:{location} cannot be read: {error}")
        rel = reader.relative(config)
        groups = codeowners.owners_of(rel, codeowners.sections_of(text, sections=forge == "gitlab"))
        if not groups:
            return Owners((), where, f"{ref.name}:{location} names no owner of {rel}")
        return Owners(groups, where)
    places = ", ".join(locations)
    return Owners((), "CODEOWNERS", f"{ref.name} has no CODEOWNERS file ({places})")


def approvers(owners: Owners, approvals: Approvals) -> tuple[str, ...] | None:
    """Who approved, when every owner group has an approval; else None."""
    if owners.problem or approvals.problem or not owners.groups:
        return None
    approved = {name for name, _who in approvals.approved}
    if not all(approved & set(group) for group in owners.groups):
        return None
    shown = [who if who == name else f"{who} ({name})" for name, who in approvals.approved]
    return tuple(dict.fromkeys(shown))
