"""The GitHub event kinds hub summarizes by name; `generic` summarizes any other."""

from __future__ import annotations

from collections.abc import Callable

from adapters.github.ci import (
    check_run,
    check_suite,
    deployment,
    outcome,
    status,
    workflow_job,
    workflow_run,
)
from adapters.github.delivery import Delivery, Node, excerpt, first_time
from adapters.github.repo import create_or_delete, generic, ping, push, release, star
from adapters.github.review import (
    issue_comment,
    issues,
    pull_request,
    pull_request_review,
    pull_request_review_comment,
)
from adapters.payload import Summary

# slack_github.py reads payloads through these; they live in the modules imported above.
__all__ = ["KINDS", "Node", "excerpt", "first_time", "outcome", "summarize"]

KINDS: dict[str, Callable[[Delivery], Summary]] = {
    "ping": ping,
    "push": push,
    "create": create_or_delete,
    "delete": create_or_delete,
    "pull_request": pull_request,
    "pull_request_review": pull_request_review,
    "pull_request_review_comment": pull_request_review_comment,
    "issues": issues,
    "issue_comment": issue_comment,
    "release": release,
    "workflow_run": workflow_run,
    "workflow_job": workflow_job,
    "check_run": check_run,
    "check_suite": check_suite,
    "deployment": deployment,
    "deployment_status": deployment,
    "status": status,
    "star": star,
}
"""The event kinds hub knows by `X-GitHub-Event`; any other goes to `generic`."""


def summarize(delivery: Delivery) -> Summary:
    """The summary of a delivery by its event's own rule, or by `generic` for any other event."""
    return KINDS.get(delivery.event, generic)(delivery)
