"""The verdict's JSON form read back into the model (the store, the scrubbed round trip)."""

from __future__ import annotations

from typing import Any

from gate_runner.statistics.budget import Budget, Spend
from gate_runner.verdict import (
    SCHEMA_VERSION,
    Aggregate,
    CampaignResult,
    Check,
    CIContext,
    Enforcement,
    FailingTool,
    JudgedBar,
    Location,
    MergeQueue,
    PolicyInfo,
    PolicyPart,
    Problem,
    Reused,
    RunError,
    RunRecord,
    Timings,
    Verdict,
    WaiverNote,
)


def verdict_from_dict(data: dict[str, Any]) -> Verdict:
    """The model of a verdict document (`Verdict.to_dict`'s form)."""
    return Verdict(
        outcome=data["outcome"],
        blocking=data["blocking"],
        exit_code=data["exit_code"],
        summary=data["summary"],
        enforcement=_enforcement(data["enforcement"]),
        policy=PolicyInfo(
            path=data["policy"]["path"],
            digest=data["policy"]["digest"],
            sources=tuple(data["policy"]["sources"]),
            on_error=data["policy"]["on_error"],
            on_timeout=data["policy"]["on_timeout"],
            files=tuple(data["policy"].get("files") or ()),
        ),
        ci=_ci(data["ci"]),
        timings=Timings(**data["timings"]),
        campaigns=tuple(_campaign(c) for c in data["campaigns"]),
        interrupted=data.get("interrupted", False),
        error=_run_error(data.get("error")),
        notes=tuple(data.get("notes", ())),
        policy_changes=data.get("policy_changes"),
        baseline=data.get("baseline"),
        waivers=data.get("waivers"),
        tool=dict(data.get("tool", {})),
        schema_version=data.get("schema_version", SCHEMA_VERSION),
        policies=tuple(
            PolicyPart(
                **{**p, "campaigns": tuple(p["campaigns"]), "files": tuple(p.get("files") or ())}
            )
            for p in data.get("policies") or ()
        ),
        budget=Budget(**data["budget"]) if data.get("budget") else None,
        spent=_spent(data.get("spent")),
    )


def _ci(data: dict[str, Any]) -> CIContext:
    queue = data.get("merge_queue")
    fields = {k: v for k, v in data.items() if k != "merge_queue"}
    if not isinstance(queue, dict):
        return CIContext(**fields)
    queued = MergeQueue(**{**queue, "pull_requests": tuple(queue.get("pull_requests") or ())})
    return CIContext(**fields, merge_queue=queued)


def _spent(data: dict[str, Any] | None) -> Spend | None:
    return Spend(**data) if isinstance(data, dict) else None


def _location(data: dict[str, Any] | None) -> Location | None:
    return Location(**data) if data else None


def _enforcement(data: dict[str, Any]) -> Enforcement:
    return Enforcement(
        mode=data["mode"],
        source=data["source"],
        reason=data["reason"],
        location=_location(data.get("location")),
    )


def _check(data: dict[str, Any]) -> Check:
    waiver = data.get("waiver")
    return Check(
        id=data["id"],
        kind=data["kind"],
        name=data["name"],
        status=data["status"],
        level=data["level"],
        message=data["message"],
        expected=data.get("expected"),
        actual=data.get("actual"),
        location=_location(data.get("location")),
        waiver=(
            WaiverNote(
                until=waiver["until"],
                reason=waiver["reason"],
                expired=waiver["expired"],
                location=_location(waiver.get("location")),
            )
            if waiver
            else None
        ),
        mode=data.get("mode"),
        mode_from=data.get("mode_from"),
        bars=tuple(
            JudgedBar(
                b["expected"], b["status"], b["mode"], b["mode_from"], _location(b.get("location"))
            )
            for b in data.get("bars") or ()
        ),
    )


def _run_error(data: dict[str, Any] | None) -> RunError | None:
    if not data:
        return None
    problems = tuple(
        Problem(p["message"], Location(**p["location"])) for p in data.get("diagnostics") or ()
    )
    return RunError(data["kind"], data["message"], problems)


def _campaign(data: dict[str, Any]) -> CampaignResult:
    return CampaignResult(
        key=data["key"],
        campaign=data["campaign"],
        campaign_id=data.get("campaign_id"),
        run_id=data.get("run_id"),
        dashboard_url=data.get("dashboard_url"),
        status=data["status"],
        outcome=data["outcome"],
        blocking=data["blocking"],
        enforcement=_enforcement(data["enforcement"]),
        checks=tuple(_check(c) for c in data["checks"]),
        payload=data.get("payload"),
        error=_run_error(data.get("error")),
        error_policy=data.get("error_policy"),
        duration_s=data.get("duration_s"),
        location=_location(data.get("location")),
        baseline_run_id=data.get("baseline_run_id"),
        failures=(
            tuple(FailingTool(**f) for f in data["failures"])
            if isinstance(data.get("failures"), list)
            else None
        ),
        baseline_pass_rate=data.get("baseline_pass_rate"),
        runs=tuple(_run(r) for r in data.get("runs") or () if isinstance(r, dict)),
        aggregate=Aggregate(**data["aggregate"]) if data.get("aggregate") else None,
        flaky=bool(data.get("flaky", False)),
        spread=data.get("spread"),
        inconclusive_policy=data.get("inconclusive_policy"),
        reused=Reused(**data["reused"]) if isinstance(data.get("reused"), dict) else None,
        spent=_spent(data.get("spent")),
        icc=data["icc"] if isinstance(data.get("icc"), dict) else None,
    )


def _run(data: dict[str, Any]) -> RunRecord:
    return RunRecord(
        run_id=data.get("run_id"),
        dashboard_url=data.get("dashboard_url"),
        status=data.get("status", "done"),
        outcome=data.get("outcome", "error"),
        metrics=dict(data.get("metrics") or {}),
        duration_s=data.get("duration_s"),
        payload=data.get("payload") if isinstance(data.get("payload"), dict) else None,
    )
