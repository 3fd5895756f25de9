"""RabbitMQ broker: the topology, confirmed persistent publishes, manual acks."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
)
from aiormq.abc import FieldTable
from pamqp.commands import Basic

from hub.backends.amqp.dead import AmqpDeadSession
from hub.backends.amqp.publish import TurnPublisher
from hub.core.broker import POISON_DELIVERY_LIMIT, DeliveryHandler, EventHandler
from hub.core.errors import EngineUnavailable
from hub.core.event import CLOUDEVENTS_CONTENT_TYPE, Event
from hub.core.log import get_logger, log_failure
from hub.core.messages import DeadLetter, DeadLetterSession, Delivery, shard_of
from hub.core.metrics import QUEUE_LAG
from hub.core.urls import broker_urls, without_credentials

log = get_logger("hub.amqp")

PERSISTENT = int(aio_pika.DeliveryMode.PERSISTENT)

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for one RabbitMQ node to answer a connect before trying the next."""

CONFIRM_TIMEOUT = 10.0
"""Seconds a publish waits for RabbitMQ's confirm before the broker counts as unavailable."""


class Topology:
    """Every exchange and queue name of the topology, under one prefix."""

    def __init__(self, prefix: str, shards: int) -> None:
        self.prefix = prefix
        self.shards = shards
        self.events = f"{prefix}.events"
        self.route = f"{prefix}.route"
        self.events_log = f"{prefix}.events.log"
        self.deliveries = f"{prefix}.deliveries"
        self.dead = f"{prefix}.dead"
        self.dead_letters = f"{prefix}.dead-letters"
        self.history = f"{prefix}.history"

    def deliver(self, shard: int) -> str:
        """The name of one delivery shard queue."""
        return f"{self.prefix}.deliver.{shard}"

    def queues(self) -> list[str]:
        """Every queue of the topology (for tests that clean up)."""
        names = [self.route, self.events_log, self.dead_letters]
        return names + [self.deliver(n) for n in range(self.shards)]

    def exchanges(self) -> list[str]:
        """Every exchange of the topology."""
        return [self.events, self.deliveries, self.dead, self.history]


@dataclass(frozen=True)
class _Consumer:
    queue: str
    parse: Callable[[bytes], Any]
    handler: Callable[[Any], Awaitable[None]]
    prefetch: int


class AmqpBroker:
    """`Broker` on RabbitMQ: quorum queues, a stream for history, single-active-consumer shards."""

    def __init__(
        self,
        url: str,
        prefix: str = "hub",
        shards: int = 4,
        retention: timedelta = timedelta(days=7),
        prefetch: int = 64,
    ) -> None:
        self.url = url
        self.urls = broker_urls(url)
        self._node = 0  # the index in `urls` of the node connected to (or to try first)
        self.topology = Topology(prefix, shards)
        self.retention = retention
        self.prefetch = prefetch
        self._connection: AbstractConnection | None = None
        self._publish: AbstractChannel | None = None
        self._publisher = TurnPublisher(self._publish_channel)
        self._renewing = asyncio.Lock()
        self._exchanges: dict[str, AbstractExchange] = {}
        self._specs: list[_Consumer] = []
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._lost = asyncio.Event()
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect, declare the topology (idempotent), and keep reconnecting when the link drops."""
        await self._connect()
        self._supervisor = asyncio.create_task(self._supervise())

    async def _connect(self) -> None:
        # A plain connection and our own supervisor rather than connect_robust: after some
        # broker restarts robust connections come back without their consumers. Here every
        # reconnect re-declares the topology and re-creates every consumer, always.
        connection = await self.open_connection()
        try:
            publish = await connection.channel(publisher_confirms=True, on_return_raises=True)
            await self._declare(publish)
            self._connection, self._publish = connection, publish
            self._consumers.clear()
            for spec in self._specs:
                await self._start_consumer(spec)
        except BaseException:
            await connection.close()
            raise
        self._lost.clear()
        connection.close_callbacks.add(lambda *_: self._lost.set())

    async def open_connection(self) -> AbstractConnection:
        """A connection to the first node that answers, from the current one on in list order.

        With several nodes in `HUB_BROKER_URL`, a lost node's successor is tried first on the
        reconnect (the supervisor moves `_node` on), and so on round the list."""
        failures: list[str] = []
        for step in range(len(self.urls)):
            index = (self._node + step) % len(self.urls)
            url = self.urls[index]
            try:
                connection = await aio_pika.connect(
                    url, timeout=CONNECT_TIMEOUT, client_properties={"connection_name": "hub"}
                )
            except (OSError, TimeoutError, aiormq.exceptions.AMQPError) as exc:
                failures.append(f"{without_credentials(url)}: {str(exc) or type(exc).__name__}")
                continue
            if len(self.urls) > 1:
                log.info("connected to RabbitMQ", node=without_credentials(url))
            self._node = index
            return connection
        raise ConnectionError("no RabbitMQ node answered (" + "; ".join(failures) + ")")

    async def _supervise(self) -> None:
        while not self._closing:
            await self._lost.wait()
            if self._closing:
                return
            lost = without_credentials(self.urls[self._node])
            log.warning("RabbitMQ connection lost; reconnecting", node=lost)
            self._node = (self._node + 1) % len(self.urls)  # the next node first
            delay = 0.5
            while not self._closing:
                try:
                    await self._connect()
                except Exception as exc:
                    log.debug("reconnect failed", error=str(exc) or type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                else:
                    log.info("RabbitMQ connection restored", consumers=len(self._specs))
                    break

    async def _declare(self, channel: AbstractChannel) -> None:
        t = self.topology
        ex = self._exchanges
        ex[t.events] = await channel.declare_exchange(
            t.events, aio_pika.ExchangeType.TOPIC, durable=True
        )
        ex[t.deliveries] = await channel.declare_exchange(
            t.deliveries, aio_pika.ExchangeType.DIRECT, durable=True
        )
        ex[t.dead] = await channel.declare_exchange(
            t.dead, aio_pika.ExchangeType.FANOUT, durable=True
        )
        quorum: FieldTable = {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": t.dead,
            "x-delivery-limit": POISON_DELIVERY_LIMIT,
        }
        route = await channel.declare_queue(t.route, durable=True, arguments=quorum)
        await route.bind(t.events, routing_key="#")
        log_queue = await channel.declare_queue(
            t.events_log,
            durable=True,
            arguments={
                "x-queue-type": "stream",
                "x-max-age": f"{max(1, int(self.retention.total_seconds()))}s",
            },
        )
        await log_queue.bind(t.events, routing_key="#")
        ex[t.history] = await channel.declare_exchange(
            t.history, aio_pika.ExchangeType.FANOUT, durable=True
        )
        await log_queue.bind(t.history, routing_key="")
        for n in range(t.shards):
            queue = await channel.declare_queue(
                t.deliver(n), durable=True, arguments={**quorum, "x-single-active-consumer": True}
            )
            await queue.bind(t.deliveries, routing_key=str(n))
        dead = await channel.declare_queue(
            t.dead_letters, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead.bind(t.dead, routing_key="")

    async def close(self) -> None:
        """Close the connection; unacknowledged messages go back to their queues."""
        self._closing = True
        self._lost.set()
        if self._supervisor is not None:
            await self._supervisor
        await self._publisher.close()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def ping(self) -> None:
        """Raise ConnectionError unless the connection and publish channel are open."""
        if self._connection is None or self._connection.is_closed:
            raise ConnectionError("not connected to RabbitMQ")
        if self._publish is None or self._publish.is_closed:
            raise ConnectionError("RabbitMQ publish channel is closed")

    async def publish_event(self, event: Event) -> None:
        """Publish persistent and wait for the confirm; unroutable raises."""
        await self._publish_confirmed(
            self.topology.events,
            event.type,
            event.to_json_bytes(),
            Basic.Properties(
                content_type=CLOUDEVENTS_CONTENT_TYPE,
                delivery_mode=PERSISTENT,
                message_id=event.id,
                message_type=event.type,
                timestamp=event.receivedat,
                headers={"x-hub-source": event.source},
            ),
        )

    async def publish_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """Publish each delivery to its channel's shard; all confirmed before returning."""
        await asyncio.gather(
            *(
                self._publish_confirmed(
                    self.topology.deliveries,
                    str(shard_of(d.channel, self.topology.shards)),
                    d.to_json_bytes(),
                    Basic.Properties(
                        content_type="application/json",
                        delivery_mode=PERSISTENT,
                        message_id=f"{d.event.id}:{d.channel}",
                        timestamp=d.event.receivedat,
                        headers={"x-hub-channel": d.channel},
                    ),
                )
                for d in deliveries
            )
        )

    async def _publish_confirmed(
        self, exchange: str, routing_key: str, body: bytes, properties: Basic.Properties
    ) -> None:
        # Straight to aiormq, the publishes of one loop turn in one write (amqp/publish.py):
        # aio-pika's Message and aiormq's per-message path cost more CPU than the framing. The
        # channel has confirms on and raises on return, so an unroutable message (PublishError)
        # or a nack (DeliveryError) raises here as through aio-pika.
        if exchange not in self._exchanges:
            raise EngineUnavailable("broker", "RabbitMQ not connected")
        channel = self._publish
        try:
            async with asyncio.timeout(CONFIRM_TIMEOUT):
                await self._publisher.publish(exchange, routing_key, body, properties)
        except aiormq.exceptions.PublishError:
            raise  # unroutable: a missing queue or binding, said as it is
        except (
            aiormq.exceptions.DeliveryError,  # nacked: e.g. the queue's leader was lost
            aiormq.exceptions.AMQPError,
            aiormq.exceptions.ChannelInvalidStateError,
            ConnectionError,
            TimeoutError,
        ) as exc:
            # Not the message's fault. A channel opened while a quorum queue elected its new
            # leader was seen to stay nacked for 40 s (RabbitMQ 3.10); a new one is acked at
            # once. So the next try goes out on a fresh channel.
            await self._renew_publish_channel(channel)
            detail = f"publish not confirmed ({type(exc).__name__}: {exc})"
            raise EngineUnavailable("broker", detail) from exc

    async def _renew_publish_channel(self, failed: AbstractChannel | None) -> None:
        """Replace the publish channel `failed` (once, however many publishes on it failed)."""
        async with self._renewing:
            connection = self._connection
            if failed is not self._publish or connection is None or connection.is_closed:
                return  # renewed already, or the supervisor reconnects
            try:
                fresh = await connection.channel(publisher_confirms=True, on_return_raises=True)
            except Exception as exc:
                log.debug("could not open a new publish channel", error=str(exc))
                return
            self._publish = fresh
            log.info("publish channel renewed after a failed publish")
        if failed is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(failed.close(), 5)

    async def _publish_channel(self) -> aiormq.Channel:
        if self._publish is None:
            raise ConnectionError("RabbitMQ not connected")
        return cast(aiormq.Channel, await self._publish.get_underlay_channel())

    async def publish_dead_letter(self, dead: DeadLetter) -> None:
        """Publish a failed delivery with its reason and history in headers."""
        headers: FieldTable = {
            "x-hub-reason": dead.reason,
            "x-hub-attempts": dead.attempts,
            "x-hub-first-error": dead.first_error[:1000],
            "x-hub-last-error": dead.last_error[:1000],
            "x-hub-channel": dead.delivery.channel,
            "x-hub-routes": ",".join(dead.delivery.routes),
            "x-hub-dead-at": datetime.now(UTC).isoformat(),
        }
        await self._publish_confirmed(
            self.topology.dead,
            "",
            dead.delivery.to_json_bytes(),
            Basic.Properties(
                content_type="application/json",
                delivery_mode=PERSISTENT,
                message_id=f"{dead.delivery.event.id}:{dead.delivery.channel}",
                headers=headers,
            ),
        )

    async def publish_history(self, body: bytes) -> None:
        """Append a routing or delivery record to the history stream."""
        await self._publish_confirmed(
            self.topology.history,
            "",
            body,
            Basic.Properties(
                content_type="application/json",
                delivery_mode=PERSISTENT,
                timestamp=datetime.now(UTC),
            ),
        )

    async def consume_events(self, handler: EventHandler) -> None:
        """Competing consumer on the route queue."""
        await self._consume(self.topology.route, Event.from_json_bytes, handler, self.prefetch)

    async def consume_deliveries(self, handler: DeliveryHandler) -> None:
        """One consumer per shard; single active consumer keeps per-channel order."""
        for n in range(self.topology.shards):
            await self._consume(
                self.topology.deliver(n), Delivery.from_json_bytes, handler, self.prefetch
            )

    async def _consume(
        self,
        queue_name: str,
        parse: Callable[[bytes], Any],
        handler: Callable[[Any], Awaitable[None]],
        prefetch: int,
    ) -> None:
        spec = _Consumer(queue_name, parse, handler, prefetch)
        self._specs.append(spec)
        await self._start_consumer(spec)

    async def _start_consumer(self, spec: _Consumer) -> None:
        assert self._connection is not None, "start() first"
        queue_name, parse, handler = spec.queue, spec.parse, spec.handler
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=spec.prefetch)
        queue = await channel.get_queue(queue_name, ensure=False)

        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                await self._handle(queue_name, message, parse, handler)
            finally:
                self._in_flight.discard(task)

        tag = await queue.consume(on_message)
        self._consumers.append((queue, tag))

    async def _handle(
        self,
        queue_name: str,
        message: AbstractIncomingMessage,
        parse: Callable[[bytes], Any],
        handler: Callable[[Any], Awaitable[None]],
    ) -> None:
        if message.timestamp is not None:
            QUEUE_LAG.labels(queue=queue_name).set(
                max(0.0, time.time() - message.timestamp.timestamp())
            )
        try:
            item = parse(message.body)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("unparsable message dead-lettered", queue=queue_name, error=str(exc))
            await _settle(message.reject(requeue=False))
            return
        try:
            await handler(item)
        except asyncio.CancelledError:
            await asyncio.shield(_settle(message.nack(requeue=True)))
            raise
        except Exception as exc:
            log_failure(log, "handler failed; message returned to the queue", exc, queue=queue_name)
            await _settle(message.nack(requeue=True))
        else:
            await _settle(message.ack())

    async def stop_consuming(self) -> None:
        """Cancel every consumer; in-flight handlers keep running."""
        self._specs.clear()
        for queue, tag in self._consumers:
            try:
                await asyncio.wait_for(queue.cancel(tag), 5)
            except Exception as exc:
                log.warning("consumer cancel failed", queue=queue.name, error=str(exc))
        self._consumers.clear()

    async def drain(self, grace: float) -> bool:
        """Wait up to `grace` s for in-flight handlers; True if all finished."""
        pending = {t for t in self._in_flight if not t.done()}
        if not pending:
            return True
        _, still = await asyncio.wait(pending, timeout=grace)
        return not still

    @contextlib.asynccontextmanager
    async def dead_letters(self) -> AsyncIterator[DeadLetterSession]:
        """Take every dead letter unacked; removed ones are acked, the rest returned in order."""
        assert self._connection is not None, "start() first"
        channel = await self._connection.channel()
        try:
            queue = await channel.declare_queue(self.topology.dead_letters, passive=True)
            count = queue.declaration_result.message_count or 0
            messages: list[AbstractIncomingMessage] = []
            for _ in range(count):
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                messages.append(message)
            session = AmqpDeadSession(messages)
            try:
                yield session
            finally:
                for message in messages:
                    if id(message) in session.removed:
                        await message.ack()
                    else:
                        await message.nack(requeue=True)
        finally:
            await channel.close()


async def _settle(outcome: Awaitable[None]) -> None:
    """Ack or nack; if the channel died meanwhile, RabbitMQ redelivers, and that is fine."""
    try:
        await outcome
    except (aio_pika.exceptions.AMQPError, RuntimeError, ConnectionError) as exc:
        log.info("could not settle message; the broker will redeliver it", error=str(exc))
