"""One side of a comparison: the effective policy of the working tree or of a git ref."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate_runner.config import load_policy
from gate_runner.config.extends import display
from gate_runner.errors import Diagnostic, PolicyError, UsageError
from gate_runner.governance.git import Git
from gate_runner.governance.git_source import GitRefReader, PolicyRef, resolve_policy_ref
from gate_runner.governance.policy_files import RemotePin, local_chain
from gate_runner.policy import Origin, Policy, PolicySource


class NoPolicyAtRef(UsageError):
    """The ref has no policy at that path: the change introduces the gate (or moved the file)."""


@dataclass(frozen=True)
class PolicySide:
    """A loaded policy, its remote pins, and what to call it ("working tree", "origin/main")."""

    label: str
    policy: Policy
    pins: tuple[RemotePin, ...]


def load_tree_side(
    config: Path, *, env: Mapping[str, str] | None = None, cache_dir: Path | None = None
) -> PolicySide:
    policy = load_policy(config, env=env, cache_dir=cache_dir)
    _files, pins = local_chain(config, Path.read_bytes, display)
    return PolicySide(str(config), policy, tuple(pins))


def load_ref_side(
    git: Git,
    ref: PolicyRef,
    config: Path,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
) -> PolicySide:
    """The policy at `ref`; its local extends come from the same ref, never the working tree."""
    reader = GitRefReader(git, ref)
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
        pins = []  # there but unreadable (over the size cap): the loader says so, at its place
    policy = _load_at_ref(reader, config, env=env, cache_dir=cache_dir)
    return PolicySide(ref.name, policy, tuple(pins))


def _load_at_ref(
    reader: GitRefReader,
    config: Path,
    *,
    env: Mapping[str, str] | None,
    cache_dir: Path | None,
) -> Policy:
    """load_policy with every local file read from the ref; origins then say ``REF:path``.

    The loader names a local file by its working-tree path; at a ref that name would point a
    reader at the working tree's line, so every origin and diagnostic is renamed.
    """
    label = Relabel(reader)
    try:
        policy = load_policy(config, env=env, cache_dir=cache_dir, read=reader)
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
    """A file when `spec` names one; else ``REF:path`` or a ref (read at `config`), or ``auto``."""
    if Path(spec).is_file():
        return load_tree_side(Path(spec), env=env, cache_dir=cache_dir)
    git = git or Git()
    if not git.ok(["rev-parse", "--git-dir"]):
        raise UsageError(f"{spec}: no such policy file, and no git repository here to read a ref")
    ref_name, colon, path = spec.partition(":")
    if colon and path:
        spec, config = ref_name, Path(path)
    ref = resolve_policy_ref(git, spec, env)
    return load_ref_side(git, ref, config, env=env, cache_dir=cache_dir)
