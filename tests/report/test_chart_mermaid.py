"""The comment's charts parsed and drawn by the real mermaid (npm) in headless Chromium.

Checked in the drawn SVG: no two x labels' boxes overlap, every line has a length, each label
names a row of the table under the charts (and that row a campaign), a run's bar is drawn in
another colour than an aggregate's. .ci/run installs mermaid and sets MERMAID_PREFIX: then (or
under CI=true) a missing mermaid or Chromium fails; elsewhere the test installs mermaid into
a cache folder (GATE_RUNNER_TEST_CACHE moves it) and skips when it cannot.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gate_runner.report.chart import MAX_CHARTED, PER_CHART, chart_block
from gate_runner.safe_text import markdown as cell
from gate_runner.verdict import Verdict

from .chromium import Browser, Page, find_chromium
from .fixtures import HOSTILE, hard_fail, passing, soft_warn
from .test_html import _repeated

MERMAID = "12.3.0"  # .ci/run installs the same version
pytestmark = pytest.mark.slow


def _required() -> bool:
    return os.environ.get("CI") == "true" or bool(os.environ.get("MERMAID_PREFIX"))


def _missing(reason: str) -> None:
    if _required():
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def mermaid_js() -> Path:
    cache = Path(os.environ.get("GATE_RUNNER_TEST_CACHE", Path.home() / ".cache" / "gate-runner"))
    prefix = Path(os.environ.get("MERMAID_PREFIX") or cache / f"mermaid-{MERMAID}")
    script = prefix / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm is not installed: cannot fetch mermaid")
        done = subprocess.run(
            [str(npm), "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             "--silent", f"mermaid@{MERMAID}"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not script.exists():
            _missing(f"npm install mermaid@{MERMAID} failed: {done.stderr[-300:]}")
    version = json.loads((script.parents[1] / "package.json").read_text(encoding="utf-8"))
    assert version["version"] == MERMAID
    return script


@pytest.fixture(scope="module")
def page(mermaid_js: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    executable = find_chromium()
    if executable is None:
        _missing("Chromium is missing: .ci/run installs it with apt-get install chromium")
    host = tmp_path_factory.mktemp("mermaid") / "host.html"
    host.write_text(
        f'<!DOCTYPE html><meta charset="utf-8"><script src="{mermaid_js.as_uri()}"></script>'
        "<script>mermaid.initialize({startOnLoad: false});</script>",
        encoding="utf-8",
    )
    with Browser(str(executable)) as browser:
        yield browser.open(host.as_uri())


def _draw(page: Page, chart: str) -> dict[str, Any]:
    """What mermaid drew for one chart, laid out in the page: labels, lines and bars."""
    source = json.dumps(chart)
    script = f"""(async () => {{
      try {{
        await mermaid.parse({source});
        const {{svg}} = await mermaid.render('chart' + Math.floor(Math.random() * 1e9), {source});
        const box = document.createElement('div');
        box.innerHTML = svg;
        document.body.appendChild(box);
        const labels = [...box.querySelectorAll('g.bottom-axis g.label text')].map(t => {{
          const r = t.getBoundingClientRect();
          return {{text: t.textContent, left: r.left, right: r.right}};
        }});
        const lines = [...box.querySelectorAll('g[class^="line-plot-"] path')].map(
          p => p.getTotalLength());
        const bars = [...box.querySelectorAll('g[class^="bar-plot-"]')].map(g =>
          [...g.querySelectorAll('rect')].map(r => ({{
            fill: r.getAttribute('fill'), height: Number(r.getAttribute('height'))}})));
        box.remove();
        return JSON.stringify({{ok: true, labels, lines, bars}});
      }} catch (error) {{
        return JSON.stringify({{ok: false, error: String(error)}});
      }}
    }})()"""
    result: dict[str, Any] = json.loads(page.evaluate(script, wait=True))
    return result


def _charts(block: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", block, flags=re.S)


def _table(block: str) -> list[list[str]]:
    """The rows of the table under the charts, cells split on unescaped pipes."""
    rows = [line for line in block.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[2:]]


def _campaigns(count: int, *, runs: bool = False) -> Verdict:
    """`count` campaigns whose long names share a prefix longer than any label."""
    base = (_repeated() if runs else hard_fail()).campaigns[0]
    prefix = "agents/customer-support/regression-suite-with-a-long-shared-prefix-"
    campaigns = tuple(replace(base, key=f"{prefix}{i:03d}") for i in range(1, count + 1))
    return replace(hard_fail(), campaigns=campaigns)


def _hostile() -> Verdict:
    """A campaign key that tries to end the string, the block and the chart."""
    key = f'a"] ```\nbar [1]\n%%{{init: {{}}}}%% <script>{HOSTILE}'
    return replace(hard_fail(), campaigns=(replace(hard_fail().campaigns[0], key=key),))


def _monorepo() -> Verdict:
    """Two policies' `core-reliability`, keys prefixed; the baseline rate the verdict keeps."""
    one = replace(hard_fail().campaigns[0], baseline_pass_rate=0.9)
    keys = ("services/api/core-reliability", "services/web/core-reliability")
    return replace(hard_fail(), campaigns=tuple(replace(one, key=k) for k in keys))


def test_the_validator_rejects_a_broken_chart(page: Page) -> None:
    assert _draw(page, 'xychart-beta\n    x-axis ["a"]\n    bar [0.5, oops]\n')["ok"] is False


def _check_legible(page: Page, verdict: Verdict, baseline: Verdict | None) -> list[dict[str, Any]]:
    """Draw every chart of the block and check what a reader needs; return the drawings."""
    block = chart_block(verdict, baseline)
    legend = {row[0]: row[1] for row in _table(block)}
    assert list(legend.values()) == [cell(c.key) for c in verdict.campaigns]
    drawings = []
    for chart in _charts(block):
        drawn = _draw(page, chart)
        assert drawn["ok"] is True, drawn
        boxes = drawn["labels"]
        for left, right in itertools.pairwise(boxes):
            assert left["right"] <= right["left"], (left, right)  # no two labels overlap
        for label in (b["text"] for b in boxes if b["text"].strip("\u200b")):
            assert label.split(".")[0] in legend, label  # C3.2 is run 2 of C3
        assert drawn["lines"] and all(length > 0 for length in drawn["lines"]), drawn["lines"]
        drawings.append(drawn)
    assert page.problems == []
    return drawings


@pytest.mark.parametrize("count", [1, 5, 30])
def test_long_shared_names_stay_legible(page: Page, count: int) -> None:
    drawings = _check_legible(page, _campaigns(count), None)
    assert len(drawings) == -(-count // PER_CHART)
    labels = [b["text"] for d in drawings for b in d["labels"] if b["text"].strip("\u200b")]
    assert labels == [f"C{i}" for i in range(1, count + 1)]


def test_a_hundred_campaigns_are_a_table(page: Page) -> None:
    verdict = _campaigns(100)
    block = chart_block(verdict)
    assert MAX_CHARTED < 100 and _charts(block) == []
    assert [row[0] for row in _table(block)] == [cell(c.key) for c in verdict.campaigns]


def test_one_campaign_draws_its_bar_as_a_line(page: Page) -> None:
    (drawn,) = _check_legible(page, hard_fail(), passing())
    assert len(drawn["lines"]) == 2  # the bar and the baseline, each with a length


def test_runs_are_drawn_apart_from_the_aggregate(page: Page) -> None:
    drawings = _check_legible(page, _campaigns(3, runs=True), passing())
    for drawn in drawings:
        aggregate, runs = drawn["bars"]
        labels = [b["text"] for b in drawn["labels"]]
        assert aggregate[0]["fill"] != runs[0]["fill"]
        for label, mine, theirs in zip(labels, aggregate, runs, strict=True):
            # The series that is not this category's is mermaid's zero stub, the lower bar.
            top, under = (theirs, mine) if "." in label else (mine, theirs)
            assert top["height"] > under["height"], (label, top, under)


@pytest.mark.parametrize(
    ("name", "verdict", "baseline"),
    [
        ("pass", passing(), None),
        ("soft", soft_warn(), None),
        ("hostile", _hostile(), None),
        ("repeated", _repeated(), passing()),
        ("monorepo, baseline in the verdict", _monorepo(), None),
    ],
)
def test_mermaid_parses_and_draws_every_chart(
    page: Page, name: str, verdict: Verdict, baseline: Verdict | None
) -> None:
    assert _check_legible(page, verdict, baseline), name
