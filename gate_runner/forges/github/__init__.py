"""GitHub: check runs (else commit statuses), review requests and the sticky comment."""

from __future__ import annotations

from gate_runner.forges.github import api, approvals, check_runs, comment, review
from gate_runner.forges.interface import PostComment, Publish, ReadOwnerApprovals, RequestReview

NAME = "github"
TITLE = "GitHub"
TOKEN_VARIABLES: tuple[str, ...] = api.TOKEN_VARIABLES
publish: Publish = check_runs.publish
request_review: RequestReview | None = review.request_review
post_comment: PostComment | None = comment.post_comment
read_approvals: ReadOwnerApprovals | None = approvals.read_approvals
