"""``check --discover --policy-ref``: the working tree's policies, and those only the base has."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gate_runner.errors import UsageError
from gate_runner.git_commands import Git
from gate_runner.governance.ref.git_source import resolve_policy_ref
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
