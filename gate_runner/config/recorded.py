"""A policy rebuilt from the files a verdict recorded, one of them replaced (`replay`)."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from gate_runner.config import load_policy
from gate_runner.config.fetch import MAX_BYTES, Fetcher
from gate_runner.policy import Policy, RecordedFile

# Where the recorded files are laid out again: a directory no real file is read from (the
# reader below serves only what the verdict holds), deep enough for every leading "..".
_ROOT = PurePosixPath("/gate-runner-replay")
_LAID_OUT = re.compile(re.escape(str(_ROOT)) + r"(?:/_)*/")


@dataclass(frozen=True)
class Replacement:
    """The candidate and the file it stands in for: a URL, or a recorded path."""

    source: str
    data: bytes


class _RecordedTree:
    """The verdict's local files as a tree the loader reads (config.extends.TreeReader)."""

    def __init__(self, files: Mapping[str, bytes], cwd: PurePosixPath) -> None:
        self.files, self.cwd = files, cwd

    def resolve(self, path: Path) -> Path:
        return Path(os.path.normpath(self.cwd / path.as_posix()))

    def __call__(self, path: Path) -> bytes:
        found = self.files.get(path.as_posix())
        if found is None:
            raise OSError(errno.ENOENT, "not among the files the verdict recorded")
        if len(found) > MAX_BYTES:  # a forged verdict's text: the limit of any policy file
            raise OSError(errno.EFBIG, f"larger than {MAX_BYTES} bytes")
        return found


def rebuild_policy(
    files: Sequence[RecordedFile],
    replacement: Replacement | None,
    *,
    env: Mapping[str, str],
    cache_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    today: date | None = None,
) -> Policy:
    """The recorded policy through the normal load and build, with `replacement` in place.

    The last file is the one the check named. Raises PolicyError (what the rebuild found
    wrong: a file left out for size, a ${VAR} not set here, an invalid candidate) or
    ValueError (nothing recorded to rebuild from).
    """
    local = [f for f in files if f.kind == "file"]
    if not files or files[-1].kind != "file":
        raise ValueError("the verdict records no policy file it named")
    if any(f.text is None for f in local):
        raise ValueError("its policy files were too large to record")
    depth = max(_leading_parents(f.source) for f in local)
    cwd = _ROOT.joinpath(*["_"] * depth)
    tree = {os.path.normpath(cwd / f.source): (f.text or "").encode("utf-8") for f in local}
    replaced: dict[str, bytes] = {}
    if replacement is not None:
        if "://" in replacement.source:  # a URL, or a git file's URL//path
            replaced[replacement.source] = replacement.data
        else:
            tree[os.path.normpath(cwd / replacement.source)] = replacement.data
    return load_policy(
        Path(files[-1].source),
        env=env,
        cache_dir=cache_dir,
        fetcher=fetcher,
        read=_RecordedTree(tree, cwd),
        today=today,
        replaced=replaced,
    )


def shown(message: str) -> str:
    """A rebuild's diagnostic with the laid-out directory taken off its paths."""
    return _LAID_OUT.sub("", message)


def _leading_parents(path: str) -> int:
    parts = PurePosixPath(path).parts
    return next((i for i, part in enumerate(parts) if part != ".."), len(parts))
