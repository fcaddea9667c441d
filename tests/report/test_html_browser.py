"""The html page in a real browser: headless Chromium renders it, shows it, and logs no error.

Chromium is Debian's package (`.ci/run` installs it). In CI (CI=true) a missing browser fails
these tests; on a workstation without it they are skipped.
UPDATE_SCREENSHOT=1 rewrites docs/report-failing.png from the demo's failing run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from support import clean_env, run_gate

from gate_runner.report.html import render
from gate_runner.verdict import Verdict

from .chromium import Browser, Image, Page, find_chromium, read_png
from .fixtures import hard_fail, soft_warn

ROOT = Path(__file__).parents[2]
SCREENSHOT = ROOT / "docs" / "report-failing.png"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: .ci/run installs it with apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with Browser(executable) as started:
        yield started


def _open(browser: Browser, tmp_path: Path, verdict: Verdict, **options: object) -> Page:
    target = tmp_path / "report.html"
    target.write_text(render(verdict), encoding="utf-8")
    return browser.open(target.as_uri(), **options)  # type: ignore[arg-type]


def _rows(page: Page) -> list[list[str]]:
    script = (
        "JSON.stringify([...document.querySelectorAll('#campaigns tbody tr')]"
        ".map(r => [r.cells[0].textContent, r.cells[1].textContent]))"
    )
    rows: list[list[str]] = json.loads(page.evaluate(script))
    return rows


def _not_blank(image: Image) -> None:
    colours = Counter(image.pixels)
    background, count = colours.most_common(1)[0]
    assert len(colours) > 50, f"only {len(colours)} colours: a blank page?"
    assert len(image.pixels) - count > len(image.pixels) // 50, "almost all background"
    assert background == image.at(0, 0)


def _reds(image: Image) -> int:
    """Pixels of the fail colour (#cf222e light, #f85149 dark), give or take anti-aliasing."""
    return sum(1 for r, g, b, *_ in image.pixels if r > 180 and g < 100 and b < 100 and r - g > 120)


def test_failing_verdict_renders_with_no_console_error(browser: Browser, tmp_path: Path) -> None:
    page = _open(browser, tmp_path, hard_fail())
    assert page.problems == []
    assert _rows(page) == [["core-reliability", "fail"]]
    assert page.evaluate("document.title") == "gate-runner: fail — blocks the merge"
    description = "document.querySelector('meta[name=description]')?.content"
    assert page.evaluate(description) == (
        "Sepurux reliability gate verdict: fail, blocks the merge."
        " 1 of 1 campaigns failed; the gate blocks (hard)"
    )
    assert page.evaluate("document.querySelectorAll('svg').length") >= 3
    image = read_png(page.screenshot(640, 700))
    assert (image.width, image.height) == (640, 700)
    _not_blank(image)
    assert image.at(0, 0)[:3] == (255, 255, 255)
    assert _reds(image) > 200  # the FAIL badge, the red dot and the tool bars


def test_phone_width_has_no_page_scroll_and_dark_mode_is_dark(
    browser: Browser, tmp_path: Path
) -> None:
    verdict = replace(soft_warn(), campaigns=(*soft_warn().campaigns, *hard_fail().campaigns))
    page = _open(browser, tmp_path, verdict, width=390, scheme="dark")
    assert page.problems == []
    assert _rows(page) == [["checkout-flow", "warn"], ["core-reliability", "fail"]]
    image = read_png(page.screenshot(390, 640))
    # The page itself never scrolls sideways on a phone; wide tables scroll in their box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _not_blank(image)
    assert image.at(0, 0)[:3] == (0x0D, 0x11, 0x17)  # the dark background
    assert _reds(image) > 100


def test_hostile_names_run_no_script(browser: Browser, tmp_path: Path) -> None:
    base = hard_fail()
    evil = "<script>console.error('pwned')</script><img src=x onerror=\"console.error('img')\">"
    campaign = replace(
        base.campaigns[0],
        key=f"core{evil}",
        payload={"top_failing_tools": [{"tool": evil, "count": 2}], "pass_rate": 0.5},
    )
    page = _open(browser, tmp_path, replace(base, campaigns=(campaign,), summary=evil))
    assert page.problems == []
    assert page.evaluate("document.querySelectorAll('script, img').length") == 0
    assert _rows(page) == [[f"core{evil}", "fail"]]
    # The summary, untrusted, is the description's text and nothing more.
    assert page.evaluate("document.querySelector('meta[name=description]').content").endswith(evil)


def test_demo_failing_run_screenshot(browser: Browser, tmp_path: Path) -> None:
    """The quick start's failing run, through `gate-runner check` against the demo sandbox."""
    report = tmp_path / "demo.html"
    done = run_gate(
        [
            "check",
            "--config",
            "examples/sepurux.yml",
            "--sandbox",
            "examples/sandbox/demo.yml",
            "--report",
            f"html={report}",
            "--verdict",
            str(tmp_path / "verdict.json"),
        ],
        cwd=ROOT,
        env=clean_env(token=None),
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    page = browser.open(report.as_uri())
    assert page.problems == []
    assert _rows(page) == [
        ["core-reliability", "pass"],
        ["refund-safety", "fail"],
        ["support-eval-set", "pass"],
    ]
    lines = page.evaluate("document.querySelector('#policy-lines').textContent")
    assert "examples/sepurux.yml:12" in lines
    png = page.screenshot(900)
    image = read_png(png)
    _not_blank(image)
    assert _reds(image) > 200
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.write_bytes(png)
    assert SCREENSHOT.exists(), "UPDATE_SCREENSHOT=1 pytest tests/report/test_html_browser.py"


def test_the_console_check_sees_errors_and_csp_violations(browser: Browser, tmp_path: Path) -> None:
    """The harness itself: a page that logs an error, and one whose script the CSP blocks."""
    noisy = tmp_path / "noisy.html"
    noisy.write_text("<!DOCTYPE html><script>console.error('boom')</script>", encoding="utf-8")
    assert browser.open(noisy.as_uri()).problems == ["console.error: ['boom']"]
    page = render(hard_fail()).replace("<main>", "<main><script>console.error('x')</script>")
    blocked = tmp_path / "blocked.html"
    blocked.write_text(page, encoding="utf-8")
    problems = browser.open(blocked.as_uri()).problems
    assert len(problems) == 1
    assert "Content Security Policy" in problems[0]
