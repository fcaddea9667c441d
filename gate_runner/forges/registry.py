"""THE forge registry: each forge's package, by the CI vendor name it serves."""

from __future__ import annotations

from gate_runner.forges import azure, bitbucket, github, gitlab
from gate_runner.forges.interface import Forge

# Adding a forge: its folder beside these, one entry here, its token variables in
# secrets.FORGE_TOKEN_VARIABLES (and its vendor in gate_runner/ci/ if CI runs there too).
FORGES: tuple[Forge, ...] = (github, gitlab, bitbucket, azure)


def forge_for(vendor: str) -> Forge | None:
    """The forge a CI vendor's builds report to, or None (Jenkins, CircleCI, ...)."""
    return next((forge for forge in FORGES if vendor == forge.NAME), None)


def listed(forges: list[Forge]) -> str:
    """ "GitHub, GitLab and Azure DevOps": the forges a warning names."""
    titles = [forge.TITLE for forge in forges]
    return titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"
