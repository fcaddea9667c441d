"""The policy diff's classing, change by change, over policies loaded from files (in process)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from gate_runner.config import load_policy
from gate_runner.governance.diff.diff_rules import Context, classify, key_class
from gate_runner.governance.diff.policy_diff import diff_policies
from gate_runner.governance.ref.sides import load_tree_side

TODAY = date(2026, 12, 5)


def _diff(tmp_path: Path, before: str, after: str) -> dict[str, tuple[str, object, object]]:
    (tmp_path / "base.yml").write_text("version: 1\n" + before, encoding="utf-8")
    (tmp_path / "head.yml").write_text("version: 1\n" + after, encoding="utf-8")
    base = load_policy(tmp_path / "base.yml", env={})
    head = load_policy(tmp_path / "head.yml", env={})
    return {c.path: (c.effect, c.before, c.after) for c in diff_policies(base, head, today=TODAY)}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            "thresholds: {max_unsafe: 0}",
            "thresholds: {max_unsafe: 2}",
            ("thresholds.max_unsafe", "loosens"),
        ),
        (
            "thresholds: {max_failures: 3}",
            "thresholds: {max_failures: 1}",
            ("thresholds.max_failures", "tightens"),
        ),
        (
            "thresholds: {min_reliability_score: 80}",
            "",
            ("thresholds.min_reliability_score", "loosens"),
        ),
        (
            "",
            "thresholds: {min_mutation_categories: 2}",
            ("thresholds.min_mutation_categories", "tightens"),
        ),
        (
            "thresholds: {required_mutation_categories: [a, b]}",
            "thresholds: {required_mutation_categories: [a, c]}",
            ("thresholds.required_mutation_categories", "loosens"),
        ),
        ("gate: {on_timeout: fail}", "gate: {on_timeout: pass}", ("gate.on_timeout", "loosens")),
        ("gate: {on_error: pass}", "gate: {on_error: fail}", ("gate.on_error", "tightens")),
        ("gate: {timeout: 600}", "gate: {timeout: 60}", ("gate.timeout", "neutral")),
        (
            "enforcement: {mode: soft}",
            "enforcement: {mode: hard}",
            ("enforcement.mode", "tightens"),
        ),
        (
            "api: {base_url: 'https://a.example'}",
            "api: {base_url: 'https://b.example'}",
            ("api.base_url", "loosens"),
        ),
        # Another variable: another account's token, or none (then on_error decides).
        ("api: {token_env: A}", "api: {token_env: B}", ("api.token_env", "loosens")),
        (
            "gate: {on_timeout: pass, timeout: 600}",
            "gate: {on_timeout: pass, timeout: 1}",
            ("gate.timeout", "loosens"),
        ),
        (
            "campaigns: {c: {aggregate: worst}}",
            "campaigns: {c: {aggregate: best}}",
            ("campaigns.c.aggregate", "loosens"),
        ),
        (
            "campaigns: {c: {aggregate: median}}",
            "campaigns: {c: {aggregate: mean}}",
            ("campaigns.c.aggregate", "loosens"),
        ),
        (
            "campaigns: {c: {aggregate: mean}}",
            "campaigns: {c: {aggregate: worst}}",
            ("campaigns.c.aggregate", "tightens"),
        ),
        (
            "statistics: {trials: trace_count}",
            "statistics: {trials: '`1000`'}",
            ("statistics.trials", "loosens"),
        ),
        (
            "enforcement: {soft: {reviewers: [alice, acme/sre]}}",
            "enforcement: {soft: {reviewers: [mallory]}}",
            ("enforcement.soft.reviewers", "loosens"),
        ),
        (
            "enforcement: {soft: {label: needs-sre}}",
            "enforcement: {soft: {label: ok}}",
            ("enforcement.soft.label", "loosens"),
        ),
        (
            "campaigns: {c: {trace_id: a}}",
            "campaigns: {c: {trace_id: b}}",
            ("campaigns.c.trace_id", "loosens"),
        ),
        # Whoever approves a loosening changes: the review would go elsewhere (issue 20).
        (
            "gate: {policy_owners: [alice]}",
            "gate: {policy_owners: [alice, mallory]}",
            ("gate.policy_owners", "loosens"),
        ),
        ("gate: {policy_owners: codeowners}", "", ("gate.policy_owners", "loosens")),
    ],
)
def test_one_setting(tmp_path: Path, before: str, after: str, expected: tuple[str, str]) -> None:
    found = _diff(tmp_path, before + "\n", after + "\n")
    assert {p: e[0] for p, e in found.items()} == {expected[0]: expected[1]}


def test_a_weaker_schedule_from_today_on_loosens(tmp_path: Path) -> None:
    base = (
        "enforcement:\n  mode: observe\n  schedule:\n"
        "    - {from: 2026-12-01, mode: soft}\n    - {from: 2026-12-15, mode: hard}\n"
    )
    later = base.replace("2026-12-15", "2027-01-15")
    assert _diff(tmp_path, base, later)["enforcement.schedule"][0] == "loosens"
    sooner = base.replace("2026-12-15", "2026-12-10")
    assert _diff(tmp_path, base, sooner)["enforcement.schedule"][0] == "tightens"
    # Only the past moves: nothing changes from today on.
    past = base.replace("2026-12-01", "2026-11-20")
    assert _diff(tmp_path, base, past)["enforcement.schedule"][0] == "neutral"


def test_campaign_changes(tmp_path: Path) -> None:
    base = (
        "assertions: [{name: a, expr: 'failures == `0`'}]\n"
        "campaigns:\n  core: {campaign: core-x, enforcement: hard}\n  gone: {}\n"
    )
    head = (
        "assertions: [{name: a, expr: 'failures == `0`', message: m}]\n"
        "campaigns:\n  core: {campaign: easy, enforcement: observe,\n"
        "         assertions: [{name: b, expr: 'true', level: warn}]}\n  new: {}\n"
    )
    found = _diff(tmp_path, base, head)
    assert found == {
        "assertions.a.message": ("neutral", None, "m"),
        "campaigns.core.campaign": ("loosens", "core-x", "easy"),
        "campaigns.core.enforcement": ("loosens", "hard", "observe"),
        "campaigns.core.assertions.b": ("neutral", None, {"expr": "true", "level": "warn"}),
        "campaigns.gone": ("loosens", "gone", None),
        "campaigns.new": ("tightens", None, "new"),
    }


def test_a_default_changed_is_reported_once(tmp_path: Path) -> None:
    base = "thresholds: {min_pass_rate: 0.9}\ncampaigns: {a: {}, b: {}}\n"
    head = "thresholds: {min_pass_rate: 0.8}\ncampaigns: {a: {}, b: {}}\n"
    assert _diff(tmp_path, base, head) == {"thresholds.min_pass_rate": ("loosens", 0.9, 0.8)}


def test_waivers(tmp_path: Path) -> None:
    w = "campaigns: {c: {}}\nwaivers:\n  - {campaign: c, check: decision, until: %s, reason: %s}\n"
    assert _diff(tmp_path, "campaigns: {c: {}}\n", w % ("2027-01-01", "X-1")) == {
        "waivers.c.decision": ("loosens", None, {"until": "2027-01-01", "reason": "X-1"})
    }
    assert (
        _diff(tmp_path, w % ("2027-01-01", "X-1"), w % ("2026-12-20", "X-1"))["waivers.c.decision"][
            0
        ]
        == "tightens"
    )
    assert (
        _diff(tmp_path, w % ("2027-01-01", "X-1"), w % ("2027-01-01", "X-2"))["waivers.c.decision"][
            0
        ]
        == "neutral"
    )
    removed = _diff(tmp_path, w % ("2027-01-01", "X-1"), "campaigns: {c: {}}\n")
    assert removed["waivers.c.decision"][0] == "tightens"


def test_a_remote_pin_change_loosens_and_points_at_the_pin(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    shas = []
    for body in (
        b"version: 1\nthresholds: {max_unsafe: 0}\n",
        b"version: 1\nthresholds: {max_unsafe: 0}\n# v2\n",
    ):
        sha = hashlib.sha256(body).hexdigest()
        (cache / f"{sha}.yml").write_bytes(body)
        shas.append(sha)
    url = "https://policies.example.com/agents.yml"
    sides = []
    for name, sha in (("base", shas[0]), ("head", shas[1])):
        path = tmp_path / f"{name}.yml"
        path.write_text(
            f"version: 1\nextends:\n  - url: {url}\n    sha256: {sha}\n", encoding="utf-8"
        )
        sides.append(load_tree_side(path, env={}, cache_dir=cache))
    changes = diff_policies(sides[0].policy, sides[1].policy, today=TODAY,
                            base_pins=sides[0].pins, head_pins=sides[1].pins)  # fmt: skip
    assert [c.to_dict() for c in changes] == [
        {
            "path": f"extends.{url}",
            "before": shas[0],
            "after": shas[1],
            "effect": "loosens",
            "location": f"{tmp_path / 'head.yml'}:3",
            "reason": "a remote extends pin changed",
        }
    ]


def _central_repository(root: Path) -> tuple[str, list[str]]:
    """A bare repository (file://) with two commits of central.yml: its URL and the commits."""
    env = {
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "PATH": os.environ["PATH"], "HOME": str(root),
    }  # fmt: skip
    work = root / "work"
    work.mkdir()

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=work, env=env, capture_output=True, text=True,
                              check=True, timeout=60)  # fmt: skip
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    commits = []
    for body in ("version: 1\nthresholds: {max_unsafe: 0}\n", "version: 1\n# v2\n"):
        (work / "central.yml").write_text(body, encoding="utf-8")
        git("add", "-A")
        git("commit", "-q", "-m", "v")
        commits.append(git("rev-parse", "HEAD"))
    git("clone", "-q", "--bare", ".", str(root / "central.git"))
    return (root / "central.git").as_uri(), commits


@pytest.mark.parametrize(
    ("head_entry", "reason"),
    [
        ("ref: {second}", "a remote extends pin changed"),  # another commit: another policy
        ("ref: {first}\n    auth: {{env: OTHER_CRED}}", "a remote extends pin changed"),
    ],
)
def test_a_git_extends_pin_or_credential_change_loosens(
    tmp_path: Path, head_entry: str, reason: str
) -> None:
    url, (first, second) = _central_repository(tmp_path)
    sides = []
    for name, ref in (
        ("base", f"ref: {first}"),
        ("head", head_entry.format(first=first, second=second)),
    ):
        path = tmp_path / f"{name}.yml"
        path.write_text(
            f"version: 1\nextends:\n  - git: {url}\n    path: central.yml\n    {ref}\n",
            encoding="utf-8",
        )
        env = {"OTHER_CRED": "other-credential-value"}
        sides.append(load_tree_side(path, env=env, cache_dir=tmp_path / "cache"))
    changes = diff_policies(sides[0].policy, sides[1].policy, today=TODAY,
                            base_pins=sides[0].pins, head_pins=sides[1].pins)  # fmt: skip
    pins = [c.to_dict() for c in changes if c.path.startswith("extends.")]
    assert [(p["path"], p["effect"], p["reason"]) for p in pins] == [
        (f"extends.{url}//central.yml", "loosens", reason)
    ]
    assert pins[0]["location"] == f"{tmp_path / 'head.yml'}:3"


@pytest.mark.parametrize(("before", "after"), [(20, 10), (None, 10)])
def test_a_lowered_budget_loosens_when_an_inconclusive_campaign_passes(
    before: object, after: object
) -> None:
    # Fewer looks leave more campaigns inconclusive; on_inconclusive warn lets them through.
    lenient = Context(lenient_deadline=True, lenient_inconclusive=True)
    assert classify(key_class("gate.budget.runs"), before, after, lenient) == "loosens"


@pytest.mark.parametrize(
    ("path", "before", "after", "effect"),
    [
        ("gate.repeat", 3, 5, "loosens"),
        ("gate.max_runs", 5, 3, "tightens"),
        ("statistics.confidence", 0.95, 0.9, "loosens"),
        ("statistics.icc", None, 0.05, "loosens"),  # issue 19: declaring ρ spends fewer runs
        ("statistics.icc", 0.05, 0, "loosens"),
        ("statistics.icc", 0.02, 0.1, "tightens"),
        ("statistics.icc", 0, None, "tightens"),
        ("statistics.icc", None, "auto", "loosens"),  # issue 22: the past may assume less ρ
        ("statistics.icc", 0.1, "auto", "loosens"),
        ("statistics.icc", "auto", 0.1, "loosens"),
        ("statistics.icc", "auto", None, "tightens"),
        ("gate.on_inconclusive", None, "pass", "loosens"),
        ("gate.on_inconclusive", "warn", "fail", "tightens"),
        ("gate.min_passing_runs", 2, None, "loosens"),
        ("gate.policy_changes", None, "allow", "loosens"),
        ("gate.policy_changes", "review", "block", "tightens"),
        ("waivers.max_days", 30, 90, "loosens"),
        ("waivers.reason", None, "[A-Z]+-\\d+", "tightens"),
        ("waivers.reason", "[A-Z]+-\\d+", ".*", "loosens"),
        ("waivers.warn_days", 7, 3, "neutral"),
        ("statistics.trials", "trace_count", "n", "loosens"),
        ("gate.timeout", 600, 60, "neutral"),  # out of time fails: no bar moves
        # issue 21: a raised or removed budget gives an unlucky agent more runs
        ("gate.budget.runs", 10, 20, "loosens"),
        ("gate.budget.runs", 10, None, "loosens"),
        ("gate.budget.runs", None, 10, "tightens"),
        ("gate.budget.trials", 5000, 2000, "tightens"),
        ("gate.budget.cost_per_trial", 0.01, 0.02, "neutral"),
        ("a.key.a.later.version.adds", 1, 2, "loosens"),  # unclassed: a person reads it
    ],
)
def test_each_key_is_classed_by_its_class(
    path: str, before: object, after: object, effect: str
) -> None:
    assert classify(key_class(path), before, after, Context()) == effect
