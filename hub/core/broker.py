"""The broker interface the stages use; RabbitMQ and the embedded queue implement it."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from hub.core import jsonio
from hub.core.event import Event

if TYPE_CHECKING:
    from hub.core.deadletters import DeadLetterSession


@dataclass(frozen=True)
class Delivery:
    """One event to post to one channel: the router's output, the deliverer's input."""

    event: Event
    channel: str
    routes: tuple[str, ...]
    mention: tuple[str, ...] = ()
    thread: bool = True
    digest: str = "auto"
    held: tuple[Event, ...] = ()
    """Events held during quiet hours, delivered together as one digest (empty otherwise)."""

    @property
    def threadkey(self) -> str | None:
        """The thread this delivery goes into, if the route threads and the event has one."""
        return self.event.threadkey if self.thread else None

    def to_json_bytes(self) -> bytes:
        """The JSON message carried on the deliveries queues."""
        return jsonio.dumps(
            {
                "event": self.event.to_cloudevent(),
                "channel": self.channel,
                "routes": list(self.routes),
                "mention": list(self.mention),
                "thread": self.thread,
                "digest": self.digest,
                "held": [e.to_cloudevent() for e in self.held],
            }
        )

    @classmethod
    def from_json_bytes(cls, body: bytes) -> Delivery:
        """Parse a deliveries-queue message."""
        doc = jsonio.loads(body)
        return cls(
            event=Event.from_cloudevent(doc["event"]),
            channel=doc["channel"],
            routes=tuple(doc.get("routes", ())),
            mention=tuple(doc.get("mention", ())),
            thread=bool(doc.get("thread", True)),
            digest=str(doc.get("digest", "auto")),
            held=tuple(Event.from_cloudevent(e) for e in doc.get("held") or ()),
        )


@dataclass(frozen=True)
class DeadLetter:
    """A delivery that will not be retried, with why and how often it was tried."""

    delivery: Delivery
    reason: str
    attempts: int
    first_error: str
    last_error: str
    extra: dict[str, Any] = field(default_factory=dict)


def shard_of(channel: str, shards: int) -> int:
    """The delivery shard a channel always maps to (stable across processes and restarts)."""
    return zlib.crc32(channel.encode()) % shards


EventHandler = Callable[[Event], Awaitable[None]]
DeliveryHandler = Callable[[Delivery], Awaitable[None]]


class Broker(Protocol):
    """Durable, at-least-once transport between receiver, router and deliverer.

    Publishing returns only once the message is durably stored. A consumer's handler
    returning means "done": the message is acknowledged; raising returns it to the queue.
    """

    async def start(self) -> None:
        """Connect and declare everything idempotently."""

    async def close(self) -> None:
        """Stop consuming and release connections."""

    async def ping(self) -> None:
        """Raise if the broker is not reachable right now."""

    async def publish_event(self, event: Event) -> None:
        """Store an accepted event durably (confirmed) for the routers."""

    async def publish_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Store deliveries durably, each on its channel's shard."""

    async def publish_dead_letter(self, dead: DeadLetter) -> None:
        """Store a failed delivery on the dead letters."""

    async def consume_events(self, handler: EventHandler) -> None:
        """Start handing events to `handler` (returns once consuming has started)."""

    async def consume_deliveries(self, handler: DeliveryHandler) -> None:
        """Start handing deliveries to `handler`, in order per shard."""

    def dead_letters(self) -> AbstractAsyncContextManager[DeadLetterSession]:
        """A session over every dead letter, oldest first."""

    async def stop_consuming(self) -> None:
        """Stop taking new messages; in-flight handlers keep running."""

    async def drain(self, grace: float) -> bool:
        """Wait up to `grace` s for in-flight handlers; True if all finished."""
