"""Publishes batched per loop turn (backends/amqp/publish.py) keep RabbitMQ confirm semantics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import aiormq
import pytest
from aio_pika.abc import AbstractQueue
from pamqp.commands import Basic

from hub.backends.amqp.broker import PERSISTENT, AmqpBroker
from hub.backends.amqp.publish import TurnPublisher
from hub.core.messages import DeadLetter, Delivery
from hub.testing.harness import AMQP_URL, delete_topologies, info_event

pytestmark = pytest.mark.integration

SHARDS = 2


@pytest.fixture
async def broker() -> AsyncIterator[AmqpBroker]:
    """A started broker on a topology of its own, deleted afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    started = AmqpBroker(AMQP_URL, prefix=prefix, shards=SHARDS)
    await started.start()
    try:
        yield started
    finally:
        await started.close()
        await delete_topologies({(prefix, SHARDS)})


@pytest.fixture
def publisher(broker: AmqpBroker) -> TurnPublisher:
    """A TurnPublisher on the broker's publish channel, as AmqpBroker builds its own."""
    return TurnPublisher(broker._publish_channel)


@asynccontextmanager
async def _bound_queue(exchange: str, key: str, **arguments: Any) -> AsyncIterator[AbstractQueue]:
    """A private queue bound to `exchange` by `key`, gone with its connection."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, arguments=arguments or None)
        await queue.bind(exchange, routing_key=key)
        yield queue


def _props(n: int) -> Basic.Properties:
    return Basic.Properties(delivery_mode=PERSISTENT, message_id=f"m{n}")


async def _drain(queue: AbstractQueue, count: int) -> list[bytes]:
    bodies = []
    for _ in range(count):
        message = await queue.get(timeout=5, fail=True)
        assert message is not None
        bodies.append(message.body)
        await message.ack()
    return bodies


async def test_a_turn_of_publishes_is_confirmed_and_arrives_in_order(
    broker: AmqpBroker, publisher: TurnPublisher
) -> None:
    """Fifty publishes asked in one turn all return confirmed, and the queue holds them in order."""
    events = broker.topology.events
    async with _bound_queue(events, "order.#") as queue:
        bodies = [f"body {n}".encode() for n in range(50)]
        results = await asyncio.gather(
            *(
                publisher.publish(events, "order.test", body, _props(n))
                for n, body in enumerate(bodies)
            )
        )
        assert results == [None] * 50
        assert await _drain(queue, 50) == bodies
        assert (await broker._publish_channel()).confirmations == {}, "every confirm settled"


async def test_an_unroutable_message_fails_alone_and_the_rest_of_its_turn_is_confirmed(
    broker: AmqpBroker, publisher: TurnPublisher
) -> None:
    """A message no queue takes raises PublishError; the ones sent with it still succeed."""
    deliveries = broker.topology.deliveries
    async with _bound_queue(deliveries, "routed") as queue:
        keys = ["routed", "nowhere", "routed"]
        results = await asyncio.gather(
            *(
                publisher.publish(deliveries, key, key.encode(), _props(n))
                for n, key in enumerate(keys)
            ),
            return_exceptions=True,
        )
        assert (results[0], results[2]) == (None, None)
        assert isinstance(results[1], aiormq.exceptions.PublishError)
        assert await _drain(queue, 2) == [b"routed", b"routed"]


async def test_a_nacked_message_raises_delivery_error(
    broker: AmqpBroker, publisher: TurnPublisher
) -> None:
    """A queue that rejects publishes when full makes RabbitMQ nack: publish raises, not returns."""
    deliveries = broker.topology.deliveries
    full = {"x-max-length": 1, "x-overflow": "reject-publish"}
    async with _bound_queue(deliveries, "full", **full):
        await publisher.publish(deliveries, "full", b"fits", _props(1))
        with pytest.raises(aiormq.exceptions.DeliveryError):
            await publisher.publish(deliveries, "full", b"over", _props(2))


async def test_batched_and_aio_pika_publishes_share_the_channel_numbering(
    broker: AmqpBroker,
) -> None:
    """Dead letters (aio-pika's own publish) interleaved with batched events on the same channel
    are each confirmed: the delivery tags of both paths stay in step with the broker's."""
    event = info_event(1)
    dead = DeadLetter(Delivery(event, "#ops", ("r",)), "gave up", 3, "first", "last")
    calls = []
    for n in range(30):
        calls.append(broker.publish_event(info_event(n)))
        if n % 5 == 0:
            calls.append(broker.publish_dead_letter(dead))
    await asyncio.gather(*calls)
    async with broker.dead_letters() as session:
        assert len(session.records) == 6


async def test_publishing_on_a_closed_channel_raises_connection_error(
    broker: AmqpBroker, publisher: TurnPublisher
) -> None:
    """With the channel gone, publish fails fast with ConnectionError (the spool's cue)."""
    await (await broker._publish_channel()).close()
    with pytest.raises(ConnectionError):
        await publisher.publish(broker.topology.events, "x", b"x", _props(1))
