"""The one list of report formats: it drives the CLI's choices and help, defaults, rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate_runner.verdict import Verdict

STDOUT = "-"


@dataclass(frozen=True)
class Reporter:
    """A format: its name on the command line, where it goes by default, and how it renders."""

    name: str
    default_path: str  # "-" is stdout
    description: str
    # Read by programs, not shown in a CI log: untrusted text stays as it came (scrubbed only).
    data: bool = False

    def render(self, verdict: Verdict) -> str:
        return _renderers()[self.name](verdict)


REPORTERS: dict[str, Reporter] = {
    r.name: r
    for r in (
        Reporter("text", STDOUT, "human summary"),
        Reporter("json", "gate-runner-report.json", "the verdict document", data=True),
        Reporter("junit", "gate-runner-junit.xml", "JUnit XML", data=True),
        Reporter("sarif", "gate-runner.sarif", "SARIF 2.1.0 (code scanning)", data=True),
        Reporter("gitlab", "gate-runner-codequality.json", "GitLab Code Quality", data=True),
        Reporter("github", STDOUT, "GitHub Actions annotations"),
        Reporter("markdown", "gate-runner-comment.md", "PR comment body"),
        Reporter("html", "gate-runner-report.html", "self-contained HTML page"),
    )
}


def report_help() -> str:
    """The help of `--report`: every format this registry holds, in its order."""
    return f"FORMAT[=PATH], repeatable: {', '.join(REPORTERS)}."


def _renderers() -> dict[str, Callable[[Verdict], str]]:
    # The help and `--report`'s parsing read the table alone; the renderers import the verdict
    # late: model, charts and templates, which only a report written needs
    from gate_runner.report import github, gitlab, html, json_report, junit, markdown, sarif, text

    return {
        "text": text.render,
        "json": json_report.render,
        "junit": junit.render,
        "sarif": sarif.render,
        "gitlab": gitlab.render,
        "github": github.render,
        "markdown": markdown.render,
        "html": html.render,
    }
