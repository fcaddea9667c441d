"""CODEOWNERS (GitHub's and GitLab's syntax, GitLab's sections): who owns one path (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Where each forge looks, first found wins (GitHub: docs "About code owners"; GitLab:
# user/project/codeowners "CODEOWNERS file").
LOCATIONS = {
    "github": (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"),
    "gitlab": ("CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"),
}
# `[Section]`, `^[Optional section]`, `[Section][2]`, then the section's default owners.
_SECTION = re.compile(r"^(\^)?\[([^\]]+)\](?:\[\d+\])?\s*(.*)$")
_OWNER = re.compile(r"^@[A-Za-z0-9_.][A-Za-z0-9_./-]*$")


@dataclass(frozen=True)
class Rule:
    pattern: str
    owners: tuple[str, ...]  # "alice", "acme/team" (the @ dropped); e-mail addresses are not kept
    line: int


@dataclass(frozen=True)
class Section:
    name: str  # "" for the rules before any section (GitHub has only this one)
    optional: bool
    rules: tuple[Rule, ...]


def sections_of(text: str, *, sections: bool) -> tuple[Section, ...]:
    """The file's sections in order; `sections` is False for GitHub, where `[x]` is a pattern."""
    found: list[Section] = []
    rules: list[Rule] = []
    name, optional, default = "", False, tuple[str, ...]()
    for number, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        header = _SECTION.match(line) if sections else None
        if header is not None:
            found.append(Section(name, optional, tuple(rules)))
            name, optional = header.group(2).strip(), bool(header.group(1))
            default, rules = _owners(header.group(3).split()), []
            continue
        pattern, *rest = _split(line)
        owners = _owners(rest) or (default if sections else ())
        rules.append(Rule(pattern, owners, number))
    found.append(Section(name, optional, tuple(rules)))
    return tuple(s for s in found if s.rules)


def owners_of(path: str, sections: tuple[Section, ...]) -> tuple[tuple[str, ...], ...]:
    """One owner group per required section whose rules match `path`; in each section the
    last matching rule wins (a rule with no owners leaves the path unowned there)."""
    groups: list[tuple[str, ...]] = []
    for section in sections:
        last = None
        for rule in section.rules:
            if matches(rule.pattern, path):
                last = rule
        if last is not None and last.owners and not section.optional:
            groups.append(last.owners)
    return tuple(groups)


def matches(pattern: str, path: str) -> bool:
    """gitignore-style, as both forges document: `/x` anchors at the root, a pattern with no
    slash but a trailing one matches at any depth, `*` stays within a directory, `**` crosses,
    and a directory pattern owns everything below it."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    if not body:
        return False
    regex = _glob(body)
    prefix = "" if anchored else "(?:.*/)?"
    # A match may name the file itself or any directory above it.
    return re.fullmatch(f"{prefix}{regex}(?:/.*)?", path) is not None


def _glob(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(body[i]))
            i += 1
    return "".join(out)


def _strip_comment(line: str) -> str:
    """`#` starts a comment unless escaped (`\\#` is a file name's #)."""
    found = re.search(r"(?<!\\)#", line)
    return line[: found.start()] if found else line


def _split(line: str) -> list[str]:
    """Fields split on unescaped whitespace (`\\ ` is a space in a path)."""
    return [part.replace("\\ ", " ") for part in re.split(r"(?<!\\)\s+", line) if part]


def _owners(fields: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f[1:] for f in fields if _OWNER.match(f)))
