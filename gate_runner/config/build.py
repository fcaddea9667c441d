"""Turns the merged, checked policy data into the frozen ``gate_runner.policy.Policy``.

Every default comes from the schema's ``default`` keywords (config/schema.py), the one
place they are written; an editor completing the schema offers the same values.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

from gate_runner.config.extends import Source
from gate_runner.config.merge import Merged
from gate_runner.config.schema import assertion_default, policy_defaults
from gate_runner.config.semantic import fixed_k_of_n
from gate_runner.config.yaml_positions import PathKey
from gate_runner.policy import (
    ApiSettings,
    Assertion,
    Campaign,
    EffectiveValue,
    EnforcementSettings,
    GateSection,
    Mode,
    Origin,
    Policy,
    PolicySource,
    RecordedFile,
    Reuse,
    ScheduleEntry,
    SoftReview,
    Stage,
    Statistics,
    Threshold,
    Waiver,
    WaiverRules,
)
from gate_runner.statistics import Budget, RunPlan
from gate_runner.thresholds import limit_of, threshold_effect

DEFAULT_ORIGIN = Origin("<default>", 0, 0)
# The local files' text a verdict carries for `replay`: hand-written policies are a few KiB;
# past this the texts are left out (replay then judges that verdict by the candidate alone).
MAX_RECORDED_CHARS = 256 * 1024


class _Reader:
    def __init__(self, merged: Merged) -> None:
        self.m = merged

    def get(self, path: PathKey, default: Any = None) -> Any:
        try:
            return self.m.get(path)
        except (KeyError, IndexError, TypeError):
            return policy_defaults().get(path, default)

    def assertions(self, path: PathKey) -> list[Assertion]:
        return [
            Assertion(
                name=item["name"],
                expr=item["expr"],
                level=item.get("level", assertion_default("level")),
                message=item.get("message"),
                origin=self.m.origin((*path, index)),
                stage=stage_of(item.get("enforcement"), self.m.origins.get, (*path, index)),
            )
            for index, item in enumerate(self.get(path, []))
        ]

    def thresholds(
        self, path: PathKey, inherited: dict[str, Threshold] | None = None
    ) -> dict[str, Threshold]:
        """The thresholds at `path`; each keeps the looser bars it tightened (an earlier
        file's, or `inherited`: the policy-wide one a campaign's overrides)."""
        found = {}
        for key, raw in self.get(path, {}).items():
            current = _threshold(key, raw, self.m.origins.get, (*path, key))
            earlier = [
                _threshold(key, r.data, r.origins.get, ())
                for r in self.m.replaced.get((*path, key), [])
            ]
            if inherited and key in inherited:
                earlier += [*inherited[key].previous, replace(inherited[key], previous=())]
            looser = tuple(
                e for e in earlier if threshold_effect(key, e.value, current.value) == "tightens"
            )
            found[key] = replace(current, previous=looser)
        return found

    def campaign(self, key: str) -> Campaign:
        path: PathKey = ("campaigns", key)
        raw: dict[str, Any] = self.get(path) or {}
        top = self.thresholds(("thresholds",))
        thresholds = top | self.thresholds((*path, "thresholds"), top)
        enforcement = raw.get("enforcement")
        assertions = {a.name: a for a in self.assertions(("assertions",))}
        assertions.update({a.name: a for a in self.assertions((*path, "assertions"))})
        trace_file = raw.get("trace_file")
        if trace_file is not None:
            base = self.m.base_dirs.get(self.m.origin((*path, "trace_file")).file) or Path.cwd()
            trace_file = str((base / trace_file).resolve())
        return Campaign(
            key=key,
            name_or_id=raw.get("campaign", key),
            trace_id=raw.get("trace_id"),
            trace_file=trace_file,
            mutation_pack_id=raw.get("mutation_pack_id"),
            thresholds=tuple(thresholds.values()),
            assertions=tuple(assertions.values()),
            enforcement=cast(Mode, enforcement) if isinstance(enforcement, str) else None,
            origin=self.m.key_origins.get(path, self.m.origin(path)),
            enforcement_origin=self.m.origins.get((*path, "enforcement")),
            stage=stage_of(
                enforcement if isinstance(enforcement, dict) else None, self.m.origins.get, path
            ),
            runs=self.run_plan(raw),
        )

    def statistics(self) -> Statistics:
        trials = self.get(("statistics", "trials"))
        icc = self.get(("statistics", "icc"))
        auto = icc == "auto"
        return Statistics(
            self.get(("statistics", "confidence")),
            trials,
            self.m.origins.get(("statistics", "trials")) if trials is not None else None,
            None if auto else _number(icc),
            icc_auto=auto,
        )

    def run_plan(self, raw: dict[str, Any]) -> RunPlan:
        """The campaign's run settings: its own keys over `gate:`'s (semantic checks vouched)."""

        def setting(key: str, default: Any) -> Any:
            return raw.get(key, self.get(("gate", key), default))

        repeat = int(setting("repeat", 1))
        max_runs = setting("max_runs", None)
        if fixed_k_of_n(raw):
            max_runs = None
        return RunPlan(
            repeat=repeat,
            max_runs=max_runs,
            aggregate=raw.get("aggregate", "median"),
            confidence=self.statistics().confidence,
            icc=self.statistics().icc,
            on_inconclusive=setting("on_inconclusive", "fail"),
            min_passing_runs=setting("min_passing_runs", None),
        )


OriginAt = Callable[[PathKey], Origin | None]


def stage_of(raw: Any, origin_at: OriginAt, path: PathKey) -> Stage | None:
    """A rule's own `enforcement` mapping (at `path`.enforcement) as a Stage; None when unset."""
    if not isinstance(raw, dict):
        return None
    at: PathKey = (*path, "enforcement")
    schedule = tuple(
        ScheduleEntry(
            date.fromisoformat(e["from"]),
            e["mode"],
            origin_at((*at, "schedule", i)) or DEFAULT_ORIGIN,
        )
        for i, e in enumerate(raw.get("schedule", []))
    )
    mode = raw.get("mode")
    return Stage(
        mode, origin_at((*at, "mode")) if mode else None, schedule, origin_at(at) or DEFAULT_ORIGIN
    )


def _threshold(key: str, raw: Any, origin_at: OriginAt, path: PathKey) -> Threshold:
    """A threshold as written: a bare limit, or {value, enforcement}."""
    value = limit_of(raw)
    at = (*path, "value") if isinstance(raw, dict) else path
    return Threshold(
        key,
        tuple(value) if isinstance(value, list) else value,
        origin_at(at) or origin_at(path) or DEFAULT_ORIGIN,
        stage_of(raw.get("enforcement") if isinstance(raw, dict) else None, origin_at, path),
    )


def _number(value: Any) -> float | None:
    """A schema-checked number as a float (YAML's `0` is an int), or None when unset."""
    return None if value is None else float(value)


def _leaves(value: Any, path: PathKey, merged: Merged) -> list[EffectiveValue]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k), merged)]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i), merged)]
    dotted = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
    return [EffectiveValue(dotted, value, merged.origin(path))]


def _owners(value: Any) -> tuple[str, ...] | Literal["codeowners"]:
    """`gate.policy_owners` as validated: the word codeowners, or names."""
    return "codeowners" if value == "codeowners" else tuple(str(v) for v in value)


def _digest(policy: Policy) -> str:
    content = asdict(policy)
    for key in (
        "path",
        "sources",
        "digest",
        "effective",
        "default_thresholds",
        "default_assertions",
        "floors",  # what a floor raised is in the content already
        "floor_settings",
        "recorded",  # the files' text: what they mean is in the content already
    ):
        content.pop(key)
    # Keys added later count only when set, so a policy without them keeps its digest.
    if not content["publish"]:
        content.pop("publish")
    if content["gate"]["reuse"] is None:
        content["gate"].pop("reuse")
    if content["enforcement"]["soft"] == {"reviewers": (), "label": None}:
        content["enforcement"].pop("soft")

    def strip(value: Any) -> Any:
        # Where a value was written does not change what the policy means; a rule staged
        # apart (issue 20) counts only when it is, so other policies keep their digest.
        if isinstance(value, dict):
            return {
                k: strip(v)
                for k, v in value.items()
                if not k.endswith("origin") and not (k in ("stage", "previous") and not v)
            }
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value.isoformat() if isinstance(value, date) else value

    canonical = json.dumps(strip(content), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _reuse(r: _Reader, merged: Merged) -> Reuse | None:
    data = r.get(("gate", "reuse"))
    if not isinstance(data, dict):
        return None
    return Reuse(tuple(data["paths"]), data["max_age"], merged.origins.get(("gate", "reuse")))


def _waiver_rules(r: _Reader, merged: Merged) -> WaiverRules:
    rules = {key: r.get(("waivers", key)) for key in ("max_days", "reason", "warn_days")}
    if all(value is None for value in rules.values()):
        return WaiverRules()
    set_at = next(merged.origins[("waivers", k)] for k, v in rules.items() if v is not None)
    return WaiverRules(rules["max_days"], rules["reason"], rules["warn_days"], set_at)


def recorded(sources: list[Source]) -> tuple[RecordedFile, ...]:
    """The files as a verdict records them: local ones with their text (while it fits), pinned
    URLs by their pin, each once, in merge order."""
    files: dict[str, RecordedFile] = {}
    for source in sources:
        if source.location in files:
            continue
        if source.pin is not None:  # a git file: by its repository and path, at its commit
            where = f"{source.pin.url}//{source.pin.path}"
            files[source.location] = RecordedFile("git", where, "commit:" + source.pin.commit)
        elif source.base_dir is None:
            files[source.location] = RecordedFile("url", source.location, "sha256:" + source.sha256)
        else:
            text = source.data.decode("utf-8")  # the loader refused anything else
            # Relative even outside the working directory (../central/base.yml), so replay can
            # lay the files out again as the policy's own relative extends name them.
            shown = Path(source.location)
            path = os.path.relpath(shown) if shown.is_absolute() else source.location
            files[source.location] = RecordedFile("file", Path(path).as_posix(), text=text)
    kept = tuple(files.values())
    if sum(len(f.text or "") for f in kept) <= MAX_RECORDED_CHARS:
        return kept
    return tuple(RecordedFile(f.kind, f.source, f.pin) for f in kept)


def build_policy(merged: Merged, sources: list[Source], path: str) -> Policy:
    """Build the typed policy; the data must already be free of diagnostics."""
    r = _Reader(merged)
    schedule = tuple(
        ScheduleEntry(
            date.fromisoformat(e["from"]), e["mode"], merged.origin(("enforcement", "schedule", i))
        )
        for i, e in enumerate(r.get(("enforcement", "schedule"), []))
    )
    waivers = tuple(
        Waiver(
            w["campaign"],
            w["check"],
            date.fromisoformat(w["until"]),
            w["reason"],
            merged.origin(("waivers", "entries", i)),
        )
        for i, w in enumerate(r.get(("waivers", "entries"), []))
    )
    seen: dict[str, str] = {}
    for source in sources:
        seen.setdefault(source.location, source.sha256)
    effective = _leaves(merged.data, (), merged)
    effective += [
        EffectiveValue(".".join(str(part) for part in p), v, DEFAULT_ORIGIN)
        for p, v in policy_defaults().items()
        if not merged.origins.get(p)
    ]
    policy = Policy(
        version=int(r.get(("version",), 1)),
        path=path,
        api=ApiSettings(
            r.get(("api", "base_url")),
            r.get(("api", "token_env")),
            r.get(("api", "auth_header")),
            r.get(("api", "project")),
        ),
        gate=GateSection(
            float(r.get(("gate", "timeout"))),
            int(r.get(("gate", "concurrency"))),
            r.get(("gate", "on_error")),
            r.get(("gate", "on_timeout")),
            r.get(("gate", "policy_changes")),
            _owners(r.get(("gate", "policy_owners"), ())),
            _reuse(r, merged),
            Budget(
                r.get(("gate", "budget", "runs"), None),
                r.get(("gate", "budget", "trials"), None),
                _number(r.get(("gate", "budget", "cost_per_trial"), None)),
            ),
        ),
        enforcement=EnforcementSettings(
            cast(Mode, r.get(("enforcement", "mode"))),
            merged.origins.get(("enforcement", "mode")),
            schedule,
            SoftReview(
                tuple(r.get(("enforcement", "soft", "reviewers"), [])),
                r.get(("enforcement", "soft", "label"), None),
            ),
        ),
        campaigns=tuple(r.campaign(key) for key in r.get(("campaigns",), {})),
        waivers=waivers,
        sources=tuple(PolicySource(loc, "sha256:" + digest) for loc, digest in seen.items()),
        digest="",
        effective=tuple(sorted(effective, key=lambda e: e.path)),
        default_thresholds=tuple(r.thresholds(("thresholds",)).values()),
        default_assertions=tuple(r.assertions(("assertions",))),
        waiver_rules=_waiver_rules(r, merged),
        statistics=r.statistics(),
        publish=bool(r.get(("publish",), False)),
        recorded=recorded(sources),
    )
    return Policy(**{**policy.__dict__, "digest": _digest(policy)})
