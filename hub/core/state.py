"""The state store interface (dedup marks, posted marks, thread map); Redis or SQLite."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol


@dataclass(frozen=True)
class Announced:
    """What an announcement of a change reached: the processes listening for it, how many of
    them confirmed they acted on it in time, and why it could not be sent, if it could not."""

    listeners: int
    confirmed: int
    error: str = ""

    @property
    def complete(self) -> bool:
        """Whether every listener confirmed."""
        return not self.error and self.confirmed >= self.listeners


class StateStore(Protocol):
    """Small shared key-value state with expiry, visible to every process of one hub."""

    async def start(self) -> None:
        """Connect or open."""

    async def close(self) -> None:
        """Release the connection."""

    async def ping(self) -> None:
        """Raise unless the store answers."""

    async def add(
        self, key: str, value: str, ttl: timedelta | None = None, durable: bool = True
    ) -> bool:
        """Set `key` only if absent; True when this call set it (`durable` as for `put`)."""

    async def put(
        self, key: str, value: str, ttl: timedelta | None = None, durable: bool = True
    ) -> None:
        """Set `key`, replacing any value.

        `durable=False` is for marks whose loss in a power cut (not a process crash) only
        means work done again: the write need not reach the disk before this returns.
        """

    async def get(self, key: str) -> str | None:
        """The value of `key`, or None when absent or expired."""

    async def delete(self, key: str) -> None:
        """Remove `key` if present."""

    async def scan(self, prefix: str) -> dict[str, str]:
        """Every live key starting with `prefix`, with its value."""

    async def push(self, key: str, value: str) -> None:
        """Append `value` to the list `key` (kept until taken)."""

    async def take(self, key: str) -> list[str]:
        """Atomically remove and return the whole list `key`, oldest first."""

    async def listen(self, topic: str, act: Callable[[], Awaitable[None]]) -> None:
        """Until `close`, run `act` after every announcement of `topic` by any process of this
        hub, then confirm it to the announcer. Listening has begun when this returns."""

    async def announce(self, topic: str, within: float) -> Announced:
        """Tell every process listening on `topic` that it changed, and wait up to `within`
        seconds for each to confirm it has acted on the change."""
