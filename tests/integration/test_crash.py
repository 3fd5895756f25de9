"""Crash tests on real processes: SIGKILL, SIGTERM, RabbitMQ restart lose and double nothing."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import aiohttp
import pytest

from hub.core.settings import Settings
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import HubProcess, free_port, run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import CHANNEL_ROUTES, Tally, numbered

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEN_CHANNELS = "version: 1\nroutes:\n" + "".join(
    f'  - {{name: team-{t}, match: {{repo: acme/{t}}}, channels: ["#team-{t}"]}}\n'
    for t in "abcdefghij"
)


async def post_all(
    url: str,
    numbers: Iterable[int],
    tally: Tally,
    accepted: set[int],
    concurrency: int = 32,
    on_accept: Callable[[int], None] | None = None,
    channels: int = 3,
) -> set[int]:
    """POST numbered events with `concurrency` in flight; return those that got no 202."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in numbers:
        queue.put_nowait(n)
    failed: set[int] = set()

    async def worker(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            signed = numbered(n, channels)
            try:
                async with http.post(
                    url + signed.path, data=signed.body, headers=signed.headers
                ) as r:
                    tally.answer(r.status)
                    if r.status == 202:
                        accepted.add(n)
                        if on_accept:
                            on_accept(len(accepted))
                    else:
                        failed.add(n)
            except (TimeoutError, aiohttp.ClientError):
                tally.answer(0)  # no answer at all: the process was killed mid-request
                failed.add(n)

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return failed


def _url(settings: Settings) -> str:
    return f"http://{settings.listen}"


async def test_hub_run_killed_mid_2000_webhooks_delivers_each_once(
    make_settings: SettingsFactory, slack: FakeSlack, profile: str, tmp_path: Path
) -> None:
    """`hub run` SIGKILLed after 1,000 of 2,000 accepted webhooks: after restart each posts once."""
    settings = make_settings(CHANNEL_ROUTES, queue_visibility="3s")
    tally = Tally("hub run SIGKILL mid 2,000", profile)
    hub = HubProcess(settings, "run", log_path=tmp_path / "hub.log")
    accepted: set[int] = set()
    await hub.start()
    try:
        killed = asyncio.Event()

        def maybe_kill(count: int) -> None:
            if count >= 1000 and not killed.is_set():
                killed.set()
                assert hub.process is not None
                hub.process.kill()

        failed = await post_all(_url(settings), range(2000), tally, accepted, on_accept=maybe_kill)
        assert killed.is_set()
        await hub.process.wait()  # type: ignore[union-attr]
        await hub.start()
        # Senders retry what was not acknowledged, with the same delivery ids.
        while failed:
            failed = await post_all(_url(settings), sorted(failed), tally, accepted)
        await slack.wait_for_events(2000, timeout=120)
        await asyncio.sleep(2)
    finally:
        await hub.stop()
    tally.check(slack, set(range(2000)), per_channel_order=False)


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_router_and_deliverer_killed_mid_5000_events_deliver_each_once(
    make_settings: SettingsFactory, slack: FakeSlack, tmp_path: Path
) -> None:
    """kill -9 of the router and then the deliverer mid 5,000 events: each posted exactly once."""
    settings = make_settings(TEN_CHANNELS)
    tally = Tally("kill -9 router and deliverer mid 5,000", "distributed")

    def own_ops(name: str) -> HubProcess:
        ops = settings.model_copy(update={"ops_listen": f"127.0.0.1:{free_port()}"})
        return HubProcess(ops, name, log_path=tmp_path / f"{name}.log")

    router, deliverer = own_ops("router"), own_ops("deliverer")
    accepted: set[int] = set()
    async with run_hub(settings, stages=("receiver",)):
        await router.start()
        await deliverer.start()
        try:
            router_killed = asyncio.Event()

            def kill_router(count: int) -> None:
                if count >= 1500 and not router_killed.is_set():
                    router_killed.set()
                    assert router.process is not None
                    router.process.kill()

            async def kill_deliverer_midway() -> None:
                await slack.wait_for_events(2000, timeout=120)
                await deliverer.kill()
                await deliverer.start()

            killer = asyncio.create_task(kill_deliverer_midway())
            failed = await post_all(
                _url(settings), range(5000), tally, accepted, on_accept=kill_router, channels=10
            )
            assert not failed, f"{len(failed)} webhooks refused"
            await router.process.wait()  # type: ignore[union-attr]
            await router.start()
            await killer
            await slack.wait_for_events(5000, timeout=180)
            await asyncio.sleep(2)
        finally:
            await router.stop()
            await deliverer.stop()
    # 32 concurrent senders: acceptance order is not numeric order, so only once-ness is checked.
    tally.check(slack, set(range(5000)), per_channel_order=False)


async def test_sigterm_finishes_in_flight_work_and_exits_zero(
    make_settings: SettingsFactory, slack: FakeSlack, profile: str, tmp_path: Path
) -> None:
    """SIGTERM with deliveries pending exits 0 in the grace; a restart delivers the rest once."""
    settings = make_settings(
        CHANNEL_ROUTES, shutdown_grace="2s", queue_visibility="3s", log_level="info"
    )
    slack.latency = 0.2
    tally = Tally("SIGTERM with 30 pending", profile)
    hub = HubProcess(settings, "run", log_path=tmp_path / "hub.log")
    accepted: set[int] = set()
    await hub.start()
    try:
        numbers = range(0, 90, 3)  # 30 events, all for #team-a, posted one at a time
        failed = await post_all(_url(settings), numbers, tally, accepted, concurrency=1)
        assert not failed, f"refused: {tally.statuses}"
        await slack.wait_for_events(3, timeout=20)
        started = asyncio.get_running_loop().time()
        assert await hub.terminate(timeout=15) == 0
        assert asyncio.get_running_loop().time() - started < 2 + 5
        assert len(slack.posts()) < 30, (
            "everything was delivered before SIGTERM; test proves nothing"
        )
        await hub.start()
        await slack.wait_for_events(30, timeout=60)
        await asyncio.sleep(1)
    finally:
        await hub.stop()
    tally.check(slack, set(numbers))


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_rabbitmq_restart_consumers_come_back_nothing_lost(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """RabbitMQ stop/start mid-traffic: webhooks stay 202 (spooled), consumers resume."""
    tally = Tally("RabbitMQ restart", "distributed")
    settings = make_settings(CHANNEL_ROUTES)
    async with run_hub(settings) as hub:
        for i in range(20):
            tally.answer((await hub.post(numbered(i)))[0])
        await slack.wait_for_events(20, timeout=30)
        await asyncio.to_thread(_rabbitmqctl, "stop_app")
        try:
            for i in range(20, 40):
                tally.answer((await hub.post(numbered(i)))[0])
            async with hub.http.get(hub.ops_url + "/readyz") as resp:
                readiness = await resp.json()
            assert readiness["status"] != "ready", readiness
        finally:
            await asyncio.to_thread(_rabbitmqctl, "start_app")
            await asyncio.to_thread(_rabbitmqctl, "await_startup")
        for i in range(40, 60):
            tally.answer((await hub.post(numbered(i)))[0])
        await slack.wait_for_events(60, timeout=90)
        await asyncio.sleep(1)
    assert tally.statuses == {202: 60}
    tally.check(slack, set(range(60)))
