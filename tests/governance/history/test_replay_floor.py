"""`replay` of a candidate floor (`floor: true`): a repository whose own override is below the
candidate would have an invalid policy under it (exit 2 at check time, its merges blocked), so
replay counts it as that block, with the floor's line and the repository's setting, rather than
skipping it (issue 20). Any other policy replay cannot rebuild is still skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import clean_env, run_gate, validate_verdict

from ..gitrepo import Repo

FLOOR = """\
version: 1
floor: true
enforcement: {mode: hard}
thresholds:
  min_pass_rate: 0.85
"""

# The candidate raises the floor above payments' own checkout bar (0.9).
CANDIDATE = FLOOR.replace("0.85", "0.91")

PAYMENTS = """\
version: 1
extends: [policies/floor.yml]
campaigns:
  checkout:
    thresholds:
      min_pass_rate: 0.9
"""

WEB = """\
version: 1
extends: [policies/floor.yml]
campaigns:
  checkout:
    thresholds:
      min_pass_rate: 0.95
"""

# A policy replay cannot rebuild for another reason: a variable set in its CI job only.
SEARCH = """\
version: 1
extends: [policies/floor.yml]
api: {project: "${TEAM_PROJECT}"}
campaigns:
  checkout: {}
"""

SCENARIO = """\
token: sandbox-token
campaigns:
  - name: checkout
    duration: 0
    metrics: {pass_rate: 0.96, reliability_score: 90}
"""


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three repositories that extend a vendored floor, each checked once by its CI job."""
    root = tmp_path_factory.mktemp("floor-replay")
    (root / "scenario.yml").write_text(SCENARIO, encoding="utf-8")
    (root / "candidate").mkdir()
    (root / "candidate" / "floor.yml").write_text(CANDIDATE, encoding="utf-8")
    (root / "verdicts").mkdir()
    for index, (name, policy) in enumerate(
        [("payments", PAYMENTS), ("web", WEB), ("search", SEARCH)], 1
    ):
        repo = Repo.init(root / name)
        repo.commit("policy", {"policies/floor.yml": FLOOR, "sepurux.yml": policy})
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": f"acme/{name}",
            "GITHUB_SHA": str(index) * 40,
            "TEAM_PROJECT": "search",
        }
        done = run_gate(
            ["check", "--sandbox", "../scenario.yml"], cwd=repo.path, env=clean_env(env, token=None)
        )
        assert done.code == 0, done.stderr
        text = (repo.path / "gate-runner-verdict.json").read_text("utf-8")
        validate_verdict(json.loads(text))
        (root / "verdicts" / f"{name}.json").write_text(text, encoding="utf-8")
    return root


def _replay(root: Path, *args: str) -> tuple[int, str, str]:
    done = run_gate(
        ["replay", "--policy", "candidate/floor.yml", "verdicts", "--as-of", "2030-01-01", *args],
        cwd=root,
        env=clean_env(token=None),
    )
    return done.code, done.stdout, done.stderr


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.slow
def test_an_override_below_the_candidate_floor_counts_as_a_block(platform: Path) -> None:
    code, out, err = _replay(platform, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    # payments is invalid under the candidate: blocked (newly); web passes; search is skipped.
    assert (data["verdicts"], data["blocked"], data["newly_blocked"], data["invalid"]) == (
        2,
        1,
        1,
        1,
    )
    (payments,) = data["changed"]
    assert payments["repository"] == "acme/payments"
    assert payments["before"] == {"outcome": "pass", "blocking": False}
    assert payments["after"] == {"outcome": "error", "blocking": True}
    assert payments["replaced"] == "policies/floor.yml"
    assert payments["campaigns"] == []  # an invalid policy runs no campaign
    at = _line(PAYMENTS, "min_pass_rate")
    (breach,) = payments["invalid"]
    assert breach["setting"] == "campaigns.checkout.thresholds.min_pass_rate"
    assert (breach["value"], breach["floor_value"]) == (0.9, 0.91)
    assert breach["location"].startswith(f"sepurux.yml:{at}:")
    assert breach["floor_location"] == f"policies/floor.yml:{_line(CANDIDATE, 'min_pass_rate')}"
    assert "is below the floor's 0.91" in breach["message"]
    repositories = {r["repository"]: r for r in data["repositories"]}
    assert {n: (r["verdicts"], r["blocked"], r["invalid"]) for n, r in repositories.items()} == {
        "acme/payments": (1, 1, 1),
        "acme/web": (1, 0, 0),
    }
    (skipped,) = data["skipped"]
    assert skipped.startswith(str(Path("verdicts") / "search.json") + ": cannot rebuild")
    assert "TEAM_PROJECT is not set" in skipped


@pytest.mark.slow
def test_text_and_markdown_name_the_floor_line_and_the_setting(platform: Path) -> None:
    at = _line(PAYMENTS, "min_pass_rate")
    floor_at = _line(CANDIDATE, "min_pass_rate")
    code, out, err = _replay(platform)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "replay of candidate/floor.yml as on 2030-01-01: would have blocked 1 of the last 2 "
        "merges (1 newly, 0 no longer; 1 by a policy the candidate makes invalid)"
    )
    row = lines.index(
        "  acme/payments@111111111111  gate: pass→error, blocking (its policy is invalid "
        "under the candidate)"
    )
    assert lines[row + 1].startswith(f"      sepurux.yml:{at}:")
    assert lines[row + 1].endswith(
        f": campaigns.checkout.thresholds.min_pass_rate 0.9 is below the floor's 0.91 "
        f"(policies/floor.yml:{floor_at}): a looser bar"
    )
    assert (
        "  acme/payments: blocked 1 of 1 (1 newly, 0 no longer), 0 campaign flips, 1 invalid policy"
    ) in lines
    assert "  acme/web: blocked 0 of 1 (0 newly, 0 no longer), 0 campaign flips" in lines
    assert any(line.startswith("skipped verdicts/search.json: cannot rebuild") for line in lines)

    code, out, err = _replay(platform, "--format", "markdown")
    assert code == 0, err
    assert (
        "| acme/payments | `111111111111` | (gate) | pass | error, blocking (invalid policy) |"
    ) in out
    assert (
        f"| acme/payments | `111111111111` | campaigns.checkout.thresholds.min\\_pass\\_rate | "
        f"0.9 | 0.91 | sepurux.yml:{at}:"
    ) in out
    assert "| acme/payments | 1 | 1 | 1 | 0 | 0 | 1 |" in out
