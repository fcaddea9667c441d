"""The html page: self-contained, escaped everywhere, and it draws what the verdict says."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from gate_runner.report.html import page, render
from gate_runner.report.pass_rates import pass_rates
from gate_runner.verdict import Aggregate, RunError, RunRecord, Verdict

from .fixtures import FIXTURES, HOSTILE, hard_fail, hostile, passing

SCRIPT_TOOL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(document: str) -> _Elements:
    parser = _Elements()
    parser.feed(document)
    parser.close()
    return parser


def _with_tool(verdict: Verdict, tool: str) -> Verdict:
    campaign = verdict.campaigns[0]
    payload = dict(campaign.payload or {})
    payload["top_failing_tools"] = [{"tool": tool, "count": 4}]
    return replace(verdict, campaigns=(replace(campaign, payload=payload),))


@pytest.mark.parametrize("fixture", sorted([*FIXTURES, "hostile"]))
def test_page_loads_nothing_and_runs_nothing(fixture: str) -> None:
    verdict = hostile() if fixture == "hostile" else FIXTURES[fixture]()
    document = render(_with_tool(verdict, SCRIPT_TOOL) if verdict.campaigns else verdict)
    parsed = _parse(document)
    names = {tag for tag, _ in parsed.tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "base", "form"}
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs, tag  # the CSP allows the one hashed stylesheet only
        assert "src" not in attrs, tag
        if "href" in attrs:
            assert tag == "a" and re.match(r"^https?://", attrs["href"] or ""), attrs
    assert document.count("<style>") == 1


def test_csp_allows_exactly_the_stylesheet_in_the_page() -> None:
    document = render(hard_fail())
    style = re.search(r"<style>(.*?)</style>", document, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', document)
    assert csp is not None
    assert csp.group(1) == (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in document
    assert (
        '<meta name="description" content="Sepurux reliability gate verdict: fail, blocks the'
        ' merge. 1 of 1 campaigns failed; the gate blocks (hard)">'
    ) in document
    assert "prefers-color-scheme:dark" in document


def test_a_script_tool_name_is_text() -> None:
    document = render(_with_tool(hard_fail(), SCRIPT_TOOL))
    assert "<script" not in document.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in document
    assert SCRIPT_TOOL in "".join(_parse(document).text)


def test_hostile_verdict_keeps_its_text_and_injects_no_markup() -> None:
    document = render(hostile())
    parsed = _parse(document)
    text = "".join(parsed.text)
    assert "<b>&amp; | `tick`" in text  # shown as typed, on one line
    assert "\x1b" not in document and "\x00" not in document
    assert "javascript:" not in document  # a non-http dashboard link is dropped, not linked
    # Only the tags the page itself writes.
    allowed = {
        "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "p",
        "span", "code", "strong", "section", "div", "table", "caption", "thead", "tbody", "tr",
        "th", "td", "svg", "rect", "line", "circle", "ul", "li", "a", "footer",
    }  # fmt: skip
    assert {tag for tag, _ in parsed.tags} <= allowed
    assert HOSTILE not in document


def test_outcome_classes_come_from_a_fixed_list() -> None:
    campaign = replace(hard_fail().campaigns[0], outcome='x" onclick="alert(1)')  # type: ignore[arg-type]
    document = render(replace(hard_fail(), campaigns=(campaign,)))
    assert 'class="badge other"' in document
    assert 'data-outcome="other"' in document
    assert "onclick" not in {name for _, attrs in _parse(document).tags for name in attrs}


def test_campaign_table_and_policy_lines() -> None:
    document = render(hard_fail())
    assert '<tr class="campaign" data-outcome="fail"><td class="key"><code>core-reliability' in (
        document
    )
    assert "<code>sepurux.yml:24</code>" in document  # the failing threshold's line
    assert "<code>sepurux.yml:30</code>" in document  # remote check: the campaign's line instead
    assert 'href="https://app.sepurux.dev/runs/r-7"' in document
    assert "0.72 / bar 0.85" in document


def _repeated() -> Verdict:
    """A campaign as issue #12's verdict carries it: every run and the aggregate."""
    base = hard_fail()
    campaign = replace(
        base.campaigns[0],
        runs=tuple(
            RunRecord(run_id, None, "done", "fail", {"pass_rate": rate})
            for run_id, rate in (("r-1", 0.70), ("r-2", 0.74), ("r-3", 0.81))
        ),
        aggregate=Aggregate(
            method="median",
            rule="interval",
            runs=3,
            stopped="planned",
            metrics={"pass_rate": 0.74},
            interval={"low": 0.66, "high": 0.80, "confidence": 0.95, "method": "student-t"},
        ),
    )
    return replace(base, campaigns=(campaign,))


def test_runs_interval_and_baseline_are_drawn() -> None:
    rates = pass_rates(_repeated(), baseline=passing())
    assert rates[0].runs == (0.70, 0.74, 0.81)
    assert rates[0].interval == (0.66, 0.80)
    assert rates[0].baseline == 0.97
    document = page(_repeated(), baseline=passing())
    assert document.count('<circle class="run"') == 3
    assert '<line class="interval" x1="155.8" y1="14" x2="187.2" y2="14"/>' in document
    assert '<line class="baseline"' in document
    assert "runs 0.70, 0.74, 0.81" in document


def test_bar_read_from_the_runners_text_form() -> None:
    check = replace(hard_fail().campaigns[0].checks[1], expected=">= 0.85")
    campaign = replace(hard_fail().campaigns[0], checks=(check,))
    assert pass_rates(replace(hard_fail(), campaigns=(campaign,)))[0].bar == 0.85


@pytest.mark.parametrize("junk", [None, "0.9", True, float("nan"), [0.9], {"value": "x"}])
def test_junk_pass_rates_draw_nothing(junk: object) -> None:
    campaign = replace(
        passing().campaigns[0], checks=(), payload={"pass_rate": junk, "top_failing_tools": "x"}
    )
    verdict = replace(passing(), campaigns=(campaign,))
    assert pass_rates(verdict)[0].value is None
    assert 'id="pass-rates"' not in render(verdict)


def test_a_gate_without_campaigns_says_why() -> None:
    verdict = replace(
        hard_fail(),
        campaigns=(),
        outcome="error",
        error=RunError("auth", "the API refused the token <b>"),
        exit_code=3,
    )
    document = render(verdict)
    assert (
        "<p><strong>No decision</strong> (auth): the API refused the token &lt;b&gt;</p>"
        in document
    )
    assert 'id="campaigns"' not in document and 'id="pass-rates"' not in document
