"""The registry of per-source Slack views; a source without one is shown by the generic view."""

from __future__ import annotations

from adapters import slack_github, slack_kapacitor, slack_sentry, slack_travis
from adapters.slack_view import View, ViewFor, generic
from hub.event import Event

VIEWS: dict[str, ViewFor] = {
    "github": slack_github.view,
    "travis": slack_travis.view,
    "kapacitor": slack_kapacitor.view,
    "sentry": slack_sentry.view,
}
"""Source name → its view. A new source adds one line here, or nothing and reads generically."""


def view_of(event: Event) -> View:
    """What `event` shows in Slack, chosen by its source."""
    return VIEWS.get(event.source, generic)(event)
