"""The interface the deliverer posts through (Slack Web API, or the console)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hub.event import Event


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
