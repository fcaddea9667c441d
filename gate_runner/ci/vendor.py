"""What one CI vendor module provides: detection, context, workspace, mask lines, target branch."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gate_runner.ci.git import GitRunner

if TYPE_CHECKING:
    from gate_runner.verdict import CIContext

Environment = Mapping[str, str]
MaskLines = Callable[[Sequence[str]], str]


@dataclass(frozen=True)
class Vendor:
    name: str
    applies: Callable[[Environment], bool]
    context: Callable[[Environment, GitRunner], CIContext]
    # The variable holding the checkout's root: where repository-relative paths start.
    workspace_variables: tuple[str, ...] = ()
    # The log lines that make the CI hide each secret, printed before anything else.
    mask_lines: MaskLines | None = None
    # False when the vendor's checkout may be a commit that exists only on the agent, so
    # `git rev-parse HEAD` must not stand in for a commit the vendor module left unknown.
    head_is_the_commit: bool = True
    # The branch a pull request merges into (`--policy-ref auto`, `diff`), from the variable
    # the vendor documents; None outside a pull request build, or a vendor that has none.
    target_branch: Callable[[Environment], str | None] | None = None
    target_branch_variable: str | None = None
