"""Fault declarations of a sandbox scenario and the book that decides which one hits a request."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

FaultKind = Literal[
    "status",
    "reset",
    "slow",
    "truncated",
    "array",
    "wrong_types",
    "missing_fields",
    "run_failed",
    "never_finishes",
    "no_run_id",
    "oversized",
    "redirect",
    "drip",
    "unsafe_json",
]
UnsafeVariant = Literal["huge_integer", "lone_surrogate"]
Target = Literal["campaigns", "create", "poll", "reliability", "failures", "traces", "any"]

DEFAULT_OVERSIZED_BYTES = 16 * 1024 * 1024
DEFAULT_DRIP_DELAY = 1.0  # seconds between two bytes of a dripped answer

# Options that only mean something for some kinds: a stray one is almost always a typo'd kind.
_OPTION_KINDS: dict[str, tuple[str, ...]] = {
    "status": ("status", "redirect", "unsafe_json"),
    "retry_after": ("status",),
    "detail": ("status",),
    "delay": ("slow", "drip"),
    "fields": ("wrong_types", "missing_fields"),
    "value": ("wrong_types",),
    "size": ("oversized",),
    "location": ("redirect",),
    "variant": ("unsafe_json",),
    "processed": ("status", "reset", "redirect"),
}
# Kinds that change what a run looks like, so they only make sense on one kind of endpoint.
_KIND_TARGETS: dict[str, Target] = {
    "run_failed": "poll",
    "never_finishes": "poll",
    "no_run_id": "create",
}


@dataclass(frozen=True)
class Fault:
    """One declared fault; see the scenario schema for what each kind does."""

    kind: FaultKind
    on: Target
    times: int | None = None
    after: int = 0
    status: int | None = None
    retry_after: float | str | None = None
    detail: str | None = None
    delay: float = 0.0
    fields: tuple[str, ...] | None = None
    has_value: bool = False
    value: Any = None
    size: int = DEFAULT_OVERSIZED_BYTES
    location: str | None = None
    processed: bool = False
    variant: UnsafeVariant = "huge_integer"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build from a schema-valid mapping (validation is the scenario loader's job)."""
        fields = data.get("fields")
        return cls(
            kind=cast(FaultKind, data["kind"]),
            on=cast(Target, data["on"]),
            times=data.get("times"),
            after=int(data.get("after", 0)),
            status=data.get("status"),
            retry_after=data.get("retry_after"),
            detail=data.get("detail"),
            delay=float(data.get("delay", DEFAULT_DRIP_DELAY if data["kind"] == "drip" else 0.0)),
            fields=tuple(fields) if fields is not None else None,
            has_value="value" in data,
            value=data.get("value"),
            size=int(data.get("size", DEFAULT_OVERSIZED_BYTES)),
            location=data.get("location"),
            processed=bool(data.get("processed", False)),
            variant=cast(UnsafeVariant, data.get("variant", "huge_integer")),
        )

    def applies_to(self, target: Target) -> bool:
        """Whether a request to an endpoint of this target can be hit by this fault."""
        if self.on not in (target, "any"):
            return False
        only = _KIND_TARGETS.get(self.kind)
        return only is None or only == target


def fault_problems(data: Mapping[str, Any]) -> list[str]:
    """Semantic problems of a schema-valid fault mapping, each naming the option at fault."""
    kind = str(data.get("kind"))
    problems = []
    for option, kinds in _OPTION_KINDS.items():
        if option in data and kind not in kinds:
            allowed = " or ".join(kinds)
            problems.append(f"`{option}` applies only to kind {allowed}, not {kind}")
    return problems


class FaultBook:
    """Counts matching requests per fault and picks the fault, if any, that hits a request.

    Every fault counts every request it matches, active or not, so faults on one
    endpoint line up on one timeline: `{times: 2}` then `{after: 2, times: 1}` is
    two of the first, then one of the second.
    """

    def __init__(
        self, global_faults: Sequence[Fault], campaign_faults: Mapping[str, Sequence[Fault]]
    ) -> None:
        self._global = tuple(global_faults)
        self._by_campaign = {cid: tuple(faults) for cid, faults in campaign_faults.items()}
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def pick(self, target: Target, campaign_id: str | None) -> Fault | None:
        """The first active fault for this request (campaign faults before global ones)."""
        candidates: list[tuple[tuple[str, int], Fault]] = []
        if campaign_id is not None:
            own = self._by_campaign.get(campaign_id, ())
            candidates.extend(((campaign_id, i), fault) for i, fault in enumerate(own))
        candidates.extend((("", i), fault) for i, fault in enumerate(self._global))
        chosen: Fault | None = None
        with self._lock:
            for key, fault in candidates:
                if not fault.applies_to(target):
                    continue
                seen = self._counts.get(key, 0)
                self._counts[key] = seen + 1
                active = seen >= fault.after and (
                    fault.times is None or seen < fault.after + fault.times
                )
                if active and chosen is None:
                    chosen = fault
        return chosen
