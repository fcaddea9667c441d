"""statistics.icc: auto end to end: a seeded sandbox's recorded runs in a store, then `check`.

The store holds 40 commits of the sandbox's own agent (`draw_metrics`, the draw every sandbox
run makes: Beta-binomial at mean 0.9 and ρ 0.2), three runs each; `check --store` must
estimate ρ from them, count with it, and say so in the verdict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from governance.history.stored_verdicts import stored

from gate_runner.governance.history.icc_estimate import estimate_iccs
from gate_runner.sandbox import Sandbox, Scenario
from gate_runner.sandbox.ci_run import draw_metrics

from .conftest import TOKEN, checked_verdict, run_cli, write_yaml

pytestmark = pytest.mark.slow
ICC, TRUE, TRIALS = 0.2, 0.9, 50
AGENT = {"name": "steady", "duration": 0.05,
         "metrics": {"pass_rate": {"true": TRUE, "trials": TRIALS, "icc": ICC}}}  # fmt: skip
SCENARIO: dict[str, Any] = {"seed": 22, "campaigns": [AGENT]}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Scenario.from_dict(SCENARIO), host="127.0.0.1", port=0, token=TOKEN) as box:
        yield box


def _record(folder: Path, commits: int) -> list[str]:
    """What `record` would have filed: each commit's three runs as the sandbox draws them."""
    metrics = Scenario.from_dict(SCENARIO).campaigns[0].metrics
    folder.mkdir()
    texts = []
    for commit in range(commits):
        rates = [draw_metrics(metrics, f"recorded-{commit}", "steady", i) for i in (1, 2, 3)]
        runs = [(round(m.pass_rate * TRIALS), TRIALS) for m in rates if m is not None]
        text = stored("acme/agent", commit, TRUE, runs=runs)
        (folder / f"{json.loads(text)['ci']['commit']}.json").write_text(text, encoding="utf-8")
        texts.append(text)
    return texts


def _check(sandbox: Sandbox, tmp_path: Path) -> dict[str, Any]:
    write_yaml(tmp_path / "sepurux.yml", {
        "version": 1, "gate": {"timeout": 60}, "enforcement": {"mode": "hard"},
        "thresholds": {"min_pass_rate": 0.8},
        "statistics": {"confidence": 0.95, "trials": "trace_count", "icc": "auto"},
        "campaigns": {"core": {"campaign": "steady", "repeat": 3}},
    })  # fmt: skip
    done = run_cli(["check", "--api-url", sandbox.url, "--store", "verdicts"], tmp_path)
    assert done.code in (0, 1), done.describe()
    campaign: dict[str, Any] = checked_verdict(done)["campaigns"][0]
    return campaign


def test_the_recorded_icc_is_estimated_and_counted_with(sandbox: Sandbox, tmp_path: Path) -> None:
    texts = _record(tmp_path / "verdicts", 40)
    campaign = _check(sandbox, tmp_path)
    expected = estimate_iccs([(str(i), t) for i, t in enumerate(texts)], ["core"], None)["core"]
    assert campaign["icc"] == expected.as_dict()
    assert campaign["icc"]["source"] == "estimated"
    assert (campaign["icc"]["commits"], campaign["icc"]["runs"], campaign["icc"]["df"]) == (
        40,
        120,
        80,
    )
    assert campaign["icc"]["used"] == pytest.approx(ICC, abs=0.08)
    assert campaign["aggregate"]["rule"].startswith("effective-counts")


def test_thin_history_keeps_the_run_rates_rule(sandbox: Sandbox, tmp_path: Path) -> None:
    _record(tmp_path / "verdicts", 4)
    campaign = _check(sandbox, tmp_path)
    assert campaign["icc"]["source"] == "default"
    assert (campaign["icc"]["used"], campaign["icc"]["commits"], campaign["icc"]["df"]) == (
        None,
        4,
        8,
    )
    assert "fewer than 20" in campaign["icc"]["reason"]
    assert campaign["aggregate"]["rule"] == "run-rates-t"
