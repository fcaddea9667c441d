"""`gate-runner replay`: saved verdicts judged again under a candidate policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..cli import run
from ..conftest import verdict_json
from ..gitrepo import Repo

CANDIDATE = """version: 1
thresholds: {min_pass_rate: 0.85}
enforcement:
  mode: hard
  schedule:
    - {from: 2026-12-01, mode: observe}
    - {from: 2026-12-15, mode: hard}
"""


def _sha(index: int) -> str:
    return f"{index:04x}".ljust(40, "a")


def _write(folder: Path, index: int, pass_rate: float, commit: str | None = None) -> Path:
    data = json.loads(verdict_json(commit or _sha(index), pass_rate=pass_rate))
    data["timings"]["started_at"] = f"2026-11-{1 + index % 28:02d}T{index // 28:02d}:00:00.000Z"
    path = folder / f"v{index:03d}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """30 merges that all passed a 0.8 bar; four of them (3, 9, 17, 25) were below 0.85."""
    folder = tmp_path / "verdicts"
    folder.mkdir()
    for i in range(30):
        _write(folder, i, 0.82 if i in (3, 9, 17, 25) else 0.95)
    (tmp_path / "candidate.yml").write_text(CANDIDATE, encoding="utf-8")
    return folder


@pytest.mark.slow
def test_the_headline_counts_the_merges_it_would_have_blocked(history: Path) -> None:
    done = run(
        history.parent,
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "verdicts",
        "--as-of",
        "2026-12-20",
    )
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "replay of candidate.yml as on 2026-12-20: would have blocked 4 of the last 30 merges "
        "(4 newly, 0 no longer)"
    )
    assert lines[1] == "in place of sepurux.yml in 30 verdicts' policies"
    assert lines[2] == "flips: pass→fail 4"
    assert lines[3] == f"  acme/agent@{_sha(3)[:12]}  core: pass→fail (blocks)"
    # The check that flipped, with its value and its bar before and after.
    assert lines[4] == (
        "      threshold:min_pass_rate: pass (0.82; bar >= 0.8) → fail (0.82; bar >= 0.85)"
    )
    assert lines[-2:] == [
        "by repository:",
        "  acme/agent: blocked 4 of 30 (4 newly, 0 no longer), 4 campaign flips",
    ]
    assert len(lines) == 13


@pytest.mark.slow
def test_json_and_markdown_give_the_same_data(history: Path) -> None:
    args = (
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "verdicts",
        "--as-of",
        "2026-12-20",
    )
    data = json.loads(run(history.parent, *args, "--format", "json").stdout)
    assert (data["verdicts"], data["blocked"], data["newly_blocked"], data["unblocked"]) == (
        30,
        4,
        4,
        0,
    )
    assert data["flips"] == [{"from": "pass", "to": "fail", "campaigns": 4}]
    assert [c["commit"] for c in data["changed"]] == [_sha(i) for i in (3, 9, 17, 25)]
    threshold = {
        "id": "threshold:min_pass_rate",
        "before": {"status": "pass", "value": 0.82, "bar": ">= 0.8"},
        "after": {"status": "fail", "value": 0.82, "bar": ">= 0.85"},
    }
    assert data["changed"][0]["campaigns"] == [
        {
            "key": "core",
            "before": "pass",
            "after": "fail",
            "blocking": True,
            "blocking_before": False,
            "checks": [threshold],
        }
    ]
    assert data["repositories"] == [
        {
            "repository": "acme/agent",
            "verdicts": 30,
            "blocked": 4,
            "newly_blocked": 4,
            "unblocked": 0,
            "flips": 4,
            "invalid": 0,
        }
    ]
    assert data["without_policy"]["verdicts"] == 0
    markdown = run(history.parent, *args, "--format", "markdown").stdout
    assert "**would have blocked 4 of the last 30 merges (4 newly, 0 no longer)**" in markdown
    assert "| pass → fail | 4 |" in markdown
    assert markdown.count("| acme/agent | `") == 8  # a row per campaign, a row per check


@pytest.mark.slow
def test_the_schedule_decides_what_would_block_on_a_given_day(history: Path) -> None:
    done = run(
        history.parent,
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "verdicts",
        "--as-of",
        "2026-12-05",
    )
    # Observe mode on that day: the same four fail, none blocks.
    assert done.stdout.splitlines()[0].endswith(
        "would have blocked 0 of the last 30 merges (0 newly, 0 no longer)"
    )
    assert "core: pass→fail\n" in done.stdout


STAGED = """version: 1
enforcement: {mode: hard}
thresholds:
  min_pass_rate:
    value: 0.85
    enforcement:
      schedule:
        - {from: 2026-12-01, mode: observe}
        - {from: 2026-12-15, mode: hard}
"""


@pytest.mark.slow
@pytest.mark.parametrize(("day", "blocked"), [("2026-12-05", 0), ("2026-12-20", 4)])
def test_a_rule_staged_apart_is_replayed_at_its_own_mode(
    history: Path, day: str, blocked: int
) -> None:
    """Issue 20 with replay: a threshold's own schedule decides, on the --as-of day, whether
    its failures block, while the policy's mode stays hard (the rule modes the gate uses)."""
    (history.parent / "candidate.yml").write_text(STAGED, encoding="utf-8")
    done = run(
        history.parent,
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "verdicts",
        "--as-of",
        day,
        "--format",
        "json",
    )
    assert done.code == 0, done.stderr
    data = json.loads(done.stdout)
    # The same four fail on both days; only the rule's own stage decides whether they block.
    assert data["flips"] == [{"from": "pass", "to": "fail", "campaigns": 4}]
    assert data["blocked"] == data["newly_blocked"] == blocked
    assert [c["after"]["blocking"] for c in data["changed"]] == [blocked > 0] * 4


@pytest.mark.slow
def test_last_keeps_the_most_recent(history: Path) -> None:
    args = (
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "verdicts",
        "--as-of",
        "2026-12-20",
        "--last",
        "5",
    )
    data = json.loads(run(history.parent, *args, "--format", "json").stdout)
    # Newest by started_at: indexes 28, 29 (hour 1) and 25, 26, 27 (hour 0, late days).
    assert (data["verdicts"], data["blocked"]) == (5, 1)


@pytest.mark.slow
def test_unreadable_files_are_skipped_and_named(history: Path) -> None:
    (history / "broken.json").write_text("{", encoding="utf-8")
    (history / "other.json").write_text("[1, 2]", encoding="utf-8")
    done = run(
        history.parent,
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "verdicts",
        "--format",
        "json",
    )
    skipped = json.loads(done.stdout)["skipped"]
    assert len(skipped) == 2
    assert skipped[0].startswith(f"{Path('verdicts') / 'broken.json'}: not valid JSON")
    assert skipped[1] == f"{Path('verdicts') / 'other.json'}: not a gate-runner verdict"


@pytest.mark.slow
def test_errors_are_judged_by_the_candidates_on_error(tmp_path: Path) -> None:
    data = json.loads(verdict_json("f" * 40))
    campaign = data["campaigns"][0]
    campaign.update(status="error", outcome="error", payload=None, blocking=True,
                    error={"kind": "unreachable", "message": "down"})  # fmt: skip
    data.update(outcome="error", blocking=True)
    (tmp_path / "v.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "lenient.yml").write_text("version: 1\ngate: {on_error: pass}\n", encoding="utf-8")
    out = json.loads(
        run(
            tmp_path,
            "replay",
            "--policy",
            "lenient.yml",
            "--replaces",
            "sepurux.yml",
            "v.json",
            "--format",
            "json",
        ).stdout
    )
    assert (out["blocked"], out["unblocked"]) == (0, 1)
    assert out["changed"][0]["after"] == {"outcome": "error", "blocking": False}


@pytest.mark.slow
@pytest.mark.slow
def test_replay_reads_a_store(tmp_path: Path, history: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    commits = [repo.commit(f"c{i}") for i in range(3)]
    for i, commit in enumerate(commits):
        path = _write(tmp_path, 100 + i, 0.82 if i == 1 else 0.95, commit)
        assert run(repo.path, "record", str(path), "--store", "git-notes").code == 0
        assert run(repo.path, "record", str(path), "--store", str(tmp_path / "dir")).code == 0
    for store in ("git-notes", str(tmp_path / "dir")):
        done = run(repo.path, "replay", "--policy", str(history.parent / "candidate.yml"),
                   "--replaces", "sepurux.yml", "--store", store, "--as-of", "2026-12-20",
                   "--format", "json")  # fmt: skip
        data = json.loads(done.stdout)
        assert (data["verdicts"], data["blocked"]) == (3, 1), store
        assert data["changed"][0]["source"] == f"{store}:{commits[1]}"


@pytest.mark.slow
@pytest.mark.slow
def test_bad_input_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "c.yml").write_text("version: 1\n", encoding="utf-8")
    done = run(tmp_path, "replay", "--policy", "c.yml")
    assert (done.code, done.stderr) == (
        2,
        "gate-runner: error: nothing to replay: name verdict files or directories, or --store\n",
    )
    done = run(tmp_path, "replay", "--policy", "c.yml", "missing")
    assert (done.code, done.stderr) == (
        2,
        "gate-runner: error: missing: no such file or directory of verdicts\n",
    )
    done = run(tmp_path, "replay", "--policy", "c.yml", ".", "--as-of", "soon")
    assert done.code == 2


@pytest.mark.slow
def test_worker_processes_give_the_same_report(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from gate_runner.config import load_policy
    from gate_runner.governance.history import replay as module
    from gate_runner.governance.history.replay_judge import Candidate
    from gate_runner.governance.history.replay_report import to_data
    from gate_runner.governance.history.replay_sources import from_paths

    path = history.parent / "candidate.yml"
    policy = Candidate(load_policy(path, env={}), path.read_bytes(), "c.yml", "sepurux.yml")
    saved = list(from_paths([history]))
    serial = to_data(module.replay(policy, saved, today=date(2026, 12, 20), workers=1))
    monkeypatch.setattr(module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(module, "CHUNK", 7)
    parallel = to_data(module.replay(policy, saved, today=date(2026, 12, 20), workers=2))
    assert parallel == serial
    assert serial["blocked"] == 4
