"""Jenkins: detected without JENKINS_URL too, and a PR's head commit, never the agent's merge.

Jenkins core sets JENKINS_HOME, BUILD_TAG (`jenkins-${JOB_NAME}-${BUILD_NUMBER}`), JOB_NAME,
BUILD_ID and EXECUTOR_NUMBER on every build; JENKINS_URL and BUILD_URL only when the root URL
is configured (https://www.jenkins.io/doc/book/pipeline/jenkins-file/#using-environment-variables,
and `${JENKINS_URL}env-vars.html` of any controller).

Multibranch PR builds (github-, gitlab-, bitbucket-branch-source) with the default "merge" strategy
use the git plugin's MergeWithGitSCMExtension: it checks out the PR head and merges the target
into it ("Merging <target> commit X into PR head commit Y"), so GIT_COMMIT is a merge commit that
exists only on the agent, its first parent is the head and its second the target's tip. When the
target is already in the head, nothing is merged and GIT_COMMIT is the head. The head was fetched
to refs/remotes/<remote>/<BRANCH_NAME> (PR-12, MR-12), the target to .../<CHANGE_TARGET>. No
variable names the head, so it is read from those refs; when that is impossible (no git in the
image, a shallow or unusual checkout) the commit is left unknown rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get, integer, slug_from_url
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext


def applies(env: Mapping[str, str]) -> bool:
    if get(env, "JENKINS_URL", "JENKINS_HOME", "HUDSON_URL", "HUDSON_HOME"):
        return True
    if (get(env, "BUILD_TAG") or "").startswith("jenkins-"):
        return True
    return all(get(env, name) for name in ("BUILD_ID", "JOB_NAME", "EXECUTOR_NUMBER"))


def context(env: Mapping[str, str], git: GitRunner) -> CIContext:
    number = integer(get(env, "CHANGE_ID", "ghprbPullId", "gitlabMergeRequestIid"))
    branch = get(env, "CHANGE_BRANCH", "ghprbSourceBranch", "BRANCH_NAME", "GIT_BRANCH")
    if branch and branch.startswith("origin/"):
        branch = branch.removeprefix("origin/")
    return CIContext(
        vendor="jenkins",
        repository=slug_from_url(get(env, "GIT_URL", "CHANGE_URL")),
        commit=head_commit(env, git, pull_request=number is not None),
        branch=branch,
        pull_request=number,
        build_url=get(env, "BUILD_URL"),
    )


def head_commit(env: Mapping[str, str], git: GitRunner, *, pull_request: bool) -> str | None:
    """The commit the build is about: a PR's head, or None when it cannot be told for sure."""
    # The GitHub PR builder and GitLab plugins name the head themselves.
    named = get(env, "ghprbActualCommit", "gitlabMergeRequestLastCommit")
    if named:
        return named
    checked_out = get(env, "GIT_COMMIT") or git(["rev-parse", "--verify", "--quiet", "HEAD"])
    if not pull_request or checked_out is None:
        return checked_out  # a branch build checks out the branch's own tip
    if _remote_refs_at(git, checked_out):
        return checked_out  # on the server: the "head" strategy, or nothing needed merging
    parents = (git(["rev-list", "--parents", "-n", "1", checked_out]) or "").split()[1:]
    heads = {get(env, "BRANCH_NAME"), get(env, "CHANGE_BRANCH")} - {None}
    for parent in parents:
        refs = _remote_refs_at(git, parent)
        if any(ref.endswith(f"/{head}") for ref in refs for head in heads):
            return parent
    # MergeWithGitSCMExtension merges the target into the head: ^2 is the target's tip.
    target = get(env, "CHANGE_TARGET")
    target_refs = _remote_refs_at(git, parents[1]) if len(parents) == 2 and target else []
    if any(ref.endswith(f"/{target}") for ref in target_refs):
        return parents[0]
    return None  # a merge made on the agent, whose head we cannot name


def _remote_refs_at(git: GitRunner, commit: str) -> list[str]:
    refs = git(["for-each-ref", "--points-at", commit, "--format=%(refname)", "refs/remotes"])
    return [ref for ref in (refs or "").splitlines() if not ref.endswith("/HEAD")]


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into (Jenkins: multibranch pull request jobs), or None."""
    return get(env, "CHANGE_TARGET")


VENDOR = Vendor(
    name="jenkins",
    applies=applies,
    context=context,
    workspace_variables=("WORKSPACE",),
    head_is_the_commit=False,
    target_branch=target_branch,
    target_branch_variable="CHANGE_TARGET",
)
