"""The one atomic writer for the verdict and every report file, and the one safe file reader."""

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


def write_text(path: Path, text: str, *, follow_links: bool = True) -> None:
    """Write so a reader (or a killed job) never sees half a file; the umask decides the mode.

    A symlink stays a link and its regular target is replaced; an existing file keeps its mode.
    With follow_links=False (a store anyone may plant files in) a symlink at `path` is itself
    replaced by the new file and its target is never touched.
    """
    target = regular_target(path) if follow_links else _unlinked_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        found = os.stat(target) if follow_links else os.lstat(target)
        mode = stat.S_IMODE(found.st_mode) if stat.S_ISREG(found.st_mode) else _new_mode()
    except FileNotFoundError:
        mode = _new_mode()
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


def _unlinked_target(path: Path) -> Path:
    """`path` itself, refused when it is a directory, FIFO, device or socket (not a link)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    if stat.S_ISLNK(mode):
        return path  # os.replace renames over the link itself, never through it
    for test, kind in _KINDS:
        if test(mode):
            raise NotAFileError(f"{path} is {kind}, not a regular file; it was left untouched")
    return path


class RefusedFileError(OSError):
    """A read was refused: the path is no regular file, or it is larger than the cap."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.strerror = why  # what every caller's "cannot read X: {strerror}" shows


def read_regular(
    path: Path, limit: int, *, follow_links: bool = True, must: str = "refusing to read it"
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else raises OSError.

    /dev/zero would be read until memory runs out and a FIFO would block forever, so the
    file is opened without blocking (and, with follow_links=False, refused when it is a
    symlink) and checked to be a regular file before a byte is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if not follow_links and os.path.islink(path):
            raise RefusedFileError(f"not a regular file (a symbolic link); {must}") from None
        raise error
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise RefusedFileError(f"not a regular file ({kind}); {must}")
        if info.st_size > limit:  # refused unread; the capped read catches a growing file
            raise RefusedFileError(f"larger than {limit} bytes; refusing")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise RefusedFileError(f"larger than {limit} bytes; refusing")
    return data


def append_text(path: Path, text: str) -> None:
    """Append to a file CI gave us (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT), one final newline."""
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")


def _new_mode() -> int:
    return 0o666 & ~_umask()


def _umask() -> int:
    # The only portable way to read the umask is to set it; set it straight back.
    current = os.umask(0o022)
    os.umask(current)
    return current
