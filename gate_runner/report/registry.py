"""The one list of report formats: it drives both the CLI's choices and construction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gate_runner.report import github, gitlab, html, json_report, junit, markdown, sarif, text
from gate_runner.verdict import Verdict

STDOUT = "-"


@dataclass(frozen=True)
class Reporter:
    """A format: its name on the command line, where it goes by default, and how it renders."""

    name: str
    default_path: str  # "-" is stdout
    description: str
    render: Callable[[Verdict], str]


REPORTERS: dict[str, Reporter] = {
    r.name: r
    for r in (
        Reporter("text", STDOUT, "human summary", text.render),
        Reporter("json", "gate-runner-report.json", "the verdict document", json_report.render),
        Reporter("junit", "gate-runner-junit.xml", "JUnit XML", junit.render),
        Reporter("sarif", "gate-runner.sarif", "SARIF 2.1.0 (code scanning)", sarif.render),
        Reporter("gitlab", "gate-runner-codequality.json", "GitLab Code Quality", gitlab.render),
        Reporter("github", STDOUT, "GitHub Actions annotations", github.render),
        Reporter("markdown", "gate-runner-comment.md", "PR comment body", markdown.render),
        Reporter("html", "gate-runner-report.html", "self-contained HTML page", html.render),
    )
}
