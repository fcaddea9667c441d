"""The sandbox scenario: campaigns, the metrics their runs produce, and faults, loaded from YAML."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from gate_runner.errors import UsageError
from gate_runner.sandbox.faults import Fault, fault_problems

DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 - a well-known local value, not a secret
# Stable ids: the same campaign name gets the same uuid on every machine and every start.
_CAMPAIGN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gate-runner.dev/sandbox/campaigns")

RunMode = Literal["run", "batch"]


def campaign_uuid(name: str) -> str:
    """The default id of a campaign: a uuid5 of its name."""
    return str(uuid.uuid5(_CAMPAIGN_NAMESPACE, name))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (shipped in the package)."""
    text = resources.files("gate_runner").joinpath("schemas/scenario.schema.json").read_text()
    return cast(dict[str, Any], json.loads(text))


@dataclass(frozen=True)
class ToolFailures:
    tool: str
    count: int


@dataclass(frozen=True)
class RandomRate:
    """A random agent's pass rate: each run's rate drawn from a Beta of mean `true` and
    intra-class correlation `icc` (0: the rate is `true`), its successes Binomial(trials, rate)."""

    true: float
    trials: int
    icc: float = 0.0


@dataclass(frozen=True)
class Metrics:
    """What every run of a campaign produces; reliability_score is on 0-100."""

    pass_rate: float = 1.0
    unsafe_attempts: int = 0
    failures: int = 0
    reliability_score: float = 100.0
    top_failing_tools: tuple[ToolFailures, ...] = ()
    mutation_categories: tuple[str, ...] = ()
    mutation_coverage_score: float = 100.0
    # pass_rate: {true, trials, icc}: each run draws its own pass rate (Run.drawn); pass_rate is
    # then the true rate, answered by no run.
    random_pass_rate: RandomRate | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Metrics:
        tools = tuple(
            ToolFailures(t["tool"], int(t["count"])) for t in data.get("top_failing_tools", [])
        )
        rate = data.get("pass_rate", 1.0)
        random_rate = None
        if isinstance(rate, Mapping):
            random_rate = RandomRate(
                float(rate["true"]), int(rate["trials"]), float(rate.get("icc", 0.0))
            )
            rate = rate["true"]
        return cls(
            random_pass_rate=random_rate,
            pass_rate=float(rate),
            unsafe_attempts=int(data.get("unsafe_attempts", 0)),
            failures=int(data.get("failures", 0)),
            reliability_score=float(data.get("reliability_score", 100.0)),
            top_failing_tools=tools,
            mutation_categories=tuple(data.get("mutation_categories", [])),
            mutation_coverage_score=float(data.get("mutation_coverage_score", 100.0)),
        )


@dataclass(frozen=True)
class CampaignSpec:
    """One campaign the sandbox serves."""

    name: str
    id: str
    duration: float = 1.0
    mode: RunMode = "run"
    trace_count: int = 3
    scenario_coverage_pct: float = 100.0
    reliability_in_run: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    extra: Mapping[str, Any] = field(default_factory=dict)
    faults: tuple[Fault, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CampaignSpec:
        return cls(
            name=data["name"],
            id=str(data.get("id") or campaign_uuid(data["name"])).lower(),
            duration=float(data.get("duration", 1.0)),
            mode=cast(RunMode, data.get("mode", "run")),
            trace_count=int(data.get("trace_count", 3)),
            scenario_coverage_pct=float(data.get("scenario_coverage_pct", 100.0)),
            reliability_in_run=bool(data.get("reliability_in_run", False)),
            metrics=Metrics.from_dict(data.get("metrics", {})),
            extra=dict(data.get("extra", {})),
            faults=tuple(Fault.from_dict(f) for f in data.get("faults", [])),
        )


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file."""

    campaigns: tuple[CampaignSpec, ...]
    token: str | None = None
    reliability_scale: int = 1
    faults: tuple[Fault, ...] = ()
    seed: int | str = 0  # of the random metrics: same seed, same sequence of runs

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<scenario>") -> Scenario:
        """Validate against the scenario schema; every problem goes into one UsageError."""
        plain = json.loads(json.dumps(data, default=str))
        problems = _problems(plain)
        if problems:
            raise UsageError("\n".join(f"{source}: {p}" for p in problems))
        return cls(
            campaigns=tuple(CampaignSpec.from_dict(c) for c in plain["campaigns"]),
            token=plain.get("token"),
            reliability_scale=int(plain.get("reliability_scale", 1)),
            faults=tuple(Fault.from_dict(f) for f in plain.get("faults", [])),
            seed=plain.get("seed", 0),
        )

    def campaign(self, campaign_id: str) -> CampaignSpec | None:
        wanted = campaign_id.lower()
        return next((c for c in self.campaigns if c.id == wanted), None)


def load_scenario(path: Path) -> Scenario:
    """Read, parse and validate a scenario file; any problem is a UsageError naming the file."""
    import yaml  # heavy import, only needed when a file is loaded

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read scenario file: {exc}") from exc
    try:
        data = yaml.load(text, Loader=_yaml_1_2_booleans())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise UsageError(f"{where}: invalid YAML: {problem}") from exc
    if not isinstance(data, Mapping):
        raise UsageError(f"{path}: a scenario must be a mapping with a `campaigns` list")
    return Scenario.from_dict(data, source=str(path))


@functools.cache
def _yaml_1_2_booleans() -> type[Any]:
    """A SafeLoader where only true/false are booleans (YAML 1.1 reads the key `on:` as True)."""
    import yaml  # heavy import, only needed when a file is loaded

    class Loader(yaml.SafeLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return Loader


def _where(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _problems(data: Any) -> list[str]:
    import jsonschema  # heavy import, only needed to validate

    validator = jsonschema.Draft202012Validator(scenario_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    problems = [f"{_where(e.absolute_path)}: {e.message}" for e in errors]
    if problems:
        return problems
    names: set[str] = set()
    ids: set[str] = set()
    for i, camp in enumerate(data["campaigns"]):
        cid = str(camp.get("id") or campaign_uuid(camp["name"])).lower()
        if camp["name"] in names:
            problems.append(f"campaigns[{i}].name: duplicate campaign name {camp['name']!r}")
        if cid in ids:
            problems.append(f"campaigns[{i}].id: duplicate campaign id {cid}")
        names.add(camp["name"])
        ids.add(cid)
        for j, fault in enumerate(camp.get("faults", [])):
            problems.extend(f"campaigns[{i}].faults[{j}]: {p}" for p in fault_problems(fault))
    for j, fault in enumerate(data.get("faults", [])):
        problems.extend(f"faults[{j}]: {p}" for p in fault_problems(fault))
    return problems
