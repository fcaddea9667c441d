"""The pre-commit hook: validate the YAML files that are gate policies, and leave the others be.

pre-commit selects files by path only, and `policies/*.yml` is also where Kubernetes, Kyverno
and many others keep their YAML. A file is a gate policy when it is named `sepurux.yml`
(or `NAME.sepurux.yml`) or declares our schema near its top: the yaml-language-server modeline
`# yaml-language-server: $schema=.../sepurux.schema.json`, or a `$schema:` key naming it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

HEAD_BYTES = 4096  # the declaration sits in the file's first lines
_NAME = re.compile(r"(^|\.)sepurux\.ya?ml$")
_DECLARES = re.compile(
    rb"^\s*(?:#\s*yaml-language-server:\s*)?[\"']?\$schema[\"']?\s*[:=]\s*[\"']?\S*sepurux\.schema\.json",
    re.MULTILINE,
)


def is_policy(path: Path) -> bool:
    """Named like a gate policy, or declaring the sepurux schema in its first lines."""
    if _NAME.search(path.name):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return False
    return _DECLARES.search(head) is not None


def select(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """pre-commit's arguments (the hook's `args`, then file names) -> (options, policy files)."""
    options = [a for a in argv if a.startswith("-")]
    files = [a for a in argv if not a.startswith("-") and is_policy(Path(a))]
    return options, files


def main(argv: Sequence[str] | None = None) -> int:
    options, files = select(sys.argv[1:] if argv is None else argv)
    if not files:
        return 0
    from gate_runner.cli import main as cli_main  # late: a commit with no policy skips the CLI

    sys.argv = ["gate-runner", "validate", *options, "--", *files]
    try:
        cli_main()
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
