"""Resolve campaign names to ids from the one campaign list fetched per gate."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from gate_runner.api.client import is_uuid
from gate_runner.errors import ServiceError


def _campaign_id(item: dict[str, Any]) -> str | None:
    for field in ("campaign_id", "id"):
        value = item.get(field)
        if isinstance(value, str) and value:
            return value
    return None


def resolve_campaign(wanted: str, campaigns: Sequence[dict[str, Any]]) -> str:
    """The id of ``wanted`` (a uuid or a name); a ServiceError when it cannot be told."""
    ids = {_campaign_id(item) for item in campaigns} - {None}
    if wanted in ids:
        return wanted
    matches = sorted(
        {cid for item in campaigns if item.get("name") == wanted and (cid := _campaign_id(item))}
    )
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise ServiceError(
            "not_found",
            f"campaign name {wanted!r} is ambiguous ({len(matches)} campaigns: "
            f"{', '.join(matches)}); name it by uuid",
        )
    if is_uuid(wanted):
        # Not in the list (it may be paginated or filtered): let the create decide.
        return wanted
    names = sorted({n for item in campaigns if isinstance(n := item.get("name"), str)})
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(n) for n in close)}?" if close else ""
    return _not_found(wanted, len(names), hint)


def _not_found(wanted: str, known: int, hint: str) -> str:
    raise ServiceError(
        "not_found", f"campaign {wanted!r} not found among the {known} campaigns visible{hint}"
    )
