"""The `json` report: the verdict document itself."""

from __future__ import annotations

from gate_runner.verdict import Verdict


def render(verdict: Verdict) -> str:
    return verdict.to_json()
