"""How an Alertmanager or Grafana group notification reads in Slack: its alerts, firing first."""

from __future__ import annotations

from adapters.alertgroup import AlertGroup, parse_group, state_words
from adapters.payload import obj, web_url
from adapters.slack.blocks import escape
from adapters.slack.view import View, code, subject
from hub.core.errors import BadPayload
from hub.core.event import Event

# Labels the adapters add; the rest are the group's common labels.
_OWN = ("receiver", "notification_reason", "org", "alertname", "severity")
_MAX_LABELS = 5


def group_of(event: Event, what: str) -> AlertGroup | None:
    """The group the event's payload carries (None for a payload that is not one)."""
    try:
        return parse_group(obj(event.data), what)
    except BadPayload:
        return None


def view(
    event: Event, sender: str, extra: list[tuple[str, str]], links: list[tuple[str, str | None]]
) -> View:
    """The alerts as the adapter listed them, the group's state and labels as fields."""
    group = group_of(event, sender)
    words = state_words(group) if group else event.state or ""
    labels = [(k, code(v)) for k, v in event.labels.items() if k not in _OWN][:_MAX_LABELS]
    return View(
        body=event.text,
        fields=[
            ("Status", f"*{escape(words)}*"),
            ("Severity", escape(_severities(group))),
            ("Alert", code(event.labels.get("alertname"))),
            *extra,
            *labels,
            ("Receiver", escape(event.labels.get("receiver", ""))),
        ],
        links=links,
        context=[sender],
        change=f"*{escape(words)}* · {subject(event)}",
        alert=True,
    )


def _severities(group: AlertGroup | None) -> str:
    """The firing alerts' severity labels, worst-first as the sender wrote them."""
    if group is None:
        return ""
    found = [alert.labels.get("severity", "") for alert in group.firing]
    return ", ".join(dict.fromkeys(value for value in found if value))


def first_url(group: AlertGroup | None, key: str) -> str | None:
    """The first listed alert's URL in field `key` (Grafana's panel, dashboard, silence)."""
    for alert in group.alerts if group else []:
        found = web_url(alert.raw.get(key))
        if found:
            return found
    return None
