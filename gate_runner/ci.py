"""CI vendor detection: who runs us, on which repository, commit, branch and pull request."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from gate_runner.verdict import CIContext

GitRunner = Callable[[Sequence[str]], "str | None"]

GIT_TIMEOUT_S = 5.0
_MAX_EVENT_BYTES = 25 * 1024 * 1024


def detect(
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    run_git: GitRunner | None = None,
) -> CIContext:
    """Read the CI context from the environment; git fills what the vendor leaves out."""
    git = run_git if run_git is not None else _git_runner(cwd)
    for _name, applies, build in _VENDORS:
        if applies(env):
            return _fill_from_git(build(env, git), git)
    vendor = "generic" if _truthy(env.get("CI")) or env.get("TEAMCITY_VERSION") else "local"
    return _fill_from_git(CIContext(vendor=vendor), git)


def _git_runner(cwd: Path | None) -> GitRunner:
    def run(args: Sequence[str]) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        out = done.stdout.strip()
        return out if done.returncode == 0 and out else None

    return run


def _fill_from_git(ctx: CIContext, git: GitRunner) -> CIContext:
    repository = ctx.repository
    if repository is None:
        repository = slug_from_url(git(["config", "--get", "remote.origin.url"]))
    commit = ctx.commit or git(["rev-parse", "HEAD"])
    branch = ctx.branch
    if branch is None and ctx.vendor in ("generic", "local"):
        ref = git(["rev-parse", "--abbrev-ref", "HEAD"])
        branch = ref if ref and ref != "HEAD" else None
    return CIContext(
        vendor=ctx.vendor,
        repository=repository,
        commit=commit,
        branch=branch,
        pull_request=ctx.pull_request,
        build_url=ctx.build_url,
    )


def slug_from_url(url: str | None) -> str | None:
    """owner/name (or group/sub/name) from an https, ssh or scp-style git URL; never credentials."""
    if not url:
        return None
    text = url.strip()
    scp = re.match(r"^[\w.-]+@[\w.-]+:(?!//)(.+)$", text)
    if scp:
        path = scp.group(1)
    elif "://" in text:
        path = urlsplit(text).path
    else:
        return None
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    if "/_git/" in path:  # Azure Repos: org/project/_git/repo
        path = path.split("/_git/", 1)[1]
    path = re.sub(r"/(?:pull|merge_requests|-/merge_requests|pull-requests)/\d+.*$", "", path)
    path = path.removesuffix("/-")
    return path or None


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no", "off")


def _get(env: Mapping[str, str], *names: str) -> str | None:
    """The first of names that is set and not empty."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*#?(\d+)\s*", value)
    return int(match.group(1)) if match else None


def _last_number(value: str | None) -> int | None:
    numbers = re.findall(r"\d+", value or "")
    return int(numbers[-1]) if numbers else None


def _strip_ref(ref: str | None) -> str | None:
    if ref is None or ref.startswith(("refs/tags/", "refs/pull/")):
        return None
    return ref.removeprefix("refs/heads/")


# -- GitHub Actions ---------------------------------------------------------------------------


def _github_event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(_MAX_EVENT_BYTES))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _github(env: Mapping[str, str], git: GitRunner) -> CIContext:
    event = _github_event(env)
    name = env.get("GITHUB_EVENT_NAME", "")
    number: Any = None
    head_sha: Any = None
    head_branch: Any = None
    if isinstance(event.get("pull_request"), dict):
        # pull_request, pull_request_target, pull_request_review...: GITHUB_SHA is the merge commit.
        number = _dig(event, "pull_request", "number")
        head_sha = _dig(event, "pull_request", "head", "sha")
    elif name == "issue_comment" and _dig(event, "issue", "pull_request"):
        number = _dig(event, "issue", "number")
    elif name == "workflow_run":
        run = event.get("workflow_run")
        prs = run.get("pull_requests") if isinstance(run, dict) else None
        if isinstance(prs, list) and prs and isinstance(prs[0], dict):
            number = prs[0].get("number")
        head_sha = _dig(event, "workflow_run", "head_sha")
        head_branch = _dig(event, "workflow_run", "head_branch")
    repository = _get(env, "GITHUB_REPOSITORY")
    run_id = _get(env, "GITHUB_RUN_ID")
    server = (_get(env, "GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    return CIContext(
        vendor="github",
        repository=repository,
        commit=head_sha if isinstance(head_sha, str) and head_sha else _get(env, "GITHUB_SHA"),
        branch=(
            head_branch
            if isinstance(head_branch, str) and head_branch
            else _get(env, "GITHUB_HEAD_REF", "GITHUB_REF_NAME")
        ),
        pull_request=number if isinstance(number, int) and not isinstance(number, bool) else None,
        build_url=f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None,
    )


# -- the others -------------------------------------------------------------------------------


def _gitlab(env: Mapping[str, str], git: GitRunner) -> CIContext:
    project = _get(env, "CI_PROJECT_PATH")
    number = _int(_get(env, "CI_MERGE_REQUEST_IID"))
    if number is None:
        # Branch pipelines only list the open MRs ("group/proj!333,other/proj!12").
        for item in (_get(env, "CI_OPEN_MERGE_REQUESTS") or "").split(","):
            path, _, iid = item.strip().rpartition("!")
            if iid.isdigit() and (project is None or path == project):
                number = int(iid)
                break
    branch = _get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH")
    if branch is None and not _get(env, "CI_COMMIT_TAG"):
        branch = _get(env, "CI_COMMIT_REF_NAME")
    return CIContext(
        vendor="gitlab",
        repository=project,
        commit=_get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "CI_COMMIT_SHA"),
        branch=branch,
        pull_request=number,
        build_url=_get(env, "CI_JOB_URL", "CI_PIPELINE_URL"),
    )


def _circleci(env: Mapping[str, str], git: GitRunner) -> CIContext:
    owner, name = _get(env, "CIRCLE_PROJECT_USERNAME"), _get(env, "CIRCLE_PROJECT_REPONAME")
    repository = f"{owner}/{name}" if owner and name else None
    number = _int(_get(env, "CIRCLE_PR_NUMBER"))
    if number is None:
        urls = [u for u in (_get(env, "CIRCLE_PULL_REQUESTS") or "").split(",") if u.strip()]
        if not urls and _get(env, "CIRCLE_PULL_REQUEST"):
            urls = [env["CIRCLE_PULL_REQUEST"]]
        ours = [u for u in urls if repository and f"/{repository}/" in u] or urls
        numbers = sorted(n for n in (_last_number(u) for u in ours) if n is not None)
        # CIRCLE_PULL_REQUEST is picked at random among several; the lowest is stable across reruns.
        number = numbers[0] if numbers else None
    return CIContext(
        vendor="circleci",
        repository=repository,
        commit=_get(env, "CIRCLE_SHA1"),
        branch=_get(env, "CIRCLE_BRANCH"),
        pull_request=number,
        build_url=_get(env, "CIRCLE_BUILD_URL"),
    )


def _jenkins(env: Mapping[str, str], git: GitRunner) -> CIContext:
    number = _int(_get(env, "CHANGE_ID", "ghprbPullId", "gitlabMergeRequestIid"))
    commit = _get(env, "ghprbActualCommit", "gitlabMergeRequestLastCommit")
    merge = _get(env, "GIT_COMMIT")
    if commit is None and merge and number is not None:
        # The default PR strategy merges the head into the target on the agent: the head is ^2.
        commit = git(["rev-parse", "--verify", "--quiet", f"{merge}^2"]) or merge
    branch = _get(env, "CHANGE_BRANCH", "ghprbSourceBranch", "BRANCH_NAME", "GIT_BRANCH")
    if branch and branch.startswith("origin/"):
        branch = branch.removeprefix("origin/")
    return CIContext(
        vendor="jenkins",
        repository=slug_from_url(_get(env, "GIT_URL", "CHANGE_URL")),
        commit=commit or merge,
        branch=branch,
        pull_request=number,
        build_url=_get(env, "BUILD_URL"),
    )


def _buildkite(env: Mapping[str, str], git: GitRunner) -> CIContext:
    commit = _get(env, "BUILDKITE_COMMIT")
    if commit == "HEAD":
        commit = git(["rev-parse", "HEAD"])
    branch = _get(env, "BUILDKITE_BRANCH")
    if branch and ":" in branch:  # fork PRs read "user:branch"
        branch = branch.split(":", 1)[1] or None
    pr = _get(env, "BUILDKITE_PULL_REQUEST")
    return CIContext(
        vendor="buildkite",
        repository=slug_from_url(_get(env, "BUILDKITE_REPO")),
        commit=commit,
        branch=branch,
        pull_request=None if pr == "false" else _int(pr),
        build_url=_get(env, "BUILDKITE_BUILD_URL"),
    )


def _azure(env: Mapping[str, str], git: GitRunner) -> CIContext:
    collection, project = _get(env, "SYSTEM_COLLECTIONURI"), _get(env, "SYSTEM_TEAMPROJECT")
    build_id = _get(env, "BUILD_BUILDID")
    build_url = None
    if collection and project and build_id:
        base = collection if collection.endswith("/") else collection + "/"
        build_url = f"{base}{quote(project)}/_build/results?buildId={quote(build_id)}"
    return CIContext(
        vendor="azure",
        repository=_get(env, "BUILD_REPOSITORY_NAME"),
        commit=_get(env, "SYSTEM_PULLREQUEST_SOURCECOMMITID", "BUILD_SOURCEVERSION"),
        branch=_strip_ref(_get(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH", "BUILD_SOURCEBRANCH")),
        pull_request=_int(
            _get(env, "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER", "SYSTEM_PULLREQUEST_PULLREQUESTID")
        ),
        build_url=build_url,
    )


def _bitbucket(env: Mapping[str, str], git: GitRunner) -> CIContext:
    repository, number = _get(env, "BITBUCKET_REPO_FULL_NAME"), _get(env, "BITBUCKET_BUILD_NUMBER")
    return CIContext(
        vendor="bitbucket",
        repository=repository,
        commit=_get(env, "BITBUCKET_COMMIT"),
        branch=_get(env, "BITBUCKET_BRANCH"),
        pull_request=_int(_get(env, "BITBUCKET_PR_ID")),
        build_url=(
            f"https://bitbucket.org/{repository}/pipelines/results/{number}"
            if repository and number
            else None
        ),
    )


_Applies = Callable[[Mapping[str, str]], bool]
_Build = Callable[[Mapping[str, str], GitRunner], CIContext]

# Specific vendors first: most also set CI=true, and Azure sets TF_BUILD instead.
_VENDORS: tuple[tuple[str, _Applies, _Build], ...] = (
    ("github", lambda e: e.get("GITHUB_ACTIONS") == "true", _github),
    ("gitlab", lambda e: e.get("GITLAB_CI") == "true", _gitlab),
    ("circleci", lambda e: e.get("CIRCLECI") == "true", _circleci),
    ("jenkins", lambda e: bool(e.get("JENKINS_URL")), _jenkins),
    ("buildkite", lambda e: e.get("BUILDKITE") == "true", _buildkite),
    ("azure", lambda e: e.get("TF_BUILD", "").lower() == "true", _azure),
    ("bitbucket", lambda e: bool(e.get("BITBUCKET_BUILD_NUMBER")), _bitbucket),
)
