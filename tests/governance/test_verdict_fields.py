"""The verdict's governance fields: schema-valid, round-tripped, absent from older verdicts."""

from __future__ import annotations

import json
from pathlib import Path

from support import validate_verdict

from gate_runner.verdict import FailingTool
from gate_runner.verdict_json import verdict_from_dict

from .cli import run
from .conftest import SIMPLE_POLICY, verdict_json


def test_an_older_verdict_loads_and_keeps_its_shape() -> None:
    old = json.loads(verdict_json("a" * 40))
    for name in ("policy_changes", "baseline", "waivers"):
        assert name not in old
    assert "failures" not in old["campaigns"][0]
    loaded = verdict_from_dict(old)
    assert loaded.policy_changes is None and loaded.campaigns[0].failures is None
    assert json.loads(loaded.to_json()) == old


def test_the_fields_round_trip_and_match_the_schema() -> None:
    from dataclasses import replace

    verdict = verdict_from_dict(json.loads(verdict_json("b" * 40, tools=("search",))))
    core = replace(verdict.campaigns[0], failures=(FailingTool("search", 2, "existing", 1),))
    full = replace(
        verdict,
        campaigns=(core,),
        policy_changes={
            "setting": "review",
            "base_ref": "origin/main",
            "base_commit": "c" * 40,
            "judged_by": "base",
            "review_required": True,
            "blocked": False,
            "message": "review required: …",
            "changes": [
                {
                    "path": "thresholds.min_pass_rate",
                    "before": 0.9,
                    "after": 0.7,
                    "effect": "loosens",
                    "location": "sepurux.yml:4",
                    "reason": "min_pass_rate lowered",
                }
            ],
        },
        baseline={
            "commit": "d" * 40,
            "commits_back": 2,
            "merge_base": "e" * 40,
            "store": "git-notes",
            "note": "baseline: …",
        },
        waivers={"live": 0, "max_days": 30, "reason": None, "warn_days": None, "findings": []},
    )
    document = json.loads(full.to_json())
    validate_verdict(document)
    assert verdict_from_dict(document) == full


def test_evaluate_classes_failures_against_a_baseline_file(tmp_path: Path) -> None:
    (tmp_path / "sepurux.yml").write_text(SIMPLE_POLICY.lstrip(), encoding="utf-8")
    (tmp_path / "old.json").write_text(verdict_json("a" * 40, tools=("search",)), "utf-8")
    (tmp_path / "new.json").write_text(verdict_json("b" * 40, tools=("search", "mail")), "utf-8")
    done = run(tmp_path, "evaluate", "--payload", "new.json", "--baseline", "old.json")
    assert done.code == 0, done.stderr
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    statuses = {f["tool"]: f["status"] for f in verdict["campaigns"][0]["failures"]}
    assert statuses == {"search": "existing", "mail": "new"}
    assert "new: mail" in done.stdout + done.stderr
