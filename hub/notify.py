"""The interface the deliverer posts through (Slack Web API, or the console)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from hub.event import Event

Message = dict[str, Any]
"""chat.postMessage arguments without `channel`."""


class Notifier(Protocol):
    """Where rendered messages go; every failure raises a `hub.errors.DeliveryError`."""

    async def post(self, channel: str, message: Mapping[str, Any]) -> str:
        """Post `message` (chat.postMessage arguments, e.g. `thread_ts`) and return its ts."""

    async def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None:
        """Replace the message `ts` in `channel` (a name or an ID) with `message`."""

    async def find(self, channel: str, event_id: str) -> str | None:
        """The ts of a recent message in `channel` showing `event_id`, if one exists."""

    async def check(self) -> str:
        """Confirm the credentials work and say who we are posting as."""

    async def close(self) -> None:
        """Release connections."""


class Renderer(Protocol):
    """Turns an event into a message for one channel."""

    def __call__(
        self, event: Event, routes: Sequence[str], mention: Sequence[str] = ()
    ) -> Message: ...
