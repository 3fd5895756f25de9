"""The interface the deliverer posts through (Slack Web API, or the console)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hub.core.event import Event


@dataclass(frozen=True)
class Posted:
    """Where a posted message landed: the channel ID Slack answered with, and the ts."""

    channel: str
    ts: str


Message = dict[str, Any]
"""chat.postMessage arguments without `channel`."""


class Notifier(Protocol):
    """Where rendered messages go; every failure raises a `hub.errors.DeliveryError`."""

    async def post(self, channel: str, message: Mapping[str, Any]) -> Posted:
        """Post `message` (chat.postMessage arguments, e.g. `thread_ts`); say where it landed."""

    async def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None:
        """Replace the message `ts` in `channel` (a name or an ID) with `message`."""

    async def find(self, channel: str, event_id: str, thread_ts: str | None = None) -> str | None:
        """The ts of a recent message (in the thread `thread_ts`, if given) showing `event_id`."""

    async def check(self) -> str:
        """Confirm the credentials work and say who we are posting as."""

    async def close(self) -> None:
        """Release connections."""


class Renderer(Protocol):
    """Turns events into Slack messages (the `adapters.slack_render` module is one)."""

    def render(
        self,
        event: Event,
        routes: Sequence[str],
        mention: Sequence[str] = (),
        *,
        interactive: bool = False,
        annotations: Mapping[str, str] | None = None,
    ) -> Message:
        """The standalone message, or a thread parent showing the subject's current state."""

    def render_reply(
        self, event: Event, routes: Sequence[str], mention: Sequence[str] = ()
    ) -> Message:
        """A compact thread reply for one transition."""

    def render_digest(
        self, events: Sequence[Event], routes: Sequence[str], *, reason: str = ""
    ) -> Message:
        """One message listing many events."""
