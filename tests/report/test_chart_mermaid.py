"""The mermaid chart parsed and drawn by the real mermaid (npm) in headless Chromium.

Skipped when npm is missing or cannot install mermaid; a missing Chromium fails in CI.
The package is installed once into ~/.cache (GATE_RUNNER_TEST_CACHE moves it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from gate_runner.report.chart import chart_block
from gate_runner.verdict import Verdict

from .chromium import Browser, Page, find_chromium
from .fixtures import HOSTILE, hard_fail, passing, soft_warn
from .test_html import _repeated

MERMAID = "12.3.0"
pytestmark = pytest.mark.slow


def _no_browser(reason: str) -> None:
    # Like the html browser tests: in CI a missing Chromium fails. mermaid comes from npm,
    # which CI need not have: without it (or without the registry) the check is skipped.
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def mermaid_js() -> Path:
    cache = Path(os.environ.get("GATE_RUNNER_TEST_CACHE", Path.home() / ".cache" / "gate-runner"))
    prefix = cache / f"mermaid-{MERMAID}"
    script = prefix / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot fetch mermaid")
        done = subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             "--silent", f"mermaid@{MERMAID}"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not script.exists():
            pytest.skip(f"npm install mermaid@{MERMAID} failed: {done.stderr[-300:]}")
    return script


@pytest.fixture(scope="module")
def page(mermaid_js: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    executable = find_chromium()
    if executable is None:
        _no_browser("Chromium is missing: .ci/run installs it with apt-get install chromium")
    host = tmp_path_factory.mktemp("mermaid") / "host.html"
    host.write_text(
        f'<!DOCTYPE html><meta charset="utf-8"><script src="{mermaid_js.as_uri()}"></script>'
        "<script>mermaid.initialize({startOnLoad: false});</script>",
        encoding="utf-8",
    )
    with Browser(str(executable)) as browser:
        yield browser.open(host.as_uri())


def _draw(page: Page, chart: str) -> dict[str, object]:
    """What mermaid says of one chart: parse error, or the bar and line counts it drew."""
    source = json.dumps(chart)
    script = f"""(async () => {{
      try {{
        await mermaid.parse({source});
        const {{svg}} = await mermaid.render('chart' + Math.floor(Math.random() * 1e9), {source});
        const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
        return JSON.stringify({{
          ok: true,
          bars: doc.querySelectorAll('g.bar-plot-0 rect').length,
          lines: doc.querySelectorAll('g[class^="line-plot-"] path').length,
          labels: [...doc.querySelectorAll('g.bottom-axis g.label text')].map(t => t.textContent),
        }});
      }} catch (error) {{
        return JSON.stringify({{ok: false, error: String(error)}});
      }}
    }})()"""
    result: dict[str, object] = json.loads(page.evaluate(script, wait=True))
    return result


def _hostile() -> Verdict:
    """A campaign key that tries to end the string, the block and the chart."""
    key = f'a"] ```\nbar [1]\n%%{{init: {{}}}}%% <script>{HOSTILE}'
    return replace(hard_fail(), campaigns=(replace(hard_fail().campaigns[0], key=key),))


def _monorepo() -> Verdict:
    """Two policies' `core-reliability`, keys prefixed; the baseline rate the verdict keeps."""
    one = replace(hard_fail().campaigns[0], baseline_pass_rate=0.9)
    keys = ("services/api/core-reliability", "services/web/core-reliability")
    return replace(hard_fail(), campaigns=tuple(replace(one, key=k) for k in keys))


def _mermaid(block: str) -> str:
    return block.split("```mermaid\n", 1)[1].split("```", 1)[0]


def test_the_validator_rejects_a_broken_chart(page: Page) -> None:
    assert _draw(page, 'xychart-beta\n    x-axis ["a"]\n    bar [0.5, oops]\n')["ok"] is False


@pytest.mark.parametrize(
    ("name", "verdict", "baseline", "bars", "lines"),
    [
        ("pass", passing(), None, 1, 1),
        ("fail with baseline", hard_fail(), passing(), 1, 2),
        ("soft", soft_warn(), None, 1, 1),
        ("hostile", _hostile(), None, 1, 1),
        ("repeated", _repeated(), passing(), 4, 2),
        ("monorepo, baseline in the verdict", _monorepo(), None, 2, 2),
    ],
)
def test_mermaid_parses_and_draws_every_chart(
    page: Page, name: str, verdict: object, baseline: object, bars: int, lines: int
) -> None:
    block = chart_block(verdict, baseline)  # type: ignore[arg-type]
    drawn = _draw(page, _mermaid(block))
    assert drawn["ok"] is True, (name, drawn)
    assert (drawn["bars"], drawn["lines"]) == (bars, lines), drawn
    assert page.problems == []
