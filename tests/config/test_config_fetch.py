"""Pinned remote policies: sha256 before parsing, cache and offline use, loopback-only http."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from support import LoopbackServer

from gate_runner.config import load_policy, validate_files
from gate_runner.config.fetch import MAX_BYTES, FetchError, check_url, fetch_pinned

CASES = Path(__file__).parent / "cases"
REMOTE = (CASES / "remote" / "remote-base.yml").read_bytes()
PIN = hashlib.sha256(REMOTE).hexdigest()


def test_fetched_once_then_served_from_cache_offline(
    tmp_path: Path, server_url: str, policy_server: LoopbackServer
) -> None:
    policy_server.requests.clear()
    url = f"{server_url}/remote-base.yml"
    assert fetch_pinned(url, PIN, tmp_path) == REMOTE
    assert (tmp_path / f"{PIN}.yml").read_bytes() == REMOTE

    def offline(url: str) -> bytes:
        raise AssertionError("must not fetch again")

    assert fetch_pinned(url, PIN, tmp_path, offline) == REMOTE
    assert policy_server.targets() == ["/remote-base.yml"]


def test_mismatch_is_an_error_and_nothing_is_cached(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="sha256 mismatch"):
        fetch_pinned("https://example.test/p.yml", "a" * 64, tmp_path, lambda url: REMOTE)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_cache_entry_is_refetched(tmp_path: Path) -> None:
    (tmp_path / f"{PIN}.yml").write_bytes(b"tampered")
    assert fetch_pinned("https://example.test/p.yml", PIN, tmp_path, lambda url: REMOTE) == REMOTE


def test_size_limit(tmp_path: Path) -> None:
    big = b"#" * (MAX_BYTES + 1)
    pin = hashlib.sha256(big).hexdigest()
    with pytest.raises(FetchError, match="larger than"):
        fetch_pinned("https://example.test/p.yml", pin, tmp_path, lambda url: big)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/p.yml",
        "http://127.0.0.1:8/p.yml",
        "http://localhost/p.yml",
        "http://[::1]:9/p.yml",
    ],
)
def test_allowed_urls(url: str) -> None:
    check_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/p.yml", "plain http is only allowed for a loopback host"),
        ("ftp://127.0.0.1/p.yml", "expected an https URL"),
        ("file:///etc/passwd", "expected an https URL"),
    ],
)
def test_refused_urls(url: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        check_url(url)


def test_redirect_to_another_host_is_refused(tmp_path: Path, server_url: str) -> None:
    with pytest.raises(FetchError, match="redirected to another host"):
        fetch_pinned(f"{server_url}/redirect-away/remote-base.yml", PIN, tmp_path)


def test_redirect_on_the_same_host_is_followed(tmp_path: Path, server_url: str) -> None:
    assert fetch_pinned(f"{server_url}/redirect-here/remote-base.yml", PIN, tmp_path) == REMOTE


def test_http_error_is_reported(tmp_path: Path, server_url: str) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_pinned(f"{server_url}/absent.yml", PIN, tmp_path)


def test_load_policy_uses_the_pin_and_cache(tmp_path: Path, server_url: str) -> None:
    policy_file = tmp_path / "p.yml"
    policy_file.write_text(
        f"version: 1\nextends:\n  - url: {server_url}/remote-base.yml\n    sha256: {PIN}\n",
        encoding="utf-8",
    )
    policy = load_policy(policy_file, env={}, cache_dir=tmp_path / "cache")
    assert policy.enforcement.mode == "soft"
    assert policy.sources[0].location == f"{server_url}/remote-base.yml"
    assert policy.sources[0].sha256 == f"sha256:{PIN}"
    # Offline now: the cache answers.
    dead = "http://127.0.0.1:9"
    policy_file.write_text(
        policy_file.read_text(encoding="utf-8").replace(server_url, dead), encoding="utf-8"
    )
    found = validate_files([policy_file], env={}, cache_dir=tmp_path / "cache")
    assert found == {str(policy_file): []}


def test_remote_policy_cannot_extend_local_files(tmp_path: Path) -> None:
    remote = b"version: 1\nextends: [local.yml]\n"
    pin = hashlib.sha256(remote).hexdigest()
    policy_file = tmp_path / "p.yml"
    policy_file.write_text(
        f"version: 1\nextends:\n  - url: https://example.test/r.yml\n    sha256: {pin}\n",
        encoding="utf-8",
    )
    found = validate_files(
        [policy_file], env={}, cache_dir=tmp_path / "c", fetcher=lambda url: remote
    )[str(policy_file)]
    assert [d.message for d in found] == [
        "a policy fetched from a URL can only extend pinned remote files "
        "({url, sha256} or {git, ref, path})"
    ]
    assert found[0].file == "https://example.test/r.yml"
    assert found[0].chain == (f"{policy_file}:3",)
