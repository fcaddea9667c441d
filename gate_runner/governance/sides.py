"""One side of a comparison: the effective policy of the working tree or of a git ref."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate_runner.config import load_policy
from gate_runner.config.extends import display
from gate_runner.errors import Diagnostic, PolicyError, UsageError
from gate_runner.governance.git import Git
from gate_runner.governance.git_source import GitRefReader, PolicyRef, resolve_policy_ref
from gate_runner.governance.policy_files import PolicyFile, RemotePin, local_chain
from gate_runner.policy import Campaign, Origin, Policy, PolicySource


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
        files, pins = local_chain(config, reader, reader.label)
    except FileNotFoundError:
        raise NoPolicyAtRef(
            f"{ref.name} has no {rel}: the policy is new in this change or was moved; "
            "nothing at that ref can judge it"
        ) from None
    policy = _load_materialized(files, reader, config, env=env, cache_dir=cache_dir)
    return PolicySide(ref.name, policy, tuple(pins))


# --- phase-2 shim -------------------------------------------------------------------------
# Until load_policy takes a reader, the files of the ref are written to a private temp
# dir (same layout as the repository) and loaded from there; origins are then relabelled
# "REF:path". With the hook this becomes `load_policy(config, reader=reader, ...)`.
def _load_materialized(
    files: list[PolicyFile],
    reader: GitRefReader,
    config: Path,
    *,
    env: Mapping[str, str] | None,
    cache_dir: Path | None,
) -> Policy:
    scratch = Path(tempfile.mkdtemp(prefix="gate-runner-ref-"))
    real = os.path.realpath(scratch) + "/"
    label = Relabel(
        (display(scratch) + "/", str(scratch) + "/", real), f"{reader.ref.name}:", real, reader.root
    )
    try:
        for file in files:
            target = scratch / reader.relative(file.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.data)
        try:
            policy = load_policy(scratch / reader.relative(config), env=env, cache_dir=cache_dir)
        except PolicyError as error:
            raise PolicyError([label.diagnostic(d) for d in error.diagnostics]) from None
        relabelled: Policy = label(policy)
        return relabelled
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass(frozen=True)
class Relabel:
    """Renames the scratch copy's files back to ``REF:path`` (trace files: the work tree)."""

    old: tuple[str, ...]
    new: str
    scratch: str  # the real path of the scratch dir, with a trailing slash
    tree: Path

    def text(self, text: str) -> str:
        for prefix in self.old:
            if text.startswith(prefix):
                return self.new + text[len(prefix) :]
        return text

    def diagnostic(self, d: Diagnostic) -> Diagnostic:
        return Diagnostic(
            self.text(d.file),
            d.line,
            d.col,
            d.message,
            tuple(self.text(c) for c in d.chain),
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
            if isinstance(value, Campaign) and value.trace_file:
                # A trace file is data the campaign sends, not policy: it stays in the tree.
                rest = value.trace_file.removeprefix(self.scratch)
                fields["trace_file"] = str(self.tree / rest)
            return dataclasses.replace(value, **fields)
        if isinstance(value, tuple):
            return tuple(self(item) for item in value)
        return value


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
