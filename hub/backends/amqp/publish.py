"""Confirmed publishes asked for in one event-loop turn, written to RabbitMQ as one frame write."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiormq
from aiormq.abc import ChannelFrame
from pamqp.commands import Basic
from pamqp.header import ContentHeader

from hub.core.batching import TurnQueue

GetChannel = Callable[[], Awaitable[aiormq.Channel]]
"""The publish channel as it is now (it changes when the connection is re-established)."""


@dataclass(frozen=True, slots=True)
class _Publish:
    exchange: str
    routing_key: str
    body: bytes
    properties: Basic.Properties


_Batch = list[tuple[_Publish, "asyncio.Future[None]"]]


class TurnPublisher:
    """Mandatory, confirmed publishes; those asked for in one loop turn leave in one write.

    aiormq's `basic_publish` pays per message for a lock, a timeout scope, a trip through the
    connection's write queue to its writer task and a `send()` of its own. Under webhook load
    that was about a fifth of the receiver's CPU per webhook (`bench.ab`, docs/benchmarks.md).
    Here the messages of one turn take their delivery tags and confirmation futures under the
    channel's lock exactly as `basic_publish` gives them out, so aiormq's own frame handling
    settles them: an ack completes `publish`, a nack raises `aiormq.exceptions.DeliveryError`,
    an unroutable message raises `aiormq.exceptions.PublishError`, a closed channel raises
    `ConnectionError`. Their frames go to the socket as one payload.
    """

    def __init__(self, channel: GetChannel) -> None:
        self._channel = channel
        self._turn: TurnQueue[_Publish, None] = TurnQueue(self._send)

    async def publish(
        self, exchange: str, routing_key: str, body: bytes, properties: Basic.Properties
    ) -> None:
        """Return once RabbitMQ has confirmed the message (persistent if `properties` say so)."""
        await self._turn.ask(_Publish(exchange, routing_key, body, properties))

    async def _send(self, batch: _Batch) -> None:
        try:
            channel = await self._channel()
            if channel.is_closed:
                raise ConnectionError("RabbitMQ publish channel is closed")
        except BaseException as exc:
            _fail(batch, exc)
            if not isinstance(exc, Exception):
                raise
            return
        async with channel.lock:
            first = channel.delivery_tag
            frames: list[object] = []
            for item, done in batch:
                frames += _register(channel, item, done)
            try:
                await channel.write_queue.put(
                    ChannelFrame.marshall(channel_number=channel.number, frames=frames)  # type: ignore[arg-type]
                )
            except BaseException as exc:
                # Nothing reached the broker: give the delivery tags back, as basic_publish does,
                # so the broker's numbering and ours stay the same.
                _fail(batch, exc)
                for tag in range(first + 1, channel.delivery_tag + 1):
                    confirmation = channel.confirmations.pop(tag, None)
                    if isinstance(confirmation, asyncio.Future):
                        confirmation.cancel()
                channel.delivery_tag = first
                if not isinstance(exc, Exception):
                    raise

    async def close(self) -> None:
        """Wait for the writes already started (their confirms settle with the channel)."""
        await self._turn.close()


def _register(channel: aiormq.Channel, item: _Publish, done: asyncio.Future[None]) -> list[object]:
    """Take the next delivery tag for `item` and its frames; its confirm settles `done`."""
    if not channel.publisher_confirms:
        raise RuntimeError("the publish channel must have publisher confirms on")
    properties = item.properties
    if not properties.message_id:  # returns are matched to publishes by message id
        properties.message_id = uuid.uuid4().hex
    message_id = properties.message_id
    channel.delivery_tag += 1
    tag = channel.delivery_tag
    confirmation = channel.create_future()
    channel.confirmations[tag] = confirmation
    channel.message_id_delivery_tag[message_id] = tag

    def settle(confirmed: asyncio.Future[object]) -> None:
        if channel.message_id_delivery_tag.get(message_id) == tag:
            del channel.message_id_delivery_tag[message_id]
        if done.done():
            return
        if confirmed.cancelled():
            done.set_exception(
                ConnectionError("the RabbitMQ channel closed before it confirmed the publish")
            )
            return
        error = confirmed.exception()
        if error is None:
            done.set_result(None)
        elif isinstance(error, Exception):
            done.set_exception(error)
        else:
            done.set_exception(ConnectionError(f"publish not confirmed: {error!r}"))

    confirmation.add_done_callback(settle)
    return [
        Basic.Publish(exchange=item.exchange, routing_key=item.routing_key, mandatory=True),
        ContentHeader(properties=properties, body_size=len(item.body)),
        *channel._split_body(item.body),  # aiormq's own rule for splitting bodies into frames
    ]


def _fail(batch: _Batch, exc: BaseException) -> None:
    error = exc if isinstance(exc, Exception) else ConnectionError("publish cancelled")
    for _, done in batch:
        if not done.done():
            done.set_exception(error)
