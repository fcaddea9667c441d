"""CircleCI: the project slug, and the PR number out of the PR URLs."""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get, integer, last_number
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext


def context(env: Mapping[str, str], git: GitRunner) -> CIContext:
    owner, name = get(env, "CIRCLE_PROJECT_USERNAME"), get(env, "CIRCLE_PROJECT_REPONAME")
    repository = f"{owner}/{name}" if owner and name else None
    number = integer(get(env, "CIRCLE_PR_NUMBER"))
    if number is None:
        urls = [u for u in (get(env, "CIRCLE_PULL_REQUESTS") or "").split(",") if u.strip()]
        if not urls and get(env, "CIRCLE_PULL_REQUEST"):
            urls = [env["CIRCLE_PULL_REQUEST"]]
        ours = [u for u in urls if repository and f"/{repository}/" in u] or urls
        numbers = sorted(n for n in (last_number(u) for u in ours) if n is not None)
        # CIRCLE_PULL_REQUEST is picked at random among several; the lowest is stable across reruns.
        number = numbers[0] if numbers else None
    return CIContext(
        vendor="circleci",
        repository=repository,
        commit=get(env, "CIRCLE_SHA1"),
        branch=get(env, "CIRCLE_BRANCH"),
        pull_request=number,
        build_url=get(env, "CIRCLE_BUILD_URL"),
    )


VENDOR = Vendor(
    name="circleci",
    applies=lambda env: env.get("CIRCLECI") == "true",
    context=context,
    workspace_variables=("CIRCLE_WORKING_DIRECTORY",),
)
