"""CODEOWNERS as GitHub and GitLab read it: patterns, the last match, GitLab's sections."""

from __future__ import annotations

import pytest

from gate_runner.governance.codeowners import matches, owners_of, sections_of


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("*", "svc/sepurux.yml", True),
        ("*.yml", "svc/deep/sepurux.yml", True),  # no slash: any depth
        ("/sepurux.yml", "svc/sepurux.yml", False),  # anchored at the root
        ("/sepurux.yml", "sepurux.yml", True),
        ("svc/", "svc/sepurux.yml", True),  # a directory owns what is below it
        ("svc/", "apps/svc/sepurux.yml", True),  # ... at any depth without a leading /
        ("/svc/", "apps/svc/sepurux.yml", False),
        ("svc/*.yml", "svc/sepurux.yml", True),  # a slash inside anchors it
        ("svc/*.yml", "svc/a/sepurux.yml", False),  # * stays within a directory
        ("svc/**/sepurux.yml", "svc/a/b/sepurux.yml", True),
        ("svc/**/sepurux.yml", "svc/sepurux.yml", True),
        ("sepurux.y?l", "sepurux.yml", True),
        ("/", "sepurux.yml", False),
    ],
)
def test_patterns(pattern: str, path: str, hit: bool) -> None:
    assert matches(pattern, path) is hit


def test_github_the_last_matching_line_wins_and_a_bare_pattern_unowns() -> None:
    text = """
    # comment
    *           @acme/everyone
    *.yml       @alice   bob@example.com
    /vendor/
    docs/\\#x.md @carol  # an escaped # is part of the path
    """
    sections = sections_of(text.replace("\n    ", "\n"), sections=False)
    assert owners_of("svc/sepurux.yml", sections) == (("alice",),)  # e-mail is not a login
    assert owners_of("README.md", sections) == (("acme/everyone",),)
    assert owners_of("vendor/x.yml", sections) == ()  # the last match names nobody
    assert owners_of("docs/#x.md", sections) == (("carol",),)
    # GitHub has no sections: a [bracket] line is a pattern.
    assert sections_of("[Policies] @x\n", sections=False)[0].rules[0].pattern == "[Policies]"


def test_gitlab_sections_each_need_their_owner_and_optional_ones_do_not() -> None:
    text = """
*.yml @dev

[Policies] @acme/platform
sepurux.yml
/legacy/sepurux.yml @old

^[Docs] @writers
*.yml

[Security][2] @sec
*.yml
"""
    sections = sections_of(text, sections=True)
    assert [s.name for s in sections] == ["", "Policies", "Docs", "Security"]
    assert owners_of("svc/sepurux.yml", sections) == (("dev",), ("acme/platform",), ("sec",))
    assert owners_of("legacy/sepurux.yml", sections) == (("dev",), ("old",), ("sec",))
