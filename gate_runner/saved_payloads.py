"""Decision payloads saved in files nobody here vouches for: baselines, saved runs, --payload.

The fail-closed rule (run_failure) judges a polled payload and a saved one alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate_runner import untrusted_json
from gate_runner.errors import ServiceError, UsageError
from gate_runner.verdict import DecisionPayload

# Run statuses by which the service says it could not finish: no decision, whatever the
# payload's `decision` or metrics say.
FAILED_RUN_STATUSES = ("failed", "error")


def run_failure(payload: DecisionPayload, where: str) -> ServiceError | None:
    """The fail-closed rule, for a payload polled or saved alike: a failed/error status is a
    `run_failed` error, even when its decision says pass and its metrics would."""
    status = payload.get("status")
    if status not in FAILED_RUN_STATUSES:
        return None
    reason = payload.get("error") or payload.get("detail") or payload.get("message")
    suffix = f": {reason}" if isinstance(reason, str) and reason else ""
    return ServiceError(
        "run_failed", f"{where}: the service could not finish the run (status {status}){suffix}"
    )


def read_baseline(path: Path) -> dict[str, DecisionPayload]:
    """Campaign key -> decision payload of a previous verdict (`--baseline`)."""
    document = _read_json(path, f"--baseline {path}")
    if not is_verdict_document(document, strict=False):
        raise UsageError(f"--baseline {path}: not a gate-runner verdict (no `campaigns` list)")
    return saved_payloads(document)


def read_baseline_runs(path: Path) -> dict[str, list[DecisionPayload]]:
    """Campaign key -> the payloads of every run, for the campaigns a `--baseline` verdict ran
    several times (issue #12: max_regression tests the change against all of them)."""
    document = _read_json(path, f"--baseline {path}")
    if not is_verdict_document(document, strict=False):
        raise UsageError(f"--baseline {path}: not a gate-runner verdict (no `campaigns` list)")
    return saved_runs(document)


def read_payload_file(
    path: Path, campaign: str | None, campaign_keys: list[str]
) -> dict[str, DecisionPayload | list[DecisionPayload]]:
    """Campaign key -> decision payload from `evaluate --payload`: a bare payload or a verdict.

    A bare payload belongs to `campaign`, or to the policy's only campaign; a verdict gives the
    payload of `campaign`, or of every campaign it holds.
    """
    document = _read_json(path, str(path))
    if is_verdict_document(document, strict=True):
        saved: dict[str, DecisionPayload | list[DecisionPayload]] = {
            **saved_payloads(document),
            **saved_runs(document),
        }
        wanted = [campaign] if campaign else list(saved)
        missing = [k for k in wanted if k not in saved]
        if missing or not wanted:
            holds = ", ".join(missing) or "any campaign"
            raise UsageError(f"{path}: the verdict holds no payload for {holds}")
        return {k: saved[k] for k in wanted}
    if not isinstance(document, dict):
        raise UsageError(f"{path}: a payload must be a JSON object, not {type(document).__name__}")
    if campaign is None:
        if len(campaign_keys) != 1:
            raise UsageError(
                f"the policy has {len(campaign_keys)} campaigns ({', '.join(campaign_keys)}); "
                "say which one this payload is for with --campaign"
            )
        campaign = campaign_keys[0]
    return {campaign: document}


def is_verdict_document(document: Any, *, strict: bool) -> bool:
    """A verdict has a `campaigns` list (strict: and a `schema_version`, unlike a payload)."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("campaigns"), list)
        and (not strict or "schema_version" in document)
    )


def saved_payloads(document: dict[str, Any]) -> dict[str, DecisionPayload]:
    """Campaign key -> payload of every campaign in a verdict document that kept one."""
    return {
        c["key"]: c["payload"]
        for c in document["campaigns"]
        if isinstance(c, dict)
        and isinstance(c.get("key"), str)
        and isinstance(c.get("payload"), dict)
    }


def saved_runs(document: dict[str, Any]) -> dict[str, list[DecisionPayload]]:
    """Campaign key -> the payloads of its runs, for campaigns a verdict kept several runs of."""
    found: dict[str, list[DecisionPayload]] = {}
    for c in document["campaigns"]:
        runs = c.get("runs") if isinstance(c, dict) else None
        if (
            not isinstance(c, dict)
            or not isinstance(c.get("key"), str)
            or not isinstance(runs, list)
        ):
            continue
        payloads = [
            r["payload"] for r in runs if isinstance(r, dict) and isinstance(r.get("payload"), dict)
        ]
        if len(payloads) >= 2 and len(payloads) == len(runs):
            found[c["key"]] = payloads
    return found


def _read_json(path: Path, name: str) -> Any:
    try:
        return untrusted_json.load_file(path)
    except OSError as error:
        raise UsageError(f"{name}: cannot read it: {error.strerror or error}") from None
    except ValueError as error:
        raise UsageError(f"{name}: {error}") from None
