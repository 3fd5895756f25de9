"""The broker interface the stages use; RabbitMQ and the embedded queue implement it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from hub.core.event import Event
from hub.core.messages import DeadLetter, DeadLetterSession, Delivery

POISON_DELIVERY_LIMIT = 10
"""Deliveries after which a message that keeps failing its worker is dead-lettered."""

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
