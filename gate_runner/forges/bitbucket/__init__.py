"""Bitbucket Cloud: a Code Insights report per status (no reviews, no comment yet)."""

from __future__ import annotations

from gate_runner.forges.bitbucket import reports
from gate_runner.forges.interface import PostComment, Publish, ReadOwnerApprovals, RequestReview

NAME = "bitbucket"
TITLE = "Bitbucket Cloud"
TOKEN_VARIABLES: tuple[str, ...] = reports.TOKEN_VARIABLES
publish: Publish = reports.publish
request_review: RequestReview | None = None
post_comment: PostComment | None = None
read_approvals: ReadOwnerApprovals | None = None
