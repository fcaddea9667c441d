"""Format-specific guarantees: official schemas, required fields, stable fingerprints, limits."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from gate_runner.ci import mask_lines
from gate_runner.report import github, gitlab, junit, markdown, sarif
from gate_runner.secrets import Secrets
from gate_runner.verdict import Check, Location, Verdict

from .fixtures import FIXTURES, hard_fail, hostile

VENDOR = Path(__file__).parents[1] / "vendor"
ALL = [*sorted(FIXTURES), "hostile"]
JUNIT_XSD = xmlschema.XMLSchema(VENDOR / "junit-10.xsd")


def _fixture(name: str) -> Verdict:
    return hostile() if name == "hostile" else FIXTURES[name]()


@pytest.mark.parametrize("name", ALL)
def test_sarif_validates_against_the_official_schema(name: str) -> None:
    schema = json.loads((VENDOR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    document = json.loads(sarif.render(_fixture(name)))
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    assert run["automationDetails"]["id"] == "gate-runner/sepurux.yml/"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert len(result["partialFingerprints"]["gateRunnerCheck/v1"]) == 64
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1


def test_sarif_points_at_policy_lines_and_suppresses_waivers() -> None:
    results = json.loads(sarif.render(hard_fail()))["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    where = by_rule["threshold:min_pass_rate"]["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "sepurux.yml"
    assert where["region"] == {"startLine": 24, "startColumn": 5}
    # A check declared in a remote policy falls back to the campaign's line.
    remote = by_rule["assertion:refund-tool-stable"]["locations"][0]["physicalLocation"]
    assert remote["region"]["startLine"] == 30
    assert by_rule["threshold:max_unsafe"]["suppressions"][0]["kind"] == "external"
    assert by_rule["threshold:min_pass_rate"]["level"] == "error"


def test_sarif_schema_check_can_fail() -> None:
    schema = json.loads((VENDOR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    document = json.loads(sarif.render(hard_fail()))
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(document)


def _rules(verdict: Verdict) -> list[dict[str, object]]:
    return list(json.loads(sarif.render(verdict))["runs"][0]["tool"]["driver"]["rules"])


@pytest.mark.parametrize("name", ALL)
def test_sarif_rule_names_are_not_their_ids(name: str) -> None:
    """sarif-multitool's SARIF1001 (RuleIdentifiersMustBeValid, microsoft/sarif-sdk
    src/Sarif.Multitool.Library/Rules/SARIF1001.RuleIdentifiersMustBeValid.cs) warns when a
    rule's `name` equals its `id` ignoring case: `decision`, `run` and `flaky` did."""
    for rule in _rules(_fixture(name)):
        assert str(rule["name"]).casefold() != str(rule["id"]).casefold(), rule
        assert str(rule["name"]).isalnum() and str(rule["name"])[:1].isupper(), rule


def test_sarif_rule_names_say_what_the_rule_requires() -> None:
    names = {r["id"]: r["name"] for r in _rules(hard_fail())}
    assert names["decision"] == "ServiceDecision"
    assert names["threshold:min_pass_rate"] == "ThresholdMinPassRate"
    assert names["assertion:refund-tool-stable"] == "AssertionRefundToolStable"
    # A name that would read as its id, whatever a policy calls an assertion:
    assert sarif.rule_name("assertion", "assertion", "") == "GateRunnerAssertion"


@pytest.mark.parametrize("name", ALL)
def test_sarif_rules_link_to_the_section_of_their_kind_in_the_docs(name: str) -> None:
    repo = Path(__file__).parents[2]
    prefix = f"{sarif.INFORMATION_URI}/blob/main/"
    for rule in _rules(_fixture(name)):
        uri = str(rule["helpUri"])
        assert uri.startswith(prefix), uri
        page, _, anchor = uri.removeprefix(prefix).partition("#")
        headings = (repo / page).read_text(encoding="utf-8").splitlines()
        assert f"## {anchor}" in headings, (page, anchor)
        assert anchor in rule["properties"]["tags"]  # type: ignore[index]


@pytest.mark.parametrize("name", ALL)
def test_junit_validates_against_the_xsd(name: str) -> None:
    errors = [str(e.reason) for e in JUNIT_XSD.iter_errors(junit.render(_fixture(name)))]
    assert errors == []


def test_junit_xsd_check_can_fail() -> None:
    bad = (
        '<testsuites><testsuite name="a" tests="1" failures="0" time="1,5,x">'
        "<testcase><bogus/></testcase>text</testsuite></testsuites>"
    )
    errors = [str(e.reason) for e in JUNIT_XSD.iter_errors(bad)]
    assert "missing required attribute 'errors'" in errors
    assert "missing required attribute 'name'" in errors
    assert "Unexpected child with tag 'bogus' at position 1." in errors
    assert "character data between child elements not allowed" in errors


def test_junit_counts_and_elements() -> None:
    root = ET.fromstring(junit.render(hard_fail()).encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == (
        "5",
        "4",
        "0",
        "1",
    )
    waived = suite.find("testcase[@name='threshold:max_unsafe']/skipped")
    assert waived is not None and "AGENT-123" in (waived.get("message") or "")
    for node in root.iter():
        assert "\n" not in (node.get("message") or "")


def test_junit_error_with_on_error_fail_is_an_error_element() -> None:
    verdict = FIXTURES["error_passed"]()
    counted = replace(verdict, campaigns=(replace(verdict.campaigns[0], error_policy="fail"),))
    root = ET.fromstring(junit.render(counted).encode("utf-8"))
    assert root.find("testsuite/testcase/error") is not None
    root = ET.fromstring(junit.render(verdict).encode("utf-8"))
    assert root.find("testsuite/testcase/skipped") is not None


REQUIRED = {"description", "check_name", "fingerprint", "severity", "location"}


@pytest.mark.parametrize("name", ALL)
def test_code_quality_entries_carry_every_required_field(name: str) -> None:
    text = gitlab.render(_fixture(name))
    assert not text.startswith("\ufeff")
    entries = json.loads(text)
    assert isinstance(entries, list)
    for entry in entries:
        assert set(entry) >= REQUIRED
        assert entry["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(entry["location"]["lines"]["begin"], int)
        assert not entry["location"]["path"].startswith("./")
        assert "://" not in entry["location"]["path"]
    assert len({e["fingerprint"] for e in entries}) == len(entries)


def test_code_quality_fingerprints_are_stable_across_renders_and_line_moves() -> None:
    verdict = hard_fail()
    first = json.loads(gitlab.render(verdict))
    assert json.loads(gitlab.render(verdict)) == first
    moved_checks = tuple(
        replace(c, location=Location("./sepurux.yml", (c.location.line if c.location else 1) + 17))
        for c in verdict.campaigns[0].checks
    )
    moved = replace(verdict, campaigns=(replace(verdict.campaigns[0], checks=moved_checks),))
    second = json.loads(gitlab.render(moved))
    assert [e["fingerprint"] for e in second] == [e["fingerprint"] for e in first]
    assert [e["location"]["lines"]["begin"] for e in second] != [
        e["location"]["lines"]["begin"] for e in first
    ]
    assert {e["location"]["path"] for e in second} == {"sepurux.yml"}


def test_code_quality_severities() -> None:
    entries = {e["check_name"]: e["severity"] for e in json.loads(gitlab.render(hard_fail()))}
    assert entries["gate-runner/threshold:min_pass_rate"] == "critical"
    assert entries["gate-runner/threshold:max_unsafe"] == "info"
    soft = {
        e["check_name"]: e["severity"] for e in json.loads(gitlab.render(FIXTURES["soft_warn"]()))
    }
    assert soft == {"gate-runner/assertion:latency-budget": "minor"}


def test_github_escaping_follows_the_workflow_command_rules() -> None:
    assert github.escape_data("50% a\r\nb") == "50%25 a%0Ab"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = github.annotation(
        "error", Location("sepurux.yml", 12), "gate: x,y", "pass_rate 0.72\ntop"
    )
    assert (
        line == "::error file=sepurux.yml,line=12,col=1,title=gate%3A x%2Cy::pass_rate 0.72%0Atop"
    )


def _many_failures(count: int) -> Verdict:
    verdict = hard_fail()
    campaign = verdict.campaigns[0]
    checks = tuple(
        Check(
            id=f"assertion:a{i}",
            kind="assertion",
            name=f"a{i}",
            status="fail",
            level="error",
            message=f"assertion {i} failed",
            location=Location("sepurux.yml", 100 + i),
        )
        for i in range(count)
    )
    return replace(verdict, campaigns=(replace(campaign, checks=checks),))


def test_github_caps_annotations_at_ten_per_type_and_summarises_the_rest() -> None:
    lines = github.render(_many_failures(25)).splitlines()
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 10
    assert "16 more" in errors[-1]
    assert sum("assertion %3Aa" in e or "assertion%3Aa" in e for e in errors) == 9
    assert len(github.render(_many_failures(10)).splitlines()) == 10


def test_github_step_outputs_use_random_delimiters() -> None:
    text = github.step_outputs(hard_fail(), "out/verdict.json")
    blocks = text.split("\n")
    names = [b.split("<<")[0] for b in blocks if "<<" in b]
    assert names == ["outcome", "blocking", "exit-code", "verdict-path"]
    delimiters = [b.split("<<")[1] for b in blocks if "<<" in b]
    assert len(set(delimiters)) == 4
    assert all(
        d.startswith("ghadelimiter_") and len(d) == len("ghadelimiter_") + 36 for d in delimiters
    )
    assert "blocking<<" + delimiters[1] + "\ntrue\n" + delimiters[1] in text


def test_github_step_output_delimiter_never_occurs_in_the_value() -> None:
    picks = iter(["d_o", "d_b", "d_e", "ghadelimiter_x", "d2"])
    text = github.step_outputs(hard_fail(), "a/ghadelimiter_x", new_delimiter=lambda: next(picks))
    assert text.endswith("verdict-path<<d2\na/ghadelimiter_x\nd2\n")


def test_github_masks_every_line_of_every_secret() -> None:
    parts = Secrets(("abc\ndef", "", "50%")).mask_parts()
    lines = mask_lines({"GITHUB_ACTIONS": "true"}, parts)
    assert lines == "::add-mask::abc\n::add-mask::def\n::add-mask::50%25\n"
    assert mask_lines({}, Secrets(("abc",)).mask_parts()) == ""  # elsewhere nothing reads them


@pytest.mark.slow
def test_step_summary_fits_the_remaining_budget() -> None:
    verdict = _many_failures(5000)
    text = github.step_summary(verdict, already=github.SUMMARY_LIMIT_BYTES - 200_000)
    assert 0 < len(text.encode("utf-8")) <= 200_000
    assert "Truncated" in text
    assert github.step_summary(verdict, already=github.SUMMARY_LIMIT_BYTES) == ""


@pytest.mark.slow
def test_markdown_comment_is_capped_with_a_note() -> None:
    text = markdown.render(_many_failures(5000))
    assert text.startswith(markdown.MARKER)
    assert len(text) <= markdown.COMMENT_LIMIT
    assert "Truncated" in text and "actions/runs/99" in text
    small = markdown.render(hard_fail())
    assert "Truncated" not in small


def test_markdown_cell_escapes_table_breakers() -> None:
    assert markdown.cell("a|b`c\nd <x> & *y*") == r"a\|b\`c d \<x\> &amp; \*y\*"
    assert markdown.cell("") == " "
