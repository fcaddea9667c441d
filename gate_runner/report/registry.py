"""The one list of report formats: it drives the CLI's choices and help, defaults, rendering."""

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
    # Read by programs, not shown in a CI log: untrusted text stays as it came (scrubbed only).
    data: bool = False


REPORTERS: dict[str, Reporter] = {
    r.name: r
    for r in (
        Reporter("text", STDOUT, "human summary", text.render),
        Reporter(
            "json", "gate-runner-report.json", "the verdict document", json_report.render, data=True
        ),
        Reporter("junit", "gate-runner-junit.xml", "JUnit XML", junit.render, data=True),
        Reporter(
            "sarif", "gate-runner.sarif", "SARIF 2.1.0 (code scanning)", sarif.render, data=True
        ),
        Reporter(
            "gitlab",
            "gate-runner-codequality.json",
            "GitLab Code Quality",
            gitlab.render,
            data=True,
        ),
        Reporter("github", STDOUT, "GitHub Actions annotations", github.render),
        Reporter("markdown", "gate-runner-comment.md", "PR comment body", markdown.render),
        Reporter("html", "gate-runner-report.html", "self-contained HTML page", html.render),
    )
}


def report_help() -> str:
    """The help of `--report`: every format this registry holds, in its order."""
    return f"FORMAT[=PATH], repeatable: {', '.join(REPORTERS)}."
