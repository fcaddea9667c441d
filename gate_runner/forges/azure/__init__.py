"""Azure DevOps: a pull request status per status (no reviews, no comment yet)."""

from __future__ import annotations

from gate_runner.forges.azure import statuses
from gate_runner.forges.interface import PostComment, Publish, ReadOwnerApprovals, RequestReview

NAME = "azure"
TITLE = "Azure DevOps"
TOKEN_VARIABLES: tuple[str, ...] = statuses.TOKEN_VARIABLES
publish: Publish = statuses.publish
request_review: RequestReview | None = None
post_comment: PostComment | None = None
read_approvals: ReadOwnerApprovals | None = None
