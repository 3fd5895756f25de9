"""How GitHub events read in Slack: pull requests with their people, pushes, runs and checks."""

from __future__ import annotations

from collections.abc import Callable

from adapters.github.delivery import Node, excerpt, first_time, outcome
from adapters.payload import human_duration
from adapters.slack.blocks import escape, link
from adapters.slack.view import View, code, generic, label_fields, subject, words
from hub.core.event import Event

_PR_STATUS = {
    "opened": "Open",
    "reopened": "Open",
    "draft": "Draft",
    "merged": "Merged",
    "closed": "Closed",
}
_PR_CHANGE = {
    "synchronize": "*new commits* pushed",
    "ready_for_review": "*ready for review*",
    "converted_to_draft": "*converted to draft*",
    "review_requested": "review *requested*",
    "review_request_removed": "review request *withdrawn*",
}
_PUSHED = {"forced": "*force-pushed*", "created": "*created* with", "deleted": "*deleted*"}
_RUN_NAMES = {
    "workflow": "Workflow",
    "job": "Job",
    "check": "Check",
    "app": "App",
    "context": "Context",
    "environment": "Environment",
}


def view(event: Event) -> View:
    """The view of one GitHub event, by its kind (`github.<kind>.<action>`)."""
    # Without its payload (an event built by hand) only the generic view has anything to show.
    shape = _KINDS.get(_kind(event), _other) if isinstance(event.data, dict) else _other
    shown = shape(event, Node(event.data))
    shown.context = ["GitHub", link(_repo_url(event), escape(event.repo or ""))]
    return shown


def _pull_request(event: Event, body: Node) -> View:
    """A pull request, a review or a review comment: who wrote it, its status, its reviewers."""
    pr, kind, action = body["pull_request"], _kind(event), _action(event)
    review_state = event.labels.get("review_state")
    reviewers = [n["login"].as_str() for n in pr["requested_reviewers"].items()]
    reviewers += [n["name"].as_str() for n in pr["requested_teams"].items()]
    if kind == "pull_request_review":
        text = excerpt(body["review"]["body"].as_str())
        change = f"review *{words(review_state or action)}*"
    elif kind == "pull_request":
        text = excerpt(pr["body"].as_str())
        merged = action == "closed" and event.state == "merged"
        change = "*merged*" if merged else _PR_CHANGE.get(action, f"*{words(action)}*")
    else:
        text, change = event.text, "*commented*"
    pr_url = pr["html_url"].as_url()
    return View(
        body=text,
        fields=[
            ("Author", at(pr["user"]["login"].as_str())),
            ("Status", _pr_status(event)),
            ("Branch", _branches(event)),
            ("Reviewers", ", ".join(at(r) for r in reviewers if r)),
            (
                "Review",
                f"*{escape(words(review_state))}* by {at(event.actor)}" if review_state else "",
            ),
            ("Labels", _labels(event)),
            ("Changes", _changes(pr)),
        ],
        links=[("Open", event.url), ("Files", f"{pr_url}/files" if pr_url else None)],
        change=f"{escape(change)}{_by(event)} · {subject(event)}",
    )


def _branches(event: Event) -> str:
    """'`head` → `base`', or whichever of the two is known."""
    return " → ".join(filter(None, (code(event.labels.get("head_branch")), code(event.branch))))


def _pr_status(event: Event) -> str:
    draft = event.labels.get("draft") == "true" and event.state in ("opened", "reopened")
    return "Draft" if draft else _PR_STATUS.get(event.state or "", escape(words(event.state)))


def _changes(pr: Node) -> str:
    """'+12 −3 · 2 files · 1 commit' from the counts a pull_request payload carries."""
    plus, minus = pr["additions"].as_int(), pr["deletions"].as_int()
    files, commits = pr["changed_files"].as_int(), pr["commits"].as_int()
    parts = [
        f"+{plus} −{minus}" if plus is not None and minus is not None else "",
        _count(files, "file"),
        _count(commits, "commit"),
    ]
    return " · ".join(p for p in parts if p)


def _issue(event: Event, body: Node) -> View:
    """An issue or a comment on one: author, status, labels, assignees."""
    issue = body["issue"]
    assignees = ", ".join(at(n["login"].as_str()) for n in issue["assignees"].items())
    action = _action(event)
    verb = "commented" if _kind(event) == "issue_comment" and action == "created" else action
    return View(
        body=event.text,
        fields=[
            ("Author", at(issue["user"]["login"].as_str())),
            ("Status", _PR_STATUS.get(event.state or "", escape(words(event.state).capitalize()))),
            ("Labels", _labels(event)),
            ("Assignees", assignees),
        ],
        links=[("Open", event.url)],
        change=f"*{escape(words(verb))}*{_by(event)} · {subject(event)}",
    )


def _push(event: Event, body: Node) -> View:
    """A push: the commits as the adapter listed them, and the compare link."""
    commits = len(body["commits"].items())
    forced = event.labels.get("forced") == "true"
    return View(
        body=event.text,
        fields=[
            ("Branch", code(event.branch)),
            ("Tag", code(event.labels.get("tag"))),
            ("Pusher", at(event.actor)),
            ("Commits", str(commits) if commits else ""),
            ("Forced", "yes" if forced else ""),
        ],
        links=[("Compare", event.url)],
        change=f"{_PUSHED.get(event.state or '', '*pushed*')} {_count(commits, 'commit')}".strip()
        + f"{_by(event)} · {subject(event)}",
    )


def _run(event: Event, body: Node) -> View:
    """A workflow run or job, a check, a commit status or a deployment: how it ended and where."""
    item = body[_kind(event)] if _kind(event) != "status" else body
    took = _took(item)
    result = event.labels.get("conclusion") or event.state
    return View(
        body=event.text,
        fields=[
            *label_fields(event.labels, _RUN_NAMES),
            ("Result", escape(words(result).capitalize())),
            ("Branch", code(event.branch)),
            ("Ref", code(event.labels.get("ref"))),
            ("Trigger", code(event.labels.get("trigger"))),
            ("Duration", took),
            ("Actor", at(event.actor)),
        ],
        links=[("Open", event.url)],
        change=" · ".join(
            part for part in (f"*{escape(outcome(event.state))}*", subject(event), took) if part
        ),
    )


def _took(item: Node) -> str:
    start = first_time(item["run_started_at"], item["started_at"])
    done = item["status"].as_str() == "completed"
    end = first_time(item["completed_at"], item["updated_at"]) if done else None
    seconds = (end - start).total_seconds() if start and end else 0
    return human_duration(seconds) if seconds > 0 else ""


def _release(event: Event, body: Node) -> View:
    labels = event.labels
    return View(
        body=event.text,
        fields=[
            ("Tag", code(labels.get("tag"))),
            ("Target", code(labels.get("target"))),
            ("Status", escape(words(event.state).capitalize())),
            ("Author", at(event.actor)),
        ],
        links=[("Open", event.url)],
        change=f"*{escape(words(event.state))}*{_by(event)} · {subject(event)}",
    )


def _other(event: Event, body: Node) -> View:
    shown = generic(event)
    what = escape(words(event.state or _action(event) or _kind(event)))
    shown.change = f"*{what}*{_by(event)} · {subject(event)}"
    return shown


def at(login: str | None) -> str:
    """A GitHub login as people write it, '@octocat'; empty without one."""
    return escape(f"@{login}") if login else ""


def _by(event: Event) -> str:
    return f" by {at(event.actor)}" if event.actor else ""


def _count(number: int | None, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}" if number else ""


def _labels(event: Event) -> str:
    return ", ".join(code(name) for name in event.labels.get("labels", "").split(",") if name)


def _kind(event: Event) -> str:
    return event.type.split(".")[1] if "." in event.type else ""


def _action(event: Event) -> str:
    parts = event.type.split(".")
    return parts[2] if len(parts) > 2 else ""


def _repo_url(event: Event) -> str | None:
    return Node(event.data)["repository"]["html_url"].as_url()


_KINDS: dict[str, Callable[[Event, Node], View]] = {
    "pull_request": _pull_request,
    "pull_request_review": _pull_request,
    "pull_request_review_comment": _pull_request,
    "issues": _issue,
    "issue_comment": _issue,
    "push": _push,
    "workflow_run": _run,
    "workflow_job": _run,
    "check_run": _run,
    "check_suite": _run,
    "status": _run,
    "deployment": _run,
    "deployment_status": _run,
    "release": _release,
}
