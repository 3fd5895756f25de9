"""GitHub code review: pull requests, their reviews and review comments, issues and comments."""

from __future__ import annotations

from adapters.github.delivery import (
    Delivery,
    Node,
    excerpt,
    first_time,
    flag,
    label_names,
    lines,
    phrase,
    words,
)
from adapters.payload import Summary, commit_sha, escape
from hub.core.severity import Severity

_PR_ACTIONS = {
    "synchronize": "pushed to {}",
    "ready_for_review": "marked {} ready for review",
    "converted_to_draft": "converted {} to a draft",
    "review_requested": "requested a review of {}",
    "review_request_removed": "withdrew a review request for {}",
    "auto_merge_enabled": "enabled auto-merge for {}",
    "auto_merge_disabled": "disabled auto-merge for {}",
    "enqueued": "added {} to the merge queue",
    "dequeued": "removed {} from the merge queue",
}
_COMMENT_ACTIONS = {
    "created": "commented on {}",
    "edited": "edited a comment on {}",
    "deleted": "deleted a comment on {}",
}
_REVIEW_STATES = {
    "approved": "approved {}",
    "changes_requested": "requested changes on {}",
    "commented": "reviewed {}",
}
_REVIEW_ACTIONS = {"dismissed": "dismissed a review of {}", "edited": "edited a review of {}"}


def _pr_state(action: str | None, item: Node, merged: bool) -> str:
    if merged:
        return "merged"
    if item["state"].as_str() == "closed" or action == "closed":
        return "closed"
    if action == "reopened":
        return "reopened"
    return "draft" if item["draft"].as_bool() else "opened"


def _issue_state(action: str | None, item: Node) -> str:
    if action in ("deleted", "reopened"):
        return action
    return "closed" if item["state"].as_str() == "closed" or action == "closed" else "opened"


def _about_pull_request(d: Delivery, pr: Node) -> tuple[Summary, str]:
    """The fields every event about one pull request shares, and its noun ('pull request #n')."""
    number = pr["number"].as_int() or d.body["number"].as_int()
    merged = pr["merged"].as_bool() or pr["merged_at"].as_str() is not None
    summary = Summary(
        title="",
        state=_pr_state(d.action, pr, merged),
        subject=d.numbered(number),
        threadkey=d.key("pr", number),
        url=pr["html_url"].as_url(),
        branch=pr["base"]["ref"].as_str(),
        time=pr["updated_at"].as_time(),
        labels={
            "head_branch": pr["head"]["ref"].as_str(),
            "draft": flag(pr["draft"].as_bool()),
            "merged": flag(merged),
            "labels": label_names(pr),
            "commit": commit_sha(pr["head"]["sha"].value),
            "merge_commit": commit_sha(pr["merge_commit_sha"].value) if merged else None,
        },
    )
    return summary, "a pull request" if number is None else f"pull request #{number}"


def pull_request(d: Delivery) -> Summary:
    pr = d.body["pull_request"]
    s, noun = _about_pull_request(d, pr)
    if d.action == "closed" and s.state == "merged":
        s.severity, verb = Severity.SUCCESS, f"merged {noun}"
    else:
        verb = phrase(d.action, noun, _PR_ACTIONS)
    s.title = d.titled(verb, pr["title"].as_str())
    head, base = s.labels["head_branch"] or "?", s.branch or "?"
    s.text = lines(f"`{escape(head)}` → `{escape(base)}`", excerpt(pr["body"].as_str()))
    reviewer = d.body["requested_reviewer"]["login"].as_str()
    reviewer = reviewer or d.body["requested_team"]["name"].as_str()
    s.labels |= {"label": d.body["label"]["name"].as_str(), "reviewer": reviewer}
    return s


def pull_request_review(d: Delivery) -> Summary:
    pr, review = d.body["pull_request"], d.body["review"]
    s, noun = _about_pull_request(d, pr)
    review_state = (review["state"].as_str() or "").lower() or None
    if d.action == "submitted":
        verb = phrase(review_state or "commented", noun, _REVIEW_STATES)
    else:
        verb = phrase(d.action, noun, _REVIEW_ACTIONS)
    s.title = d.titled(verb, pr["title"].as_str())
    shown = review_state and f"Review: *{escape(words(review_state))}*"
    s.text = lines(shown, excerpt(review["body"].as_str()))
    s.url = review["html_url"].as_url() or s.url
    s.time = first_time(review["submitted_at"], pr["updated_at"])
    s.labels["review_state"] = review_state
    return s


def pull_request_review_comment(d: Delivery) -> Summary:
    pr, comment = d.body["pull_request"], d.body["comment"]
    s, noun = _about_pull_request(d, pr)
    s.title = d.titled(phrase(d.action, noun, _COMMENT_ACTIONS), pr["title"].as_str())
    path = comment["path"].as_str()
    s.text = lines(path and f"`{escape(path)}`", excerpt(comment["body"].as_str()))
    s.url = comment["html_url"].as_url() or s.url
    s.time = first_time(comment["updated_at"], comment["created_at"], pr["updated_at"])
    return s


def issues(d: Delivery) -> Summary:
    issue = d.body["issue"]
    number = issue["number"].as_int()
    noun = "an issue" if number is None else f"issue #{number}"
    return Summary(
        title=d.titled(phrase(d.action, noun, {}), issue["title"].as_str()),
        state=_issue_state(d.action, issue),
        subject=d.numbered(number),
        threadkey=d.key("issue", number),
        text=excerpt(issue["body"].as_str()),
        url=issue["html_url"].as_url(),
        time=first_time(issue["updated_at"], issue["created_at"]),
        labels={
            "labels": label_names(issue),
            "label": d.body["label"]["name"].as_str(),
            "assignee": d.body["assignee"]["login"].as_str(),
        },
    )


def issue_comment(d: Delivery) -> Summary:
    """A comment on an issue or, when `issue.pull_request` is set, on a pull request."""
    issue, comment = d.body["issue"], d.body["comment"]
    number = issue["number"].as_int()
    on_pr = isinstance(issue["pull_request"].value, dict)
    if on_pr:
        state = _pr_state(None, issue, issue["pull_request"]["merged_at"].as_str() is not None)
        noun = "a pull request" if number is None else f"pull request #{number}"
    else:
        state = _issue_state(None, issue)
        noun = "an issue" if number is None else f"issue #{number}"
    return Summary(
        title=d.titled(phrase(d.action, noun, _COMMENT_ACTIONS), issue["title"].as_str()),
        state=state,
        subject=d.numbered(number),
        threadkey=d.key("pr" if on_pr else "issue", number),
        text=excerpt(comment["body"].as_str()),
        url=comment["html_url"].as_url() or issue["html_url"].as_url(),
        time=first_time(comment["updated_at"], comment["created_at"]),
        labels={"pr": flag(on_pr), "labels": label_names(issue)},
    )
