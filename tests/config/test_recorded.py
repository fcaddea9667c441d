"""A policy as a verdict records it (config.build.recorded) and rebuilt from that record
(config.recorded.rebuild_policy): local files by text, pinned URLs by pin, one replaced."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gate_runner.config import load_policy
from gate_runner.config.build import MAX_RECORDED_CHARS
from gate_runner.config.recorded import Replacement, rebuild_policy
from gate_runner.errors import PolicyError
from gate_runner.policy import RecordedFile

CENTRAL = b"version: 1\nthresholds: {min_pass_rate: 0.8}\n"
URL = "https://policies.example/central/base.yml"
PIN = hashlib.sha256(CENTRAL).hexdigest()

TEAM = "version: 1\ngate: {on_error: pass}\n"
REPO = f"""version: 1
extends:
  - ../shared/team.yml
  - {{url: "{URL}", sha256: "{PIN}"}}
campaigns:
  core:
    thresholds: {{min_pass_rate: 0.75}}
  search: {{}}
"""


def _serve(url: str) -> bytes:
    assert url == URL
    return CENTRAL


def _refuse(url: str) -> bytes:
    raise AssertionError(f"fetched {url}: a replaced file is never fetched")


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[RecordedFile, ...]:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "team.yml").write_text(TEAM, encoding="utf-8")
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "sepurux.yml").write_text(REPO, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "repo")
    policy = load_policy(Path("sepurux.yml"), env={}, cache_dir=tmp_path / "c", fetcher=_serve)
    return policy.recorded


def test_a_policy_records_its_files_in_merge_order(loaded: tuple[RecordedFile, ...]) -> None:
    # A file outside the working directory is recorded relative to it, as `extends` names it.
    assert loaded == (
        RecordedFile("file", "../shared/team.yml", text=TEAM),
        RecordedFile("url", URL, pin=f"sha256:{PIN}"),
        RecordedFile("file", "sepurux.yml", text=REPO),
    )


def test_the_record_rebuilds_the_same_policy_anywhere(
    loaded: tuple[RecordedFile, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = load_policy(
        Path("sepurux.yml"), env={}, cache_dir=tmp_path / "c", fetcher=_refuse
    )  # from the cache now
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # none of the files is here: only the record is read
    rebuilt = rebuild_policy(loaded, None, env={}, cache_dir=tmp_path / "c", fetcher=_refuse)
    assert rebuilt.digest == original.digest
    assert rebuilt.gate.on_error == "pass"


def test_the_candidate_replaces_a_url_and_the_repository_keeps_its_override(
    loaded: tuple[RecordedFile, ...], tmp_path: Path
) -> None:
    stricter = b"version: 1\nthresholds: {min_pass_rate: 0.9}\n"
    rebuilt = rebuild_policy(
        loaded, Replacement(URL, stricter), env={}, cache_dir=tmp_path / "empty", fetcher=_refuse
    )
    bars = {c.key: {t.key: t.value for t in c.thresholds} for c in rebuilt.campaigns}
    assert bars == {"core": {"min_pass_rate": 0.75}, "search": {"min_pass_rate": 0.9}}


def test_the_candidate_replaces_a_local_file(
    loaded: tuple[RecordedFile, ...], tmp_path: Path
) -> None:
    stricter = b"version: 1\ngate: {on_error: fail}\n"
    rebuilt = rebuild_policy(
        loaded,
        Replacement("../shared/team.yml", stricter),
        env={},
        cache_dir=tmp_path / "c",
        fetcher=_refuse,
    )
    assert rebuilt.gate.on_error == "fail"


def test_an_invalid_candidate_is_a_policy_error(
    loaded: tuple[RecordedFile, ...], tmp_path: Path
) -> None:
    with pytest.raises(PolicyError):
        rebuild_policy(
            loaded,
            Replacement(URL, b"version: 1\nthresholds: {min_pass_rate: high}\n"),
            env={},
            cache_dir=tmp_path / "c",
        )


def test_texts_past_the_cap_are_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    padding = "# " + "x" * 998 + "\n"
    text = "version: 1\n" + padding * (MAX_RECORDED_CHARS // len(padding) + 1)
    Path("sepurux.yml").write_text(text, encoding="utf-8")
    recorded = load_policy(Path("sepurux.yml"), env={}).recorded
    assert recorded == (RecordedFile("file", "sepurux.yml"),)
    with pytest.raises(ValueError, match="too large to record"):
        rebuild_policy(recorded, None, env={})


def test_a_forged_text_past_a_policy_file_limit_is_refused(tmp_path: Path) -> None:
    from gate_runner.config.fetch import MAX_BYTES

    huge = RecordedFile("file", "../../../etc/sepurux.yml", text="#" * (MAX_BYTES + 1))
    with pytest.raises(PolicyError) as caught:
        rebuild_policy((huge,), None, env={})
    assert f"larger than {MAX_BYTES} bytes" in caught.value.diagnostics[0].message
