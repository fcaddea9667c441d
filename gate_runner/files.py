"""The one atomic writer for the verdict and every report file."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from gate_runner.errors import UsageError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


class NotAFileError(UsageError):
    """The path names something that is not a regular file; it is left untouched."""


def regular_target(path: Path) -> Path:
    """Where a write to `path` lands: a symlink's final target; refused unless a regular file."""
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    for test, kind in _KINDS:
        if test(mode):
            raise NotAFileError(
                f"{path} is {kind}, not a regular file; give a file path (or - for stdout)"
            )
    return target


def write_text(path: Path, text: str) -> None:
    """Write so a reader (or a killed job) never sees half a file; the umask decides the mode.

    A symlink stays a link and its regular target is replaced; an existing file keeps its mode.
    """
    target = regular_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        # mkstemp makes 0600 files: a separate uploader (another user) could not read them.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_text(path: Path, text: str) -> None:
    """Append to a file CI gave us (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT), one final newline."""
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")


def _umask() -> int:
    # The only portable way to read the umask is to set it; set it straight back.
    current = os.umask(0o022)
    os.umask(current)
    return current
