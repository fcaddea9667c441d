"""Several policies merged into one verdict: the merge rule, unique names in every report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

from report.fixtures import budget_spent, hard_fail, passing, soft_warn
from support import validate_verdict

from gate_runner.monorepo import PolicyRun, campaign_prefixes, merge_verdicts
from gate_runner.report.registry import REPORTERS
from gate_runner.verdict import Verdict
from gate_runner.verdict_json import verdict_from_dict


def _two_core_reliability() -> Verdict:
    # Both policies declare `core-reliability`: one fails hard, the other passes.
    paths = ["services/api/sepurux.yml", "services/web/sepurux.yml"]
    prefixes = campaign_prefixes(paths)
    return merge_verdicts(
        [
            PolicyRun(paths[0], prefixes[0], hard_fail()),
            PolicyRun(paths[1], prefixes[1], passing()),
        ],
        soft_exit_code=0,
    )


def test_prefixes_are_directories_and_the_top_level_policy_keeps_its_keys() -> None:
    assert campaign_prefixes(["sepurux.yml", "svc/a/sepurux.yml", "svc/a/extra.yml"]) == [
        None,
        "svc/a",
        "svc/a/extra",
    ]
    assert campaign_prefixes(["svc/sepurux.yml"]) == [None]  # one policy: keys as written
    assert campaign_prefixes(["a/sepurux.yml", "a/sepurux.yaml"]) == ["a", "a#2"]


def test_merge_rule_worst_outcome_any_blocking_exit_code_by_enforce_order() -> None:
    merged = _two_core_reliability()
    assert [c.key for c in merged.campaigns] == [
        "services/api/core-reliability",
        "services/web/core-reliability",
    ]
    assert (merged.outcome, merged.blocking, merged.exit_code) == ("fail", True, 1)
    assert [(p.path, p.outcome, p.exit_code) for p in merged.policies] == [
        ("services/api/sepurux.yml", "fail", 1),
        ("services/web/sepurux.yml", "pass", 0),
    ]
    assert merged.policies[0].campaigns == ("services/api/core-reliability",)
    assert merged.summary.startswith("BLOCKED: 2 policies")


def test_soft_failure_in_one_policy_is_review_required_overall() -> None:
    soft = soft_warn()
    soft = replace(soft, exit_code=78, outcome="fail")
    merged = merge_verdicts(
        [PolicyRun("a/sepurux.yml", "a", soft), PolicyRun("b/sepurux.yml", "b", passing())],
        soft_exit_code=78,
    )
    assert (merged.exit_code, merged.blocking) == (78, False)


def test_merged_verdict_matches_the_schema_and_loads_back() -> None:
    merged = _two_core_reliability()
    document = json.loads(merged.to_json())
    validate_verdict(document)
    assert verdict_from_dict(document) == merged


def test_a_one_policy_verdict_has_no_policies_key_and_old_verdicts_load() -> None:
    document = json.loads(passing().to_json())
    assert "policies" not in document
    assert verdict_from_dict(document).policies == ()


def test_names_stay_unique_in_junit() -> None:
    root = ET.fromstring(REPORTERS["junit"].render(_two_core_reliability()))
    suites = [s.get("name") for s in root.iter("testsuite")]
    assert len(suites) == len(set(suites))
    assert {"services/api/core-reliability", "services/web/core-reliability"} <= set(suites)


def test_names_stay_unique_in_sarif() -> None:
    sarif = json.loads(REPORTERS["sarif"].render(_two_core_reliability()))
    results = sarif["runs"][0]["results"]
    prints = [r["partialFingerprints"]["gateRunnerCheck/v1"] for r in results]
    assert len(prints) == len(set(prints))
    campaigns = {r["properties"]["campaign"] for r in results}
    assert "services/api/core-reliability" in campaigns


def test_the_comment_names_every_policy() -> None:
    body = REPORTERS["markdown"].render(_two_core_reliability())
    assert "policies services/api/sepurux.yml, services/web/sepurux.yml" in body


def test_a_policys_budget_is_not_the_merged_gates_but_each_campaign_keeps_its_spend() -> None:
    spent = budget_spent()
    merged = merge_verdicts(
        [PolicyRun("a/sepurux.yml", "a", spent), PolicyRun("b/sepurux.yml", "b", passing())],
        soft_exit_code=0,
    )
    data = merged.to_dict()
    validate_verdict(data)
    assert "budget" not in data and "spent" not in data
    kept = {c["key"]: c.get("spent") for c in data["campaigns"]}
    assert kept["a/search"] == {"runs": 5, "trials": 250, "cost": 5.0}
