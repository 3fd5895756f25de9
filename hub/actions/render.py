"""Slack messages with the buttons of the actions whose `button.match` admits the event."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from adapters.slack import render as slack_render
from adapters.slack.buttons import RunButton
from hub.actions.model import ActionTable
from hub.actions.params import from_event
from hub.core.event import Event


class ActionRenderer:
    """The Slack renderer, adding the live actions table's buttons to interactive messages."""

    def __init__(self, table: Callable[[], ActionTable]) -> None:
        self.table = table

    def buttons(self, event: Event) -> list[RunButton]:
        """The run buttons `event`'s message carries, each with what the event tells it."""
        found = from_event(event)
        found.pop("event", None)  # the button value names the event already
        return [
            RunButton(a.name, a.button.label, found, a.confirm, a.button.style)
            for a in self.table().buttons_for(event)
            if a.button is not None
        ]

    def render(
        self,
        event: Event,
        routes: Sequence[str],
        mention: Sequence[str] = (),
        *,
        interactive: bool = False,
        annotations: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The message of `event`, with its actions' buttons when it is interactive."""
        runs = self.buttons(event) if interactive else []
        return slack_render.render(
            event,
            routes,
            mention,
            interactive=interactive,
            annotations=annotations,
            runs=runs,
        )

    def render_reply(
        self, event: Event, routes: Sequence[str], mention: Sequence[str] = ()
    ) -> dict[str, Any]:
        """A thread reply: as the Slack renderer makes it (replies carry no buttons)."""
        return slack_render.render_reply(event, routes, mention)

    def render_digest(
        self, events: Sequence[Event], routes: Sequence[str], *, reason: str = ""
    ) -> dict[str, Any]:
        """A digest: as the Slack renderer makes it."""
        return slack_render.render_digest(events, routes, reason=reason)
