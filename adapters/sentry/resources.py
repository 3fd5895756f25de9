"""What each Sentry hook resource means: one summary per resource, read from its `data` object."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from adapters.payload import (
    Summary,
    clip,
    commit_sha,
    escape,
    obj,
    seq,
    slug,
    string,
    timestamp,
    web_url,
)
from hub.core.severity import Severity

_LEVEL_SEVERITY = {"fatal": Severity.CRITICAL, "error": Severity.ERROR, "warning": Severity.WARNING}
_METRIC_SEVERITY = {
    "critical": Severity.CRITICAL,
    "warning": Severity.WARNING,
    "resolved": Severity.SUCCESS,
}
_ISSUE_VERB = {
    "created": "New issue",
    "resolved": "Resolved",
    "assigned": "Assigned",
    "ignored": "Ignored",
    "unresolved": "Unresolved",
}
_COMMENT_VERB = {
    "created": "New comment",
    "updated": "Comment edited",
    "deleted": "Comment deleted",
}
_API_PROJECT = re.compile(r"/projects/[^/]+/([^/]+)/")
_API_ISSUE = re.compile(r"/issues/([0-9]+)/")


def _issue(resource: str, action: str, data: dict[str, Any]) -> Summary:
    issue = obj(data.get("issue"))
    issue_id, short_id = string(issue.get("id")), string(issue.get("shortId"))
    title = string(issue.get("title")) or "untitled issue"
    level, culprit = slug(issue.get("level")), string(issue.get("culprit"))
    assignee = _person(data.get("assignee")) or _person(issue.get("assignedTo"))
    resolution = string(data.get("resolution_type"))
    project = string(obj(issue.get("project")).get("slug"))
    head = f"{_ISSUE_VERB.get(action, f'Issue {action}')} {short_id or ''}".rstrip()
    if action == "assigned" and assignee:
        head += f" to {assignee}"
    count = string(issue.get("count"))
    details = [
        f"Level *{escape(level)}*" if level else "",
        f"{escape(count)} event{'' if count == '1' else 's'}" if count else "",
        f"assigned to {escape(assignee)}" if assignee else "",
        f"resolved {escape(resolution.replace('_', ' '))}" if resolution else "",
    ]
    return Summary(
        title=_in_project(project, f"{head}: {title}"),
        severity=Severity.SUCCESS
        if action == "resolved"
        else _LEVEL_SEVERITY.get(level, Severity.INFO),
        state=_issue_state(action, slug(issue.get("status"))),
        subject=short_id or title,
        threadkey=f"sentry:issue:{issue_id}" if issue_id else None,
        text=_details_text(culprit, details),
        url=web_url(issue.get("web_url")) or web_url(issue.get("permalink")),
        time=timestamp(issue.get("firstSeen")) if action == "created" else None,
        labels={
            "project": project,
            "level": level,
            "platform": string(issue.get("platform")),
            "culprit": culprit,
            "assignee": assignee,
            "resolution_type": resolution,
            "event_count": count,
            "substatus": string(issue.get("substatus")),
        },
    )


def _issue_state(action: str, status: str) -> str | None:
    """The issue's state after `action`: the action itself where it names one, else its status."""
    if action == "created":
        return status or "unresolved"
    return action if action in _ISSUE_VERB else status or None


def _event(resource: str, action: str, data: dict[str, Any]) -> Summary:
    """An `event_alert` (an issue alert rule fired on an event) or an `error` event."""
    event = obj(data.get("event" if resource == "event_alert" else "error"))
    issue_id = string(event.get("issue_id")) or _match(_API_ISSUE, event.get("issue_url"))
    title = string(event.get("title")) or string(event.get("message")) or "untitled event"
    level, culprit = slug(event.get("level")), string(event.get("culprit"))
    project = _match(_API_PROJECT, event.get("url"))
    rule = string(data.get("triggered_rule"))
    environment = string(event.get("environment")) or _tag(event, "environment")
    release = string(event.get("release"))
    head = f"{rule} triggered" if rule else f"{resource.replace('_', ' ').capitalize()} {action}"
    details = [
        f"Level *{escape(level)}*" if level else "",
        f"environment {escape(environment)}" if environment else "",
        f"release {escape(release)}" if release else "",
    ]
    return Summary(
        title=_in_project(project, f"{head}: {title}"),
        severity=_LEVEL_SEVERITY.get(level, Severity.INFO),
        subject=title,
        threadkey=f"sentry:issue:{issue_id}" if issue_id else None,
        text=_details_text(culprit, details),
        url=web_url(event.get("web_url")),
        time=timestamp(event.get("datetime")) or timestamp(event.get("timestamp")),
        labels={
            "project": project,
            "environment": environment,
            "level": level,
            "release": release,
            "commit": commit_sha(release),
            "platform": string(event.get("platform")),
            "culprit": culprit,
            "triggered_rule": rule,
        },
    )


def _metric_alert(resource: str, action: str, data: dict[str, Any]) -> Summary:
    alert = obj(data.get("metric_alert"))
    rule = obj(alert.get("alert_rule"))
    rule_name = string(rule.get("name")) or string(alert.get("title"))
    key = string(rule.get("id")) or string(alert.get("id"))
    projects = seq(alert.get("projects")) or seq(rule.get("projects"))
    project = ",".join(name for item in projects if (name := string(item))) or None
    fallback = f"{action.capitalize()}: {rule_name or 'metric alert'}"
    return Summary(
        title=_in_project(project, string(data.get("description_title")) or fallback),
        severity=_METRIC_SEVERITY.get(action, Severity.INFO),
        state=action,
        subject=rule_name,
        threadkey=f"sentry:metric_alert:{key}" if key else None,
        text=escape(clip(string(data.get("description_text")) or "", 1500)),
        url=web_url(data.get("web_url")),
        time=timestamp(alert.get("date_closed")) if action == "resolved" else None,
        labels={
            "project": project,
            "environment": string(rule.get("environment")),
            "alert_rule": rule_name,
            "incident": string(alert.get("identifier")),
        },
    )


def _installation(resource: str, action: str, data: dict[str, Any]) -> Summary:
    installation = obj(data.get("installation"))
    app = string(obj(installation.get("app")).get("slug"))
    org = string(obj(installation.get("organization")).get("slug"))
    uuid = string(installation.get("uuid"))
    verb = {"created": "installed on", "deleted": "uninstalled from"}.get(action, f"{action} on")
    return Summary(
        title=f"Sentry integration {app or '(unnamed)'} {verb} {org or 'an organization'}",
        # An uninstalled integration stops sending hooks: worth a look.
        severity=Severity.WARNING if action == "deleted" else Severity.INFO,
        state={"created": "installed", "deleted": "uninstalled"}.get(action, action),
        subject=app,
        threadkey=f"sentry:installation:{uuid}" if uuid else None,
        labels={"organization": org, "app": app},
    )


def _comment(resource: str, action: str, data: dict[str, Any]) -> Summary:
    issue_id = string(data.get("issue_id"))
    project = string(data.get("project_slug"))
    verb = _COMMENT_VERB.get(action, f"Comment {action}")
    return Summary(
        title=_in_project(project, f"{verb} on issue {issue_id or '(unknown)'}"),
        subject=f"issue {issue_id}" if issue_id else None,
        threadkey=f"sentry:issue:{issue_id}" if issue_id else None,
        text=escape(clip(string(data.get("comment")) or "", 1500)),
        time=timestamp(data.get("timestamp")),
        labels={"project": project},
    )


def _generic(resource: str, action: str, data: dict[str, Any]) -> Summary:
    """Any other resource; Seer's carry their issue's `group_id`, preprod's a `projectSlug`."""
    project = (
        string(data.get("project_slug"))
        or string(data.get("projectSlug"))
        or string(obj(data.get("project")).get("slug"))
    )
    issue_id = string(data.get("group_id"))
    return Summary(
        title=_in_project(project, f"Sentry {resource.replace('_', ' ')} {action}"),
        subject=f"issue {issue_id}" if issue_id else None,
        threadkey=f"sentry:issue:{issue_id}" if issue_id else None,
        url=web_url(data.get("web_url")),
        labels={"project": project},
    )


_RESOURCES: dict[str, Callable[[str, str, dict[str, Any]], Summary]] = {
    "issue": _issue,
    "event_alert": _event,
    "error": _event,
    "metric_alert": _metric_alert,
    "installation": _installation,
    "comment": _comment,
}


def summarize(resource: str, action: str, data: dict[str, Any]) -> Summary:
    """The summary of one hook by its resource's own rule, or a generic one for any other."""
    return _RESOURCES.get(resource, _generic)(resource, action, data)


def _details_text(culprit: str | None, details: list[str]) -> str:
    """The culprit as code over one line of the non-empty details."""
    lines = (f"`{escape(culprit)}`" if culprit else "", " · ".join(filter(None, details)))
    return "\n".join(filter(None, lines))


def _in_project(project: str | None, title: str) -> str:
    return f"[{project}] {title}" if project else title


def _person(value: Any) -> str | None:
    person = obj(value)
    return string(person.get("name")) or string(person.get("email"))


def _match(pattern: re.Pattern[str], value: Any) -> str | None:
    found = pattern.search(string(value) or "")
    return found.group(1) if found else None


def _tag(event: dict[str, Any], key: str) -> str | None:
    """The value of tag `key`; Sentry sends tags as [key, value] pairs or {key, value} objects."""
    for tag in seq(event.get("tags")):
        pair = seq(tag) or [obj(tag).get("key"), obj(tag).get("value")]
        if len(pair) == 2 and pair[0] == key:
            return string(pair[1])
    return None
