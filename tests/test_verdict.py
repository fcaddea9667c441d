"""The verdict model's with_changes: dataclasses.replace's answer without rebuilding."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from gate_runner import verdict
from gate_runner.verdict import Check, JudgedBar, Location, with_changes


def _check() -> Check:
    return Check(
        "threshold:min_pass_rate", "threshold", "min_pass_rate", "fail", "error",
        "pass_rate 0.8 < 0.9", expected=0.9, actual=0.8, location=Location("p.yml", 3, 5),
    )  # fmt: skip


def test_with_changes_gives_what_replace_gives_and_leaves_the_original() -> None:
    check = _check()
    bars = (JudgedBar(0.9, "fail", "hard", "p.yml:3:5", None),)
    changed = with_changes(check, mode="soft", mode_from="p.yml:1:1 rule", bars=bars)
    expected = dataclasses.replace(check, mode="soft", mode_from="p.yml:1:1 rule", bars=bars)
    assert changed == expected and hash(changed) == hash(expected)
    assert type(changed) is Check and changed is not check
    assert (check.mode, check.mode_from, check.bars) == (None, None, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.status = "pass"  # type: ignore[misc]


def test_with_changes_refuses_a_field_the_model_lacks() -> None:
    with pytest.raises(TypeError, match="Check has no field colour"):
        with_changes(_check(), colour="red")


def test_no_model_needs_its_init_run() -> None:
    # with_changes skips __init__: sound only while no model checks or derives in one.
    models = [m for _, m in inspect.getmembers(verdict, dataclasses.is_dataclass)]
    assert models and all(not hasattr(m, "__post_init__") for m in models)
    assert all(m.__dataclass_params__.frozen for m in models)  # type: ignore[attr-defined]
