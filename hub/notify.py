"""The interface the deliverer posts through (Slack Web API, or the console)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from hub.event import Event

Message = dict[str, Any]
"""chat.postMessage arguments without `channel`."""


class Notifier(Protocol):
    """Posts rendered messages; raises Temporary/PermanentDeliveryError on failure."""

    async def post(self, channel: str, message: Message) -> str:
        """Post a message and return its ts."""

    async def update(self, channel: str, ts: str, message: Message) -> None:
        """Replace the message `ts` in `channel`."""

    async def close(self) -> None:
        """Release connections."""


class Renderer(Protocol):
    """Turns an event into a message for one channel."""

    def __call__(
        self, event: Event, routes: Sequence[str], mention: Sequence[str] = ()
    ) -> Message: ...
