"""What one forge provides, behind one Protocol: tokens, statuses, review, comment, approvals."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from gate_runner.forges.review import ReviewSettings
from gate_runner.forges.statuses import Status
from gate_runner.governance.owner_approval import Approvals, Owners
from gate_runner.verdict import CIContext, Verdict

Environment = Mapping[str, str]
# Each takes `deadline` (time.monotonic()): the end of every call it makes (forges.http).
Publish = Callable[[list[Status], CIContext, Environment, float], list[str]]
RequestReview = Callable[[Verdict, ReviewSettings, Environment, float], list[str]]
# Create or update the sticky comment; raises comment.CommentError with the user's warning.
PostComment = Callable[[CIContext, Environment, str, float], None]
# Which policy owners approved the pull request's head commit (never raises for a forge's
# answer: what went wrong is Approvals.problem).
ReadOwnerApprovals = Callable[[Owners, CIContext, Environment, float], Approvals]


@runtime_checkable
class Forge(Protocol):
    """A forge's package (gate_runner/forges/<name>/__init__.py) is one of these.

    `NAME` is the CI vendor it serves (gate_runner.ci detects it); `TOKEN_VARIABLES` are
    secrets.FORGE_TOKEN_VARIABLES[NAME], the variables its calls may send; `TITLE` is how
    warnings name it. A forge without reviews, a comment or approvals sets that entry to None.
    """

    NAME: str
    TITLE: str
    TOKEN_VARIABLES: tuple[str, ...]
    publish: Publish
    request_review: RequestReview | None
    post_comment: PostComment | None
    read_approvals: ReadOwnerApprovals | None
