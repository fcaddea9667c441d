"""What ``gate-runner explain`` shows: the effective policy, origins, and the mode in force."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from gate_runner.config.outlook import DEFAULT_ATTEMPTS, outlooks, render
from gate_runner.policy import Origin, Policy, Stage, Threshold
from gate_runner.statistics import RunPlan
from gate_runner.thresholds import THRESHOLDS
from gate_runner.verdict import Enforcement


def _origin(origin: Origin | None) -> str | None:
    if origin is None or origin.file == "<default>":
        return None
    return str(origin)


def explanation(
    policy: Policy, today: date, enforcement: Enforcement, *, attempts: int = DEFAULT_ATTEMPTS
) -> dict[str, Any]:
    """The explain document (also its JSON form): plain data only.

    ``enforcement`` is enforce.mode_in_force's answer, so explain says what the verdict will.
    ``attempts``: the attempts a run is assumed to make in each campaign's simulated outlook.
    """
    where = enforcement.location
    figures = outlooks(policy, attempts)
    return {
        "path": policy.path,
        "digest": policy.digest,
        "sources": [{"location": s.location, "sha256": s.sha256} for s in policy.sources],
        "enforcement": {
            "date": today.isoformat(),
            "mode": enforcement.mode,
            "source": enforcement.source,
            "reason": enforcement.reason,
            "origin": f"{where.path}:{where.line}:{where.column}" if where else None,
        },
        "values": [
            {"path": v.path, "value": v.value, "origin": _origin(v.origin)}
            for v in policy.effective
        ],
        "campaigns": [
            {
                "key": c.key,
                "campaign": c.name_or_id,
                "origin": _origin(c.origin),
                "enforcement": c.enforcement,
                "thresholds": [
                    {
                        "key": t.key,
                        "value": list(t.value) if isinstance(t.value, tuple) else t.value,
                        "rule": THRESHOLDS[t.key].rule(t.value),
                        "origin": _origin(t.origin),
                        **_staged(t.stage, today, t.previous),
                    }
                    for t in c.thresholds
                ],
                "assertions": [
                    {
                        "name": a.name,
                        "level": a.level,
                        "origin": _origin(a.origin),
                        **_staged(a.stage, today),
                    }
                    for a in c.assertions
                ],
                **({"stage": _stage(c.stage, today)} if c.stage else {}),
                "runs": _runs(policy, c.key, c.runs),
                "outlook": figures.get(c.key),
            }
            for c in policy.campaigns
        ],
    }


def _stage(stage: Stage, today: date) -> dict[str, Any]:
    """A rule's own enforcement: its mode today (None: its campaign's) and its schedule."""
    found = stage.mode_on(today)
    origin = stage.origin
    if found is not None:
        _, entry = found
        origin = entry.origin if entry else (stage.mode_origin or stage.origin)
    return {
        "mode": found[0] if found else None,
        "origin": _origin(origin),
        "schedule": [{"from": e.start.isoformat(), "mode": e.mode} for e in stage.schedule],
    }


def _staged(
    stage: Stage | None, today: date, previous: tuple[Threshold, ...] = ()
) -> dict[str, Any]:
    """The keys a staged rule adds (none for a rule that follows its campaign's mode)."""
    shown: dict[str, Any] = {}
    if stage is not None:
        shown["stage"] = _stage(stage, today)
    # A looser bar judged at the same mode can never decide: shown only where a stage is.
    if previous and (stage is not None or any(p.stage for p in previous)):
        shown["previous"] = [
            {
                "value": list(p.value) if isinstance(p.value, tuple) else p.value,
                "origin": _origin(p.origin),
                **({"stage": _stage(p.stage, today)} if p.stage else {}),
            }
            for p in previous
        ]
    return shown


def _stage_text(row: dict[str, Any]) -> str:
    """`  staged: observe today (v2.yml:8:11); schedule ...; also judged: 0.8 (v1.yml:3:29)`."""
    parts = []
    stage = row.get("stage")
    if stage:
        mode = stage["mode"] or "its campaign's mode"
        text = f"staged: {mode} today ({stage['origin'] or 'default'})"
        if stage["schedule"]:
            text += "; schedule " + ", ".join(f"{e['from']} {e['mode']}" for e in stage["schedule"])
        parts.append(text)
    for bar in row.get("previous", ()):
        parts.append(
            f"tightens {json.dumps(bar['value'])} ({bar['origin'] or 'default'}), which judges "
            "at its own mode while this rule's is lower"
        )
    return "".join(f"\n      {p}" for p in parts)


def _runs(policy: Policy, key: str, plan: RunPlan) -> list[dict[str, Any]]:
    """The run settings (docs/statistics.md), each from the campaign, gate: or a default."""
    origins = {v.path: v.origin for v in policy.effective}
    settings: dict[str, object] = {
        "repeat": plan.repeat,
        "max_runs": plan.budget,
        "aggregate": plan.aggregate,
        "on_inconclusive": plan.on_inconclusive,
        "min_passing_runs": plan.min_passing_runs,
        "confidence": plan.confidence,
        "icc": "auto" if policy.statistics.icc_auto else plan.icc,
        "rule": rate_rule(plan)
        + (
            "; statistics.icc: auto: effective counts on the ρ estimated from check --store's "
            "recorded runs once they give 20 between-run degrees of freedom"
            if policy.statistics.icc_auto and plan.confidence is not None
            else ""
        ),
    }
    rows = []
    for name, value in settings.items():
        places = (
            (f"statistics.{'icc' if name == 'rule' else name}",)
            if name in ("confidence", "icc", "rule")
            else (f"campaigns.{key}.{name}", f"gate.{name}")
        )
        origin = next((origins[p] for p in places if p in origins), None)
        rows.append({"key": name, "value": value, "origin": _origin(origin)})
    return rows


def rate_rule(plan: RunPlan) -> str:
    """Which rule decides a rate bar with trial counts under these settings, in words."""
    if plan.confidence is None:
        return "point: the aggregate against the bar (no statistics.confidence)"
    sequential = plan.sequential
    if plan.icc is None:
        return (
            "run-rates-t: cluster-robust t on the runs' rates, floored at the binomial; "
            "holds whether or not runs vary (no icc declared)"
            + ("; Bonferroni over the looks" if sequential else "")
        )
    if plan.icc == 0:
        how = "pooled Wilson + Wald's SPRT" if sequential else "pooled Wilson"
        return f"pooled-wilson{'-sprt' if sequential else ''}: {how}, attempts independent (icc 0)"
    how = "Wald's SPRT" if sequential else "Wilson"
    return f"effective-counts: {how} on k/DE, N/DE, DE = 1 + (n - 1) * {plan.icc:g}"


def _row(name: str, value: object, origin: str | None, rule: str | None = None) -> str:
    meaning = f"  [{rule}]" if rule else ""
    return f"  {name} = {json.dumps(value)}{meaning}  ({origin or 'default'})"


def render_text(data: dict[str, Any]) -> str:
    enforcement = data["enforcement"]
    lines = [
        f"policy {data['path']}  {data['digest']}",
        "sources, in merge order:",
        *(f"  {s['location']}  {s['sha256']}" for s in data["sources"]),
        f"enforcement on {enforcement['date']}: {enforcement['mode']} "
        f"({enforcement['reason']})",  # the reason names the origin
        "effective values:",
        *(_row(v["path"], v["value"], v["origin"]) for v in data["values"]),
    ]
    for campaign in data["campaigns"]:
        mode = f", enforcement {campaign['enforcement']}" if campaign["enforcement"] else ""
        lines.append(f"campaign {campaign['key']} ({campaign['campaign']}{mode}):")
        if campaign.get("stage"):
            lines.append(_stage_text(campaign).removeprefix("\n"))
        lines += [
            _row(t["key"], t["value"], t["origin"], t["rule"]) + _stage_text(t)
            for t in campaign["thresholds"]
        ]
        lines += [
            f"  assertion {a['name']} [{a['level']}]  ({a['origin']})" + _stage_text(a)
            for a in campaign["assertions"]
        ]
        lines += [_row(r["key"], r["value"], r["origin"]) for r in campaign.get("runs", [])]
        if campaign.get("outlook"):
            lines += render(campaign["outlook"])
    return "\n".join(lines)
