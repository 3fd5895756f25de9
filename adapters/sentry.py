"""Sentry integration-platform webhooks: HMAC-signed, shaped by `Sentry-Hook-Resource`."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters._payload import (
    clip,
    escape,
    labels,
    obj,
    one_line,
    parse_object,
    seq,
    slug,
    string,
    timestamp,
    web_url,
)
from hub.errors import BadPayload, UnsupportedMediaType, VerificationError
from hub.event import Event, Severity
from hub.sources import WebhookRequest, body_id

MAX_CLOCK_SKEW_SECONDS = 300
_EPOCH_SECONDS = re.compile(r"[0-9]{1,12}")
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


@dataclass
class _Facts:
    """What one resource's payload says beyond the fields every Sentry event shares."""

    title: str
    severity: Severity = Severity.INFO
    state: str | None = None
    subject: str | None = None
    threadkey: str | None = None
    text: str = ""
    url: str | None = None
    time: datetime | None = None
    labels: dict[str, str | None] = field(default_factory=dict)


class SentryAdapter:
    """Verifies Sentry's HMAC and freshness, and normalizes each resource's payload."""

    name = "sentry"
    secret_env = "HUB_SENTRY_CLIENT_SECRET"  # noqa: S105 - the name of the variable holding the secret

    def verify(self, request: WebhookRequest, secret: str) -> None:
        """Raise `VerificationError` unless the body's HMAC matches and the timestamp is fresh."""
        if not secret:
            raise VerificationError(f"{self.secret_env} is empty: set it to the Client Secret")
        sent_at = _hook_timestamp(request)
        if sent_at is None:
            raise VerificationError("missing or non-integer Sentry-Hook-Timestamp header")
        skew = abs(_aware(request.received_at).timestamp() - sent_at)
        if skew > MAX_CLOCK_SKEW_SECONDS:
            raise VerificationError(
                f"Sentry-Hook-Timestamp is {int(skew)} s away from now (limit"
                f" {MAX_CLOCK_SKEW_SECONDS} s): a replayed delivery or a wrong clock"
            )
        given = request.headers.get("Sentry-Hook-Signature", "").strip().lower()
        if not given:
            raise VerificationError("missing Sentry-Hook-Signature header")
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass")):
            raise VerificationError(
                "Sentry-Hook-Signature does not match: check HUB_SENTRY_CLIENT_SECRET is the"
                " integration's Client Secret"
            )

    def normalize(self, request: WebhookRequest) -> Event:
        """The `sentry.<resource>.<action>` event of one integration webhook."""
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                f"Content-Type {request.content_type or '(none)'!r} is not application/json"
            )
        resource = slug(request.headers.get("Sentry-Hook-Resource"))
        if not resource:
            raise BadPayload("missing Sentry-Hook-Resource header: Sentry sends it on every hook")
        body = parse_object(request.body, "Sentry payload")
        action = slug(body.get("action"))
        if not action:
            raise BadPayload("the Sentry payload has no `action`")
        facts = _RESOURCES.get(resource, _generic)(resource, action, obj(body.get("data")))
        hook_time = _hook_timestamp(request)
        return Event(
            id=(request.headers.get("Request-ID") or "").strip()
            or body_id(self.name, request.body),
            source=self.name,
            type=f"sentry.{resource}.{action}",
            time=facts.time or timestamp(hook_time) or request.received_at,
            receivedat=request.received_at,
            severity=facts.severity,
            state=facts.state,
            subject=facts.subject,
            threadkey=facts.threadkey,
            title=one_line(facts.title),
            text=facts.text,
            url=facts.url,
            actor=string(obj(body.get("actor")).get("name")),
            labels=labels(facts.labels),
            data=body,
        )


def _hook_timestamp(request: WebhookRequest) -> int | None:
    value = request.headers.get("Sentry-Hook-Timestamp", "").strip()
    return int(value) if _EPOCH_SECONDS.fullmatch(value) else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _issue(resource: str, action: str, data: dict[str, Any]) -> _Facts:
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
    return _Facts(
        title=_in_project(project, f"{head}: {title}"),
        severity=Severity.SUCCESS
        if action == "resolved"
        else _LEVEL_SEVERITY.get(level, Severity.INFO),
        state=_issue_state(action, slug(issue.get("status"))),
        subject=short_id or title,
        threadkey=f"sentry:issue:{issue_id}" if issue_id else None,
        text=_summary(culprit, details),
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


def _event(resource: str, action: str, data: dict[str, Any]) -> _Facts:
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
    return _Facts(
        title=_in_project(project, f"{head}: {title}"),
        severity=_LEVEL_SEVERITY.get(level, Severity.INFO),
        subject=title,
        threadkey=f"sentry:issue:{issue_id}" if issue_id else None,
        text=_summary(culprit, details),
        url=web_url(event.get("web_url")),
        time=timestamp(event.get("datetime")) or timestamp(event.get("timestamp")),
        labels={
            "project": project,
            "environment": environment,
            "level": level,
            "release": release,
            "platform": string(event.get("platform")),
            "culprit": culprit,
            "triggered_rule": rule,
        },
    )


def _metric_alert(resource: str, action: str, data: dict[str, Any]) -> _Facts:
    alert = obj(data.get("metric_alert"))
    rule = obj(alert.get("alert_rule"))
    rule_name = string(rule.get("name")) or string(alert.get("title"))
    key = string(rule.get("id")) or string(alert.get("id"))
    projects = seq(alert.get("projects")) or seq(rule.get("projects"))
    project = ",".join(name for item in projects if (name := string(item))) or None
    fallback = f"{action.capitalize()}: {rule_name or 'metric alert'}"
    return _Facts(
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


def _installation(resource: str, action: str, data: dict[str, Any]) -> _Facts:
    installation = obj(data.get("installation"))
    app = string(obj(installation.get("app")).get("slug"))
    org = string(obj(installation.get("organization")).get("slug"))
    uuid = string(installation.get("uuid"))
    verb = {"created": "installed on", "deleted": "uninstalled from"}.get(action, f"{action} on")
    return _Facts(
        title=f"Sentry integration {app or '(unnamed)'} {verb} {org or 'an organization'}",
        # An uninstalled integration stops sending hooks: worth a look.
        severity=Severity.WARNING if action == "deleted" else Severity.INFO,
        state={"created": "installed", "deleted": "uninstalled"}.get(action, action),
        subject=app,
        threadkey=f"sentry:installation:{uuid}" if uuid else None,
        labels={"organization": org, "app": app},
    )


def _comment(resource: str, action: str, data: dict[str, Any]) -> _Facts:
    issue_id = string(data.get("issue_id"))
    project = string(data.get("project_slug"))
    verb = _COMMENT_VERB.get(action, f"Comment {action}")
    return _Facts(
        title=_in_project(project, f"{verb} on issue {issue_id or '(unknown)'}"),
        subject=f"issue {issue_id}" if issue_id else None,
        threadkey=f"sentry:issue:{issue_id}" if issue_id else None,
        text=escape(clip(string(data.get("comment")) or "", 1500)),
        time=timestamp(data.get("timestamp")),
        labels={"project": project},
    )


def _generic(resource: str, action: str, data: dict[str, Any]) -> _Facts:
    project = string(data.get("project_slug")) or string(obj(data.get("project")).get("slug"))
    return _Facts(
        title=_in_project(project, f"Sentry {resource.replace('_', ' ')} {action}"),
        url=web_url(data.get("web_url")),
        labels={"project": project},
    )


_RESOURCES: dict[str, Callable[[str, str, dict[str, Any]], _Facts]] = {
    "issue": _issue,
    "event_alert": _event,
    "error": _event,
    "metric_alert": _metric_alert,
    "installation": _installation,
    "comment": _comment,
}


def _summary(culprit: str | None, details: list[str]) -> str:
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


ADAPTER = SentryAdapter()
