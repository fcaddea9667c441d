"""`--discover`: every `sepurux.yml` under the repository, as git sees it (.gitignore respected)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gate_runner.errors import UsageError

POLICY_NAME = "sepurux.yml"
GIT_TIMEOUT_S = 30.0
# Outside a git checkout there is no .gitignore to ask; these are never a project's policies.
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})


def discover_policies(root: Path) -> list[Path]:
    """The policy files under `root`, sorted; paths relative to `root` when it is the cwd.

    In a git checkout, `git ls-files --cached --others --exclude-standard` lists tracked and
    untracked files minus everything ignored (.gitignore, .git/info/exclude, the global
    excludes), so a vendored or generated policy is not picked up. Elsewhere the tree is
    walked, skipping hidden and dependency directories.
    """
    listed = _git_files(root)
    if listed is None:
        found = _walk(root)
    else:
        # A file staged but deleted from the work tree is listed too: keep what exists.
        found = [root / n for n in listed if Path(n).name == POLICY_NAME and (root / n).is_file()]
    # The top-level policy first, then by directory.
    found = sorted(set(found), key=lambda p: p.parent.parts)
    if not found:
        raise UsageError(f"--discover: no {POLICY_NAME} under {root}")
    return found


def _git_files(root: Path) -> list[str] | None:
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None  # not a git checkout (or no git): walk instead
    names = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [name for name in names if name]


def _walk(root: Path) -> list[Path]:
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        if POLICY_NAME in files:
            found.append(Path(directory) / POLICY_NAME)
    return found
