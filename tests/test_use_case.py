"""use_case.check called directly: a fake client, an observer that records, no process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gate_runner import enforce, runner, use_case
from gate_runner.api import RunEvent
from gate_runner.api.retry import RetryPolicy
from gate_runner.check_plan import CheckRequest
from gate_runner.ci import detect
from gate_runner.errors import PolicyError, UsageError
from gate_runner.governance import check_gate
from gate_runner.policy import Policy
from gate_runner.runner import GateClock
from gate_runner.use_case import Checked, PolicyFailure, UsageFailure, check
from gate_runner.verdict import CampaignResult

TOKEN = "use-case-token"
POLICY = """
version: 1
thresholds: {min_pass_rate: 0.8}
enforcement: {mode: hard}
campaigns:
  good: {}
  bad: {}
"""


def payload(run_id: str, pass_rate: float) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "status": "done",
        "decision": "pass" if pass_rate >= 0.8 else "fail",
        "pass_rate": pass_rate,
        "unsafe_attempts": 0,
        "failures": 0,
        "top_failing_tools": [],
        "mutation_categories": [],
    }


class FakeClient:
    """The SepuruxClient methods the scheduler calls, answering from `rates` (name -> rate)."""

    retry = RetryPolicy()

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = rates
        self.created: list[str] = []
        self.closed = False

    def list_campaigns(self, **_: Any) -> list[dict[str, Any]]:
        return [{"campaign_id": f"id-{name}", "name": name} for name in self.rates]

    def create_run(self, body: dict[str, Any], _key: str | None, **_: Any) -> tuple[str, str]:
        self.created.append(body["campaign_id"])
        return f"run-{body['campaign_id'].removeprefix('id-')}", "run"

    def get_run(self, run_id: str, _kind: str = "run", **_: Any) -> dict[str, Any]:
        return payload(run_id, self.rates[run_id.removeprefix("run-")])

    def thread_request_count(self) -> int:
        return 0

    def close(self) -> None:
        self.closed = True


class Recorder:
    """A CheckObserver that writes down what it heard, in order."""

    def __init__(self) -> None:
        self.heard: list[tuple[Any, ...]] = []
        self.events: list[RunEvent] = []

    def loaded(self, policies: Sequence[Policy]) -> None:
        self.heard.append(("loaded", tuple(p.path for p in policies)))

    def api_ready(self, sandbox: Any) -> None:
        self.heard.append(("api_ready", sandbox))

    def policy_started(self, policy: Policy, count: int, keys: Sequence[str]) -> None:
        self.heard.append(("policy_started", policy.path, count))

    @contextmanager
    def progress(self, total: int) -> Iterator[Callable[[RunEvent], None]]:
        self.heard.append(("progress", total))
        yield self.events.append


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "sepurux.yml"
    path.write_text(POLICY.lstrip(), encoding="utf-8")
    return path


def run(
    request: CheckRequest,
    *,
    rates: dict[str, float] | None = None,
    env: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
    recorder: Recorder | None = None,
) -> tuple[Checked | PolicyFailure | UsageFailure, Recorder, list[FakeClient]]:
    recorder, clients = recorder or Recorder(), []

    def connect(base_url: str, token: str, _policy: Policy, _timeout: float) -> Any:
        assert (base_url, token) == ("https://api.test", TOKEN)
        clients.append(FakeClient(rates or {"good": 0.95, "bad": 0.95}))
        return clients[-1]

    outcome = check(
        request,
        recorder,
        env={"SEPURUX_API_KEY": TOKEN} if env is None else env,
        ci=detect({}),
        clock=GateClock(),
        cancel=cancel or threading.Event(),
        today=date(2026, 1, 15),
        client=connect,
    )
    return outcome, recorder, clients


def request(*configs: Path, **flags: Any) -> CheckRequest:
    return CheckRequest(configs=configs, api_url="https://api.test", **flags)


def test_a_failing_hard_campaign_blocks_and_the_observer_hears_each_step(policy: Path) -> None:
    outcome, recorder, clients = run(request(policy), rates={"good": 0.95, "bad": 0.5})
    assert isinstance(outcome, Checked) and outcome.verdict is not None
    verdict = outcome.verdict
    assert (verdict.exit_code, verdict.outcome, verdict.blocking) == (1, "fail", True)
    assert [(c.key, c.outcome) for c in verdict.campaigns] == [("good", "pass"), ("bad", "fail")]
    assert recorder.heard == [
        ("loaded", (str(policy),)),
        ("api_ready", None),
        ("policy_started", str(policy), 1),
        ("progress", 2),
    ]
    assert {e.state for e in recorder.events} >= {"creating", "done"}
    assert sorted(clients[0].created) == ["id-bad", "id-good"] and clients[0].closed
    assert outcome.plans[0].judged == frozenset({"good", "bad"})


def test_a_missing_token_is_no_decision_and_no_client_is_made(policy: Path) -> None:
    outcome, recorder, clients = run(request(policy, campaigns=("good",)), env={})
    assert isinstance(outcome, Checked) and outcome.verdict is not None
    assert outcome.verdict.exit_code == 3 and outcome.verdict.error is not None
    assert outcome.verdict.error.kind == "auth"
    assert "SEPURUX_API_KEY is not set" in outcome.verdict.error.message
    assert [c.key for c in outcome.verdict.campaigns] == ["good"]
    assert clients == [] and ("progress", 1) not in recorder.heard


def test_an_invalid_policy_is_a_failure_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "sepurux.yml"
    bad.write_text("version: 1\ncampaigns: {core: {thresholds: {min_pass_rate: 7}}}\n")
    outcome, recorder, clients = run(request(bad))
    assert isinstance(outcome, PolicyFailure) and isinstance(outcome.error, PolicyError)
    assert outcome.path == bad
    assert recorder.heard == [] and clients == []


def test_a_dry_run_plans_and_calls_nothing(policy: Path) -> None:
    outcome, recorder, clients = run(request(policy, dry_run=True, campaigns=("bad",)))
    assert isinstance(outcome, Checked) and outcome.verdict is None
    assert [p.options.campaign_keys for p in outcome.plans] == [("bad",)]
    assert outcome.plans[0].base_url.value == "https://api.test"
    assert recorder.heard == [("loaded", (str(policy),))] and clients == []


def test_two_policies_cancelled_merge_into_one_interrupted_verdict(tmp_path: Path) -> None:
    paths = []
    for name in ("api", "web"):
        (tmp_path / name).mkdir()
        paths.append(tmp_path / name / "sepurux.yml")
        paths[-1].write_text(POLICY.lstrip(), encoding="utf-8")
    stopped = threading.Event()
    stopped.set()
    outcome, recorder, _clients = run(request(*paths), cancel=stopped)
    assert isinstance(outcome, Checked) and outcome.verdict is not None
    verdict = outcome.verdict
    assert (verdict.exit_code, verdict.interrupted) == (130, True)
    assert [p.exit_code for p in verdict.policies] == [130, 130]
    assert len(verdict.campaigns) == 4
    assert all(c.key.endswith(("/good", "/bad")) for c in verdict.campaigns)
    started = [h for h in recorder.heard if h[0] == "policy_started"]
    assert started == [("policy_started", str(p), 2) for p in paths]


def test_flags_that_cannot_go_together_are_refused_before_any_policy_is_read(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nowhere.yml"
    with pytest.raises(UsageError, match="--sandbox starts its own API"):
        run(request(missing, sandbox=tmp_path / "scenario.yml"))
    with pytest.raises(UsageError, match="--soft-exit-code 2 is not allowed"):
        run(request(missing, soft_exit_code=2))


def test_publish_is_asked_by_any_policy_even_one_campaign_leaves_out(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "web").mkdir()
    api, web = tmp_path / "api" / "sepurux.yml", tmp_path / "web" / "sepurux.yml"
    api.write_text(POLICY.lstrip(), encoding="utf-8")
    web.write_text("version: 1\npublish: true\ncampaigns:\n  other: {}\n", encoding="utf-8")
    outcome, _recorder, _clients = run(request(api, web, dry_run=True, campaigns=("good",)))
    assert isinstance(outcome, Checked)
    assert [p.policy.path for p in outcome.plans] == [str(api)]
    assert outcome.publish


def test_an_untrusted_api_origin_fails_its_policy_before_any_call_even_one_left_out(
    tmp_path: Path,
) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "web").mkdir()
    api, web = tmp_path / "api" / "sepurux.yml", tmp_path / "web" / "sepurux.yml"
    api.write_text(POLICY.lstrip(), encoding="utf-8")
    web.write_text(
        "version: 1\napi:\n  base_url: https://evil.example\ncampaigns:\n  other: {}\n",
        encoding="utf-8",
    )
    # No --api-url: the policy's own base URL is judged, for web although --campaign skips it.
    outcome, recorder, clients = run(
        CheckRequest(configs=(api, web), campaigns=("good",), dry_run=True)
    )
    assert isinstance(outcome, PolicyFailure) and isinstance(outcome.error, PolicyError)
    assert outcome.path == web
    (diagnostic,) = outcome.error.diagnostics
    assert (diagnostic.line, diagnostic.col) == (3, 13)
    assert "https://evil.example:443" in diagnostic.message
    assert recorder.heard == [] and clients == []


def test_under_sandbox_the_policy_origin_is_never_judged(tmp_path: Path) -> None:
    path = tmp_path / "sepurux.yml"
    path.write_text(
        "version: 1\napi:\n  base_url: https://evil.example\ncampaigns:\n  c: {}\n", "utf-8"
    )
    scenario = tmp_path / "scenario.yml"
    outcome, _recorder, _clients = run(
        CheckRequest(configs=(path,), sandbox=scenario, dry_run=True)
    )
    assert isinstance(outcome, Checked)
    assert outcome.plans[0].base_url.origin == "--sandbox"


def test_a_usage_error_after_the_policy_loads_is_a_failure_naming_the_policy(
    policy: Path,
) -> None:
    """An unknown --campaign: nothing runs, and the caller still has the policy for the
    verdict (its mode; issue 17, Messages)."""
    outcome, recorder, clients = run(request(policy, campaigns=("nope",)))
    assert isinstance(outcome, UsageFailure) and outcome.policy.path == str(policy)
    assert "nope" in str(outcome.error)
    assert recorder.heard == [("loaded", (str(policy),))] and clients == []


class Refusing(Recorder):
    """A caller that cannot use one of its own flags (check's --report pdf)."""

    def loaded(self, policies: Sequence[Policy]) -> None:
        super().loaded(policies)
        raise UsageError("--report pdf: unknown format")


def test_a_usage_error_the_observer_raises_once_loaded_is_a_failure_too(policy: Path) -> None:
    outcome, recorder, clients = run(request(policy), recorder=Refusing())
    assert isinstance(outcome, UsageFailure) and str(outcome.error).startswith("--report pdf")
    assert recorder.heard == [("loaded", (str(policy),))] and clients == []


def test_each_policy_is_decided_once_with_everything_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prepare, run, govern, decide, merge: the runner and governance hand results up and
    enforce decides each policy's verdict once (issue 18, decide once)."""
    paths = []
    for name in ("api", "web"):
        (tmp_path / name).mkdir()
        paths.append(tmp_path / name / "sepurux.yml")
        paths[-1].write_text(POLICY.lstrip(), encoding="utf-8")
    decided: list[tuple[str, ...]] = []
    real = enforce.decide_gate

    def counting(results: Sequence[CampaignResult], **flags: Any) -> enforce.GateDecision:
        decided.append(tuple(r.key for r in results))
        return real(results, **flags)

    # Wherever a decision could be made from: none may decide besides enforce's one call.
    for module in (enforce, runner, check_gate, use_case):
        monkeypatch.setattr(module, "decide_gate", counting, raising=False)
    outcome, _recorder, _clients = run(request(*paths), rates={"good": 0.95, "bad": 0.5})
    assert isinstance(outcome, Checked) and outcome.verdict is not None
    assert decided == [("good", "bad"), ("good", "bad")]
    assert [p.exit_code for p in outcome.verdict.policies] == [1, 1]
    assert outcome.verdict.exit_code == 1


class CancelBetween(Recorder):
    """CI cancels the job once the first policy was decided, before the second runs."""

    def __init__(self, cancel: threading.Event) -> None:
        super().__init__()
        self.cancel = cancel

    def policy_started(self, policy: Policy, count: int, keys: Sequence[str]) -> None:
        if any(h[0] == "policy_started" for h in self.heard):
            self.cancel.set()
        super().policy_started(policy, count, keys)


class CancelAtRunsEnd(Recorder):
    """CI cancels the job as the runs end, before the verdict is decided."""

    def __init__(self, cancel: threading.Event) -> None:
        super().__init__()
        self.cancel = cancel

    @contextmanager
    def progress(self, total: int) -> Iterator[Callable[[RunEvent], None]]:
        with super().progress(total) as on_event:
            yield on_event
        self.cancel.set()


def test_a_cancel_interrupts_the_policies_not_yet_whole_and_no_other(tmp_path: Path) -> None:
    """Cancelled once the first policy was decided: its verdict stands (blocked), the second
    is interrupted, and so is the job (130)."""
    paths = []
    for name in ("api", "web"):
        (tmp_path / name).mkdir()
        paths.append(tmp_path / name / "sepurux.yml")
        paths[-1].write_text(POLICY.lstrip(), encoding="utf-8")
    stop = threading.Event()
    outcome, _recorder, _clients = run(
        request(*paths), rates={"good": 0.95, "bad": 0.5}, cancel=stop,
        recorder=CancelBetween(stop),
    )  # fmt: skip
    assert isinstance(outcome, Checked) and outcome.verdict is not None
    verdict = outcome.verdict
    assert [p.exit_code for p in verdict.policies] == [1, 130]
    assert (verdict.exit_code, verdict.interrupted) == (130, True)
    assert verdict.summary.startswith("INTERRUPTED: 2 policies — ")


def test_a_cancel_once_the_runs_ended_still_interrupts_a_single_policy(policy: Path) -> None:
    stop = threading.Event()
    outcome, _recorder, _clients = run(
        request(policy), rates={"good": 0.95, "bad": 0.5}, cancel=stop,
        recorder=CancelAtRunsEnd(stop),
    )  # fmt: skip
    assert isinstance(outcome, Checked) and outcome.verdict is not None
    verdict = outcome.verdict
    assert (verdict.exit_code, verdict.interrupted, verdict.blocking) == (130, True, True)
    assert verdict.summary.startswith("INTERRUPTED: 2 campaigns: 1 failed, 1 passed")
