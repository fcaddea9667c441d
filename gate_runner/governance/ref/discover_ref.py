"""``--discover`` with a ref: the working tree's policies, those only the ref has, both sides."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate_runner.errors import UsageError
from gate_runner.git_commands import Git
from gate_runner.governance.ref.git_source import resolve_policy_ref
from gate_runner.governance.ref.sides import (
    NoPolicyAtRef,
    PolicySide,
    empty_side,
    load_ref_side,
    load_tree_or_removed,
)
from gate_runner.monorepo.discover import POLICY_NAME, discover_policies


def discover_with_ref(
    root: Path, spec: str, env: Mapping[str, str], *, git: Git | None = None
) -> list[Path]:
    """--discover's policies, plus each policy file the ref has and the working tree does not.

    A pull request that deletes a policy (or hides it behind a symlink) must not make its
    campaigns vanish: each such path is compared with what the tree has there, nothing
    being the empty policy, so the change is a loosening the base's policy_changes decides.
    """
    try:
        here = discover_policies(root)
    except UsageError:
        here = []  # every policy deleted: the ref still has them
    try:
        ref = resolve_policy_ref(git or Git(), spec, env)
        # From `root`, ls-tree lists what is under it, named relative to it (as ls-files).
        listing = (git or Git()).run(["ls-tree", "-r", "-z", "--name-only", ref.commit, "--", "."])
    except UsageError:
        if not here:
            raise
        return here  # each policy's comparison meets the same error, and reports it
    known = {os.path.normpath(p) for p in here}
    names = listing.decode("utf-8", "surrogateescape").split("\0")
    only_at_ref = [
        root / name
        for name in names
        if Path(name).name == POLICY_NAME and os.path.normpath(root / name) not in known
    ]
    if not here and not only_at_ref:
        raise UsageError(f"--discover: no {POLICY_NAME} under {root}, here or at {spec}")
    return sorted([*here, *only_at_ref], key=lambda p: p.parent.parts)


@dataclass(frozen=True)
class DiscoveredPair:
    """One discovered policy at the ref (`base`) and in the working tree (`head`)."""

    config: Path
    base: PolicySide
    head: PolicySide
    introduced: bool  # the ref has no policy there: the change introduces this gate


def discovered_pairs(
    root: Path, spec: str, env: Mapping[str, str], *, git: Git | None = None
) -> list[DiscoveredPair]:
    """`diff --discover`: every policy either side has under `root`, each side loaded.

    The base side is read from git's objects at the ref (never the working tree); a policy
    the working tree lacks is the empty policy there (a removal loosens), one the ref lacks
    the empty policy at the ref (the change introduces that gate).
    """
    git = git or Git()
    if not git.ok(["rev-parse", "--git-dir"]):
        raise UsageError(
            f"diff --discover reads {spec} from git, and there is no git repository here"
        )
    ref = resolve_policy_ref(git, spec, env)
    pairs = []
    for config in discover_with_ref(root, spec, env, git=git):
        name = os.path.relpath(config, root) if config.is_absolute() else str(config)
        head = load_tree_or_removed(config, env=env)
        try:
            base = load_ref_side(git, ref, config, env=env)
        except NoPolicyAtRef:
            side = empty_side(config, f"{ref.name}:{name} (none)")
            pairs.append(DiscoveredPair(Path(name), side, head, introduced=True))
            continue
        base = dataclasses.replace(base, label=f"{ref.name}:{name}")
        pairs.append(DiscoveredPair(Path(name), base, head, introduced=False))
    return pairs
