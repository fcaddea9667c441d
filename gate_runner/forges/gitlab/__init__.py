"""GitLab: commit statuses on the running pipeline, review requests and the sticky comment."""

from __future__ import annotations

from gate_runner.forges.gitlab import api, approvals, comment, review, statuses
from gate_runner.forges.interface import PostComment, Publish, ReadOwnerApprovals, RequestReview

NAME = "gitlab"
TITLE = "GitLab"
TOKEN_VARIABLES: tuple[str, ...] = api.TOKEN_VARIABLES
publish: Publish = statuses.publish
request_review: RequestReview | None = review.request_review
post_comment: PostComment | None = comment.post_comment
read_approvals: ReadOwnerApprovals | None = approvals.read_approvals
