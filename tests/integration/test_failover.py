"""Redis behind Sentinel failing over under load: the primary killed, its replica promoted, and
every accepted event reaches Slack once, none dead-lettered, no posted mark lost."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import HubProcess, free_port, run_hub
from tests.conftest_integration import SettingsFactory
from tests.redissentinel import RedisFailover
from tests.reliability import TEN_CHANNELS, Tally, dead_letter_count, steady_load

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.faults]


@pytest.fixture
def failover(tmp_path: Path) -> Iterator[RedisFailover]:
    """A test-owned Redis primary, replica and two Sentinels; all killed afterwards."""
    root = tmp_path / "redis"
    root.mkdir()
    servers = RedisFailover(root)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_redis_primary_killed_under_load_fails_over_losing_and_doubling_nothing(
    make_settings: SettingsFactory, slack: FakeSlack, failover: RedisFailover, tmp_path: Path
) -> None:
    """kill -9 of the Redis primary under load, with hub on `redis+sentinel://`: Sentinel
    promotes the replica, the stages follow it, and each event reaches Slack once, in order."""
    settings = make_settings(TEN_CHANNELS, state_url=failover.url, log_level="info")
    tally = Tally("Redis primary killed, Sentinel fails over, under load", "distributed")

    def process(name: str) -> HubProcess:
        own = settings.model_copy(update={"ops_listen": f"127.0.0.1:{free_port()}"})
        return HubProcess(own, name, log_path=tmp_path / f"{name}.log")

    router, deliverer = process("router"), process("deliverer")
    async with run_hub(settings, stages=("receiver",)) as hub:
        await router.start()
        await deliverer.start()
        try:

            async def kill() -> None:
                await asyncio.sleep(7)
                await asyncio.to_thread(failover.kill_primary)

            killer = asyncio.create_task(kill())
            sent = await steady_load(hub, tally, seconds=20, pause=0.19)
            await killer
            await slack.wait_for_events(len(sent), timeout=120)
            await asyncio.sleep(2)
            dead = await dead_letter_count(settings)
            promoted = await asyncio.to_thread(failover.master)
            new_primary = failover.client(promoted)
            try:
                pattern = f"{settings.amqp_prefix}:posted:*"
                marks = await asyncio.to_thread(
                    lambda: list(new_primary.scan_iter(match=pattern, count=1000))
                )
            finally:
                new_primary.close()
            for process_ in (router, deliverer):
                assert process_.process is not None
                assert process_.process.returncode is None, f"{process_.command} died"
        finally:
            await router.stop()
            await deliverer.stop()
    assert promoted == failover.replica, "Sentinel did not promote the replica"
    assert tally.statuses == {202: len(sent)}, f"non-202 answers: {tally.statuses}"
    assert dead == 0, f"{dead} messages dead-lettered during the failover"
    tally.check(slack, sent)
    assert len(marks) == len(sent), f"{len(sent) - len(marks)} posted marks lost in the failover"
