"""A node of a three-node RabbitMQ cluster killed under load (the one leading hub's queues, or a
follower): the stages move to another node and every accepted event reaches Slack once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.backends.amqp.broker import Topology
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import HubProcess, free_port, run_hub
from tests.conftest_integration import SettingsFactory
from tests.rabbitcluster import Node, RabbitCluster
from tests.reliability import TEN_CHANNELS, Tally, dead_letter_count, steady_load

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.faults]

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
            dead = await dead_letter_count(settings, third.url)
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
