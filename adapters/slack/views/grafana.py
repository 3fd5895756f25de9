"""How a Grafana alert notification reads in Slack: alerts, values, panel, dashboard, silence."""

from __future__ import annotations

from adapters.alertgroup import values
from adapters.slack.blocks import escape
from adapters.slack.view import View
from adapters.slack.views import alertgroup
from hub.core.event import Event


def view(event: Event) -> View:
    """The alerts firing first with their values; a lone alert's values are fields of their own."""
    group = alertgroup.group_of(event, "Grafana notification")
    only = group.alerts[0] if group and len(group.alerts) == 1 else None
    fields = [(ref, escape(number)) for ref, number in values(only)] if only else []
    links = [
        ("Panel", alertgroup.first_url(group, "panelURL")),
        ("Dashboard", alertgroup.first_url(group, "dashboardURL")),
        ("Silence", alertgroup.first_url(group, "silenceURL")),
        ("Alert rule", event.url),
    ]
    shown = alertgroup.view(event, "Grafana", fields, links)
    image = alertgroup.first_url(group, "imageURL")
    if image:
        shown.body += f"\n<{image}|Panel image>"
    return shown
