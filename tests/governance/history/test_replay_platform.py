"""`replay` as a platform team runs it: a central policy served pinned, two product
repositories and a monorepo that extend it, their verdicts recorded by real `check` runs
against the sandbox; then a stricter central candidate replayed over them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import Answer, LoopbackServer, clean_env, run_gate, validate_verdict

from ..gitrepo import Repo

CENTRAL = """\
version: 1
enforcement:
  mode: hard
thresholds:
  min_pass_rate: 0.8
"""

# The candidate: a stricter central bar.
CANDIDATE = CENTRAL.replace("0.8", "0.9")

# Product repository "api" keeps its own bar for core: the candidate must not judge it.
API = """\
version: 1
extends:
  - {{url: "{url}", sha256: "{sha}"}}
campaigns:
  core:
    thresholds:
      min_pass_rate: 0.8
"""

WEB = """\
version: 1
extends:
  - {{url: "{url}", sha256: "{sha}"}}
campaigns:
  core: {{}}
"""

# The monorepo's own shared file is named like the central one: base.yml.
MONO_BASE = """\
version: 1
gate:
  on_error: fail
"""

SEARCH = """\
version: 1
extends:
  - ../../policies/base.yml
  - {{url: "{url}", sha256: "{sha}"}}
campaigns:
  search: {{}}
"""

# A repository setting replay used to refuse: pooled runs counted by their traces.
CHAT = """\
version: 1
extends:
  - ../../policies/base.yml
  - {{url: "{url}", sha256: "{sha}"}}
statistics:
  trials: trace_count
campaigns:
  chat:
    aggregate: pooled
    repeat: 3
"""

SCENARIO = """\
token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics: {pass_rate: 0.85, reliability_score: 90}
  - name: search
    duration: 0
    metrics: {pass_rate: 0.85, reliability_score: 90}
  - name: chat
    duration: 0
    mode: batch
    trace_count: 40
    metrics: {pass_rate: 0.95, reliability_score: 90}
"""


@pytest.fixture(scope="module")
def central() -> Iterator[str]:
    """The central policy repository's file, served as a pinned URL."""
    with LoopbackServer(lambda _request: Answer(raw=CENTRAL.encode("utf-8"))) as server:
        yield f"{server.url}/central/base.yml"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, central: str) -> Path:
    """The repositories, each checked once by a CI job; their verdicts in verdicts/."""
    root = tmp_path_factory.mktemp("platform")
    pin = {"url": central, "sha": hashlib.sha256(CENTRAL.encode()).hexdigest()}
    (root / "scenario.yml").write_text(SCENARIO, encoding="utf-8")
    Repo.init(root / "central").commit("central policy", {"base.yml": CENTRAL})
    (root / "candidate").mkdir()
    (root / "candidate" / "base.yml").write_text(CANDIDATE, encoding="utf-8")
    api = Repo.init(root / "api")
    api.commit("policy", {"sepurux.yml": API.format(**pin)})
    web = Repo.init(root / "web")
    web.commit("policy", {"sepurux.yml": WEB.format(**pin)})
    mono = Repo.init(root / "mono")
    mono.commit(
        "policies",
        {
            "policies/base.yml": MONO_BASE,
            "services/search/sepurux.yml": SEARCH.format(**pin),
            "services/chat/sepurux.yml": CHAT.format(**pin),
        },
    )
    (root / "mono" / "scenario.yml").write_text(SCENARIO, encoding="utf-8")
    cache = {"GATE_RUNNER_CACHE_DIR": str(root / "cache")}
    github = {"GITHUB_ACTIONS": "true", **cache}
    jobs = [
        (api, {**github, "GITHUB_REPOSITORY": "acme/api", "GITHUB_SHA": "a" * 40}, ()),
        (web, {**github, "GITHUB_REPOSITORY": "acme/web", "GITHUB_SHA": "b" * 40}, ()),
        (
            mono,
            {
                "GITLAB_CI": "true",
                "CI_PROJECT_PATH": "acme/mono",
                "CI_COMMIT_SHA": "c" * 40,
                **cache,
            },
            ("--discover",),
        ),
    ]
    (root / "verdicts").mkdir()
    for repo, env, args in jobs:
        cwd = repo.path
        scenario = "../scenario.yml" if repo is not mono else "scenario.yml"
        done = run_gate(
            ["check", "--sandbox", scenario, *args], cwd=cwd, env=clean_env(env, token=None)
        )
        assert done.code in (0, 1), done.stderr
        text = (cwd / "gate-runner-verdict.json").read_text("utf-8")
        validate_verdict(json.loads(text))
        (root / "verdicts" / f"{cwd.name}.json").write_text(text, encoding="utf-8")
    return root


def _replay(root: Path, *args: str) -> tuple[int, str, str]:
    done = run_gate(
        ["replay", "--policy", "candidate/base.yml", "verdicts", *args],
        cwd=root,
        env=clean_env({"GATE_RUNNER_CACHE_DIR": str(root / "cache")}, token=None),
    )
    return done.code, done.stdout, done.stderr


@pytest.mark.slow
def test_each_verdict_records_what_rebuilds_its_policy(platform: Path, central: str) -> None:
    api = json.loads((platform / "verdicts" / "api.json").read_text("utf-8"))
    assert api["ci"]["repository"] == "acme/api"
    assert api["policy"]["files"] == [
        {
            "kind": "url",
            "source": central,
            "pin": "sha256:" + hashlib.sha256(CENTRAL.encode()).hexdigest(),
        },
        {
            "kind": "file",
            "source": "sepurux.yml",
            "text": (platform / "api" / "sepurux.yml").read_text(),
        },
    ]
    mono = json.loads((platform / "verdicts" / "mono.json").read_text("utf-8"))
    assert mono["ci"]["repository"] == "acme/mono"
    assert "files" not in mono["policy"]  # each policy of the monorepo carries its own
    pooled = next(c for c in mono["campaigns"] if c["key"].endswith("/chat"))
    assert (pooled["aggregate"]["method"], len(pooled["runs"])) == ("pooled", 3)
    chat = next(p for p in mono["policies"] if p["path"].endswith("chat/sepurux.yml"))
    assert [(f["kind"], f["source"]) for f in chat["files"]] == [
        ("file", "policies/base.yml"),
        ("url", central),
        ("file", "services/chat/sepurux.yml"),
    ]


@pytest.mark.slow
def test_a_name_two_files_share_needs_replaces(platform: Path, central: str) -> None:
    code, out, err = _replay(platform)
    assert (code, out) == (2, ""), err
    assert "could replace any of 2 files" in err
    assert f"--replaces {central}" in err
    assert "--replaces policies/base.yml" in err


@pytest.mark.slow
def test_the_candidate_judges_in_place_of_the_central_file(platform: Path, central: str) -> None:
    code, out, err = _replay(platform, "--replaces", central, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["replaces"] == central
    assert data["skipped"] == []  # chat's pooled runs were an error before (issue 20)
    assert (data["verdicts"], data["blocked"], data["newly_blocked"], data["unblocked"]) == (
        3,
        2,
        2,
        0,
    )
    changed = {c["repository"]: c for c in data["changed"]}
    # api keeps its own 0.8 for core: it passes under the candidate and is not listed.
    assert sorted(changed) == ["acme/mono", "acme/web"]
    web = changed["acme/web"]["campaigns"]
    assert [(c["key"], c["before"], c["after"], c["blocking"]) for c in web] == [
        ("core", "pass", "fail", True)
    ]
    assert web[0]["checks"] == [
        {
            "id": "threshold:min_pass_rate",
            "before": {"status": "pass", "value": 0.85, "bar": ">= 0.8"},
            "after": {"status": "fail", "value": 0.85, "bar": ">= 0.9"},
        }
    ]
    mono = changed["acme/mono"]["campaigns"]
    # chat (pooled over 3 runs, 0.95) still passes; search flips.
    assert [(c["key"], c["after"]) for c in mono] == [("services/search/search", "fail")]
    assert {
        r["repository"]: (r["verdicts"], r["blocked"], r["flips"]) for r in data["repositories"]
    } == {
        "acme/api": (1, 0, 0),
        "acme/mono": (1, 1, 1),
        "acme/web": (1, 1, 1),
    }
    assert data["without_policy"]["verdicts"] == 0


@pytest.mark.slow
def test_text_and_markdown_name_the_check_the_value_and_the_bar(
    platform: Path, central: str
) -> None:
    code, out, err = _replay(platform, "--replaces", central, "--as-of", "2030-01-01")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "replay of candidate/base.yml as on 2030-01-01: would have blocked 2 of the last 3 "
        "merges (2 newly, 0 no longer)"
    )
    assert lines[1] == f"in place of {central} in 3 verdicts' policies"
    assert "  acme/web@bbbbbbbbbbbb  core: pass→fail (blocks)" in lines
    assert (
        "      threshold:min_pass_rate: pass (0.85; bar >= 0.8) → fail (0.85; bar >= 0.9)" in lines
    )
    assert "  acme/api: blocked 0 of 1 (0 newly, 0 no longer), 0 campaign flips" in lines
    assert not any("acme/api@" in line for line in lines)
    code, out, err = _replay(platform, "--replaces", central, "--format", "markdown")
    assert code == 0, err
    assert "**would have blocked 2 of the last 3 merges (2 newly, 0 no longer)**" in out
    assert (
        "| acme/web | `bbbbbbbbbbbb` | core | threshold:min\\_pass\\_rate | "
        "pass (0.85; bar \\>= 0.8) | fail (0.85; bar \\>= 0.9) |"
    ) in out
    assert "| acme/api | 1 | 0 | 0 | 0 | 0 |" in out


@pytest.mark.slow
def test_a_verdict_without_its_policy_is_judged_by_the_candidate_alone_and_counted_apart(
    platform: Path, central: str, tmp_path: Path
) -> None:
    old = json.loads((platform / "verdicts" / "api.json").read_text("utf-8"))
    del old["policy"]["files"]  # as verdicts were written before they carried it
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "api-old.json").write_text(json.dumps(old), encoding="utf-8")
    code, out, err = _replay(platform, str(folder), "--replaces", central, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["verdicts"], data["blocked"]) == (3, 2)  # the old one is not among them
    assert data["without_policy"] == {
        "verdicts": 1,
        "blocked": 1,
        "newly_blocked": 1,
        "unblocked": 0,
    }
    alone = [c for c in data["changed"] if c["judged_by"] == "candidate alone"]
    assert [c["source"] for c in alone] == [str(folder / "api-old.json")]
    code, out, err = _replay(platform, str(folder), "--replaces", central)
    assert (
        "1 verdict without their policy: judged by the candidate alone, it would have blocked 1 "
        "(1 newly, 0 no longer)"
    ) in out.splitlines()


@pytest.mark.slow
def test_a_candidate_that_replaces_nothing_is_exit_2(platform: Path) -> None:
    code, out, err = _replay(platform, "--replaces", "https://elsewhere.example/base.yml")
    assert (code, out) == (2, "")
    assert "replaces none of the files" in err


@pytest.mark.slow
def test_a_secret_in_a_policy_file_never_reaches_the_recorded_text(tmp_path: Path) -> None:
    token = "tok-5521-replay-secret-value"
    # A comment is no setting, so the loader's literal-secret check never sees it.
    policy = f"version: 1\n# rotated on Monday: {token}\ncampaigns:\n  core: {{}}\n"
    repo = Repo.init(tmp_path / "repo")
    repo.commit("policy", {"sepurux.yml": policy})
    scenario = SCENARIO.replace("sandbox-token", token)
    (tmp_path / "scenario.yml").write_text(scenario, encoding="utf-8")
    done = run_gate(
        ["check", "--sandbox", "../scenario.yml"], cwd=repo.path, env=clean_env(token=None)
    )
    assert done.code in (0, 1), done.stderr
    text = (repo.path / "gate-runner-verdict.json").read_text("utf-8")
    assert token not in text
    files = json.loads(text)["policy"]["files"]
    assert files == [
        {"kind": "file", "source": "sepurux.yml", "text": policy.replace(token, "***")}
    ]
