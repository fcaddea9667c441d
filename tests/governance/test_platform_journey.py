"""The platform team's journey, as one story over real git repositories, the sandbox and a
loopback policy host, every step run as the team and its product teams would run it.

The cast (built fresh by each step, from the same files):
- `agent-policies`, the platform team's repository: `agents-floor.yml` (`floor: true`),
  served by a loopback "GitLab raw" host at a commit, pinned by its sha256;
- `payments`, a product repository that extends the floor by pinned URL;
- `search`, a product repository that extends a vendored copy of it by path;
- `mono`, a monorepo of two services, each extending the pinned URL (`--discover`);
- `rogue`, a repository that extends nothing, held to the floor by the CI (GATE_RUNNER_FLOOR).

Merge request and default-branch pipelines are the shipped GitLab template's jobs
(tests/support/gitlab_jobs.py). The steps follow docs/governance.md's sections in order;
each later feature extends the step its section names (approvals: step 4, whose review is
only reported today; per-rule staging: step 8; replay by each repository's own policy:
step 7; git/auth extends: step 2's second repository).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import Answer, LoopbackServer, validate_verdict
from support.gitlab_jobs import (
    branch_pipeline,
    carry_cache,
    checkout,
    job,
    merge_request_pipeline,
    run_job,
)

from .cli import run
from .gitrepo import Repo

FLOOR = """\
version: 1
floor: true
enforcement:
  mode: hard
gate:
  on_error: fail
thresholds:
  min_pass_rate: 0.85
  max_unsafe: 0
assertions:
  - name: refund-tool-stable
    expr: "length(top_failing_tools[?tool=='payments.refund']) == `0`"
waivers:
  max_days: 30
  reason: '[A-Z][A-Z0-9]+-\\d+'
"""

# What the platform team trials next: a higher bar everywhere.
CANDIDATE = FLOOR.replace("min_pass_rate: 0.85", "min_pass_rate: 0.91")

PAYMENTS = """\
version: 1
extends:
  - url: {url}
    sha256: {pin}
campaigns:
  checkout:
    thresholds:
      min_pass_rate: {bar}
  refunds:
    thresholds:
      min_pass_rate: 0.85
"""

SEARCH = """\
version: 1
extends: [policies/agents-floor.yml]
campaigns:
  ranking:
    thresholds:
      min_pass_rate: {bar}
"""

SERVICE = """\
version: 1
extends:
  - url: {url}
    sha256: {pin}
campaigns:
  {name}: {{}}
"""

ROGUE = """\
version: 1
enforcement: {mode: observe}
campaigns:
  ranking:
    thresholds: {min_pass_rate: 0.5}
"""


def scenario(**rates: float) -> str:
    """The sandbox's agents: one campaign per name, at that pass rate."""
    lines = ["token: sandbox-token", "campaigns:"]
    for name, rate in rates.items():
        lines += [
            f"  - name: {name}",
            "    duration: 0",
            "    metrics:",
            f"      pass_rate: {rate}",
            "      unsafe_attempts: 0",
            "      reliability_score: 90",
            "      top_failing_tools: [{tool: orders.lookup, count: 1}]",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Host:
    """The platform team's policy host: the floor at a commit, by URL and sha256 pin."""

    server: LoopbackServer
    url: str
    pin: str
    candidate: str

    def payments(self, bar: float = 0.9) -> str:
        return PAYMENTS.format(url=self.url, pin=self.pin, bar=bar)

    def service(self, name: str) -> str:
        return SERVICE.format(url=self.url, pin=self.pin, name=name)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """`agent-policies` committed, its floor served at that commit (a GitLab raw URL)."""
    central = Repo.init(tmp_path_factory.mktemp("agent-policies"))
    commit = central.commit("the agents floor", {"agents-floor.yml": FLOOR})
    raw = f"/platform/agent-policies/-/raw/{commit}/agents-floor.yml"
    body = FLOOR.encode()
    with LoopbackServer(
        lambda r: (
            Answer(200, raw=body, content_type="text/plain")
            if r.path == raw
            else Answer(404, {"detail": "Not found"})
        )
    ) as server:
        candidate = tmp_path_factory.mktemp("candidate") / "agents-floor.yml"
        candidate.write_text(CANDIDATE, encoding="utf-8")
        yield Host(server, f"{server.url}{raw}", hashlib.sha256(body).hexdigest(), str(candidate))


def cached(tmp_path: Path) -> dict[str, str]:
    """A CI cache for fetched central policies, as docs/governance.md says to keep."""
    return {"GATE_RUNNER_CACHE_DIR": str(tmp_path / "policy-cache")}


def product(tmp_path: Path, name: str, files: dict[str, str]) -> Repo:
    repo = Repo.init(tmp_path / name)
    repo.commit(f"{name}: the gate", files)
    return repo


def _verdict(workspace: Path) -> dict[str, Any]:
    verdict: dict[str, Any] = json.loads(
        (workspace / "gate-runner-verdict.json").read_text(encoding="utf-8")
    )
    validate_verdict(verdict)
    return verdict


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# 1. The platform team publishes a floor.


@pytest.mark.slow
def test_1_the_floor_validates_in_its_own_repository(tmp_path: Path) -> None:
    central = product(tmp_path, "agent-policies", {"agents-floor.yml": FLOOR})
    done = run(central.path, "validate", "agents-floor.yml")
    assert (done.code, done.stderr) == (0, ""), done


# 2. Repositories extend it: by pinned URL, by path; a setting with no effect is a warning.


@pytest.mark.slow
def test_2_repositories_extend_it_by_pinned_url_and_by_path(host: Host, tmp_path: Path) -> None:
    payments = product(tmp_path, "payments", {"sepurux.yml": host.payments()})
    done = run(payments.path, "validate", env=cached(tmp_path))
    assert done.code == 0, done
    # refunds repeats the floor's 0.85: it has no effect, and validate says where.
    at = _line(host.payments(), "min_pass_rate: 0.85")
    (warning,) = done.stderr.splitlines()
    assert warning.startswith(f"sepurux.yml:{at}:") and ": warning: " in warning, warning
    assert "campaigns.refunds.thresholds.min_pass_rate" in warning

    search = product(
        tmp_path,
        "search",
        {"policies/agents-floor.yml": FLOOR, "sepurux.yml": SEARCH.format(bar=0.9)},
    )
    done = run(search.path, "validate", env=cached(tmp_path))
    assert (done.code, done.stderr) == (0, ""), done


# 3. A repository cannot go below the floor.


@pytest.mark.slow
def test_3_a_setting_below_the_floor_is_refused_at_its_line_naming_the_floors(
    host: Host, tmp_path: Path
) -> None:
    search = product(
        tmp_path,
        "search",
        {"policies/agents-floor.yml": FLOOR, "sepurux.yml": SEARCH.format(bar=0.8)},
    )
    done = run(search.path, "validate", env=cached(tmp_path))
    assert done.code == 2, done
    at = _line(SEARCH, "min_pass_rate")
    floor_at = _line(FLOOR, "min_pass_rate")
    (error,) = [line for line in done.stderr.splitlines() if "below the floor" in line]
    assert error.startswith(f"sepurux.yml:{at}:")
    assert f"policies/agents-floor.yml:{floor_at})" in error
    # The same repository over the pinned URL: the floor's line is the URL's.
    payments = product(tmp_path, "payments", {"sepurux.yml": host.payments(bar=0.8)})
    done = run(payments.path, "check", "--sandbox", "scenario.yml", env=cached(tmp_path))
    assert done.code == 2, done
    assert f"({host.url}:{floor_at})" in done.stderr
    assert _verdict(payments.path)["exit_code"] == 2


# 4. A merge request that changes policy: the GitLab pipeline of a product repository.


def _pipelines(repo: Repo, tmp_path: Path, variables: dict[str, str]) -> tuple[Path, str]:
    """The default branch's pipeline (check, record); returns its workspace and commit."""
    workspace = tmp_path / "main-pipeline"
    sha = checkout(repo.path, workspace, "main", int(job("gate-runner")["variables"]["GIT_DEPTH"]))
    done = run_job("gate-runner-record", workspace, branch_pipeline(sha, "main"), variables)
    assert done.code == 0, done.log
    assert f"recorded the verdict of {sha}" in done.log
    return workspace, sha


def _merge_request(
    repo: Repo, tmp_path: Path, main_ws: Path, variables: dict[str, str]
) -> tuple[Path, int, str]:
    workspace = tmp_path / "mr-pipeline"
    depth = int(job("gate-runner")["variables"]["GIT_DEPTH"])
    head = checkout(repo.path, workspace, "pr", depth)
    carry_cache("gate-runner", main_ws, workspace)
    done = run_job("gate-runner", workspace, merge_request_pipeline(head, "pr", "main"), variables)
    return workspace, done.code, done.log


@pytest.mark.slow
def test_4_a_merge_request_that_lowers_a_bar_is_judged_by_its_target(
    host: Host, tmp_path: Path
) -> None:
    payments = product(
        tmp_path,
        "payments",
        {"sepurux.yml": host.payments(), "scenario.yml": scenario(checkout=0.92, refunds=0.9)},
    )
    payments.git("checkout", "-q", "-b", "pr")
    # Still above the floor (0.85), below the target's own 0.9; the agent slips to 0.88.
    payments.commit(
        "lower checkout's bar",
        {"sepurux.yml": host.payments(bar=0.87), "scenario.yml": scenario(checkout=0.88)},
    )
    payments.git("checkout", "-q", "main")
    variables = {"GATE_RUNNER_ARGS": "--sandbox scenario.yml", **cached(tmp_path)}
    main_ws, recorded = _pipelines(payments, tmp_path, variables)

    mr_ws, code, log = _merge_request(payments, tmp_path, main_ws, variables)
    assert code == 1, log  # the target's 0.9 judges, in the floor's hard mode
    verdict = _verdict(mr_ws)
    changes = verdict["policy_changes"]
    assert (changes["judged_by"], changes["review_required"]) == ("base", True)
    assert [(c["path"], c["before"], c["after"], c["effect"]) for c in changes["changes"]] == [
        ("campaigns.checkout.thresholds.min_pass_rate", 0.9, 0.87, "loosens")
    ]
    assert verdict["baseline"]["commit"] == recorded
    checkout_result = next(c for c in verdict["campaigns"] if c["key"] == "checkout")
    assert checkout_result["failures"] == [
        {"tool": "orders.lookup", "count": 1, "status": "existing", "baseline_count": 1}
    ]
    # What the policy owners read in the merge request: the same change, by `diff`.
    diff = run(mr_ws, "diff", "auto", env={"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    assert diff.code == 1, diff
    assert diff.stdout.splitlines()[1] == (
        "  loosens   campaigns.checkout.thresholds.min_pass_rate: 0.9 -> 0.87; "
        "min_pass_rate lowered  (sepurux.yml:8)"
    )


# 5. The monorepo: every service's policy, and one the merge request deletes.


@pytest.mark.slow
def test_5_the_monorepo_is_discovered_and_a_deleted_policy_still_judges(
    host: Host, tmp_path: Path
) -> None:
    mono = product(
        tmp_path,
        "mono",
        {
            "svc-a/sepurux.yml": host.service("orders"),
            "svc-b/sepurux.yml": host.service("stock"),
            "scenario.yml": scenario(orders=0.9, stock=0.9),
        },
    )
    mono.git("checkout", "-q", "-b", "pr")
    mono.git("rm", "-q", "svc-b/sepurux.yml")
    mono.commit("svc-b: no gate")
    mono.git("checkout", "-q", "main")
    variables = {
        "GATE_RUNNER_ARGS": "--sandbox scenario.yml",
        "GATE_RUNNER_DISCOVER": "true",
        **cached(tmp_path),
    }
    main_ws, recorded = _pipelines(mono, tmp_path, variables)
    assert [p["path"] for p in _verdict(main_ws)["policies"]] == [
        "svc-a/sepurux.yml",
        "svc-b/sepurux.yml",
    ]

    mr_ws, _code, log = _merge_request(mono, tmp_path, main_ws, variables)
    verdict = _verdict(mr_ws)
    assert [c["key"] for c in verdict["campaigns"]] == ["svc-a/orders", "svc-b/stock"], log
    assert verdict["policy_changes"]["review_required"] is True
    assert verdict["baseline"]["commit"] == recorded
    diff = run(mr_ws, "diff", "--discover", "origin/main", "--format", "json")
    assert diff.code == 1, diff
    by_policy = {d["config"]: d for d in json.loads(diff.stdout)}
    assert by_policy["svc-b/sepurux.yml"]["removed"] is True
    assert by_policy["svc-a/sepurux.yml"]["changes"] == []


# 6. A floor the repository cannot drop: the CI passes it (required workflow, pipeline
#    execution policy).


@pytest.mark.slow
def test_6_a_repository_that_extends_nothing_meets_the_floor_the_ci_sets(
    host: Host, tmp_path: Path
) -> None:
    rogue = product(
        tmp_path, "rogue", {"sepurux.yml": ROGUE, "scenario.yml": scenario(ranking=0.8)}
    )
    alone = run(rogue.path, "check", "--sandbox", "scenario.yml")
    assert alone.code == 0, alone
    floor = {"GATE_RUNNER_FLOOR": f"{host.url}#sha256={host.pin}", **cached(tmp_path)}
    done = run(rogue.path, "check", "--sandbox", "scenario.yml", env=floor)
    assert done.code == 1, done  # the floor's 0.85 judges 0.8, in its hard mode
    (ranking,) = _verdict(rogue.path)["campaigns"]
    checks = {c["id"]: c for c in ranking["checks"]}
    assert checks["threshold:min_pass_rate"]["expected"] == ">= 0.85"
    raised = {a["setting"] for a in checks["policy:floor"]["actual"]}
    assert {"enforcement.mode", "campaigns.ranking.thresholds.min_pass_rate"} <= raised


# 7. Replay a stricter central candidate on what the repositories recorded.


@pytest.mark.slow
def test_7_replay_of_a_stricter_candidate_over_recorded_verdicts(
    host: Host, tmp_path: Path
) -> None:
    payments = product(
        tmp_path,
        "payments",
        {"sepurux.yml": host.payments(), "scenario.yml": scenario(checkout=0.92, refunds=0.9)},
    )
    variables = {"GATE_RUNNER_ARGS": "--sandbox scenario.yml", **cached(tmp_path)}
    main_ws, recorded = _pipelines(payments, tmp_path, variables)
    store = str(main_ws / job("gate-runner")["variables"]["GATE_RUNNER_STORE"])
    done = run(tmp_path, "replay", "--policy", host.candidate, "--store", store, "--format", "json")
    assert done.code == 0, done
    report = json.loads(done.stdout)
    # Replay rebuilds payments' own policy with the candidate in the central file's place
    # (issue 20): the candidate is a floor at 0.91 and payments' own checkout override is
    # 0.9, so payments' policy would be invalid once the candidate ships: exit 2 at check
    # time, its merges blocked. Replay counts that block, naming both lines.
    assert (report["verdicts"], report["blocked"], report["invalid"]) == (1, 1, 1), report
    assert report["skipped"] == []
    (item,) = report["changed"]
    assert (item["commit"], item["replaced"]) == (recorded, host.url)
    assert item["after"] == {"outcome": "error", "blocking": True}
    # Both of payments' own bars sit below the candidate's 0.91, each at its line.
    lines = {
        b["setting"]: (b["value"], b["location"], b["floor_location"]) for b in item["invalid"]
    }
    floor_at = f"{host.url}:{_line(CANDIDATE, 'min_pass_rate')}"
    for campaign, bar in (("checkout", 0.9), ("refunds", 0.85)):
        value, at, floor = lines[f"campaigns.{campaign}.thresholds.min_pass_rate"]
        assert (value, floor) == (bar, floor_at)
        assert at.startswith(f"sepurux.yml:{_line(host.payments(), f'min_pass_rate: {bar}')}:")
    (payments_roll_up,) = report["repositories"]
    assert (payments_roll_up["blocked"], payments_roll_up["invalid"]) == (1, 1)
    # The text says so too, with the roll-up even for one repository.
    text = run(tmp_path, "replay", "--policy", host.candidate, "--store", store).stdout
    name = payments_roll_up["repository"]
    assert (
        f"  {name}: blocked 1 of 1 (1 newly, 0 no longer), 0 campaign flips, 1 invalid policy"
        in text.splitlines()
    ), text


# 8. Caching the central policy: GATE_RUNNER_CACHE_DIR keeps a gate running when the host
#    is down.


@pytest.mark.slow
def test_8_a_cached_central_policy_needs_no_host(tmp_path: Path) -> None:
    body = FLOOR.encode()
    server = LoopbackServer(lambda _r: Answer(200, raw=body, content_type="text/plain"))
    url = f"{server.url}/agents-floor.yml"
    pin = hashlib.sha256(body).hexdigest()
    repo = product(
        tmp_path,
        "svc",
        {"sepurux.yml": SERVICE.format(url=url, pin=pin, name="orders")},
    )
    try:
        warm = run(repo.path, "validate", env=cached(tmp_path))
        assert warm.code == 0, warm
        assert len(server.requests) == 1
    finally:
        server.close()
    done = run(repo.path, "validate", env=cached(tmp_path))
    assert (done.code, done.stderr) == (0, ""), done
