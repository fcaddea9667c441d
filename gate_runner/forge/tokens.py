"""The forge tokens status publishing may use: secrets to mask and scrub like the API token."""

from __future__ import annotations

from collections.abc import Mapping

# Per forge, the variables read in this order. Bitbucket Pipelines needs none (its proxy
# authenticates); outside Pipelines an access token with `repository:write` is required.
GITHUB = ("GITHUB_TOKEN", "GATE_RUNNER_GITHUB_TOKEN")
GITLAB = ("GITLAB_TOKEN", "GATE_RUNNER_GITLAB_TOKEN")
BITBUCKET = ("BITBUCKET_ACCESS_TOKEN", "GATE_RUNNER_BITBUCKET_TOKEN")
AZURE = ("SYSTEM_ACCESSTOKEN", "GATE_RUNNER_AZURE_TOKEN")
TOKEN_VARIABLES = (*GITHUB, *GITLAB, *BITBUCKET, *AZURE)


def forge_status_tokens(env: Mapping[str, str]) -> list[str]:
    """Every forge token set in `env` (the secrets module scrubs each from every output)."""
    return [env[name] for name in TOKEN_VARIABLES if env.get(name)]


def first_token(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((env[name] for name in names if env.get(name)), None)
