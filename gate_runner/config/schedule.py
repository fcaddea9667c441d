"""The enforcement mode in force on a given day, from the policy's mode and staged schedule."""

from __future__ import annotations

from datetime import date

from gate_runner.policy import EnforcementSettings, Mode, ScheduleEntry


def mode_for_date(settings: EnforcementSettings, today: date) -> tuple[Mode, ScheduleEntry | None]:
    """The last schedule entry whose date has come wins; before the first one, the policy's mode."""
    current: ScheduleEntry | None = None
    for entry in settings.schedule:
        if entry.start <= today and (current is None or entry.start >= current.start):
            current = entry
    if current is None:
        return settings.mode, None
    return current.mode, current
