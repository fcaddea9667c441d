"""New vs existing failures against the baseline's same campaign (pure)."""

from __future__ import annotations

from gate_runner.governance.history.failures import (
    ToolFailure,
    classify_failures,
)


def _payload(*tools: tuple[str, int]) -> dict[str, object]:
    return {"top_failing_tools": [{"tool": t, "count": n} for t, n in tools]}


def test_a_tool_failing_before_is_existing_and_the_others_new() -> None:
    now = _payload(("payments.refund", 3), ("search", 1), ("mail", 0))
    then = _payload(("payments.refund", 1), ("calendar", 4))
    assert classify_failures(now, then) == (
        ToolFailure("payments.refund", 3, "existing", 1),
        ToolFailure("search", 1, "new"),
    )


def test_nothing_to_compare_is_no_answer_not_all_new() -> None:
    assert classify_failures(_payload(("search", 1)), {"pass_rate": 0.9}) is None
    assert classify_failures(_payload(("search", 1)), None) is None
    assert classify_failures({"top_failing_tools": "oops"}, _payload()) is None


def test_malformed_entries_are_skipped() -> None:
    now = {
        "top_failing_tools": [
            {"tool": "a"},
            {"count": 2},
            "b",
            {"tool": 3},
            {"tool": "c", "count": True},
        ]
    }
    assert classify_failures(now, _payload()) == (
        ToolFailure("a", None, "new"),
        ToolFailure("c", None, "new"),
    )
