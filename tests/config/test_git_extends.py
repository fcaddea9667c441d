"""`extends: {git, ref, path}` as a platform team uses it, as processes over real repositories:
a central policy repository (a bare one behind file:// and behind `git http-backend` on
loopback, which demands the credential), product repositories that extend it, the cache."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import Answer, LoopbackServer, clean_env, run_gate, validate_verdict
from support.git_http import git_http_backend

TOKEN = "glcbt-central-9f8e7d6c5b4a"  # the credential the central host demands
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "platform",
    "GIT_AUTHOR_EMAIL": "platform@example.invalid",
    "GIT_COMMITTER_NAME": "platform",
    "GIT_COMMITTER_EMAIL": "platform@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}

CENTRAL_V1 = """\
version: 1
extends: [base/common.yml]
thresholds:
  min_pass_rate: 0.85
"""
COMMON_V1 = """\
version: 1
gate:
  timeout: 600
"""
COMMON_V2 = """\
version: 1
gate:
  timeout: 900
"""

SCENARIO = """\
token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics:
      pass_rate: 0.9
      unsafe_attempts: 0
      failures: 1
      reliability_score: 90
      mutation_categories: [tool_timeout]
"""


def _git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**env, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, f"git {args}: {done.stderr}"
    return done.stdout.strip()


class Central:
    """The platform team's policy repository: a working copy and the bare one served."""

    def __init__(self, root: Path) -> None:
        self.work, self.bare = root / "central-work", root / "served" / "central.git"
        self.work.mkdir(parents=True)
        _git(self.work, "init", "-q", "-b", "main")
        self.first = self.commit({"central.yml": CENTRAL_V1, "base/common.yml": COMMON_V1}, "v1")
        os.symlink("central.yml", self.work / "link.yml")
        _git(self.work, "add", "-A")
        _git(self.work, "commit", "-q", "-m", "a symlink to the policy")
        self.linked = _git(self.work, "rev-parse", "HEAD")
        self.bare.parent.mkdir(parents=True)
        _git(root, "clone", "-q", "--bare", str(self.work), str(self.bare))

    def commit(self, files: dict[str, str], message: str) -> str:
        for rel, text in files.items():
            (self.work / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.work / rel).write_text(text, encoding="utf-8")
        _git(self.work, "add", "-A")
        _git(self.work, "commit", "-q", "-m", message)
        return _git(self.work, "rev-parse", "HEAD")

    def publish(self) -> None:
        _git(self.work, "push", "-q", str(self.bare), "main")

    @property
    def url(self) -> str:
        return self.bare.as_uri()


@pytest.fixture
def central(tmp_path: Path) -> Central:
    return Central(tmp_path)


def _product(root: Path, entry: str, name: str = "product") -> Path:
    repo = root / name
    repo.mkdir(exist_ok=True)
    text = "version: 1\nextends:\n" + textwrap.indent(entry, "  ") + "campaigns:\n  core: {}\n"
    (repo / "sepurux.yml").write_text(text, encoding="utf-8")
    (root / "scenario.yml").write_text(SCENARIO, encoding="utf-8")
    return repo


def _entry(url: str, ref: str, path: str = "central.yml", **more: Any) -> str:
    lines = [f"- git: {url}", f"  ref: {ref}", f"  path: {path}"]
    lines += [f"  {key}: {json.dumps(value)}" for key, value in more.items()]
    return "\n".join(lines) + "\n"


def _env(root: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        {**GIT_IDENTITY, "GATE_RUNNER_CACHE_DIR": str(root / "cache"), **extra}, token=None
    )


def _run(cwd: Path, env: dict[str, str], *args: str) -> Any:
    done = run_gate(args, cwd=cwd, env=env)
    assert "Traceback" not in done.stderr, done.describe()
    return done


def _values(cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    done = _run(cwd, env, "explain", "--format", "json")
    assert done.code == 0, done.describe()
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _value(explained: dict[str, Any], path: str) -> Any:
    return next(v for v in explained["values"] if v["path"] == path)


def _verdict(cwd: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cwd / "gate-runner-verdict.json").read_text("utf-8"))
    validate_verdict(data)
    return data


@pytest.mark.slow
def test_a_commit_pinned_git_file_and_its_relative_extends_at_that_commit(
    tmp_path: Path, central: Central
) -> None:
    central.commit({"base/common.yml": COMMON_V2}, "common v2")
    central.publish()
    product = _product(tmp_path, _entry(central.url, central.first))
    env = _env(tmp_path)
    explained = _values(product, env)
    assert _value(explained, "thresholds.min_pass_rate")["value"] == 0.85
    # base/common.yml as it was at the pinned commit, not main's newer 900.
    timeout = _value(explained, "gate.timeout")
    assert timeout["value"] == 600
    assert timeout["origin"].startswith(f"{central.url}//base/common.yml@{central.first[:12]}:")
    # Cached by commit: with the central host gone, the same pin still reads.
    shutil.rmtree(central.bare)
    assert _value(_values(product, env), "gate.timeout")["value"] == 600
    done = _run(product, env, "check", "--sandbox", "../scenario.yml")
    assert done.code == 0, done.describe()
    sources = [s["location"] for s in _verdict(product)["policy"]["sources"]]
    assert f"{central.url}//central.yml@{central.first[:12]}" in sources


@pytest.mark.slow
def test_a_branch_needs_the_file_sha256_and_a_mismatch_is_an_invalid_policy(
    tmp_path: Path, central: Central
) -> None:
    pin = hashlib.sha256(CENTRAL_V1.encode()).hexdigest()
    env = _env(tmp_path)
    product = _product(tmp_path, _entry(central.url, "main"))
    done = _run(product, env, "validate")
    assert done.code == 2, done.describe()
    assert "sepurux.yml:3:5: extends[0]: ref main is not a full commit id" in done.stderr
    product = _product(tmp_path, _entry(central.url, "main", sha256=pin))
    assert _run(product, env, "validate").code == 0
    # The branch moves to a central.yml with other bytes: the pin no longer holds (exit 2).
    central.commit({"central.yml": CENTRAL_V1.replace("0.85", "0.8")}, "looser")
    central.publish()
    (tmp_path / "cache").rename(tmp_path / "old-cache")
    done = _run(product, env, "check", "--sandbox", "../scenario.yml")
    assert done.code == 2, done.describe()
    assert "sha256 mismatch for" in done.stderr
    verdict = _verdict(product)
    assert (verdict["exit_code"], verdict["error"]["kind"]) == (2, "policy")
    # With the cache the pin was checked against, the branch is not even asked again.
    shutil.rmtree(tmp_path / "cache")
    (tmp_path / "old-cache").rename(tmp_path / "cache")
    shutil.rmtree(central.bare)
    assert _run(product, env, "validate").code == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("link.yml", "link.yml@{short}: a symlink; a policy is read from a file, refusing"),
        ("base", "base@{short}: not a file"),
        ("absent.yml", "the repository has no file absent.yml at that commit"),
    ],
)
def test_a_symlink_a_folder_or_a_missing_file_is_refused(
    tmp_path: Path, central: Central, path: str, message: str
) -> None:
    product = _product(tmp_path, _entry(central.url, central.linked, path))
    done = _run(product, _env(tmp_path), "validate")
    assert done.code == 2, done.describe()
    assert message.format(short=central.linked[:12]) in done.stderr


@pytest.mark.slow
def test_a_relative_extends_cannot_leave_the_repository(tmp_path: Path, central: Central) -> None:
    commit = central.commit({"central.yml": "version: 1\nextends: [../../etc/x.yml]\n"}, "out")
    central.publish()
    product = _product(tmp_path, _entry(central.url, commit))
    done = _run(product, _env(tmp_path), "validate")
    assert done.code == 2, done.describe()
    assert "../../etc/x.yml: not a file inside the repository" in done.stderr


@pytest.mark.slow
def test_an_unreachable_central_repository_with_nothing_cached_is_no_decision(
    tmp_path: Path, central: Central
) -> None:
    product = _product(tmp_path, _entry(central.url, central.first))
    shutil.rmtree(central.bare)  # the central host is down, the cache is cold
    done = _run(product, _env(tmp_path), "check", "--sandbox", "../scenario.yml")
    assert done.code == 3, done.describe()
    assert "cannot fetch" in done.stderr
    assert "1 problem fetching a remote policy, none cached: no decision" in done.stderr
    verdict = _verdict(product)
    assert (verdict["exit_code"], verdict["error"]["kind"]) == (3, "policy_fetch")
    assert verdict["error"]["diagnostics"][0]["location"]["path"] == "sepurux.yml"


# --- the central repository behind a smart-HTTP server that demands the credential -------


@pytest.fixture
def git_server(central: Central) -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        server.route = git_http_backend(central.bare.parent, ("JOB-TOKEN", TOKEN))
        yield server


def _argv_recorder(root: Path) -> tuple[Path, Path]:
    """A `git` first on PATH that records every command line, then runs the real git."""
    bin_dir, log = root / "bin", root / "git-argv.log"
    bin_dir.mkdir()
    real = shutil.which("git")
    script = bin_dir / "git"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    return bin_dir, log


@pytest.mark.slow
def test_the_credential_goes_in_its_header_never_on_a_command_line_nor_in_any_output(
    tmp_path: Path, central: Central, git_server: LoopbackServer
) -> None:
    url = f"{git_server.url}/central.git"
    entry = _entry(url, central.first, auth={"env": "CENTRAL_ACCESS", "header": "JOB-TOKEN"})
    product = _product(tmp_path, entry)
    bin_dir, log = _argv_recorder(tmp_path)
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    # Without the variable: nothing is fetched, and the fix is named.
    done = _run(product, _env(tmp_path, PATH=path), "validate")
    assert done.code == 2, done.describe()
    assert "auth.env names CENTRAL_ACCESS, which is not set" in done.stderr
    assert git_server.requests == []
    env = _env(tmp_path, PATH=path, CENTRAL_ACCESS=TOKEN)
    done = _run(product, env, "check", "--sandbox", "../scenario.yml")
    assert done.code == 0, done.describe()
    assert git_server.requests, "git never reached the server: the test proves nothing"
    assert {r.headers.get("job-token") for r in git_server.requests} == {TOKEN}
    assert all("authorization" not in r.headers for r in git_server.requests)
    assert log.read_text().count("fetch") >= 1
    assert TOKEN not in log.read_text()
    outputs = done.stdout + done.stderr + (product / "gate-runner-verdict.json").read_text()
    assert TOKEN not in outputs


@pytest.mark.slow
def test_without_the_credential_the_server_refuses_and_it_is_no_decision(
    tmp_path: Path, central: Central, git_server: LoopbackServer
) -> None:
    url = f"{git_server.url}/central.git"
    entry = _entry(url, central.first, auth={"env": "CENTRAL_ACCESS", "header": "JOB-TOKEN"})
    product = _product(tmp_path, entry)
    env = _env(tmp_path, CENTRAL_ACCESS="wrong-value")
    done = _run(product, env, "check", "--sandbox", "../scenario.yml")
    assert done.code == 3, done.describe()
    assert [r.headers.get("job-token") for r in git_server.requests][:1] == ["wrong-value"]
    assert _verdict(product)["error"]["kind"] == "policy_fetch"


@pytest.mark.slow
def test_git_never_follows_a_redirect_to_another_origin_with_the_credential(
    tmp_path: Path, central: Central
) -> None:
    with LoopbackServer() as elsewhere, LoopbackServer() as first:
        elsewhere.route = git_http_backend(
            central.bare.parent, ("Authorization", f"Bearer {TOKEN}")
        )
        first.route = lambda r: Answer(302, headers={"Location": elsewhere.url + r.target})
        entry = _entry(f"{first.url}/central.git", central.first, auth={"env": "CENTRAL_ACCESS"})
        product = _product(tmp_path, entry)
        done = _run(product, _env(tmp_path, CENTRAL_ACCESS=TOKEN), "validate")
        assert first.requests, "git never asked: the test proves nothing"
        assert first.requests[0].headers.get("authorization") == f"Bearer {TOKEN}"
        assert elsewhere.requests == []
    assert done.code == 3, done.describe()
    assert TOKEN not in done.stdout + done.stderr


@pytest.mark.slow
def test_an_object_planted_in_the_cache_is_refused(tmp_path: Path, central: Central) -> None:
    # CI restores the cache folder from other pipelines: a planted object under the pinned
    # file's id must not stand in for it (git does not re-hash what it reads).
    product = _product(tmp_path, _entry(central.url, central.first))
    env = _env(tmp_path)
    assert _run(product, env, "validate").code == 0
    blob = _git(central.work, "rev-parse", f"{central.first}:central.yml")
    planted = zlib.compress(b"blob 11\0version: 1\n")
    [loose] = list((tmp_path / "cache" / "git").glob(f"*.git/objects/{blob[:2]}/{blob[2:]}"))
    loose.chmod(0o644)
    loose.write_bytes(planted)
    shutil.rmtree(central.bare)
    done = _run(product, env, "validate")
    assert done.code == 2, done.describe()
    assert f"{blob}: the cached blob does not match its id; clear the policy cache" in done.stderr


@pytest.mark.parametrize(
    ("git", "message"),
    [
        (
            "https://x:${GITHUB_TOKEN}@git.example.com/p.git",
            "extends[0].git: ${GITHUB_TOKEN} is a secret",
        ),
        ("https://me:hunter22@git.example.com/p.git", "a user or password in the URL"),
    ],
)
def test_a_credential_in_the_repository_url_is_refused(
    tmp_path: Path, git: str, message: str
) -> None:
    product = _product(tmp_path, _entry(git, "a" * 40))
    env = _env(tmp_path, GITHUB_TOKEN="ghp-never-expanded-1234")
    done = _run(product, env, "validate")
    assert done.code == 2, done.describe()
    assert message in done.stderr
    assert "ghp-never-expanded-1234" not in done.stderr


@pytest.mark.slow
def test_a_git_file_is_recorded_by_commit_and_replay_puts_the_candidate_in_its_place(
    tmp_path: Path, central: Central
) -> None:
    # The verdict names the git file by URL//path and its commit; `replay --policy` with a
    # stricter central.yml replaces it by that name and keeps the repository's own files.
    product = _product(tmp_path, _entry(central.url, central.first))
    env = _env(tmp_path)
    done = _run(product, env, "check", "--sandbox", "../scenario.yml")
    assert done.code == 0, done.describe()
    files = _verdict(product)["policy"]["files"]
    kinds = [(f["kind"], f["source"], f.get("pin")) for f in files]
    assert ("git", f"{central.url}//central.yml", f"commit:{central.first}") in kinds
    assert ("git", f"{central.url}//base/common.yml", f"commit:{central.first}") in kinds
    assert kinds[-1][0] == "file"
    candidate = tmp_path / "central.yml"
    # central.yml's next version, which extends base/common.yml as v1 does: at replay that
    # resolves in the central repository at the recorded commit (issue 20).
    candidate.write_text(CENTRAL_V1.replace("0.85", "0.95"), encoding="utf-8")
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "common.yml").write_text(COMMON_V1, encoding="utf-8")
    verdicts = tmp_path / "verdicts"
    verdicts.mkdir()
    shutil.copy(product / "gate-runner-verdict.json", verdicts / "one.json")
    args = ["replay", "--policy", str(candidate), str(verdicts), "--format", "json"]
    replayed = _run(product, env, *[*args, "--replaces", f"{central.url}//central.yml"])
    assert replayed.code == 0, replayed.describe()
    report = json.loads(replayed.stdout)
    assert report["newly_blocked"] == 1, report  # pass rate 0.9 under the candidate's 0.95
    assert report["changed"][0]["judged_by"] == "own policy"
