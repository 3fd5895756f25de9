"""The event history on RabbitMQ: the `hub.events.log` stream, read with a stream offset."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from hub.amqp import AmqpBroker
from hub.event import CLOUDEVENTS_CONTENT_TYPE, Event
from hub.history_log import CAUGHT_UP, Record
from hub.log import get_logger

log = get_logger("hub.history")

CLOSE_TIMEOUT = 5.0
IDLE = 1.0
"""Without `follow`, reading ends once the stream has been quiet this long (caught up)."""


class AmqpHistoryLog:
    """`HistoryLog` on the stream: events arrive from `hub.events`, records from `hub.history`."""

    def __init__(self, broker: AmqpBroker) -> None:
        self.broker = broker

    async def start(self) -> None:
        """The broker's connection is opened by the broker."""

    async def close(self) -> None:
        """Nothing of its own to close."""

    async def append_event(self, event: Event) -> None:
        """Nothing to do: the stream is bound to hub.events, so it has every event already."""

    async def append(self, record: Record) -> None:
        """Publish a routing or delivery record."""
        try:
            await self.broker.publish_history(json.dumps(record).encode())
        except Exception as exc:
            log.warning("history append failed", error=str(exc) or type(exc).__name__)

    async def read(self, since: datetime | None, follow: bool) -> AsyncIterator[Record]:
        """Consume the stream from `since` on its own connection."""
        connection = await aio_pika.connect(self.broker.url)
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=500)
            queue = await channel.get_queue(self.broker.topology.events_log, ensure=False)
            inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            offset: datetime | str = since if since is not None else "first"
            await queue.consume(inbox.put, arguments={"x-stream-offset": offset})
            caught_up = False
            while True:
                try:
                    message = await asyncio.wait_for(inbox.get(), None if caught_up else IDLE)
                except TimeoutError:
                    if not follow:
                        return
                    caught_up = True
                    yield CAUGHT_UP
                    continue
                await message.ack()
                if message.content_type == CLOUDEVENTS_CONTENT_TYPE:
                    yield {"kind": "event", "event": json.loads(message.body)}
                else:
                    yield json.loads(message.body)
        finally:
            # Closing the connection ends the consumer too; a graceful basic.cancel first
            # has been seen to hang, and a reader must never hold up a shutdown.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), CLOSE_TIMEOUT)
