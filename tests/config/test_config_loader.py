"""Unit tests of the policy layer: YAML positions, expansion, merge, build, schedule, secrets."""

from __future__ import annotations

import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gate_runner.config import load_policy
from gate_runner.config.expand import expand_string
from gate_runner.config.yaml_positions import YamlProblem, load_document
from gate_runner.errors import PolicyError
from gate_runner.policy import EnforcementSettings, Origin, ScheduleEntry

CASES = Path(__file__).parent / "cases"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_positions_of_keys_and_values() -> None:
    doc = load_document("version: 1\ngate:\n  timeout:   30\n", "p.yml")
    assert doc.data == {"version": 1, "gate": {"timeout": 30}}
    assert doc.pos(("gate", "timeout")) == (3, 14)
    assert doc.pos(("gate", "timeout"), key=True) == (3, 3)
    assert doc.pos(("gate", "missing")) == (3, 3)  # falls back to the enclosing mapping


def test_unquoted_dates_become_iso_strings() -> None:
    doc = load_document("a: 2026-12-01\nb: 2026-02-30\n", "p.yml")
    assert doc.data == {"a": "2026-12-01", "b": "2026-02-30"}


def test_merge_keys_and_anchors() -> None:
    doc = load_document("a: &x {k: 1, j: 2}\nb:\n  <<: *x\n  j: 3\n", "p.yml")
    assert doc.data["b"] == {"k": 1, "j": 3}


def test_unsafe_tags_are_refused() -> None:
    with pytest.raises(YamlProblem, match="unsupported YAML tag"):
        load_document("a: !!python/object:os.system {}\n", "p.yml")


def test_billion_laughs_is_refused_after_bounded_work_and_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Counted, not timed (a loaded machine made `elapsed < 1.0` flaky): the loader builds
    # at most the limit of repeated values plus the file's own few nodes, then stops.
    from gate_runner.config import yaml_positions

    built = 0
    original = yaml_positions._Builder.build

    def counting(self: Any, node: Any, path: Any, depth: int) -> Any:
        nonlocal built
        built += 1
        return original(self, node, path, depth)

    monkeypatch.setattr(yaml_positions._Builder, "build", counting)
    text = (CASES / "invalid" / "billion-laughs.yml").read_text(encoding="utf-8")
    tracemalloc.start()
    with pytest.raises(YamlProblem, match="aliases expand to more than"):
        load_document(text, "laughs.yml")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert built <= yaml_positions.MAX_ALIASED + 100
    assert peak < 30_000_000


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(YamlProblem, match="recursive alias"):
        load_document("a: &a [*a]\n", "p.yml")


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("pre-${A}-post", {"A": "x"}, "pre-x-post"),
        ("${A:-dflt}", {}, "dflt"),
        ("${A:-}", {}, ""),
        ("${A:-dflt}", {"A": ""}, ""),
        ("$${A}", {"A": "x"}, "${A}"),
        ("no refs", {}, "no refs"),
    ],
)
def test_expand_string(text: str, env: dict[str, str], expected: str) -> None:
    assert expand_string(text, env) == (expected, [])


def test_expand_unset_names_the_variable() -> None:
    _, problems = expand_string("${MISSING_ONE}", {})
    assert problems == [
        "environment variable MISSING_ONE is not set and has no default: "
        "set it, or write ${MISSING_ONE:-default}"
    ]


def test_merge_provenance_thresholds_and_assertions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        "base.yml",
        "version: 1\nthresholds: {min_pass_rate: 0.8, max_unsafe: 0}\n"
        "assertions:\n  - {name: a, expr: '`true`'}\n  - {name: b, expr: '`true`'}\n"
        "campaigns:\n  core: {campaign: core-rel, thresholds: {max_failures: 5}}\n"
        "waivers: [{campaign: core, check: a, until: 2030-01-01, reason: r}]\n",
    )
    write(
        tmp_path,
        "child.yml",
        "version: 1\nextends: [base.yml]\nthresholds: {min_pass_rate: 0.9}\n"
        "assertions:\n  - {name: b, expr: 'failures == `0`', level: warn}\n"
        "campaigns:\n  core:\n    thresholds: {max_failures: 1}\n    trace_file: t.json\n",
    )
    write(tmp_path, "t.json", "{}")
    monkeypatch.chdir(tmp_path)
    policy = load_policy(Path("child.yml"), env={})
    (core,) = policy.campaigns
    assert core.name_or_id == "core-rel"
    assert core.origin == Origin("child.yml", 7, 3)  # where the key was last set
    by_key = {t.key: t for t in core.thresholds}
    assert by_key["min_pass_rate"].value == 0.9
    assert by_key["min_pass_rate"].origin == Origin("child.yml", 3, 29)
    assert by_key["max_unsafe"].origin.file == "base.yml"
    assert by_key["max_failures"].value == 1
    assert by_key["max_failures"].origin == Origin("child.yml", 8, 32)
    assert [(a.name, a.level, a.origin.file) for a in core.assertions] == [
        ("a", "error", "base.yml"),
        ("b", "warn", "child.yml"),
    ]
    assert core.trace_file == str((tmp_path / "t.json").resolve())
    assert [w.until for w in policy.waivers] == [date(2030, 1, 1)]
    assert [s.location for s in policy.sources] == ["base.yml", "child.yml"]
    assert policy.path == "child.yml"
    assert policy.api.base_url == "https://app.sepurux.dev/api/backend"
    assert policy.gate.timeout == 600
    assert policy.enforcement.mode == "hard"
    assert policy.enforcement.mode_origin is None
    defaults = {v.path: v.origin.file for v in policy.effective if v.origin.file == "<default>"}
    assert "api.token_env" in defaults


def test_digest_ignores_layout_but_not_content(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yml", "version: 1\ngate: {timeout: 30}\n")
    b = write(tmp_path, "b.yml", "# comment\nversion: 1\n\ngate:\n  timeout: 30\n")
    c = write(tmp_path, "c.yml", "version: 1\ngate: {timeout: 31}\n")
    digests = [load_policy(p, env={}).digest for p in (a, b, c)]
    assert digests[0] == digests[1] != digests[2]


def test_policy_error_carries_every_diagnostic(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yml", "version: 1\ngate: {timeout: x, concurrency: 0}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path, env={})
    assert [d.line for d in info.value.diagnostics] == [2, 2]
    assert info.value.exit_code == 2


def test_secret_from_environment_is_never_echoed(tmp_path: Path) -> None:
    secret = "sk-live-9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"
    path = write(
        tmp_path, "p.yml", "version: 1\napi: {base_url: '${LEAKY}', auth_header: '${LEAKY}'}\n"
    )
    with pytest.raises(PolicyError) as info:
        load_policy(path, env={"LEAKY": secret})
    assert secret not in str(info.value)
    assert "a value from the environment" in str(info.value)


def test_literal_secret_is_never_echoed(tmp_path: Path) -> None:
    secret = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
    path = write(tmp_path, "p.yml", f"version: 1\napi: {{token_env: {secret}}}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path, env={})
    assert secret not in str(info.value)
    assert "token_env" in str(info.value)


def _settings(*entries: tuple[str, str], mode: str = "hard") -> EnforcementSettings:
    origin = Origin("p.yml", 1, 1)
    schedule = tuple(ScheduleEntry(date.fromisoformat(d), m, origin) for d, m in entries)  # type: ignore[arg-type]
    return EnforcementSettings(mode, None, schedule)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("today", "mode", "entry"),
    [
        ("2026-11-30", "soft", None),
        ("2026-12-01", "observe", "2026-12-01"),
        ("2026-12-07", "observe", "2026-12-01"),
        ("2026-12-08", "hard", "2026-12-08"),
        ("2027-06-01", "hard", "2026-12-08"),
    ],
)
def test_mode_for_date(today: str, mode: str, entry: str | None) -> None:
    settings = _settings(("2026-12-01", "observe"), ("2026-12-08", "hard"), mode="soft")
    got_mode, got_entry = settings.mode_on(date.fromisoformat(today))
    assert got_mode == mode
    assert (got_entry.start.isoformat() if got_entry else None) == entry
