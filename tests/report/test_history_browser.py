"""`history --report html=PATH` in a real browser: headless Chromium renders the trends.

Like test_html_browser: in CI (CI=true) a missing Chromium fails, elsewhere it skips.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from governance.cli import run
from governance.history.stored_verdicts import stored

from .chromium import Browser, find_chromium, read_png

pytestmark = pytest.mark.slow
EVIL = "<script>console.error('pwned')</script><img src=x onerror=\"console.error('img')\">"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: .ci/run installs it with apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with Browser(executable) as started:
        yield started


def _page(tmp_path: Path, texts: list[str]) -> Path:
    folder = tmp_path / "verdicts"
    folder.mkdir()
    for text in texts:
        (folder / f"{json.loads(text)['ci']['commit']}.json").write_text(text, encoding="utf-8")
    done = run(
        tmp_path, "history", "--store", "verdicts", "--as-of", "2026-11-30",
        "--report", "html=history.html",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert done.stdout.startswith("history of ")
    return tmp_path / "history.html"


def test_each_campaign_gets_a_trend_drawn_with_no_console_error(
    browser: Browser, tmp_path: Path
) -> None:
    rates = [0.9, 0.92, 0.6, 0.55, 0.5, 0.5]  # failing in most of the window: chronic
    texts = [stored("acme/agent", i, r) for i, r in enumerate(rates)]
    texts += [stored("acme/chat", i, 0.95) for i in range(3)]
    page = browser.open(_page(tmp_path, texts).as_uri())
    assert page.problems == []
    assert page.evaluate("document.title") == "gate-runner history: 9 verdicts in 2 repositories"
    assert page.evaluate("document.querySelectorAll('.trend svg').length") == 2
    # One dot per commit, in its outcome's colour; the failing four drawn below the bar.
    dots = "[...document.querySelectorAll('.trend svg')[0].querySelectorAll('circle')]"
    assert json.loads(page.evaluate(f"JSON.stringify({dots}.map(c => c.classList[1]))")) == [
        "pass", "pass", "fail", "fail", "fail", "fail",
    ]  # fmt: skip
    bar_y = float(page.evaluate("document.querySelector('.trend line.bar').getAttribute('y1')"))
    heights = json.loads(page.evaluate(f"JSON.stringify({dots}.map(c => +c.getAttribute('cy')))"))
    assert all(y < bar_y for y in heights[:2]) and all(y > bar_y for y in heights[2:])
    width = "document.querySelector('.trend svg').getBoundingClientRect().width"
    assert page.evaluate(width) > 150
    assert "chronic failure" in page.evaluate("document.body.innerText")
    image = read_png(page.screenshot(1024, 600))
    reds = sum(1 for r, g, b, *_ in image.pixels if r > 180 and g < 100 and b < 100)
    assert reds > 30  # the failing dots and the flag


def test_a_crafted_repository_and_campaign_run_no_script(browser: Browser, tmp_path: Path) -> None:
    text = json.loads(stored(f"acme/{EVIL}", 0, 0.5))
    text["campaigns"][0]["key"] = f"core{EVIL}"
    page = browser.open(_page(tmp_path, [json.dumps(text)]).as_uri(), width=390)
    assert page.problems == []
    assert page.evaluate("document.querySelectorAll('script, img').length") == 0
    assert page.evaluate("document.querySelector('h2').textContent") == f"acme/{EVIL}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
