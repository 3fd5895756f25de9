"""Several RabbitMQ nodes in HUB_BROKER_URL: hub connects to the first that answers and, on losing
it, moves on to the next (two proxies in front of the one local RabbitMQ play two nodes)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from hub.backends.amqp.broker import AmqpBroker
from hub.testing.harness import delete_topologies, free_port, info_event
from tests.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


def _via(port: int) -> str:
    return f"amqp://guest:guest@127.0.0.1:{port}/"


async def test_broker_skips_a_node_that_does_not_answer_and_moves_on_when_one_is_lost() -> None:
    """With nodes [down, A, B]: connects through A; when A is cut, reconnects through B."""
    a, b = TcpProxy("127.0.0.1", 5672), TcpProxy("127.0.0.1", 5672)
    port_a, port_b = await a.start(), await b.start()
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    broker = AmqpBroker(
        ",".join([_via(free_port()), _via(port_a), _via(port_b)]), prefix=prefix, shards=1
    )
    try:
        await broker.start()
        assert broker._node == 1
        await broker.publish_event(info_event(1))
        await a.cut()
        for _ in range(100):
            if broker._node == 2 and not broker._lost.is_set():
                break
            await asyncio.sleep(0.05)
        assert broker._node == 2, "did not move on to the next node"
        await broker.ping()
        await broker.publish_event(info_event(2))
    finally:
        await broker.close()
        await a.stop()
        await b.stop()
        await delete_topologies({(prefix, 1)})
