"""The one owner of untrusted text: a terminal line and inline markdown, as units."""

from __future__ import annotations

import pytest

from gate_runner.safe_text import ZWJ, markdown, terminal


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("core", "core"),
        ("pass\n::error::x", "pass\\n::error::x"),
        ("a\r\nb", "a\\r\\nb"),
        ("\x1b[31mred\x1b[0m", "\\e[31mred\\e[0m"),
        ("nul\x00bell\x07del\x7fcsi\x9b", "nul\\x00bell\\x07del\\x7fcsi\\x9b"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("tab\tkept", "tab\tkept"),
        ("lone \ud800", "lone \\ud800"),
    ],
)
def test_a_terminal_line_shows_every_control_visibly_and_stays_one_line(
    raw: str, shown: str
) -> None:
    assert terminal(raw) == shown
    assert "\n" not in terminal(raw) and "\x1b" not in terminal(raw)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("@octocat @acme/security", f"@{ZWJ}octocat @{ZWJ}acme/security"),
        ("fixes #123, !45 and GH-7", f"fixes #{ZWJ}123, !{ZWJ}45 and GH-{ZWJ}7"),
        ("mail a@b.example", "mail a@b.example"),  # an address pings nobody: left alone
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("1. item", "1\\. item"),
        ("0.85 and -1", "0.85 and -1"),
        ("a|b *c* _d_ `e` [f](g) <h>", "a\\|b \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) \\<h\\>"),
        ("x & y", "x &amp; y"),
        ("two\nlines\x1b[2J", "two lines"),  # the whole escape sequence goes
        ("", " "),
    ],
)
def test_inline_markdown_escapes_markup_and_pings_nobody(raw: str, shown: str) -> None:
    assert markdown(raw) == shown
