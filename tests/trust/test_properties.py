"""Property-based tests: hostile policies and payloads give a result or a clean error, no crash.

The policy loader gets the valid case files and ``sepurux.yml.example``, mutated line by
line and byte by byte, plus YAML bombs, deep nesting, huge numbers, NaN and infinities,
non-UTF-8 bytes, BOMs, tabs and NULs: the answer is a Policy or a PolicyError whose every
diagnostic has a file, a line and a column. The evaluator gets random JSON payloads,
thresholds and assertions (expressions that yield every JSON type, or fail at run time):
every check has a valid status, the outcome is fail-closed, and the verdict is strict JSON
that validates against its schema and renders in every reporter.

Hypothesis runs derandomized with no example database, so CI sees the same examples.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support import run_gate, verdict_validator

from gate_runner.campaign_result import MAX_PAYLOAD_DEPTH
from gate_runner.config import load_policy, validate_files
from gate_runner.errors import PolicyError
from gate_runner.evaluate import evaluate_campaign, outcome_of
from gate_runner.policy import (
    Assertion,
    Campaign,
    Origin,
    Policy,
    Threshold,
    Waiver,
)
from gate_runner.report.registry import REPORTERS
from gate_runner.runner import GateOptions, evaluate_payloads
from gate_runner.thresholds import THRESHOLDS as THRESHOLD_TABLE
from gate_runner.verdict import OUTCOMES, CIContext
from gate_runner.verdict_json import verdict_from_dict

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "config" / "cases"
TODAY = date(2026, 6, 1)
TRACE_ID = "3b8f0c2e-5b1a-4c8e-9f6d-2a4b6c8e0f13"
STATUSES = {"pass", "fail", "warn", "error", "waived"}

PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- hostile YAML ---------------------------------------------------------------------------


def _laughs(levels: int = 9) -> str:
    lines = ["version: 1", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def _merge_bomb() -> str:
    lines = ["version: 1", "m0: &m0 {a: 1, b: 2}"]
    for i in range(1, 30):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}")
    return "\n".join(lines) + "\n"


HUGE_INT = "9" * 5000  # past Python's 4300-digit int parsing limit
HOSTILE_DOCUMENTS: dict[str, bytes] = {
    "billion-laughs": _laughs().encode(),
    "merge-key-bomb": _merge_bomb().encode(),
    "recursive-alias": b"version: 1\na: &a [*a]\n",
    "self-merge": b"version: 1\nx: &x {b: 1, <<: *x}\n",
    "deep-flow-sequence": b"version: 1\nx: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "deep-flow-mapping": b"version: 1\nx: " + b"{a: " * 10_000 + b"1" + b"}" * 10_000 + b"\n",
    "unclosed-deep-nesting": b"version: 1\nx: " + b"[" * 10_000 + b"\n",
    "deep-block-mapping": (
        "version: 1\n" + "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n"
    ).encode(),
    "huge-int-timeout": f"version: 1\ngate: {{timeout: {HUGE_INT}}}\n".encode(),
    "400-digit-threshold": ("version: 1\nthresholds: {max_unsafe: 1" + "0" * 400 + "}\n").encode(),
    "1e400": b"version: 1\ngate: {timeout: 1.0e400}\nthresholds: {min_pass_rate: 1e400}\n",
    "nan-and-inf": (
        b"version: 1\ngate: {timeout: .nan}\n"
        b"thresholds: {min_pass_rate: .NaN, max_unsafe: .inf, min_reliability_score: -.inf}\n"
        b"campaigns: {c: {}}\n"
    ),
    "non-utf8": b"version: 1\nproject: \xff\xfe\xc3\x28\n",
    "utf16": "version: 1\n".encode("utf-16"),
    "bom-then-valid": "\ufeffversion: 1\ncampaigns: {c: {}}\n".encode(),
    "tab-indent": b"version: 1\ngate:\n\ttimeout: 5\n",
    "nul": b"version: 1\x00\ncampaigns: {c: {}}\n",
    "control-chars": b"version: 1\nproject: \x07\x1b[31m\n",
    "empty": b"",
    "comments-only": b"# nothing here\n",
    "several-documents": b"version: 1\n---\nversion: 1\n",
    "python-tag": b"version: 1\nproject: !!python/object/apply:os.system ['true']\n",
    "binary-tag": b"version: 1\nproject: !!binary aGVsbG8=\n",
    "set-tag": b"version: 1\nproject: !!set {a, b}\n",
    "top-level-list": b"- version: 1\n",
    "top-level-scalar": b"42\n",
    "complex-key": b"version: 1\n? [a, b]\n: 1\n",
    "duplicate-keys": b"version: 1\nversion: 1\n",
    "invalid-date": (
        b"version: 1\nenforcement:\n  schedule:\n    - {from: 2026-02-30, mode: soft}\n"
    ),
    "long-line": b"version: 1\nproject: " + b"x" * 200_000 + b"\n",
    "bad-expression": (
        b"version: 1\nassertions: [{name: a, expr: 'length(('}]\ncampaigns: {c: {}}\n"
    ),
}

HOSTILE_VALUES = [
    ".nan",
    ".NaN",
    ".inf",
    "-.inf",
    "1.0e400",
    "-1.0e400",
    "1e400",
    HUGE_INT,
    "1" + "0" * 400,
    "0x" + "f" * 120,
    "~",
    "null",
    "[]",
    "{}",
    "''",
    "yes",
    "on",
    "-0",
    "0o17",
    "2026-02-30",
    "2026-13-01",
    "'${SEPURUX_TRACE_ID}'",
    "${UNSET_VARIABLE}",
    "${UNSET:-fallback}",
    "&anchor 1",
    "*anchor",
    "*undefined",
    "!!binary aGk=",
    "!!python/name:os.system",
    "[" * 300,
    "{a: 1, a: 2}",
    '"\\ud800"',
    '"\\x00"',
    "|\n  block text",
    "tok_SECRET_4f9a2c",
    "sk-0123456789abcdef0123456789abcdef",
]


@cache
def _seeds() -> tuple[tuple[str, str], ...]:
    """(relative path under the laid-out tree, text) of every valid policy we start from."""
    seeds = [
        (f"cases/valid/{p.name}", p.read_text(encoding="utf-8"))
        for p in sorted((CASES / "valid").glob("*.yml"))
    ]
    seeds.append(("repo/sepurux.yml", (REPO / "sepurux.yml.example").read_text(encoding="utf-8")))
    return tuple(seeds)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case folders and the example's policies/, so local extends and trace files resolve."""
    root = tmp_path_factory.mktemp("policies")
    for name in ("valid", "parents", "traces", "remote"):
        shutil.copytree(CASES / name, root / "cases" / name)
    shutil.copytree(REPO / "policies", root / "repo" / "policies")
    return root


REMOTE = (CASES / "remote" / "remote-base.yml").read_bytes()


def _fetcher(url: str) -> bytes:
    # Never the network: every URL answers the one remote case file (its pin matches).
    del url
    return REMOTE


ENV = {"SEPURUX_TRACE_ID": TRACE_ID, "POLICY_SERVER": "http://127.0.0.1:9"}


def _assert_policy_or_clean_error(path: Path, cache_dir: Path) -> Policy | None:
    """Load `path`: a Policy, or a PolicyError with positioned diagnostics; nothing else."""
    found = validate_files([path], env=ENV, cache_dir=cache_dir, fetcher=_fetcher)[str(path)]
    try:
        policy = load_policy(path, env=ENV, cache_dir=cache_dir, fetcher=_fetcher)
    except PolicyError as error:
        assert error.diagnostics, "a PolicyError must carry at least one diagnostic"
        for diagnostic in error.diagnostics:
            assert isinstance(diagnostic.file, str) and diagnostic.file
            assert isinstance(diagnostic.line, int) and diagnostic.line >= 1
            assert isinstance(diagnostic.col, int) and diagnostic.col >= 1
            assert diagnostic.message.strip()
        assert found, "validate must report what load_policy refused"
        return None
    assert found == [], "load_policy accepted what validate refused"
    assert isinstance(policy, Policy)
    # What a valid policy holds is usable: finite numbers only.
    assert math.isfinite(policy.gate.timeout) and policy.gate.timeout > 0
    for campaign in policy.campaigns:
        for threshold in campaign.thresholds:
            if not isinstance(threshold.value, tuple):
                assert math.isfinite(threshold.value), threshold
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", policy.digest)
    return policy


@pytest.mark.parametrize("name", sorted(HOSTILE_DOCUMENTS))
def test_hostile_document_is_refused_cleanly_or_loaded(name: str, tree: Path) -> None:
    path = tree / "cases" / "valid" / f"hostile-{name}.yml"
    path.write_bytes(HOSTILE_DOCUMENTS[name])
    policy = _assert_policy_or_clean_error(path, tree / "cache")
    # Only a BOM before a valid file and a (long) project name are real policies.
    assert (policy is not None) == (name in ("bom-then-valid", "long-line"))


def test_bombs_and_deep_nesting_name_the_limit(tree: Path) -> None:
    expected = {
        "billion-laughs": "aliases expand to more than 20000 values; refusing to load",
        "merge-key-bomb": "aliases expand to more than 20000 values; refusing to load",
        "recursive-alias": "recursive alias or nesting deeper than 64 levels",
        "self-merge": "recursive merge key or merges nested too deeply",
        "deep-block-mapping": "recursive alias or nesting deeper than 64 levels",
        "deep-flow-sequence": "invalid YAML: exceeded maximum nesting depth",
        "nan-and-inf": "gate.timeout: expected a number, got .nan",
        "400-digit-threshold": "thresholds.max_unsafe: 401-digit integer is too large",
        "non-utf8": "the policy is not UTF-8 text",
    }
    for name, message in expected.items():
        path = tree / "cases" / "valid" / f"limit-{name}.yml"
        path.write_bytes(HOSTILE_DOCUMENTS[name])
        with pytest.raises(PolicyError) as raised:
            load_policy(path, env=ENV, cache_dir=tree / "cache", fetcher=_fetcher)
        assert message in [d.message for d in raised.value.diagnostics], (name, raised.value)


# --- mutations of valid files ---------------------------------------------------------------

_NASTY_TEXT = st.text(
    alphabet=st.sampled_from(list("\x00\t\r\n \ufeff\u2028:-[]{}&*!|>'\"#%@`,?$\\aZ9é\U0001f600")),
    max_size=12,
)


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    location, text = draw(st.sampled_from(_seeds()))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[index] if lines else ""
        op = draw(
            st.sampled_from(
                [
                    "delete",
                    "duplicate",
                    "swap",
                    "indent",
                    "dedent",
                    "tab",
                    "value",
                    "key",
                    "insert",
                    "type",
                ]
            )
        )
        if op == "delete" and lines:
            del lines[index]
        elif op == "duplicate":
            lines.insert(index, line)
        elif op == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif op == "indent":
            lines[index : index + 1] = [" " * draw(st.integers(1, 5)) + line]
        elif op == "dedent":
            lines[index : index + 1] = [line.lstrip()]
        elif op == "tab":
            lines[index : index + 1] = ["\t" + line.lstrip(" ")]
        elif op == "value" and ":" in line:
            head = line.split(":", 1)[0]
            lines[index] = f"{head}: {draw(st.sampled_from(HOSTILE_VALUES))}"
        elif op == "key" and ":" in line:
            head, rest = line.split(":", 1)
            stripped = head.strip()
            if stripped:
                cut = draw(st.integers(0, len(stripped) - 1))
                renamed = draw(
                    st.sampled_from(
                        [
                            stripped[:cut] + stripped[cut + 1 :],
                            stripped + "s",
                            stripped.upper(),
                            stripped[:cut] + "_" + stripped[cut:],
                        ]
                    )
                )
                lines[index] = head.replace(stripped, renamed, 1) + ":" + rest
        elif op == "insert":
            position = draw(st.integers(0, len(line)))
            lines[index : index + 1] = [line[:position] + draw(_NASTY_TEXT) + line[position:]]
        elif op == "type" and ":" in line:
            head, rest = line.split(":", 1)
            value = rest.split("#", 1)[0].strip()
            if value:
                shapes = [f"[{value}]", f"{{x: {value}}}", repr(value), f"- {value}"]
                lines[index] = f"{head}: {draw(st.sampled_from(shapes))}"
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data  # a BOM
    if draw(st.integers(0, 9)) == 0:
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.binary(min_size=1, max_size=4)) + data[position:]
    return location, data


@settings(PROPERTY, max_examples=1000)
@given(case=_mutated())
@pytest.mark.slow
def test_mutated_policy_gives_a_policy_or_a_clean_error(
    case: tuple[str, bytes], tree: Path
) -> None:
    location, data = case
    # Beside its seed, so relative extends and trace files still point somewhere real.
    path = (tree / location).with_name("mutant.yml")
    path.write_bytes(data)
    policy = _assert_policy_or_clean_error(path, tree / "cache")
    event("loaded" if policy is not None else "refused")


@settings(PROPERTY, max_examples=150)
@given(
    seed=st.sampled_from(sorted(HOSTILE_DOCUMENTS)),
    prefix=st.sampled_from(["", "\ufeff", "# c\n", "---\n", "%YAML 1.1\n---\n"]),
)
@pytest.mark.slow
def test_hostile_document_with_any_prefix(seed: str, prefix: str, tree: Path) -> None:
    path = tree / "cases" / "valid" / "prefixed.yml"
    path.write_bytes(prefix.encode() + HOSTILE_DOCUMENTS[seed])
    _assert_policy_or_clean_error(path, tree / "cache")


CLI_CASES = [
    "billion-laughs",
    "deep-flow-sequence",
    "huge-int-timeout",
    "nan-and-inf",
    "non-utf8",
    "nul",
    "tab-indent",
    "bom-then-valid",
]


def _cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SEPURUX_"))}
    return {**env, "NO_COLOR": "1", "SEPURUX_TRACE_ID": TRACE_ID}


@pytest.mark.parametrize("name", CLI_CASES)
@pytest.mark.slow
def test_validate_cli_exits_0_or_2_without_a_traceback(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.yml"
    path.write_bytes(HOSTILE_DOCUMENTS[name])
    result = run_gate(
        ["validate", path.name],
        timeout=60,
        cwd=tmp_path,
        env=_cli_env(),
    )
    expected = 0 if name == "bom-then-valid" else 2
    assert result.returncode == expected, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    if expected == 2:
        lines = (result.stdout + result.stderr).splitlines()
        assert lines, "a refused policy must say why"
        for line in lines:
            assert re.match(rf"{re.escape(path.name)}:\d+:\d+: \S", line), line


# --- random payloads through the evaluator --------------------------------------------------

_HUGE = st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1, 10**30])
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    _HUGE,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["pass", "fail", "pending", "0.9", "NaN", "", "payments.refund"]),
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_NUMBERS = st.one_of(
    st.floats(0, 1), st.integers(0, 100), st.floats(allow_nan=True, allow_infinity=True), _HUGE
)


def _field(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(plausible, plausible, JSON_VALUES)


PAYLOADS = st.fixed_dictionaries(
    {},
    optional={
        "decision": _field(st.sampled_from(["pass", "fail"])),
        "status": _field(st.sampled_from(["done", "failed"])),
        "pass_rate": _field(_NUMBERS),
        "unsafe_attempts": _field(_NUMBERS),
        "failures": _field(_NUMBERS),
        "reliability_score": _field(_NUMBERS),
        "reliability": _field(st.fixed_dictionaries({"reliability_score": _NUMBERS})),
        "mutation_categories": _field(st.lists(st.sampled_from(["a", "b", "tool_timeout"]))),
        "top_failing_tools": _field(
            st.lists(
                st.fixed_dictionaries(
                    {"tool": st.sampled_from(["payments.refund", "x"]), "count": _NUMBERS}
                ),
                max_size=3,
            )
        ),
        "run_id": _field(st.text(max_size=10)),
        "dashboard_url": _field(st.just("https://app.sepurux.dev/runs/1")),
        "a": JSON_VALUES,
        "b": JSON_VALUES,
        "name": JSON_VALUES,
    },
)

# Expressions that yield every JSON type, and some that fail at run time.
EXPRESSIONS = [
    "`null`",
    "`true`",
    "`false`",
    "`5`",
    "`1.5`",
    "'a string'",
    "`[1, 2]`",
    '`{"a": 1}`',
    "@",
    "pass_rate",
    "decision",
    "top_failing_tools",
    "a",
    "a - b",
    "a + b",
    "pass_rate - name",
    "pass_rate + `1`",
    "length(`5`)",
    "length(a)",
    "abs(name)",
    "sum(top_failing_tools)",
    "max(a)",
    "sort(a)",
    "keys(a)",
    "to_number(name)",
    "contains(a, `1`)",
    "starts_with(a, 'x')",
    "max_by(top_failing_tools, &count)",
    "length(top_failing_tools[?tool=='payments.refund']) == `0`",
    "pass_rate >= `0.9`",
    "pass_rate >= baseline.pass_rate - `0.02`",
    "baseline",
    "baseline.a - a",
    "a[0] - a[-1]",
    "a[::-1]",
    "`1` - 'x'",
    "not_null(a, b, `false`)",
    "a || b",
    "a && b",
    "!a",
    "a == b",
    "a < b",
    "type(a)",
    "length((",
    "",
]
EXPRESSION = st.one_of(
    st.sampled_from(EXPRESSIONS),
    st.builds(
        lambda left, op, right: f"{left} {op} {right}",
        st.sampled_from(EXPRESSIONS[:30]),
        st.sampled_from(["+", "-", "==", "!=", "<", ">=", "&&", "||"]),
        st.sampled_from(EXPRESSIONS[:30]),
    ),
)
ORIGIN = Origin("sepurux.yml", 3, 5)


def _threshold(key: str, value: Any) -> Threshold:
    return Threshold(key, value, ORIGIN)


THRESHOLDS = st.lists(
    st.one_of(
        st.builds(_threshold, st.just("min_pass_rate"), st.floats(0, 1)),
        st.builds(_threshold, st.just("max_unsafe"), st.integers(0, 10**12)),
        st.builds(_threshold, st.just("max_failures"), st.integers(0, 10**12)),
        st.builds(_threshold, st.just("min_reliability_score"), st.floats(0, 100)),
        st.builds(_threshold, st.just("min_mutation_categories"), st.integers(0, 20)),
        st.builds(
            _threshold,
            st.just("required_mutation_categories"),
            st.lists(st.sampled_from(["a", "b", "tool_timeout"]), unique=True).map(tuple),
        ),
    ),
    max_size=6,
    unique_by=lambda t: t.key,
)
ASSERTIONS = st.lists(
    st.builds(
        Assertion,
        name=st.sampled_from(["a1", "a2", "a3", "a4", "a5"]),
        expr=EXPRESSION,
        level=st.sampled_from(["error", "warn"]),
        message=st.one_of(st.none(), st.text(max_size=30)),
        origin=st.just(ORIGIN),
    ),
    max_size=5,
    unique_by=lambda a: a.name,
)
CHECK_NAMES = ["decision", *THRESHOLD_TABLE, "a1", "a2", "a3"]
WAIVERS = st.lists(
    st.builds(
        Waiver,
        campaign=st.sampled_from(["c", "other"]),
        check=st.sampled_from(CHECK_NAMES),
        until=st.sampled_from([date(2026, 1, 1), date(2026, 12, 31)]),
        reason=st.text(max_size=20),
        origin=st.just(ORIGIN),
    ),
    max_size=3,
    unique_by=lambda w: (w.campaign, w.check),
)
BASELINES = st.one_of(st.none(), PAYLOADS)


def _campaign(thresholds: list[Threshold], assertions: list[Assertion], mode: Any) -> Campaign:
    return Campaign(
        key="c",
        name_or_id="c",
        trace_id=None,
        trace_file=None,
        mutation_pack_id=None,
        thresholds=tuple(thresholds),
        assertions=tuple(assertions),
        enforcement=mode,
        origin=ORIGIN,
    )


@settings(PROPERTY, max_examples=1000)
@given(
    payload=PAYLOADS,
    thresholds=THRESHOLDS,
    assertions=ASSERTIONS,
    waivers=WAIVERS,
    baseline=BASELINES,
)
@pytest.mark.slow
def test_evaluate_campaign_never_raises_and_fails_closed(
    payload: dict[str, Any],
    thresholds: list[Threshold],
    assertions: list[Assertion],
    waivers: list[Waiver],
    baseline: dict[str, Any] | None,
) -> None:
    campaign = _campaign(thresholds, assertions, None)
    result = evaluate_campaign(
        campaign, payload, waivers=tuple(waivers), today=TODAY, baseline=baseline
    )
    assert result.outcome in OUTCOMES
    assert len(result.checks) == 1 + len(thresholds) + len(assertions)
    for check in result.checks:
        assert check.status in STATUSES, check
        assert check.level in ("error", "warn")
        assert isinstance(check.message, str) and check.message
    assert result.outcome == outcome_of(list(result.checks))
    # Fail closed: a pass needs the service's own pass and no counted check failed or errored.
    decision = result.checks[0]
    if result.outcome == "pass":
        assert decision.status in ("pass", "waived")
        assert all(c.status in ("pass", "waived") for c in result.checks if c.level == "error"), (
            result.checks
        )
    if payload.get("decision") not in ("pass", "fail") and not any(
        w.campaign == "c" and w.check == "decision" for w in waivers
    ):
        assert result.outcome in ("fail", "error")
    # A non-boolean result of an assertion is an error, never a pass.
    for check in result.checks:
        if check.kind == "assertion" and check.status == "pass":
            assert check.actual is True


@cache
def _base_policy() -> Policy:
    path = CASES / "valid" / "minimal.yml"
    return load_policy(path, env=ENV, cache_dir=Path(os.devnull), fetcher=_fetcher)


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@settings(PROPERTY, max_examples=400)
@given(
    payload=PAYLOADS,
    thresholds=THRESHOLDS,
    assertions=ASSERTIONS,
    waivers=WAIVERS,
    baseline=BASELINES,
    campaign_mode=st.sampled_from([None, "observe", "soft", "hard"]),
    override=st.sampled_from([None, "observe", "soft", "hard"]),
    on_error=st.sampled_from(["fail", "pass"]),
    soft_exit_code=st.sampled_from([0, 5, 125]),
)
@pytest.mark.slow
def test_verdict_is_valid_json_and_renders_everywhere(
    payload: dict[str, Any],
    thresholds: list[Threshold],
    assertions: list[Assertion],
    waivers: list[Waiver],
    baseline: dict[str, Any] | None,
    campaign_mode: Any,
    override: Any,
    on_error: Any,
    soft_exit_code: int,
) -> None:
    base = _base_policy()
    policy = replace(
        base,
        campaigns=(_campaign(thresholds, assertions, campaign_mode),),
        waivers=tuple(waivers),
        gate=replace(base.gate, on_error=on_error),
    )
    options = GateOptions(
        campaign_keys=("c",),
        enforcement=override,
        soft_exit_code=soft_exit_code,
        baseline={"c": baseline} if baseline is not None else {},
    )
    verdict = evaluate_payloads(policy, {"c": payload}, options, ci=CIContext("local"), today=TODAY)
    document = _strict_json(verdict.to_json())
    verdict_validator().validate(document)
    assert verdict_from_dict(document).outcome == verdict.outcome
    assert verdict.exit_code in (0, 1, 3, soft_exit_code)
    (result,) = verdict.campaigns
    if result.enforcement.mode == "observe":
        assert not result.blocking and verdict.exit_code == 0
    if result.outcome == "error" and on_error == "fail" and result.enforcement.mode != "observe":
        assert verdict.exit_code == 3 or (verdict.exit_code == 1 and verdict.outcome == "fail")
    for name, reporter in REPORTERS.items():
        text = reporter.render(verdict)
        assert isinstance(text, str) and (text or name == "github"), name  # no annotations: empty
        if name in ("json", "sarif", "gitlab"):
            _strict_json(text)


def test_deeply_nested_payload_is_an_error_not_a_crash() -> None:
    deep: Any = "leaf"
    for _ in range(900):
        deep = [deep]
    policy = replace(_base_policy(), campaigns=(_campaign([], [], None),))
    verdict = evaluate_payloads(
        policy,
        {"c": {"decision": "pass", "x": deep}},
        GateOptions(campaign_keys=("c",)),
        ci=CIContext("local"),
        today=TODAY,
    )
    (result,) = verdict.campaigns
    assert result.outcome == "error" and verdict.exit_code == 3
    assert result.error is not None
    assert result.error.message == (
        f"the payload is nested deeper than {MAX_PAYLOAD_DEPTH} levels; refusing it"
    )
    verdict_validator().validate(_strict_json(verdict.to_json()))


# --- hostile payload files through `gate-runner evaluate` -----------------------------------

POLICY_FOR_EVALUATE = """\
version: 1
thresholds: {min_pass_rate: 0.5, max_unsafe: 0, max_failures: 0, min_reliability_score: 50}
assertions:
  - {name: typed, expr: "pass_rate - name"}
  - {name: runtime-error, expr: "length(`5`) == `1`"}
campaigns: {c: {}}
"""
HOSTILE_PAYLOADS: dict[str, tuple[str, set[int]]] = {
    "nan-and-infinity": (
        '{"decision": "pass", "pass_rate": NaN, "unsafe_attempts": Infinity,'
        ' "failures": -Infinity, "reliability_score": 1e999}',
        {2},  # refused where the file is read, naming it (issue 17): no number to judge
    ),
    "huge-integers": (
        '{"decision": "pass", "pass_rate": 1, "unsafe_attempts": 1' + "0" * 400 + ","
        ' "failures": 0, "reliability_score": 9' + "9" * 300 + "}",
        {3},
    ),
    "strings-where-numbers-belong": (
        '{"decision": "pass", "pass_rate": "0.99", "unsafe_attempts": "0",'
        ' "failures": [], "reliability_score": {"v": 90}, "name": 5}',
        {3},
    ),
    "wrong-decision-type": ('{"decision": ["pass"], "pass_rate": 1}', {3}),
    "deep-nesting-900": ('{"decision": "pass", "x": ' + "[" * 900 + "]" * 900 + "}", {3}),
    "deep-nesting-100000": (
        '{"decision": "pass", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        {2},
    ),
    "array-not-object": ("[1, 2, 3]", {2}),
    "truncated": ('{"decision": "pa', {2}),
    "empty-object": ("{}", {3}),
    "a-passing-one": (
        '{"decision": "pass", "pass_rate": 0.9, "unsafe_attempts": 0, "failures": 0,'
        ' "reliability_score": 0.9, "name": 0.1}',
        {3},  # the two assertions are errors by design
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_PAYLOADS))
@pytest.mark.slow
def test_evaluate_cli_on_hostile_payload_never_exits_4(name: str, tmp_path: Path) -> None:
    text, codes = HOSTILE_PAYLOADS[name]
    (tmp_path / "sepurux.yml").write_text(POLICY_FOR_EVALUATE, encoding="utf-8")
    (tmp_path / "payload.json").write_text(text, encoding="utf-8")
    reports = [f"--report={fmt}={fmt}.out" for fmt in REPORTERS if fmt not in ("text", "github")]
    result = run_gate(
        ["evaluate", "--payload", "payload.json", *reports],
        timeout=60,
        cwd=tmp_path,
        env=_cli_env(),
    )
    output = result.stdout + result.stderr
    assert result.returncode in codes, output
    assert "Traceback" not in output and "internal error" not in output
    if result.returncode == 3:
        document = _strict_json((tmp_path / "gate-runner-verdict.json").read_text("utf-8"))
        verdict_validator().validate(document)
        for fmt in ("json", "sarif", "gitlab"):
            _strict_json((tmp_path / f"{fmt}.out").read_text(encoding="utf-8"))
    else:
        assert result.stderr.startswith("gate-runner: error: payload.json: ")
