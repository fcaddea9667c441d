"""The validated policy: frozen dataclasses that every layer above the loader reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

# Re-exported (the "as" form is mypy's explicit re-export): Origin lives apart so the loader
# can record positions without generating this module's dataclasses.
from gate_runner.provenance import Origin as Origin  # noqa: PLC0414
from gate_runner.statistics import Budget, RunPlan

Mode = Literal["observe", "soft", "hard"]
ErrorPolicy = Literal["fail", "pass"]
Level = Literal["error", "warn"]
PolicyChangesSetting = Literal["allow", "review", "block"]

MODES: tuple[Mode, ...] = ("observe", "soft", "hard")
# The stricter mode ranks higher (a policy diff, a floor: a lower rank is looser).
MODE_RANK: dict[str, int] = {mode: rank for rank, mode in enumerate(MODES)}
# on_error / on_timeout / on_inconclusive: the nearer to "pass", the looser.
OUTCOME_RANK: dict[str, int] = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class ScheduleEntry:
    start: date
    mode: Mode
    origin: Origin


@dataclass(frozen=True)
class Stage:
    """A rule's own `enforcement` (an assertion's, a campaign's or a threshold's): staged
    apart from every other rule. `mode` acts before the schedule's first date."""

    mode: Mode | None
    mode_origin: Origin | None
    schedule: tuple[ScheduleEntry, ...]
    origin: Origin  # where `enforcement:` was written

    def mode_on(self, today: date) -> tuple[Mode, ScheduleEntry | None] | None:
        """The rule's mode on `today` and the entry that set it; None: it has none of its own."""
        current = None
        for entry in self.schedule:
            if entry.start <= today:
                current = entry
        if current is not None:
            return current.mode, current
        return (self.mode, None) if self.mode is not None else None


@dataclass(frozen=True)
class Threshold:
    key: str
    value: float | int | tuple[str, ...]
    origin: Origin
    stage: Stage | None = None
    # The looser bars this one tightened (an extended file's, the policy-wide one), each
    # still judging at its own mode until this one's stage reaches it (enforce.py).
    previous: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class Assertion:
    name: str
    expr: str
    level: Level
    message: str | None
    origin: Origin
    stage: Stage | None = None


@dataclass(frozen=True)
class Campaign:
    """One campaign to run, with its thresholds and assertions already merged with the defaults."""

    key: str
    name_or_id: str  # the Sepurux campaign this runs: its name, or its uuid
    trace_id: str | None
    trace_file: str | None  # absolute path, resolved against the declaring file
    mutation_pack_id: str | None
    thresholds: tuple[Threshold, ...]
    assertions: tuple[Assertion, ...]
    enforcement: Mode | None
    origin: Origin
    enforcement_origin: Origin | None = None
    stage: Stage | None = None  # `enforcement: {mode, schedule}` (the string form: enforcement)
    # repeat, max_runs, aggregate, confidence, on_inconclusive, min_passing_runs, merged
    # from `gate:`, the campaign and `statistics:` (docs/statistics.md).
    runs: RunPlan = field(default_factory=RunPlan)
    # The trace's bytes when they were read with the policy (`--policy-ref`: from the ref's
    # git objects, so a pull request cannot swap the trace); None: read trace_file at upload.
    trace_data: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Statistics:
    """The top-level `statistics:`: how sure a decision must be, and where the trial count is."""

    confidence: float | None = None
    trials: str | None = None  # JMESPath over a payload giving its attempt count, e.g. trace_count
    trials_origin: Origin | None = None  # where `trials` was written, for the errors it causes
    icc: float | None = None  # declared intra-class correlation; None: the run-rates rule
    # statistics.icc: auto (issue 22): `check` estimates ρ per campaign from the --store's
    # recorded runs (governance/history/icc_estimate.py); icc stays None until it does.
    icc_auto: bool = False


@dataclass(frozen=True)
class Waiver:
    campaign: str  # a campaign key
    check: str  # a threshold key or an assertion name
    until: date
    reason: str
    origin: Origin


@dataclass(frozen=True)
class WaiverRules:
    """``waivers.max_days``, ``waivers.reason`` (a regex) and ``waivers.warn_days``."""

    max_days: int | None = None
    reason: str | None = None  # every waiver's reason must contain a match (re.search)
    warn_days: int | None = None
    origin: Origin | None = None  # where the rules were set, for messages


@dataclass(frozen=True)
class ApiSettings:
    base_url: str
    token_env: str
    auth_header: str
    project: str | None


@dataclass(frozen=True)
class Reuse:
    """`gate.reuse`: which paths a campaign's result depends on, and how old it may be."""

    paths: tuple[str, ...]  # git pathspecs, as written
    max_age: str  # as written: "12h", "7d"
    origin: Origin | None = None

    @property
    def max_age_s(self) -> int:
        """max_age in seconds (the schema allows only a number and m, h or d)."""
        return int(self.max_age[:-1]) * _UNIT_SECONDS[self.max_age[-1]]


_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class GateSection:
    """The policy's `gate:` section as written (settings.ResolvedGate is what a run uses)."""

    timeout: float
    concurrency: int
    on_error: ErrorPolicy
    on_timeout: ErrorPolicy
    # What a loosening change gets under `check --policy-ref`; read from the base policy.
    policy_changes: PolicyChangesSetting = "review"
    # Who may approve a loosening under `review` (users, org/team, group/path), or
    # "codeowners": the policy file's owners in the base ref's CODEOWNERS. Read from the base.
    policy_owners: tuple[str, ...] | Literal["codeowners"] = ()
    reuse: Reuse | None = None  # off unless the policy sets gate.reuse (issue 21)
    # `gate.budget` (issue 21): what the whole gate may spend; Budget() caps nothing.
    budget: Budget = field(default_factory=Budget)


@dataclass(frozen=True)
class SoftReview:
    """`enforcement.soft`: who soft mode requests on a pull request, and the label it sets."""

    reviewers: tuple[str, ...] = ()
    label: str | None = None

    @property
    def users(self) -> tuple[str, ...]:
        return tuple(r.lstrip("@") for r in self.reviewers if "/" not in r)

    @property
    def teams(self) -> tuple[str, ...]:
        # "@acme/reliability" or "acme/reliability": forges want the team's slug.
        return tuple(r.lstrip("@").split("/", 1)[1] for r in self.reviewers if "/" in r)


@dataclass(frozen=True)
class EnforcementSettings:
    mode: Mode
    mode_origin: Origin | None
    schedule: tuple[ScheduleEntry, ...]
    soft: SoftReview = field(default_factory=SoftReview)

    def mode_on(self, today: date) -> tuple[Mode, ScheduleEntry | None]:
        """The mode on `today`: the last schedule entry whose date has come, else `mode`."""
        current = None
        for entry in self.schedule:
            if entry.start <= today:
                current = entry
        return (current.mode, current) if current else (self.mode, None)


@dataclass(frozen=True)
class PolicySource:
    """A file that went into the effective policy, in merge order (parents first)."""

    location: str
    sha256: str


@dataclass(frozen=True)
class RecordedFile:
    """One file of the policy as a verdict records it, so `replay` can rebuild the policy.

    kind "file": a local file (source: its path as shown, text: its contents, None when the
    policy was too large to record); kind "url": a pinned extends (pin: "sha256:<hex>"),
    fetched again by its pin. Other kinds (a git pin) fit the same three names.
    """

    kind: str
    source: str
    pin: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class EffectiveValue:
    """One leaf of the effective policy, for ``gate-runner explain``."""

    path: str  # dotted, e.g. "campaigns.core.thresholds.min_pass_rate"
    value: object
    origin: Origin


@dataclass(frozen=True)
class FloorSetting:
    """A setting below a `--floor`: the floor's value judges it (the `policy:floor` check)."""

    setting: str  # dotted, as `explain` shows it
    value: object  # the repository's (None: not set)
    floor_value: object
    origin: Origin  # the repository's setting
    floor_origin: Origin  # the floor's
    message: str


@dataclass(frozen=True)
class Policy:
    version: int
    path: str  # the file the user named
    api: ApiSettings
    gate: GateSection
    enforcement: EnforcementSettings
    campaigns: tuple[Campaign, ...]
    waivers: tuple[Waiver, ...]
    sources: tuple[PolicySource, ...]
    digest: str  # "sha256:<hex>" of the canonical effective policy
    effective: tuple[EffectiveValue, ...] = field(default=())
    # The policy-wide thresholds and assertions every campaign starts from; a central
    # policy file that declares no campaign of its own is tested against these.
    default_thresholds: tuple[Threshold, ...] = field(default=())
    default_assertions: tuple[Assertion, ...] = field(default=())
    waiver_rules: WaiverRules = field(default=WaiverRules())
    statistics: Statistics = field(default_factory=Statistics)
    publish: bool = False  # post forge-native statuses, as `check --publish` does
    # `check --floor`: the floors applied (as named) and each setting they raised.
    floors: tuple[str, ...] = ()
    floor_settings: tuple[FloorSetting, ...] = ()
    # Other variables the policy's files name whose values are secret (an extends auth.env,
    # another file's api.token_env): scrubbed from every output as the API token is.
    secret_envs: tuple[str, ...] = ()
    # Its files in merge order (parents first), as a verdict records them for `replay`.
    recorded: tuple[RecordedFile, ...] = ()

    def campaign(self, key: str) -> Campaign | None:
        return next((c for c in self.campaigns if c.key == key), None)

    def defaults_campaign(self, key: str) -> Campaign:
        """A campaign this policy does not declare, judged by its policy-wide thresholds and
        assertions (policy tests of a central file; replay of a verdict without its policy)."""
        return Campaign(
            key=key,
            name_or_id=key,
            trace_id=None,
            trace_file=None,
            mutation_pack_id=None,
            thresholds=self.default_thresholds,
            assertions=self.default_assertions,
            enforcement=None,
            origin=Origin(self.path, 1, 1),
        )
