"""Verdicts as a store holds them, for `history`: a real verdict with its CI, time and runs set."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..conftest import verdict_json


def sha(index: int, repository: str = "") -> str:
    """A full sha per repository and index (a directory store files by commit alone)."""
    return f"{index:04x}{sum(map(ord, repository)) % 0xFFFF:04x}".ljust(40, "b")


def stored(
    repository: str,
    index: int,
    pass_rate: float,
    *,
    branch: str = "main",
    day: int | None = None,
    tools: tuple[str, ...] = (),
    runs: Sequence[tuple[int, int]] = (),
    waiver_until: str | None = None,
    baseline: str | None = None,
) -> str:
    """The verdict of `repository`'s index-th commit, checked on 2026-11-(day or index + 1)."""
    data: dict[str, Any] = json.loads(
        verdict_json(sha(index, repository), pass_rate=pass_rate, tools=tools)
    )
    data["ci"].update(repository=repository, branch=branch, commit=sha(index, repository))
    data["timings"]["started_at"] = f"2026-11-{(day or index + 1):02d}T12:00:00.000Z"
    campaign = data["campaigns"][0]
    if runs:
        campaign["runs"] = [
            {"run_id": f"r{i}", "status": "done", "outcome": "pass",
             "metrics": {"pass_rate": k / n, "trials": n}}
            for i, (k, n) in enumerate(runs)
        ]  # fmt: skip
    if waiver_until is not None:
        campaign["checks"][1]["waiver"] = {
            "until": waiver_until,
            "reason": "JIRA-1 flaky search",
            "expired": waiver_until < "2026-11-30",
            "location": None,
        }
    if baseline is not None:
        data["baseline"] = {"commit": baseline, "commits_back": 1, "merge_base": baseline,
                            "store": "verdicts", "note": "baseline"}  # fmt: skip
    return json.dumps(data)
