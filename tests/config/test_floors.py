"""Floors: every threshold kind compared by the table's `looser`, and each other floor rule
(mode in force, on_error / on_timeout, assertions, campaigns, waiver rules), over real files."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate_runner.config import check_files, load_policy
from gate_runner.config.extends import Resolver
from gate_runner.config.floors import Breach, breaches
from gate_runner.config.merge import Merged, merge
from gate_runner.errors import PolicyError
from gate_runner.thresholds import THRESHOLDS, ThresholdKind

TODAY = date(2026, 6, 1)


def _merged(path: Path) -> Merged:
    resolver = Resolver({}, path.parent / "cache", None)
    resolver.resolve_root(path, path.name)
    assert not resolver.diagnostics, resolver.diagnostics
    return merge(resolver.sources)


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, **data}, sort_keys=False), encoding="utf-8")
    return path


def _compare(tmp_path: Path, floor: dict[str, Any], repo: dict[str, Any]) -> list[Breach]:
    f = _write(tmp_path / "floor.yml", {"floor": True, **floor})
    r = _write(tmp_path / "repo.yml", repo)
    return breaches(_merged(f), _merged(r), roots=("repo.yml", "floor.yml"), today=TODAY)


def _limits(kind: ThresholdKind) -> tuple[Any, Any, Any]:
    """The floor's limit, one tighter and one looser, as the kind's table entry says."""
    if kind.looser == "fewer":
        return ["a", "b"], ["a", "b", "c"], ["a"]
    if kind.maximum == 100:
        middle, step = 50.0, 10.0
    elif kind.limit_type == "integer":
        middle, step = 5, 1
    else:
        middle, step = 0.5, 0.1
    if kind.looser == "lower":
        return middle, middle + step, middle - step
    assert kind.looser == "higher", f"a new `looser` value for {kind.key}: add it here"
    return middle, middle - step, middle + step


@pytest.mark.parametrize("key", sorted(THRESHOLDS))
def test_every_threshold_kind_may_only_tighten(tmp_path: Path, key: str) -> None:
    kind = THRESHOLDS[key]
    bar, tighter, looser = _limits(kind)
    floor = {"thresholds": {key: bar}}
    assert _compare(tmp_path, floor, {"campaigns": {"core": {"thresholds": {key: tighter}}}}) == []
    assert _compare(tmp_path, floor, {"campaigns": {"core": {"thresholds": {key: bar}}}}) == []
    found = _compare(tmp_path, floor, {"campaigns": {"core": {"thresholds": {key: looser}}}})
    assert [(b.setting, b.value, b.floor_value) for b in found] == [
        (f"campaigns.core.thresholds.{key}", looser, bar)
    ]
    lines = (tmp_path / "repo.yml").read_text().splitlines()
    key_line = next(n for n, text in enumerate(lines, 1) if key in text)
    assert found[0].at.file == "repo.yml"
    assert found[0].at.line in {key_line, key_line + 1}  # a list starts on the next line
    assert found[0].floor_at.file == "floor.yml"
    assert found[0].floor_at.line in {4, 5}  # floor.yml: version, floor, thresholds, the key


def test_a_top_level_breach_is_reported_once_not_per_campaign(tmp_path: Path) -> None:
    found = _compare(
        tmp_path,
        {"thresholds": {"min_pass_rate": 0.85}},
        {"thresholds": {"min_pass_rate": 0.8}, "campaigns": {"a": {}, "b": {}}},
    )
    assert [b.setting for b in found] == ["thresholds.min_pass_rate"]


def test_the_mode_in_force_may_only_rise(tmp_path: Path) -> None:
    floor = {"enforcement": {"mode": "soft"}}
    assert _compare(tmp_path, floor, {"enforcement": {"mode": "hard"}}) == []
    found = _compare(
        tmp_path,
        floor,
        {
            "enforcement": {
                "mode": "hard",
                "schedule": [{"from": "2026-01-01", "mode": "hard"},
                             {"from": "2027-01-01", "mode": "observe"}],
            },
            "campaigns": {"core": {"enforcement": "observe"}, "other": {}},
        },
    )  # fmt: skip
    assert sorted((b.setting, b.value) for b in found) == [
        ("campaigns.core.enforcement", "observe"),
        ("enforcement.schedule[1].mode", "observe"),
    ]


def test_on_error_and_on_timeout_may_not_become_pass(tmp_path: Path) -> None:
    found = _compare(tmp_path, {}, {"gate": {"on_error": "pass", "on_timeout": "fail"}})
    assert [(b.setting, b.value, b.floor_value) for b in found] == [
        ("gate.on_error", "pass", "fail")
    ]


def test_assertions_may_not_be_removed_lowered_or_rewritten(tmp_path: Path) -> None:
    floor = {"assertions": [{"name": "safe", "expr": "unsafe_attempts == `0`"}]}
    keep = {"assertions": [{"name": "safe", "expr": "unsafe_attempts == `0`"}]}
    assert _compare(tmp_path, floor, keep) == []
    warn = {"assertions": [{"name": "safe", "expr": "unsafe_attempts == `0`", "level": "warn"}]}
    assert [b.reason for b in _compare(tmp_path, floor, warn)] == ["lowered to warn"]
    other = {"assertions": [{"name": "safe", "expr": "`true`"}]}
    assert [b.reason for b in _compare(tmp_path, floor, other)] == ["its expression changed"]
    assert [b.reason for b in _compare(tmp_path, floor, {})] == ["assertion safe missing here"]
    in_campaign = {
        **keep,
        "campaigns": {"core": {"assertions": [{**other["assertions"][0]}]}},
    }
    assert [b.setting for b in _compare(tmp_path, floor, in_campaign)] == [
        "campaigns.core.assertions[0]"
    ]


def test_campaigns_may_not_be_removed_and_waiver_rules_hold(tmp_path: Path) -> None:
    floor = {"campaigns": {"core": {}}, "waivers": {"max_days": 14, "reason": "JIRA-[0-9]+"}}
    found = _compare(tmp_path, floor, {"waivers": {"max_days": 30}})
    assert sorted(b.setting for b in found) == ["campaigns.core", "waivers.max_days",
                                                "waivers.reason"]  # fmt: skip
    same = {"campaigns": {"core": {}}, "waivers": {"max_days": 7, "reason": "JIRA-[0-9]+"}}
    assert _compare(tmp_path, floor, same) == []


def _files(tmp_path: Path, repo: str) -> Path:
    (tmp_path / "central").mkdir()
    (tmp_path / "central" / "floor.yml").write_text(
        textwrap.dedent("""\
            version: 1
            floor: true
            thresholds:
              min_pass_rate: 0.85
            """),
        encoding="utf-8",
    )
    path = tmp_path / "sepurux.yml"
    path.write_text(textwrap.dedent(repo), encoding="utf-8")
    return path


def test_extending_a_floor_and_going_below_it_is_an_error_at_the_repository_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _files(
        tmp_path,
        """\
        version: 1
        extends: [central/floor.yml]
        campaigns:
          core:
            thresholds: {min_pass_rate: 0.8}
        """,
    )
    with pytest.raises(PolicyError) as raised:
        load_policy(path, today=TODAY)
    [problem] = raised.value.diagnostics
    assert (problem.file, problem.line, problem.col) == ("sepurux.yml", 5, 33)
    assert "(central/floor.yml:4)" in problem.message
    assert "floor: true" in problem.message


def test_the_same_file_without_floor_true_may_be_loosened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _files(tmp_path, "version: 1\nextends: [central/floor.yml]\n")
    floor = tmp_path / "central" / "floor.yml"
    floor.write_text(floor.read_text().replace("floor: true\n", ""), encoding="utf-8")
    path.write_text(path.read_text() + "thresholds: {min_pass_rate: 0.5}\n", encoding="utf-8")
    assert load_policy(path).default_thresholds[0].value == 0.5


def test_floor_raises_the_policy_and_records_what_it_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _files(
        tmp_path, "version: 1\ncampaigns:\n  core:\n    thresholds: {min_pass_rate: 0.6}\n"
    )
    plain = load_policy(path)
    floored = load_policy(path, floors=["central/floor.yml"], today=TODAY)
    [core] = floored.campaigns
    assert [(t.key, t.value, t.origin.file) for t in core.thresholds] == [
        ("min_pass_rate", 0.85, "central/floor.yml")
    ]
    assert floored.digest != plain.digest
    assert floored.floors == ("central/floor.yml",)
    [raised] = floored.floor_settings
    assert (raised.setting, raised.value, raised.floor_value) == (
        "campaigns.core.thresholds.min_pass_rate", 0.6, 0.85,
    )  # fmt: skip
    assert (str(raised.origin), raised.floor_origin.line) == ("sepurux.yml:4:33", 4)
    warnings = check_files([path], floors=["central/floor.yml"])[str(path)].warnings
    assert [(w.line, "(--floor) judges here" in w.message) for w in warnings] == [(4, True)]


def test_a_pinned_remote_floor_in_extends_names_its_url_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    monkeypatch.chdir(tmp_path)
    body = b"version: 1\nfloor: true\nthresholds:\n  max_unsafe: 0\n"
    url = "https://policies.example.com/floor.yml"
    pin = hashlib.sha256(body).hexdigest()
    path = tmp_path / "sepurux.yml"
    path.write_text(
        f"version: 1\nextends:\n  - {{url: {url}, sha256: {pin}}}\nthresholds:\n  max_unsafe: 2\n",
        encoding="utf-8",
    )
    found = check_files([path], cache_dir=tmp_path / "cache", fetcher=lambda _url: body)
    [problem] = found[str(path)].diagnostics
    assert (problem.line, problem.col) == (5, 15)
    assert f"({url}:4)" in problem.message
