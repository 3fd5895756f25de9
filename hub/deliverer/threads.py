"""Thread parents: per (channel, threadkey), the Slack message that shows the current state."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import timedelta

from hub.core.state import StateStore

THREAD_TTL = timedelta(days=30)


@dataclass(frozen=True)
class Parent:
    """Where a thread's parent message is and what it shows."""

    channel: str  # the channel ID Slack answered with (chat.update needs it)
    ts: str
    state: str | None
    severity: str
    since: str  # ISO time the current state began
    updates: int = 0
    acknowledged_by: str | None = None


class ThreadMap:
    """The threadkey → parent map, in the state store so every deliverer and restart shares it."""

    def __init__(self, state: StateStore) -> None:
        self.state = state

    @staticmethod
    def _key(channel: str, threadkey: str) -> str:
        return f"thread:{channel}:{threadkey}"

    async def get(self, channel: str, threadkey: str) -> Parent | None:
        """The parent of this thread in this channel, if one was posted."""
        raw = await self.state.get(self._key(channel, threadkey))
        return Parent(**json.loads(raw)) if raw else None

    async def save(self, channel: str, threadkey: str, parent: Parent) -> None:
        """Remember (or move) the parent of this thread."""
        await self.state.put(self._key(channel, threadkey), json.dumps(asdict(parent)), THREAD_TTL)
