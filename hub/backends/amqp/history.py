"""The event history on RabbitMQ: the `hub.events.log` stream, read with a stream offset."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from aio_pika.abc import AbstractIncomingMessage

from hub.backends.amqp.broker import AmqpBroker
from hub.core import jsonio
from hub.core.event import CLOUDEVENTS_CONTENT_TYPE, Event
from hub.core.log import get_logger
from hub.history.log import CAUGHT_UP, Record

log = get_logger("hub.history")

CLOSE_TIMEOUT = 5.0
IDLE = 1.0
"""Without `follow`, reading ends once the stream has been quiet this long (caught up)."""
LINGER = 0.05
"""Records appended within this many seconds leave as one stream message."""
BATCH_MAX = 1000
"""At most this many records in one message."""
PENDING_MAX = 50_000
"""Records kept while RabbitMQ does not take them; beyond this the oldest are dropped."""
SKEW = timedelta(minutes=5)
"""`events` starts the stream this much before `since` and reads this far past `until`: the
stream's own timestamps are when RabbitMQ stored an event, a little after hub received it
(longer for one that waited in the receiver's spool)."""


class AmqpRecordLog:
    """`RecordLog` on the stream: events arrive from `hub.events`, records from `hub.history`.

    Routing and delivery records are for people (the live page, `hub tail`, `/hub why`), so an
    append never waits for RabbitMQ: records gather for `linger` seconds and go out as one
    message holding a JSON array. At 200 events/s that is ~20 messages a second per process
    instead of 200, with a publish and a confirm each, on the stages and on RabbitMQ alike.
    A process that stops publishes what it holds first; one that crashes loses at most the
    last `linger` seconds of records (the events themselves reach the stream from hub.events).
    """

    def __init__(self, broker: AmqpBroker, linger: float = LINGER) -> None:
        self.broker = broker
        self.linger = linger
        self._pending: list[Record] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()
        self._publishing = asyncio.Lock()  # one batch at a time: a record is never sent twice

    async def start(self) -> None:
        """The broker's connection is opened by the broker."""

    async def close(self) -> None:
        """Publish the records still held."""
        self._closing.set()
        if self._flusher is not None:
            await self._flusher
        await self._publish_pending()

    async def append_event(self, event: Event) -> None:
        """Nothing to do: the stream is bound to hub.events, so it has every event already."""

    async def append(self, record: Record) -> None:
        """Hold a routing or delivery record for the next batch (never waits, never raises)."""
        self._pending.append(record)
        if len(self._pending) > PENDING_MAX:
            dropped = len(self._pending) - PENDING_MAX
            del self._pending[:dropped]
            log.warning("history records dropped: RabbitMQ is not taking them", records=dropped)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.linger):
                await self._closing.wait()  # closing: publish now
        await self._publish_pending()

    async def _publish_pending(self) -> None:
        async with self._publishing:
            while self._pending:
                batch = self._pending[:BATCH_MAX]
                try:
                    await self.broker.publish_history(jsonio.dumps(batch))
                except Exception as exc:
                    log.warning(
                        "history append failed",
                        records=len(batch),
                        error=str(exc) or type(exc).__name__,
                    )
                    return  # kept for the next append's flush
                del self._pending[: len(batch)]

    async def read(self, since: datetime | None, follow: bool) -> AsyncIterator[Record]:
        """Consume the stream from `since` on its own connection."""
        async with self._stream(since if since is not None else "first") as inbox:
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
                    yield {"kind": "event", "event": jsonio.loads(message.body)}
                    continue
                records = jsonio.loads(message.body)
                # A batch of records (an array), or one record as earlier versions wrote them.
                for record in records if isinstance(records, list) else [records]:
                    yield record

    async def events(
        self, since: datetime | None, until: datetime, containing: str | None = None
    ) -> AsyncIterator[Event]:
        """The stream's events from `since`, until one received past `until` (or the stream is
        read to its end); `containing` is looked for in the bytes before any parsing."""
        needle = containing.encode() if containing is not None else None
        async with self._stream(since - SKEW if since is not None else "first") as inbox:
            while True:
                try:
                    message = await asyncio.wait_for(inbox.get(), IDLE)
                except TimeoutError:
                    return
                await message.ack()
                if message.content_type != CLOUDEVENTS_CONTENT_TYPE:
                    continue
                # An event message is stamped with its receivedat (see AmqpBroker.publish).
                stamp = message.timestamp
                if stamp is not None and _aware(stamp) > until + SKEW:
                    return
                if needle is not None and needle not in message.body:
                    continue
                yield Event.from_json_bytes(message.body)

    @contextlib.asynccontextmanager
    async def _stream(
        self, offset: datetime | str
    ) -> AsyncIterator[asyncio.Queue[AbstractIncomingMessage]]:
        """The stream's messages from `offset` on, arriving in a queue, on a connection of its
        own that is closed when the reader is done."""
        connection = await self.broker.open_connection()
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=500)
            queue = await channel.get_queue(self.broker.topology.events_log, ensure=False)
            inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            await queue.consume(inbox.put, arguments={"x-stream-offset": offset})
            yield inbox
        finally:
            # Closing the connection ends the consumer too; a graceful basic.cancel first
            # has been seen to hang, and a reader must never hold up a shutdown.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), CLOSE_TIMEOUT)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
