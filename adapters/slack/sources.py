"""The registry of per-source Slack views; a source without one is shown by the generic view."""

from __future__ import annotations

from adapters.slack.view import View, ViewFor, generic
from adapters.slack.views import alertmanager as slack_alertmanager
from adapters.slack.views import github as slack_github
from adapters.slack.views import grafana as slack_grafana
from adapters.slack.views import kapacitor as slack_kapacitor
from adapters.slack.views import sentry as slack_sentry
from adapters.slack.views import travis as slack_travis
from hub.core.event import Event

VIEWS: dict[str, ViewFor] = {
    "github": slack_github.view,
    "travis": slack_travis.view,
    "kapacitor": slack_kapacitor.view,
    "sentry": slack_sentry.view,
    "alertmanager": slack_alertmanager.view,
    "grafana": slack_grafana.view,
}
"""Source name → its view. A new source adds one line here, or nothing and reads generically."""


def view_of(event: Event) -> View:
    """What `event` shows in Slack, chosen by its source."""
    return VIEWS.get(event.source, generic)(event)
