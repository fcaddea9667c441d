"""What changed in a threshold or an assertion, and why, in the policy diff's words (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gate_runner.governance.diff.diff_rules import KEYS, classify
from gate_runner.policy import Assertion, EffectiveValue, Origin
from gate_runner.thresholds import THRESHOLDS, Effect


def assertion_changes(
    b: Assertion | None, h: Assertion | None
) -> Iterator[tuple[str, Any, Any, Effect, str]]:
    """One assertion's changes: (path suffix, before, after, effect, reason)."""
    if b is None or h is None:
        shown = b or h
        assert shown is not None
        entry = {"expr": shown.expr, "level": shown.level}
        if b is None:
            yield (
                "",
                None,
                entry,
                "tightens" if h and h.level == "error" else "neutral",
                "a new assertion",
            )
        else:
            yield (
                "",
                entry,
                None,
                "loosens" if b.level == "error" else "neutral",
                "an assertion removed",
            )
        return
    for field in ("level", "expr", "message"):
        before, after = getattr(b, field), getattr(h, field)
        if before != after:
            # An expression changed cannot be judged stricter: a person must read it.
            cls = KEYS[f"assertions[].{field}"]
            why = cls.why.format(before=before, after=after)
            yield f".{field}", before, after, classify(cls, before, after), why


def field_origin(
    effective: tuple[EffectiveValue, ...], prefix: str, name: str, field: str
) -> Origin | None:
    """Where one field of a named assertion was written (its `level:` line, say)."""
    if not field:
        return None
    by_path = {e.path: e for e in effective}
    for entry in effective:
        if entry.value == name and re.fullmatch(rf"{re.escape(prefix)}\[\d+\]\.name", entry.path):
            found = by_path.get(entry.path[: -len("name")] + field)
            return found.origin if found else None
    return None


def is_inherited(item: object, defaults: tuple[object, ...]) -> bool:
    """Absent, or exactly the policy-wide default: a change there is reported once, up top."""
    return item is None or item in defaults


def plain(value: Any) -> Any:
    """A value as JSON shows it (a tuple of categories is a list)."""
    return list(value) if isinstance(value, tuple) else value


def limit_changed(key: str, before: Any, after: Any) -> str:
    """Why a threshold's limit changed, in the diff's words."""
    if key in THRESHOLDS and THRESHOLDS[key].looser == "fewer":
        return "required categories changed"
    return f"{key} {'lowered' if after < before else 'raised'}"
