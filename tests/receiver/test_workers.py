"""Ingest workers (`--workers N`): one webhook port over several processes, nothing lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from multidict import CIMultiDict

from hub.backends.amqp.broker import AmqpBroker
from hub.core.event import Event
from hub.core.settings import Settings
from hub.core.sources import WebhookRequest
from hub.receiver.spool import SCHEMA, adopt_spool, orphan_spools
from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import (
    AMQP_URL,
    HubProcess,
    capture_events,
    cli_env,
    delete_topology,
    hub_cli,
)
from tests.conftest_integration import SettingsFactory
from tests.integration.test_crash import post_all
from tests.reliability import CHANNEL_ROUTES, Tally, delivery_index, numbered

pytestmark = pytest.mark.integration


def children(pid: int) -> set[int]:
    """The live child processes of `pid` (Linux /proc; zombies not counted)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    found = {int(p) for p in path.read_text().split()} if path.exists() else set()
    return {p for p in found if alive(p)}


async def until(predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
    """Poll `predicate` every 50 ms until it holds; TimeoutError after `timeout` s."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - another process changes it; nothing to signal
            await asyncio.sleep(0.05)


@pytest.fixture
async def topology_cleanup() -> AsyncIterator[list[Settings]]:
    """Settings appended here have their RabbitMQ topology deleted after the test."""
    used: list[Settings] = []
    yield used
    for settings in used:
        if settings.broker_url:
            await delete_topology(settings)


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


async def metric(settings: Settings, line_start: str) -> float:
    """The value of the first /metrics line starting with `line_start` (0 when absent)."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://{settings.ops_listen}/metrics") as response,
    ):
        text = await response.text()
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def readiness(settings: Settings) -> dict[str, str]:
    """The checks of /readyz."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://{settings.ops_listen}/readyz") as response,
    ):
        checks: dict[str, str] = (await response.json())["checks"]
    return checks


async def started(
    tmp_path: Path, settings: Settings, workers: int, cleanup: list[Settings]
) -> HubProcess:
    """`hub run` with `workers` processes on the webhook port, each of them listening."""
    cleanup.append(settings)
    hub = HubProcess(settings, "run", log_path=tmp_path / "hub.log")
    try:
        await hub.start()
        assert hub.process is not None
        assert len(children(hub.process.pid)) == workers - 1  # ready: every worker listens
    except BaseException:
        await hub.stop()
        raise
    return hub


@pytest.mark.slow
async def test_workers_share_the_webhook_port_and_deliver_each_event_once(
    make_settings: SettingsFactory,
    slack: FakeSlack,
    profile: str,
    tmp_path: Path,
    topology_cleanup: list[Settings],
) -> None:
    """600 webhooks over 3 processes: all accepted, each posted once, counted once in /metrics."""
    settings = make_settings(CHANNEL_ROUTES, workers=3)
    hub = await started(tmp_path, settings, 3, topology_cleanup)
    tally = Tally("hub run --workers 3", profile)
    accepted: set[int] = set()
    try:
        # A fresh connection per request, so the kernel spreads them over the three listeners.
        for start in range(0, 600, 50):
            failed = await post_all(
                f"http://{settings.listen}", range(start, start + 50), tally, accepted
            )
            assert not failed
        await slack.wait_for_events(600, timeout=90)
        counted = await metric(settings, 'hub_webhooks_received_total{outcome="accepted"')
        files = list((settings.data_dir / "metrics").glob("counter_*.db"))
    finally:
        await hub.stop()
    tally.check(slack, set(range(600)), per_channel_order=False)
    assert counted == 600
    assert len(files) >= 2, "only one process received webhooks"


async def test_a_worker_that_dies_is_restarted(
    make_settings: SettingsFactory,
    slack: FakeSlack,
    tmp_path: Path,
    topology_cleanup: list[Settings],
) -> None:
    """SIGKILL one worker: a new one takes its place, /readyz is ready, webhooks still arrive."""
    settings = make_settings(CHANNEL_ROUTES, workers=2)
    hub = await started(tmp_path, settings, 2, topology_cleanup)
    assert hub.process is not None
    try:
        (victim,) = children(hub.process.pid)
        os.kill(victim, signal.SIGKILL)
        await until(lambda: not alive(victim), timeout=5)
        pid = hub.process.pid
        await until(lambda: len(children(pid)) == 1, timeout=10)
        (successor,) = children(pid)
        assert successor != victim
        for _ in range(100):  # "degraded" until the successor listens
            if (await readiness(settings))["workers"] == "ok":
                break
            await asyncio.sleep(0.1)
        assert (await readiness(settings))["workers"] == "ok"
        accepted: set[int] = set()
        assert not await post_all(f"http://{settings.listen}", range(40), Tally("", ""), accepted)
        await slack.wait_for_events(40, timeout=30)
    finally:
        await hub.stop()


async def test_sigterm_stops_the_workers_and_exits_zero(
    make_settings: SettingsFactory, tmp_path: Path, topology_cleanup: list[Settings]
) -> None:
    """SIGTERM to `hub run --workers 3`: every process exits, the first with 0."""
    settings = make_settings(CHANNEL_ROUTES, workers=3)
    hub = await started(tmp_path, settings, 3, topology_cleanup)
    assert hub.process is not None
    workers = children(hub.process.pid)
    assert await hub.terminate() == 0
    assert not any(alive(pid) for pid in workers)


async def test_workers_stop_by_themselves_when_the_hub_is_killed(
    make_settings: SettingsFactory, tmp_path: Path, topology_cleanup: list[Settings]
) -> None:
    """SIGKILL to the first process: its workers notice and exit, freeing the port."""
    settings = make_settings(CHANNEL_ROUTES, workers=2)
    hub = await started(tmp_path, settings, 2, topology_cleanup)
    assert hub.process is not None
    workers = children(hub.process.pid)
    await hub.kill()
    await until(lambda: not any(alive(pid) for pid in workers), timeout=10)


async def test_without_workers_a_second_hub_on_the_same_port_fails_clearly(
    make_settings: SettingsFactory, tmp_path: Path, topology_cleanup: list[Settings]
) -> None:
    """No SO_REUSEPORT by default: a hub started twice by mistake says the port is taken."""
    settings = make_settings(CHANNEL_ROUTES)
    topology_cleanup.append(settings)
    first = HubProcess(settings, "receiver")
    await first.start()
    try:
        env = {**cli_env(settings), "HUB_OPS_LISTEN": "127.0.0.1:0"}
        second = await asyncio.to_thread(
            subprocess.run,
            [hub_cli(), "receiver"],
            env={**env, "HUB_DATA_DIR": str(tmp_path / "second")},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        await first.stop()
    assert second.returncode == 2
    assert "address already in use" in second.stderr.lower(), second.stderr


def _spooled(path: Path, events: list[Event]) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO spool (body) VALUES (?)", [(e.to_json_bytes(),) for e in events])
    conn.commit()
    conn.close()


def _pings(numbers: range) -> list[Event]:
    from adapters.registry import SOURCES

    found = []
    for n in numbers:
        signed = numbered(n)
        request = WebhookRequest(CIMultiDict(signed.headers), signed.body, datetime.now(UTC))
        found.append(SOURCES["github"].normalize(request))
    return found


def test_spools_of_workers_no_longer_run_are_found_and_taken_over(tmp_path: Path) -> None:
    """HUB_WORKERS lowered from 4 to 2: spool-2 and spool-3 are adopted, in order, then removed."""
    for index in (1, 2, 3):
        _spooled(tmp_path / f"spool-{index}.db", _pings(range(index * 10, index * 10 + 3)))
    orphans = orphan_spools(tmp_path, workers=2)
    assert [p.name for p in orphans] == ["spool-2.db", "spool-3.db"]
    own = tmp_path / "spool.db"
    assert [adopt_spool(own, orphan) for orphan in orphans] == [3, 3]
    conn = sqlite3.connect(own)
    bodies = [row[0] for row in conn.execute("SELECT body FROM spool ORDER BY seq")]
    conn.close()
    ids = [delivery_index(Event.from_json_bytes(b).id) for b in bodies]
    assert ids == [20, 21, 22, 30, 31, 32]
    assert not (tmp_path / "spool-3.db").exists()
    assert (tmp_path / "spool-1.db").exists()


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_a_receiver_forwards_the_spool_of_a_worker_it_no_longer_runs(
    make_settings: SettingsFactory, tmp_path: Path, topology_cleanup: list[Settings]
) -> None:
    """Events left in spool-1.db by a worker of an earlier run reach RabbitMQ."""
    settings = make_settings(CHANNEL_ROUTES)
    topology_cleanup.append(settings)
    declared = AmqpBroker(AMQP_URL, prefix=settings.amqp_prefix, shards=settings.delivery_shards)
    await declared.start()  # the exchange exists before the capture binds to it
    await declared.close()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _spooled(settings.data_dir / "spool-1.db", _pings(range(5)))
    hub = HubProcess(settings, "receiver", log_path=tmp_path / "hub.log")
    async with capture_events(settings) as bodies:
        await hub.start()
        try:
            got = [await asyncio.wait_for(bodies.get(), 20) for _ in range(5)]
        finally:
            await hub.stop()
    assert sorted(delivery_index(Event.from_json_bytes(b).id) for b in got) == [0, 1, 2, 3, 4]
    assert not (settings.data_dir / "spool-1.db").exists()


async def test_hub_workers_does_not_touch_a_router(
    make_settings: SettingsFactory, tmp_path: Path, topology_cleanup: list[Settings]
) -> None:
    """HUB_WORKERS set for the whole deployment: `hub router` runs as one plain process."""
    settings = make_settings(CHANNEL_ROUTES, workers=3)
    topology_cleanup.append(settings)
    router = HubProcess(settings, "router", log_path=tmp_path / "router.log")
    await router.start()
    try:
        assert router.process is not None
        assert children(router.process.pid) == set()
        assert await metric(settings, "process_cpu_seconds_total") > 0  # not multiprocess mode
        assert not (settings.data_dir / "metrics").exists()
    finally:
        await router.stop()
