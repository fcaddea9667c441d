"""Resolves ``extends``: local files relative to the naming file, pinned URLs; detects cycles."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate_runner.config.fetch import Fetcher, FetchError, fetch_pinned
from gate_runner.config.load import check_document, parse
from gate_runner.config.yaml_positions import Document
from gate_runner.errors import Diagnostic

_SHA256 = re.compile(r"[0-9a-fA-F]{64}\Z")


@dataclass
class Source:
    """One file of the policy, in merge order, with the chain of extends that reached it."""

    location: str  # what diagnostics and origins show: a cwd-relative path or the URL
    sha256: str
    doc: Document
    base_dir: Path | None  # where its relative paths point; None for a URL
    chain: tuple[str, ...]


def display(path: Path) -> str:
    """A path relative to the working directory when it is under it, else as absolute."""
    absolute = Path(os.path.normpath(path.absolute()))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(absolute)


def _pinned_url(entry: object) -> bool:
    # Anything else is a schema error, already reported; never fetch without a valid pin.
    if not isinstance(entry, dict):
        return False
    url, sha256 = entry.get("url"), entry.get("sha256")
    return (
        isinstance(url, str)
        and url.startswith(("http://", "https://"))
        and isinstance(sha256, str)
        and _SHA256.match(sha256) is not None
    )


class Resolver:
    def __init__(self, env: Mapping[str, str], cache_dir: Path, fetcher: Fetcher | None) -> None:
        self.env, self.cache_dir, self.fetcher = env, cache_dir, fetcher
        self.sources: list[Source] = []
        self.diagnostics: list[Diagnostic] = []

    def resolve_root(self, path: Path, shown: str) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.diagnostics.append(Diagnostic(shown, 1, 1, f"cannot read the policy: {reason}"))
            return
        key = str(path.resolve())
        self._visit(data, shown, path.resolve().parent, (), [(key, shown)])

    def _visit(
        self,
        data: bytes,
        shown: str,
        base_dir: Path | None,
        chain: tuple[str, ...],
        stack: list[tuple[str, str]],
    ) -> None:
        def report(found: list[Diagnostic]) -> None:
            self.diagnostics.extend(
                Diagnostic(d.file, d.line, d.col, d.message, chain) for d in found
            )

        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            report([Diagnostic(shown, 1, 1, "the policy is not UTF-8 text")])
            return
        doc, problems = parse(text, shown)
        report(problems)
        if doc is None:
            return
        report(check_document(doc, self.env))
        entries = doc.data.get("extends") if isinstance(doc.data, dict) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            line = doc.pos(("extends", index))[0]
            self._follow(
                doc, index, entry, base_dir, chain=(*chain, f"{shown}:{line}"), stack=stack
            )
        digest = hashlib.sha256(data).hexdigest()
        self.sources.append(Source(shown, digest, doc, base_dir, chain))

    def _follow(
        self,
        doc: Document,
        index: int,
        entry: object,
        base_dir: Path | None,
        *,
        chain: tuple[str, ...],
        stack: list[tuple[str, str]],
    ) -> None:
        where = ("extends", index)
        parent_chain = chain[:-1]

        def fail(message: str) -> None:
            diagnostic = doc.diag(where, message)
            self.diagnostics.append(
                Diagnostic(diagnostic.file, diagnostic.line, diagnostic.col, message, parent_chain)
            )

        if isinstance(entry, str):
            if base_dir is None:
                fail("a policy fetched from a URL can only extend pinned URLs ({url, sha256})")
                return
            target = Path(os.path.normpath(base_dir / entry))
            key, shown, child_dir = str(target.resolve()), display(target), target.resolve().parent
        elif _pinned_url(entry):
            assert isinstance(entry, dict)
            key = shown = entry["url"]
            child_dir = None
        else:
            return  # the schema has already reported it
        if any(key == seen for seen, _ in stack):
            names = [name for seen, name in stack[[s for s, _ in stack].index(key) :]]
            fail(f"extends cycle: {' -> '.join([*names, shown])}")
            return
        try:
            if child_dir is None:
                assert isinstance(entry, dict)  # narrowed by _pinned_url
                data = fetch_pinned(
                    entry["url"], str(entry.get("sha256", "")), self.cache_dir, self.fetcher
                )
            else:
                data = Path(key).read_bytes()
        except FetchError as exc:
            fail(str(exc))
            return
        except OSError as exc:
            fail(f"cannot read {shown}: {exc.strerror or type(exc).__name__}")
            return
        self._visit(data, shown, child_dir, chain, [*stack, (key, shown)])
