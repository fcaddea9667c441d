"""What `--policy-ref` and `diff` read at the base comes from git's objects at the ref: a
symlink the pull request puts in the working tree never redirects it (issue 20)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from governance.cli import Done, run
from governance.gitrepo import Repo
from support import validate_verdict

from .prrepo import LAX, STRICT, pull_request

pytestmark = pytest.mark.slow  # each runs git and gate-runner several times

SCENARIO = """
token: sandbox-token
campaigns:
  - name: core-reliability
    duration: 0
    metrics: {pass_rate: 0.5, unsafe_attempts: 0, failures: 3}
"""


def _swap_for_link(repo: Repo, directory: str, target: str) -> None:
    """The pull request's commit: `directory` becomes a symlink to `target` (``svc -> lax``)."""
    shutil.rmtree(repo.path / directory)
    os.symlink(target, repo.path / directory)
    repo.commit(f"{directory} -> {target}")


def _check(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[Done, Any]:
    done = run(cwd, "check", "--sandbox", str(cwd / "scenario.yml"), "--policy-ref", "main",
               "--verdict", str(cwd / "verdict.json"), *args, env=env)  # fmt: skip
    verdict = json.loads((cwd / "verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    return done, verdict


def test_a_directory_swapped_for_a_link_to_the_base_lax_policy_is_a_loosening(
    tmp_path: Path,
) -> None:
    # The base has a strict svc and a lax experiment; the pull request points svc at lax, so
    # read through the working tree both sides were lax/sepurux.yml: "no change".
    base = {"svc/sepurux.yml": STRICT, "lax/sepurux.yml": LAX}
    repo = pull_request(tmp_path, base, {})
    _swap_for_link(repo, "svc", "lax")
    done = run(repo.path, "diff", "main", "--config", "svc/sepurux.yml", "--format", "json")
    assert done.code == 1, done.stdout + done.stderr
    changes = {c["path"]: c for c in json.loads(done.stdout)}
    assert changes["thresholds.min_pass_rate"]["effect"] == "loosens"
    assert changes["thresholds.min_pass_rate"]["before"] == 0.9


def test_check_judges_by_the_base_policy_not_by_a_link_to_a_new_directory(
    tmp_path: Path,
) -> None:
    # lax/ is new in the pull request: read through the link, the base had "no policy", the
    # change "introduced the gate" and its own lax policy judged it (exit 0).
    base = {"svc/sepurux.yml": STRICT, "scenario.yml": SCENARIO}
    repo = pull_request(tmp_path, base, {"lax/sepurux.yml": LAX})
    _swap_for_link(repo, "svc", "lax")
    done, verdict = _check(repo.path, "--config", "svc/sepurux.yml")
    assert done.code == 1, done.stdout + done.stderr
    assert verdict["policy_changes"]["judged_by"] == "base"
    assert verdict["policy"]["sources"][0]["location"] == "main:svc/sepurux.yml"
    assert verdict["campaigns"][0]["outcome"] == "fail"
    assert verdict["campaigns"][0]["enforcement"]["mode"] == "hard"


def test_a_job_that_cds_into_the_linked_directory_still_reads_the_base_path(
    tmp_path: Path,
) -> None:
    base = {"svc/sepurux.yml": STRICT, "svc/scenario.yml": SCENARIO}
    repo = pull_request(tmp_path, base, {"lax/sepurux.yml": LAX, "lax/scenario.yml": SCENARIO})
    _swap_for_link(repo, "svc", "lax")
    # `cd svc` in the job's script: the process's directory is lax/, $PWD says svc.
    svc = repo.path / "svc"
    done, verdict = _check(svc, env={"PWD": str(svc)})
    assert done.code == 1, done.stdout + done.stderr
    assert verdict["policy"]["sources"][0]["location"] == "main:svc/sepurux.yml"
    assert verdict["policy_changes"]["judged_by"] == "base"


def test_a_link_in_the_tree_at_the_ref_is_followed_within_that_tree(tmp_path: Path) -> None:
    # At the base, svc/sepurux.yml is a committed link to the shared policy; `git cat-file`
    # of the link gave its target's name, which is no policy.
    origin = Repo.init(tmp_path / "origin")
    origin.write("shared/sepurux.yml", STRICT)
    (origin.path / "svc").mkdir()
    os.symlink("../shared/sepurux.yml", origin.path / "svc" / "sepurux.yml")
    origin.commit("svc uses the shared policy")
    repo = Repo(tmp_path / "clone")
    origin.git("clone", "-q", str(origin.path), str(repo.path))
    repo.git("checkout", "-q", "-b", "pr")
    (repo.path / "svc" / "sepurux.yml").unlink()
    repo.commit("svc goes its own way", {"svc/sepurux.yml": LAX})
    done = run(repo.path, "diff", "main", "--config", "svc/sepurux.yml", "--format", "json")
    assert done.code == 1, done.stdout + done.stderr
    changes = {c["path"]: c for c in json.loads(done.stdout)}
    assert changes["thresholds.min_pass_rate"]["before"] == 0.9


def test_a_link_out_of_the_tree_at_the_ref_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text(LAX.lstrip(), encoding="utf-8")
    origin = Repo.init(tmp_path / "origin")
    os.symlink(str(outside), origin.path / "sepurux.yml")
    origin.commit("a link out of the repository")
    repo = Repo(tmp_path / "clone")
    origin.git("clone", "-q", str(origin.path), str(repo.path))
    repo.git("checkout", "-q", "-b", "pr")
    (repo.path / "sepurux.yml").unlink()
    repo.commit("own policy", {"sepurux.yml": LAX})
    done = run(repo.path, "diff", "main")
    assert done.code == 2, done.stdout + done.stderr
    assert "symlink out of the tree" in done.stderr
    assert done.stdout == ""


def test_a_pin_extended_from_beside_a_linked_policy_is_compared(tmp_path: Path) -> None:
    # svc/sepurux.yml links to shared/, whose local extends names a pinned central policy;
    # the pull request moves the pin. Its extends are beside the file the link leads to.
    cache = tmp_path / "cache"
    cache.mkdir()
    shas = []
    for body in (b"version: 1\nthresholds: {max_unsafe: 0}\n", b"version: 1\n# v2\n"):
        sha = hashlib.sha256(body).hexdigest()
        (cache / f"{sha}.yml").write_bytes(body)
        shas.append(sha)
    pin = "version: 1\nextends:\n  - {url: 'https://policies.example/a.yml', sha256: %s}\n"
    origin = Repo.init(tmp_path / "origin")
    origin.write("shared/sepurux.yml", "version: 1\nextends: [base.yml]\n")
    origin.write("shared/base.yml", pin % shas[0])
    (origin.path / "svc").mkdir()
    os.symlink("../shared/sepurux.yml", origin.path / "svc" / "sepurux.yml")
    origin.commit("svc uses the shared policy")
    repo = Repo(tmp_path / "clone")
    origin.git("clone", "-q", str(origin.path), str(repo.path))
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("another pin", {"shared/base.yml": pin % shas[1]})
    done = run(repo.path, "diff", "main", "--config", "svc/sepurux.yml", "--format", "json",
               env={"GATE_RUNNER_CACHE_DIR": str(cache)})  # fmt: skip
    assert done.code == 1, done.stdout + done.stderr
    changes = {c["path"]: c for c in json.loads(done.stdout)}
    assert changes["extends.https://policies.example/a.yml"]["before"] == shas[0]
    assert changes["extends.https://policies.example/a.yml"]["after"] == shas[1]
