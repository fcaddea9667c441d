"""`replay` at an organisation's scale: shared rebuilt policies, verdicts read as judged."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gate_runner.config import load_policy
from gate_runner.governance.history import replay as module
from gate_runner.governance.history.replay import SavedVerdict
from gate_runner.governance.history.replay_judge import Candidate, Judge
from gate_runner.governance.history.replay_report import json_entry, render_json, to_data
from gate_runner.runner import GateOptions, evaluate_payloads
from gate_runner.verdict import CIContext

TODAY = date(2026, 12, 20)
BASE = "version: 1\nthresholds: {min_pass_rate: 0.8}\n"
# Repository "own" keeps its bar for core; repository "shared" takes the shared file's.
POLICIES = {
    "own": "version: 1\nextends: [../base.yml]\ncampaigns:\n  core:\n"
    "    thresholds: {min_pass_rate: 0.8}\n",
    "shared": "version: 1\nextends: [../base.yml]\ncampaigns:\n  core: {}\n",
}


def _verdict(root: Path, repository: str, index: int) -> dict[str, Any]:
    """A real verdict of `repository` (pass rate 0.85), its policy files recorded in it."""
    policy = load_policy(root / repository / "sepurux.yml", env={})
    payload = {"decision": "pass", "pass_rate": 0.85, "run_id": f"run-{index}"}
    verdict = evaluate_payloads(
        policy,
        {"core": payload},
        GateOptions(campaign_keys=("core",)),
        ci=CIContext("github", repository=f"acme/{repository}", commit=f"{index:040x}"),
        today=TODAY,
    )
    data: dict[str, Any] = json.loads(verdict.to_json())
    return data


@pytest.fixture
def organisation(tmp_path: Path) -> tuple[Candidate, list[dict[str, Any]]]:
    """Two repositories that extend one shared base.yml, and a stricter candidate for it."""
    (tmp_path / "base.yml").write_text(BASE, encoding="utf-8")
    for name, text in POLICIES.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "sepurux.yml").write_text(text, encoding="utf-8")
    stricter = tmp_path / "candidate" / "base.yml"
    stricter.parent.mkdir()
    stricter.write_text(BASE.replace("0.8", "0.9"), encoding="utf-8")
    cwd = Path.cwd()
    os.chdir(tmp_path)  # the recorded sources are relative to where check ran
    try:
        verdicts = [_verdict(tmp_path, ("own", "shared")[i % 2], i) for i in range(6)]
        candidate = Candidate(
            load_policy(stricter, env={}), stricter.read_bytes(), "candidate/base.yml"
        )
    finally:
        os.chdir(cwd)
    return candidate, verdicts


def test_a_shared_judge_rebuilds_each_repository_by_its_own_policy(
    organisation: tuple[Candidate, list[dict[str, Any]]],
) -> None:
    candidate, verdicts = organisation
    shared = Judge(candidate, TODAY)
    cached = [shared.verdict(f"v{i}", v) for i, v in enumerate(verdicts)]
    # Uncached: a Judge of its own for every verdict rebuilds every policy from nothing.
    alone = [Judge(candidate, TODAY).verdict(f"v{i}", v) for i, v in enumerate(verdicts)]
    assert cached == alone
    # Both repositories' policies were rebuilt with the candidate in place of base.yml, once
    # each, and each judged its own: "shared" now fails the stricter bar, "own" keeps 0.8.
    assert len(shared.built) == 2
    assert all(not isinstance(r, str) and r.basis == "rebuilt" for r in cached)
    blocked = {(r.repository, r.after[1]) for r in cached if not isinstance(r, str)}
    assert blocked == {("acme/own", False), ("acme/shared", True)}


@pytest.mark.parametrize("workers", [1, 2])
def test_replay_reads_the_verdicts_as_it_judges_them(
    organisation: tuple[Candidate, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    """A store's 100,000 verdicts are gigabytes of text: never all held at once."""
    candidate, verdicts = organisation
    count, chunk = 60, 3
    monkeypatch.setattr(module, "PARALLEL_FROM", 2 * chunk)
    monkeypatch.setattr(module, "CHUNK", chunk)
    judged = multiprocessing.get_context("fork").Value("i", 0)  # counted in the workers too
    real = module._saved

    def counted(judge: Judge, saved: SavedVerdict) -> object:
        with judged.get_lock():
            judged.value += 1
        return real(judge, saved)

    monkeypatch.setattr(module, "_saved", counted)
    ahead: list[int] = []

    def read() -> Iterator[SavedVerdict]:
        for i in range(count):
            ahead.append(i - judged.value)  # read but not yet judged
            yield SavedVerdict(f"v{i}", text=json.dumps(verdicts[i % len(verdicts)]))

    report = module.replay(candidate, read(), today=TODAY, workers=workers)
    assert judged.value == count
    assert len(report.replayed) == count
    # The first chunks (to decide whether workers pay) and those in flight, not all 60.
    assert max(ahead) <= 2 * chunk + (module.IN_FLIGHT * workers + 1) * chunk
    serial = module.replay(candidate, read(), today=TODAY, workers=1)
    assert to_data(report) == to_data(serial)
    # The JSON written entry by entry is json.dumps's, byte for byte.
    written = json.dumps(to_data(report), indent=2, ensure_ascii=False) + "\n"
    assert render_json(report) == written
    # Entries written in the workers as they judge: placed as they are, the same bytes.
    ahead = module.replay(candidate, read(), today=TODAY, workers=workers, entry=json_entry)
    assert all(r.json_entry is not None for r in ahead.changed()) and ahead.changed()
    assert render_json(ahead) == written


def test_record_is_not_kept_waiting_by_a_replay_of_a_sqlite_store(
    organisation: tuple[Candidate, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A SQLite transaction holds the write lock: the rows are read before they are judged."""
    from gate_runner.governance.history import database
    from gate_runner.governance.history.database_store import open_database
    from gate_runner.governance.history.replay_sources import from_store

    candidate, verdicts = organisation
    env = {"GATE_RUNNER_DEFAULT_BRANCH": "main"}
    spec = f"sqlite:{tmp_path / 'verdicts.db'}"
    store = open_database(spec, env=env, cwd=tmp_path, every_repository=True)
    for index, data in enumerate(verdicts[:4]):
        store.put(f"{index:040x}", json.dumps(data))
    monkeypatch.setattr(database, "SQLITE_BUSY_S", 2.0)  # a record waits this long at most
    monkeypatch.setattr(module, "PARALLEL_FROM", 1)  # judged from the first row read
    monkeypatch.setattr(module, "CHUNK", 1)
    late = {**verdicts[4], "ci": {**verdicts[4]["ci"], "commit": "f" * 40}}
    recorded: list[str] = []
    real = module._saved

    def recording(judge: Judge, saved: SavedVerdict) -> object:
        if not recorded:  # a CI job records while the replay judges its first verdict
            writer = open_database(spec, env=env, cwd=tmp_path, every_repository=True)
            recorded.append(writer.put("f" * 40, json.dumps(late)))
        return real(judge, saved)

    monkeypatch.setattr(module, "_saved", recording)
    report = module.replay(candidate, from_store(store, last=4), today=TODAY, workers=1)
    assert len(report.replayed) == 4
    assert len(recorded) == 1
    assert len(list(store.entries())) == 5
