"""How a Sentry issue, event or metric alert reads in Slack: culprit, where, how often, link."""

from __future__ import annotations

from adapters.payload import obj, string
from adapters.slack.blocks import escape
from adapters.slack.view import View, code, subject, words
from hub.core.event import Event

_EVENTS = frozenset({"issue", "event_alert", "error"})
# Who acted is news for these issue actions; "Sentry" itself acting is not.
_BY_ACTOR = frozenset({"resolved", "ignored", "unresolved"})


def view(event: Event) -> View:
    """An issue or alert with Sentry's own facts: project, level, environment, release, counts."""
    resource = event.type.split(".")[1] if event.type.count(".") >= 2 else ""
    labels = event.labels
    culprit = labels.get("culprit")
    issue = obj(obj(obj(event.data).get("data")).get("issue"))
    incident = labels.get("incident")
    return View(
        body=code(culprit) if culprit else "" if resource in _EVENTS else event.text,
        fields=[
            ("Project", code(labels.get("project"))),
            ("Level", escape(labels.get("level", ""))),
            ("Status", _status(event)),
            ("Environment", code(labels.get("environment"))),
            ("Release", code(labels.get("release"))),
            ("Events", escape(labels.get("event_count", ""))),
            ("Users", escape(string(issue.get("userCount")) or "")),
            ("Assignee", escape(labels.get("assignee", ""))),
            ("Alert rule", escape(labels.get("triggered_rule") or labels.get("alert_rule") or "")),
            ("Incident", f"#{escape(incident)}" if incident else ""),
            ("Resolution", escape(words(labels.get("resolution_type")))),
            ("Organization", code(labels.get("organization"))),
            ("App", code(labels.get("app"))),
        ],
        links=[("Open in Sentry", event.url)],
        context=["Sentry", escape(labels.get("platform", ""))],
        change=_change(event, resource),
        alert=True,
    )


def _status(event: Event) -> str:
    substatus = event.labels.get("substatus")
    state = words(event.state)
    return escape(f"{state} ({words(substatus)})" if state and substatus else state)


def _change(event: Event, resource: str) -> str:
    """'*new issue* FRONT-END-9 · 1 event', '*resolved* X-1 by Jane', '*Rule* triggered · …'."""
    action = event.type.rsplit(".", 1)[-1]
    labels = event.labels
    tail = ""
    if resource == "issue":
        head = "*new issue*" if action == "created" else f"*{escape(words(action))}*"
        count = labels.get("event_count")
        if action == "created" and count:
            tail = f" · {escape(count)} event{'' if count == '1' else 's'}"
        elif action == "assigned" and labels.get("assignee"):
            tail = f" to {escape(labels['assignee'])}"
        elif action in _BY_ACTOR and event.actor and event.actor != "Sentry":
            tail = f" by {escape(event.actor)}"
    elif resource in _EVENTS and labels.get("triggered_rule"):
        head = f"*{escape(labels['triggered_rule'])}* triggered ·"
    else:
        head = f"*{escape(words(event.state or action))}*"
    return f"{head} {subject(event)}{tail}"
