"""The one owner of making untrusted text safe: for a terminal line, for markdown, for a report.

Text a policy, a repository, a stored verdict or a server controls (keys, paths, tool names,
outcomes, messages) may hold newlines, ESC sequences, GFM markup or @mentions. Every reporter
and message path passes such text through one of these before it is shown.
"""

from __future__ import annotations

import re

# ANSI CSI/OSC sequences first (so their parameters go too), then C0/C1 controls, DEL,
# lone surrogates and the two XML non-characters.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
# What a terminal line shows escaped: every control character (tab aside), line and
# paragraph separators, lone surrogates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\e"}

# Backslash escapes for everything GFM would read as markup, so untrusted text stays text.
MARKDOWN_MARKUP = re.compile(r"([\\`*_\[\]<>|~$])")
# Markup that acts only at the start of a line: a heading, a list item, a quote, a rule.
_LINE_START = re.compile(r"^(\d{1,9}(?=[.)])|)([#+=.)-])(?=[#=-]*(?:[ \t]|$))")
# GitHub and GitLab ping `@user` / `@org/team` and link `#123`, `!123` (GitLab MRs) and
# `GH-123`: a zero-width joiner after the sigil keeps the text readable and inert.
_MENTION = re.compile(r"(?<!\w)([@#!])(?=[\w-])")
_GH_REF = re.compile(r"\b(GH)-(?=\d)", re.IGNORECASE)
ZWJ = "\u200d"


def clean(text: object) -> str:
    """Text without terminal escapes or control characters; newlines and tabs are kept."""
    value = text if isinstance(text, str) else str(text)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", _ANSI.sub("", value))


def one_line(text: object, limit: int = 500) -> str:
    """One line a human reads: cleaned, whitespace collapsed, cut at limit characters."""
    raw = text if isinstance(text, str) else str(text)
    if raw.isprintable() and "  " not in raw and raw.strip() == raw:
        # Most text (ids, names, messages) is already one clean line: skip the regexes.
        value = raw
    else:
        value = _SPACES.sub(" ", clean(raw)).strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def terminal(text: object) -> str:
    """One terminal line: newlines, ESC and every control character escaped visibly.

    `pass\\n::error::x` stays on its line as `pass\\n::error::x` (a backslash and an n), so no
    untrusted text can start a line of its own (a CI command) or move the cursor.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():
        return value
    return _UNPRINTABLE.sub(_escape, value)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def markdown(text: object, limit: int = 300) -> str:
    """Inline markdown (a table cell, a list item): one line, markup escaped, no pings, never empty.

    `&` becomes an entity; @mentions, #123 / !123 / GH-123 references get a zero-width joiner.
    """
    value = one_line(text, limit).replace("&", "&amp;")
    value = MARKDOWN_MARKUP.sub(r"\\\1", value)
    value = _GH_REF.sub(lambda m: f"{m.group(1)}-{ZWJ}", _MENTION.sub(rf"\1{ZWJ}", value))
    value = _LINE_START.sub(r"\1\\\2", value)
    return value or " "
