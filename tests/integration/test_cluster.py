"""A node of a three-node RabbitMQ cluster killed under load (the one leading hub's queues, or a
follower): the stages move to another node and every accepted event reaches Slack once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import pytest

from hub.backends.amqp.broker import Topology
from hub.core.settings import Settings
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import HubProcess, RunningHub, free_port, run_hub
from tests.conftest_integration import SettingsFactory
from tests.rabbitcluster import Node, RabbitCluster
from tests.reliability import Tally, numbered

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.faults]

CHANNELS = 10
TEN_CHANNELS = "version: 1\nroutes:\n" + "".join(
    f'  - {{name: team-{t}, match: {{repo: acme/{t}}}, channels: ["#team-{t}"]}}\n'
    for t in "abcdefghij"
)
LOAD_SECONDS = 20.0
KILL_AFTER = 7.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitCluster]:
    """Three test-owned RabbitMQ nodes joined into a cluster; all killed afterwards."""
    rabbits = RabbitCluster(tmp_path_factory.mktemp("rabbit"))
    try:
        rabbits.start()
        yield rabbits
    finally:
        rabbits.stop()


@pytest.fixture
def whole_cluster(cluster: RabbitCluster) -> RabbitCluster:
    """The cluster with every node running (a node an earlier test killed is started again)."""
    cluster.revive()
    return cluster


def node_list(*nodes: Node) -> str:
    """`HUB_BROKER_URL` naming these nodes, in this order."""
    return ",".join(n.url for n in nodes)


async def steady_load(hub: RunningHub, tally: Tally, seconds: float, pause: float) -> set[int]:
    """One sender per channel posting its channel's events in order, one at a time, for
    `seconds`; the numbers sent (event i goes to channel i mod CHANNELS)."""
    sent: set[int] = set()
    deadline = time.monotonic() + seconds

    async def sender(team: int) -> None:
        i = team
        while time.monotonic() < deadline:
            status, _ = await hub.post(numbered(i, CHANNELS))
            tally.answer(status)
            sent.add(i)
            i += CHANNELS
            await asyncio.sleep(pause)

    await asyncio.gather(*(sender(t) for t in range(CHANNELS)))
    return sent


async def dead_letters(settings: Settings, node: Node) -> int:
    """Messages in the hub's dead-letter queue, asked of `node`."""
    connection = await aio_pika.connect(node.url)
    async with connection:
        channel = await connection.channel()
        topology = Topology(settings.amqp_prefix, settings.delivery_shards)
        queue = await channel.declare_queue(topology.dead_letters, passive=True)
        return int(queue.declaration_result.message_count or 0)


@pytest.mark.timeout(360)
@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
@pytest.mark.parametrize("victim", ["leader", "follower"])
async def test_a_cluster_node_killed_under_load_loses_doubles_and_dead_letters_nothing(
    make_settings: SettingsFactory,
    slack: FakeSlack,
    whole_cluster: RabbitCluster,
    victim: str,
    tmp_path: Path,
) -> None:
    """kill -9 of the node leading hub's quorum queues (receiver and router connected to it) or
    of a follower (the deliverer's node) under load: each accepted event reaches Slack once,
    in order per channel, and none is dead-lettered."""
    first, second, third = whole_cluster.nodes
    settings = make_settings(
        TEN_CHANNELS, broker_url=node_list(first, second, third), log_level="info"
    )
    tally = Tally(f"RabbitMQ cluster: {victim} node killed under load", "distributed")

    def process(name: str, broker_url: str) -> HubProcess:
        own = settings.model_copy(
            update={"ops_listen": f"127.0.0.1:{free_port()}", "broker_url": broker_url}
        )
        return HubProcess(own, name, log_path=tmp_path / f"{name}.log")

    router = process("router", node_list(first, second, third))
    deliverer = process("deliverer", node_list(second, third, first))
    async with run_hub(settings, stages=("receiver",)) as hub:
        await router.start()
        await deliverer.start()
        try:
            queues = await asyncio.to_thread(whole_cluster.queues, third, settings.amqp_prefix)
            topology = Topology(settings.amqp_prefix, settings.delivery_shards)
            work = [topology.route] + [topology.deliver(n) for n in range(topology.shards)]
            for name in work:
                members = queues[name]["members"]
                assert isinstance(members, list)
                assert len(members) == 3, f"{name} not replicated on 3 nodes: {queues[name]}"
            leaders = {str(queues[name]["leader"]) for name in work}
            # Declared through the first node, hub's queues are led from it.
            assert leaders == {first.name}, f"queue leaders {leaders}, expected {first.name}"
            target = first if victim == "leader" else second

            async def kill() -> None:
                await asyncio.sleep(KILL_AFTER)
                await asyncio.to_thread(whole_cluster.kill, target)

            killer = asyncio.create_task(kill())
            sent = await steady_load(hub, tally, seconds=LOAD_SECONDS, pause=0.19)
            await killer
            await slack.wait_for_events(len(sent), timeout=120)
            await asyncio.sleep(2)
            dead = await dead_letters(settings, third)
            after = await asyncio.to_thread(whole_cluster.queues, third, settings.amqp_prefix)
            for process_ in (router, deliverer):
                assert process_.process is not None
                assert process_.process.returncode is None, f"{process_.command} died"
        finally:
            await router.stop()
            await deliverer.stop()
    assert tally.statuses == {202: len(sent)}, f"non-202 answers: {tally.statuses}"
    assert dead == 0, f"{dead} messages dead-lettered after a node was killed"
    if victim == "leader":
        moved = {str(after[name]["leader"]) for name in work}
        assert first.name not in moved, f"the killed node still leads: {moved}"
    tally.check(slack, sent)
