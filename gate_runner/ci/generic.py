"""Any other CI (`CI` set, or TeamCity) and local runs: everything comes from git."""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import truthy
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext


def _name(env: Mapping[str, str]) -> str:
    return "generic" if truthy(env.get("CI")) or env.get("TEAMCITY_VERSION") else "local"


def context(env: Mapping[str, str], git: GitRunner) -> CIContext:
    ref = git(["rev-parse", "--abbrev-ref", "HEAD"])
    return CIContext(vendor=_name(env), branch=ref if ref and ref != "HEAD" else None)


VENDOR = Vendor(name="generic", applies=lambda env: True, context=context)
