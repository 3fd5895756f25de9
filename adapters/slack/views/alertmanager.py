"""How an Alertmanager notification reads in Slack: the group's alerts and a way back to it."""

from __future__ import annotations

from adapters.payload import web_url
from adapters.slack.view import View
from adapters.slack.views import alertgroup
from hub.core.event import Event


def view(event: Event) -> View:
    """The alerts firing first, the group's labels, links to the source and to Alertmanager."""
    group = alertgroup.group_of(event, "Alertmanager notification")
    return alertgroup.view(
        event,
        "Alertmanager",
        [],
        [("Source", event.url), ("Alertmanager", web_url(group.external_url) if group else None)],
    )
