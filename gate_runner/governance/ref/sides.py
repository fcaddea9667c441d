"""One side of a comparison: the effective policy of the working tree or of a git ref."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner.config import load_policy
from gate_runner.config.extends import display
from gate_runner.errors import Diagnostic, PolicyError, UsageError
from gate_runner.git_commands import Git
from gate_runner.governance.ref.git_source import (
    AUTO,
    GitRefReader,
    PolicyRef,
    as_named,
    resolve_policy_ref,
)
from gate_runner.governance.ref.policy_files import RemotePin, local_chain
from gate_runner.governance.ref.ref_traces import traces_at_ref
from gate_runner.policy import Origin, Policy, PolicySource


class NoPolicyAtRef(UsageError):
    """The ref has no policy at that path: the change introduces the gate (or moved the file)."""


@dataclass(frozen=True)
class PolicySide:
    """A loaded policy, its remote pins, and what to call it ("working tree", "origin/main")."""

    label: str
    policy: Policy
    pins: tuple[RemotePin, ...]
    removed: bool = False  # the file is gone from this side: `policy` is the empty policy


def load_tree_side(
    config: Path,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    floors: Sequence[str] = (),
    today: date | None = None,
) -> PolicySide:
    """The working tree's policy; `floors` (`check --floor`) raise it as load_policy does."""
    policy = load_policy(config, env=env, cache_dir=cache_dir, floors=floors, today=today)
    _files, pins = local_chain(config, Path.read_bytes, display)
    return PolicySide(str(config), policy, tuple(pins))


def load_tree_or_removed(
    config: Path,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    floors: Sequence[str] = (),
    today: date | None = None,
) -> PolicySide:
    """The working tree's policy, or, when nothing at all is at that path, the empty policy
    (``version: 1``) standing for one the change deleted: compared with the base, every
    bar it set is removed. An unreadable or invalid file is its error, as ever."""
    try:
        return load_tree_side(config, env=env, cache_dir=cache_dir, floors=floors, today=today)
    except PolicyError:
        if os.path.lexists(config):
            raise
    # The floors hold even over a deleted policy: their bars judge what it no longer sets.
    side = empty_side(
        config, f"{config} (removed)", env=env, cache_dir=cache_dir, floors=floors, today=today
    )
    return dataclasses.replace(side, removed=True)


def empty_side(
    config: Path,
    label: str,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    floors: Sequence[str] = (),
    today: date | None = None,
) -> PolicySide:
    """The empty policy (``version: 1``) at `config`: the side of a change that has none."""
    empty = b"version: 1\n"
    policy = load_policy(
        config, env=env or {}, cache_dir=cache_dir, read=lambda _path: empty, floors=floors,
        today=today,
    )  # fmt: skip
    return PolicySide(label, policy, ())


def load_ref_side(
    git: Git,
    ref: PolicyRef,
    config: Path,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    floors: Sequence[str] = (),
    today: date | None = None,
) -> PolicySide:
    """The policy at `ref`; its local extends come from the same ref, never the working tree.

    floors: `check --floor`, applied to the policy at the ref as to the working tree's.
    """
    reader = GitRefReader(git, ref)
    # Absolute as the user named it: getcwd() would have followed a working-tree symlink.
    config = as_named(config)
    try:
        rel = reader.relative(config)
    except FileNotFoundError as error:
        raise UsageError(str(error.strerror)) from None
    try:
        _files, pins = local_chain(config, reader, reader.label)
    except FileNotFoundError:
        raise NoPolicyAtRef(
            f"{ref.name} has no {rel}: the policy is new in this change or was moved; "
            "nothing at that ref can judge it"
        ) from None
    except OSError:
        # There but unreadable (over the size cap, a symlink out of the tree at the ref, a
        # loop): the loader says so, at its place; the working tree never stands in for it.
        pins = []
    policy = _load_at_ref(reader, config, env=env, cache_dir=cache_dir, floors=floors, today=today)
    return PolicySide(ref.name, policy, tuple(pins))


def _load_at_ref(
    reader: GitRefReader,
    config: Path,
    *,
    env: Mapping[str, str] | None,
    cache_dir: Path | None,
    floors: Sequence[str] = (),
    today: date | None = None,
) -> Policy:
    """load_policy with every local file read from the ref; origins then say ``REF:path``.

    The loader names a local file by its working-tree path; at a ref that name would point a
    reader at the working tree's line, so every origin and diagnostic is renamed.
    """
    label = Relabel(reader)
    try:
        # Only the policy's own files come from the ref: each floor is read as named.
        policy = load_policy(
            config, env=env, cache_dir=cache_dir, read=reader, floors=floors, today=today
        )
        policy = traces_at_ref(policy, reader)  # never the working tree's trace
    except PolicyError as error:
        relabelled_error = [label.diagnostic(d) for d in error.diagnostics]
        raise PolicyError(relabelled_error, error.token_envs) from None
    relabelled: Policy = label(policy)
    return relabelled


@dataclass(frozen=True)
class Relabel:
    """Renames the local files of a policy read at a ref to ``REF:path`` (URLs stay)."""

    reader: GitRefReader

    def text(self, text: str) -> str:
        if not text or "://" in text or text.startswith("<"):
            return text  # a URL, or "<default>"
        try:
            return self.reader.label(Path(text))
        except FileNotFoundError:
            return text  # outside the repository: the reader refused it already

    def diagnostic(self, d: Diagnostic) -> Diagnostic:
        return Diagnostic(
            self.text(d.file),
            d.line,
            d.col,
            d.message,
            tuple(_relabel_chain(self, c) for c in d.chain),
        )

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Origin):
            return dataclasses.replace(value, file=self.text(value.file))
        if isinstance(value, PolicySource):
            return dataclasses.replace(value, location=self.text(value.location))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: self(getattr(value, f.name)) for f in dataclasses.fields(value)}
            if isinstance(value, Policy):
                fields["path"] = self.text(value.path)
            return dataclasses.replace(value, **fields)
        if isinstance(value, tuple):
            return tuple(self(item) for item in value)
        return value


def _relabel_chain(label: Relabel, link: str) -> str:
    """A chain link is ``file:line`` (the extends entry that brought a file in)."""
    file, colon, line = link.rpartition(":")
    return f"{label.text(file)}:{line}" if colon and line.isdigit() else label.text(link)


def load_side(
    spec: str,
    config: Path,
    *,
    env: Mapping[str, str],
    cache_dir: Path | None = None,
    git: Git | None = None,
) -> PolicySide:
    """``auto``, a ref, ``REF:path``, else a policy file named as one (see `names_a_file`).

    A ref is resolved as a ref first: a file the pull request adds under a ref's name
    (``origin/main``, ``auto``) is never what the change is compared with.
    """
    git = git or Git()
    in_repo = git.ok(["rev-parse", "--git-dir"])
    ref_name, colon, path = spec.partition(":")
    ref_name, at = (ref_name, Path(path)) if colon and path else (spec, config)
    is_ref = in_repo and (spec == AUTO or git.commit_of(ref_name) is not None)
    if not is_ref and names_a_file(spec):
        if not Path(spec).is_file():
            nowhere = "" if in_repo else ", and no git repository here to read a ref"
            raise UsageError(f"{spec}: no such policy file{nowhere}")
        return load_tree_side(Path(spec), env=env, cache_dir=cache_dir)
    if not in_repo:
        raise UsageError(f"{spec}: no such policy file, and no git repository here to read a ref")
    # Not a ref here (a shallow clone lacks it): the error names the fetch, never a file.
    ref = resolve_policy_ref(git, ref_name, env)
    return load_ref_side(git, ref, at, env=env, cache_dir=cache_dir)


def names_a_file(spec: str) -> bool:
    """A path no ref can be: it starts with ``/``, ``./`` or ``../`` (a ref component cannot
    start with a dot), or ends in ``.yml``/``.yaml`` as a policy file does."""
    return spec.startswith(("/", "./", "../")) or spec.endswith((".yml", ".yaml"))
