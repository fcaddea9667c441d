"""One saved verdict judged again: by its own policy rebuilt with the candidate in place, or,
when it carries no policy, by the candidate alone; what flipped, check by check."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, Literal, get_args

from gate_runner.campaign_result import errored_result, judge_payload
from gate_runner.config.floors import BelowFloor
from gate_runner.config.recorded import Replacement, rebuild_policy, shown
from gate_runner.enforce import overall_outcome
from gate_runner.errors import PolicyError, ServiceError, ServiceErrorKind
from gate_runner.indented_json import Encoded
from gate_runner.policy import Campaign, Mode, Policy, RecordedFile
from gate_runner.repeats import judge_runs
from gate_runner.saved_payloads import saved_runs
from gate_runner.verdict import CampaignResult, DecisionPayload

# How a verdict was judged again: rebuilt (its own policy, the candidate in place), own (its
# own policy, which does not use the replaced file), candidate (it carries no policy).
Basis = Literal["rebuilt", "own", "candidate"]
SERVICE_ERROR_KINDS: tuple[str, ...] = get_args(ServiceErrorKind)


@dataclass(frozen=True)
class CheckFlip:
    """One check whose status changed: (status, value, bar) before and after."""

    id: str
    before: tuple[str, Any, Any] | None  # None: the check was not there
    after: tuple[str, Any, Any] | None


@dataclass(frozen=True)
class CampaignFlip:
    key: str
    before: str
    after: str
    blocking: bool  # under the candidate
    blocked_before: bool = False
    checks: tuple[CheckFlip, ...] = ()


@dataclass(frozen=True)
class FloorBreach:
    """A repository's setting below the candidate floor: its policy would be invalid."""

    setting: str
    value: Any  # the repository's (None: not set)
    floor_value: Any
    location: str  # the repository's file:line:col
    floor_location: str  # the floor's file:line
    message: str  # "<setting> 0.9 is below the floor's 0.91 (floor.yml:4): a looser bar"


@dataclass(frozen=True)
class Replayed:
    source: str
    repository: str | None
    commit: str | None
    started_at: str
    before: tuple[str, bool]  # outcome, blocking as recorded
    after: tuple[str, bool]  # outcome, blocking when judged again
    flips: tuple[CampaignFlip, ...]
    basis: Basis = "candidate"
    replaced: str | None = None  # the file the candidate stood in for
    # Its policy is invalid under the candidate (a floor its own settings are below): at check
    # time that is exit 2 and a blocked merge, so it counts as one (after: error, blocking).
    invalid: tuple[FloorBreach, ...] = ()
    # Its entry in the JSON report when it changed, written where it was judged (a worker):
    # the parent only joins them (issue 22: writing 100,000 entries alone was a serial tail).
    json_entry: Encoded | None = field(default=None, compare=False)

    @property
    def changed(self) -> bool:
        """A campaign flipped, or the gate's outcome or blocking did."""
        return bool(self.flips) or self.before != self.after


@dataclass(frozen=True)
class Candidate:
    """The candidate policy: loaded on its own (for verdicts without their policy) and as
    bytes (to stand in for the file it replaces)."""

    policy: Policy
    data: bytes
    path: str  # as given, relative to the working directory
    replaces: str | None = None  # --replaces URL|PATH
    env: Mapping[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None


@dataclass(frozen=True)
class _Asked:
    """What judge_payload asks of the options: no --enforcement override and no baseline."""

    enforcement: Mode | None = None
    baseline: Mapping[str, DecisionPayload] = field(default_factory=dict)


class Judge:
    """Judges saved verdicts; a policy rebuilt once serves every verdict that recorded it."""

    def __init__(self, candidate: Candidate, today: date) -> None:
        self.candidate, self.today = candidate, today
        # The caches of a replay: an organisation's verdicts share few policies (issue 22). A
        # Judge holds one candidate (its bytes, --replaces, env, cache_dir) and one day, so
        # the recorded files (kind, source, pin and text each) and the file the candidate
        # replaces are everything a rebuilt policy depends on, and the sources all `_target`
        # reads: an equal key can only mean an equal answer.
        self.built: dict[tuple[object, ...], Policy | tuple[FloorBreach, ...] | str] = {}
        self.targets: dict[tuple[str, ...], str | None] = {}

    def verdict(self, source: str, data: dict[str, Any]) -> Replayed | str:
        """The verdict judged again, or "source: why" when its policy cannot be rebuilt."""
        parts = _parts(data)
        judged: list[tuple[CampaignResult, dict[str, Any]]] = []
        basis: Basis = "candidate"
        replaced = None
        invalid: list[FloorBreach] = []
        if parts is None:
            for entry in data["campaigns"]:
                campaign = self.candidate.policy.defaults_campaign(str(entry["key"]))
                judged.append((self._campaign(self.candidate.policy, campaign, entry), entry))
        else:
            basis = "own"
            for prefix, files, entries in parts:
                target = self._target(files)
                policy = self._rebuilt(files, target)
                if isinstance(policy, str):
                    return f"{source}: cannot rebuild its policy: {policy}"
                if target is not None:
                    basis, replaced = "rebuilt", target
                if isinstance(policy, tuple):
                    invalid += policy  # none of its campaigns would run
                    continue
                for entry in entries:
                    key = str(entry["key"])
                    own = key.removeprefix(f"{prefix}/") if prefix else key
                    campaign = policy.campaign(own) or policy.defaults_campaign(own)
                    judged.append((self._campaign(policy, campaign, entry), entry))
        found = data.get("ci")
        ci: dict[str, Any] = found if isinstance(found, dict) else {}
        flips = tuple(f for r, e in judged if (f := _flip(r, e)) is not None)
        return Replayed(
            source=source,
            repository=_text(ci.get("repository")),
            commit=_text(ci.get("commit")),
            started_at=_started(data),
            before=(str(data.get("outcome")), data.get("blocking") is True),
            # An invalid policy is what check writes for one: outcome error, blocking.
            after=(
                ("error", True)
                if invalid
                else (
                    overall_outcome([r.outcome for r, _ in judged]),
                    any(r.blocking for r, _ in judged),
                )
            ),
            flips=flips,
            basis=basis,
            replaced=replaced,
            invalid=tuple(invalid),
        )

    def _target(self, files: Sequence[RecordedFile]) -> str | None:
        """The recorded file the candidate replaces, if this policy has it."""
        sources = tuple(f.source for f in files)
        if sources not in self.targets:
            self.targets[sources] = self._replaced_source(sources)
        return self.targets[sources]

    def _replaced_source(self, sources: tuple[str, ...]) -> str | None:
        wanted = self.candidate.replaces
        if wanted is not None:
            wanted = (
                wanted if _is_url(wanted) else PurePosixPath(os.path.normpath(wanted)).as_posix()
            )
            return wanted if wanted in sources else None
        if self.candidate.path in sources:
            return self.candidate.path
        name = PurePosixPath(self.candidate.path).name
        named = [s for s in sources if PurePosixPath(s.split("?")[0]).name == name]
        # Two files of one policy with the candidate's name: judged as ambiguous by replay().
        return "\n".join(named) if named else None

    def _rebuilt(
        self, files: Sequence[RecordedFile], target: str | None
    ) -> Policy | tuple[FloorBreach, ...] | str:
        """The policy; its settings below a floor when that alone makes it invalid; else why
        it cannot be rebuilt."""
        key = (tuple(files), target)
        found = self.built.get(key)
        if found is None:
            replacement = None
            if target is not None and "\n" not in target:
                replacement = Replacement(target, self.candidate.data)
            try:
                found = rebuild_policy(
                    files,
                    replacement,
                    env=self.candidate.env,
                    cache_dir=self.candidate.cache_dir,
                    today=self.today,
                )
            except PolicyError as error:
                first = error.diagnostics[0] if error.diagnostics else None
                below = _below_floor(error)
                found = below or shown(
                    f"{first.file}:{first.line}:{first.col}: {first.message}"
                    if first
                    else str(error)
                )
            except ValueError as error:
                found = str(error)
            self.built[key] = found
        return found

    def _campaign(
        self, policy: Policy, campaign: Campaign, entry: dict[str, Any]
    ) -> CampaignResult:
        """The campaign judged as the gate judges it: each run alone, then the runs together."""
        asked = _Asked()
        payloads = saved_runs({"campaigns": [entry]}).get(str(entry["key"]))
        payload = entry.get("payload")
        if not payloads and isinstance(payload, dict) and entry.get("status") in (None, "done"):
            payloads = [payload]
        if not payloads:
            # No decision was reached then; the policy's on_error/on_timeout judge that.
            error = entry.get("error")
            kind = error.get("kind") if isinstance(error, dict) else None
            known = kind if kind in SERVICE_ERROR_KINDS else "payload"
            failure = ServiceError(known, str(kind or "no decision"))  # type: ignore[arg-type]
            return errored_result(policy, campaign, failure, asked, self.today, status="error")
        runs = [
            judge_payload(policy, campaign, p, asked, self.today, run_id=None, duration=None)
            for p in payloads
        ]
        return judge_runs(policy, campaign, runs, today=self.today, last_chance="planned").result


def _below_floor(error: PolicyError) -> tuple[FloorBreach, ...]:
    """Each setting below a floor, when that is every problem (else: not only a floor's)."""
    found = []
    for diagnostic in error.diagnostics:
        below = diagnostic.below if isinstance(diagnostic, BelowFloor) else None
        if below is None:
            return ()
        at, floor_at = below.origin, below.floor_origin
        found.append(
            FloorBreach(
                below.setting,
                below.value,
                below.floor_value,
                shown(f"{at.file}:{at.line}:{at.col}"),
                shown(f"{floor_at.file}:{floor_at.line}"),
                shown(below.message),
            )
        )
    return tuple(found)


def _parts(
    data: dict[str, Any],
) -> list[tuple[str | None, list[RecordedFile], list[dict[str, Any]]]] | None:
    """Each policy the verdict was judged by, with its files and its campaigns; None when the
    verdict records no policy (written before verdicts carried one, or not loaded)."""
    policies = data.get("policies")
    campaigns: list[dict[str, Any]] = data["campaigns"]
    if isinstance(policies, list) and policies:
        found = []
        for part in policies:
            if not isinstance(part, dict):
                return None
            files = _files(part.get("files"))
            keys = part.get("campaigns")
            if files is None or not isinstance(keys, list):
                return None
            prefix = part.get("prefix") if isinstance(part.get("prefix"), str) else None
            found.append((prefix, files, [c for c in campaigns if c["key"] in keys]))
        return found
    policy = data.get("policy")
    files = _files(policy.get("files") if isinstance(policy, dict) else None)
    return None if files is None else [(None, files, campaigns)]


def _files(value: Any) -> list[RecordedFile] | None:
    if not isinstance(value, list) or not value:
        return None
    files = []
    for item in value:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("kind", "source")
        ):
            return None
        pin, text = item.get("pin"), item.get("text")
        if item["kind"] == "file" and not isinstance(text, str):
            return None  # left out for size: nothing to rebuild from, so the candidate alone
        files.append(
            RecordedFile(
                item["kind"],
                item["source"],
                pin if isinstance(pin, str) else None,
                text if isinstance(text, str) else None,
            )
        )
    return files


def _flip(result: CampaignResult, entry: dict[str, Any]) -> CampaignFlip | None:
    before = str(entry.get("outcome"))
    if result.outcome == before:
        return None
    recorded = {str(c.get("id")): c for c in entry.get("checks") or () if isinstance(c, dict)}
    now = {c.id: c for c in result.checks}
    checks = []
    for check_id in [*recorded, *(i for i in now if i not in recorded)]:
        old, new = recorded.get(check_id), now.get(check_id)
        was = (str(old.get("status")), old.get("actual"), old.get("expected")) if old else None
        is_ = (new.status, new.actual, new.expected) if new else None
        # A flip is a status that changed; a check one side lacks counts when it did not pass.
        if (was[0] if was else "pass") != (is_[0] if is_ else "pass"):
            checks.append(CheckFlip(check_id, was, is_))
    return CampaignFlip(
        str(entry["key"]),
        before,
        result.outcome,
        result.blocking,
        entry.get("blocking") is True,
        tuple(checks),
    )


def _is_url(text: str) -> bool:
    """A URL, or a git file's URL//path (file:// too): named as recorded, never normalised."""
    return "://" in text


def _started(data: dict[str, Any]) -> str:
    timings = data.get("timings")
    started = timings.get("started_at") if isinstance(timings, dict) else None
    return started if isinstance(started, str) else ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
