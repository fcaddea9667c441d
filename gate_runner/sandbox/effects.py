"""What each fault kind does to a request: answer in place of the service, or bend its reply."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from gate_runner.sandbox.ci_run import METRIC_FIELDS
from gate_runner.sandbox.faults import Fault, Target
from gate_runner.sandbox.reply import Reply, detail

# Kinds that answer instead of the service (unless `processed`, when the service runs first).
REPLACING_KINDS = frozenset({"status", "reset", "redirect"})

# The fields wrong_types and missing_fields alter when the fault names none: what a client reads.
_DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "create": ("run_id", "batch_id"),
    "poll": METRIC_FIELDS,
    "reliability": ("reliability_score", "classified_failures"),
    "failures": ("failure_id", "run_id"),
    "campaigns": ("campaign_id", "name"),
    "traces": ("trace_id",),
}


def replacement(fault: Fault, path: str) -> Reply:
    """The reply of a status, reset or redirect fault; `path` is the request's path and query."""
    if fault.kind == "reset":
        return Reply(0, None, reset=True)
    if fault.kind == "redirect":
        location = (fault.location or "").replace("{path}", path)
        return Reply(fault.status or 302, {"detail": "Redirected"}, {"Location": location})
    reply = detail(fault.status or 500, fault.detail)
    if fault.retry_after is not None:
        value = fault.retry_after
        is_whole = isinstance(value, (int, float)) and float(value).is_integer()
        reply.headers["Retry-After"] = str(int(value)) if is_whole else str(value)
    return reply


def bend(fault: Fault, reply: Reply, target: Target) -> Reply:
    """Apply a body-altering fault to a successful reply; other replies pass unchanged.

    A drip slows any reply, error or not: the whole answer arrives, a byte at a time.
    """
    if fault.kind == "drip" and not reply.reset:
        return dataclasses.replace(reply, drip=fault.delay)
    if fault.kind == "unsafe_json" and not reply.reset:
        return _unsafe(fault, reply)
    if not reply.ok or reply.reset:
        return reply
    body = reply.body
    kind = fault.kind
    if kind == "truncated":
        full = json.dumps(body).encode()
        return Reply(reply.status, full[: len(full) // 2], reply.headers)
    if kind == "array":
        return Reply(reply.status, [body], reply.headers)
    if kind == "oversized":
        return Reply(reply.status, _padded(body, fault.size), reply.headers)
    if kind == "no_run_id":
        return Reply(reply.status, {}, reply.headers)
    if kind in ("wrong_types", "missing_fields"):
        names = fault.fields or _DEFAULT_FIELDS.get(target, ())
        return Reply(reply.status, _each(body, lambda d: _alter(fault, d, names)), reply.headers)
    if kind == "run_failed":
        return Reply(
            reply.status,
            _each(body, lambda d: {**d, "status": "failed", "decision": "pass"}),
            reply.headers,
        )
    if kind == "never_finishes":
        return Reply(reply.status, _each(body, _still_running), reply.headers)
    return reply


# Valid JSON that json.loads cannot carry to the verdict: an integer over Python's 4,300-digit
# int/str limit, and a lone UTF-16 surrogate that no UTF-8 encoder accepts.
UNSAFE_JSON = {"huge_integer": "1" + "0" * 4300, "lone_surrogate": '"\\ud800"'}
_SLOT = "\x00unsafe-json\x00"


def _unsafe(fault: Fault, reply: Reply) -> Reply:
    """The reply with an `unsafe` field in every object, or a `status` answer whose detail it is."""
    if fault.status is not None:
        body: Any = {"detail": _SLOT}
        status = fault.status
    elif isinstance(reply.body, (dict, list)):
        body = _each(reply.body, lambda d: {"unsafe": _SLOT, **d})
        status = reply.status
    else:
        return reply
    text = json.dumps(body).replace(json.dumps(_SLOT), UNSAFE_JSON[fault.variant])
    return Reply(status, text.encode(), reply.headers if fault.status is None else {})


def _each(body: Any, change: Any) -> Any:
    if isinstance(body, dict):
        return change(body)
    if isinstance(body, list):
        return [change(item) if isinstance(item, dict) else item for item in body]
    return body


def _alter(fault: Fault, item: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    out = dict(item)
    for name in names:
        if name not in out:
            continue
        if fault.kind == "missing_fields":
            del out[name]
        elif fault.has_value:
            out[name] = fault.value
        else:
            out[name] = _wrong(out[name])
    return out


def _wrong(value: Any) -> Any:
    # Numbers become their text ("0.9"), the mistake the SDK defends against; the rest null.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return json.dumps(value)
    return None


def _still_running(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k not in METRIC_FIELDS}
    out.update(status="running", decision="pending")
    return out


def _padded(body: Any, size: int) -> bytes:
    """Valid JSON of exactly `size` bytes (or the body itself when already larger)."""
    if isinstance(body, dict):
        skeleton = json.dumps({**body, "padding": ""}).encode()
        pad = max(size - len(skeleton), 0)
        return json.dumps({**body, "padding": "x" * pad}).encode()
    skeleton = json.dumps([body, ""]).encode()
    pad = max(size - len(skeleton), 0)
    return json.dumps([body, "x" * pad]).encode()
