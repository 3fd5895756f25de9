"""Engine faults under load: Redis cut away, RabbitMQ nacking publishes. Nothing lost or doubled,
nothing dead-lettered, because an engine away is not the message's fault."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.testing.fakeslack import FakeSlack
from hub.testing.harness import RunningHub, free_port, run_hub
from tests.conftest_integration import SettingsFactory
from tests.reliability import (
    LOAD_CHANNELS,
    TEN_CHANNELS,
    Tally,
    dead_letter_count,
    numbered,
    steady_load,
)
from tests.tcpproxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.faults]


async def readiness(hub: RunningHub) -> dict[str, str]:
    """The checks of the hub's /readyz."""
    async with hub.http.get(hub.ops_url + "/readyz") as resp:
        body = await resp.json()
    return dict(body["checks"])


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_redis_cut_for_8s_under_load_loses_doubles_and_dead_letters_nothing(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """Redis unreachable for 8 s under load: every webhook 202, the stages wait, then each event
    reaches Slack once, in order per channel, and none is dead-lettered."""
    proxy = TcpProxy("127.0.0.1", 6379)
    port = await proxy.start()
    tally = Tally("Redis cut 8 s under load", "distributed")
    settings = make_settings(TEN_CHANNELS, state_url=f"redis://127.0.0.1:{port}/0")
    seen_waiting: dict[str, str] = {}
    try:
        async with run_hub(settings) as hub:

            async def cut_redis() -> None:
                await asyncio.sleep(3)
                await proxy.cut()
                await asyncio.sleep(5)
                seen_waiting.update(await readiness(hub))
                await asyncio.sleep(3)
                await proxy.restore()

            cutter = asyncio.create_task(cut_redis())
            sent = await steady_load(hub, tally, seconds=16, pause=0.08)
            await cutter
            await slack.wait_for_events(len(sent), timeout=90)
            await asyncio.sleep(1)
            dead = await dead_letter_count(settings)
    finally:
        await proxy.stop()
    assert tally.statuses == {202: len(sent)}, f"non-202 answers: {tally.statuses}"
    waiting = seen_waiting["deliverer"]
    assert waiting.startswith("degraded: waiting for the state store"), seen_waiting
    assert dead == 0, f"{dead} messages dead-lettered during a Redis outage"
    tally.check(slack, sent)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def _queue_policies(prefix: str) -> dict[str, str]:
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "name", "policy"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    rows = (line.split("\t") for line in out.splitlines() if line.startswith(prefix))
    return {row[0]: row[1] if len(row) > 1 else "" for row in rows}


@pytest.mark.parametrize("profile", ["distributed"], indirect=True)
async def test_nacked_delivery_publishes_make_the_router_wait_not_dead_letter(
    make_settings: SettingsFactory, slack: FakeSlack
) -> None:
    """RabbitMQ nacking the router's publishes to the delivery shards (full queues that reject
    publishes, as a quorum queue without its leader does): the router holds its events instead
    of returning them to the queue, and afterwards each reaches Slack once, in order."""
    tally = Tally("RabbitMQ nacks delivery publishes", "distributed")
    settings = make_settings(TEN_CHANNELS)
    shards = f"^{settings.amqp_prefix}\\.deliver\\."
    policy = f"{settings.amqp_prefix}-reject"
    definition = '{"max-length": 0, "overflow": "reject-publish"}'
    deliverer = settings.model_copy(update={"ops_listen": f"127.0.0.1:{free_port()}"})
    try:
        async with run_hub(settings, stages=("receiver", "router")) as hub:
            await asyncio.to_thread(
                _rabbitmqctl, "set_policy", "--apply-to", "queues", policy, shards, definition
            )
            deadline = time.monotonic() + 20
            while set(_queue_policies(settings.amqp_prefix + ".deliver.").values()) != {policy}:
                assert time.monotonic() < deadline, "the reject-publish policy never applied"
                await asyncio.sleep(0.2)
            sent = set()
            for i in range(60):
                tally.answer((await hub.post(numbered(i, LOAD_CHANNELS)))[0])
                sent.add(i)
                await asyncio.sleep(0.05)
            ready = await readiness(hub)
            await asyncio.to_thread(_rabbitmqctl, "clear_policy", policy)
            async with run_hub(deliverer, stages=("deliverer",)):
                await slack.wait_for_events(len(sent), timeout=60)
                await asyncio.sleep(1)
                dead = await dead_letter_count(settings)
    finally:
        await asyncio.to_thread(
            subprocess.run, ["rabbitmqctl", "clear_policy", policy], capture_output=True
        )
    assert tally.statuses == {202: len(sent)}
    assert ready["router"].startswith("degraded: waiting for the broker"), ready
    assert dead == 0, f"{dead} route messages dead-lettered while publishes were nacked"
    tally.check(slack, sent)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MiB tmpfs mounted for this test (needs root), unmounted afterwards: room for the
    SQLite files and their WAL (a few MiB each before a checkpoint) before the test fills it."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True, capture_output=True, timeout=30)


def fill(disk: Path) -> Path:
    """Write a file until the disk refuses, to its last byte; the file.

    Unbuffered: a buffered file holds what the disk refused and raises again when closed."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (65536, 1):  # big chunks, then the last few bytes
            with contextlib.suppress(OSError):
                while out.write(b"\0" * size):
                    pass
    return filler


@pytest.mark.parametrize("profile", ["embedded"], indirect=True)
async def test_full_data_disk_answers_503_then_accepts_again_and_delivers_all(
    make_settings: SettingsFactory, slack: FakeSlack, small_disk: Path
) -> None:
    """HUB_DATA_DIR full: an event that cannot be stored gets 503 with Retry-After, never a
    202; once space returns hub accepts again and every accepted event reaches Slack once."""
    tally = Tally("data disk full (tmpfs)", "embedded")
    settings = make_settings(TEN_CHANNELS, data_dir=small_disk / "data")
    accepted: set[int] = set()
    retry_after: set[str] = set()
    async with run_hub(settings) as hub:
        for i in range(20):
            tally.answer((await hub.post(numbered(i, LOAD_CHANNELS)))[0])
            accepted.add(i)
        await slack.wait_for_events(20, timeout=30)
        filler = fill(small_disk)
        i = 20
        while 503 not in tally.statuses:
            assert i < 2000, "the full disk never refused an event"
            signed = numbered(i, LOAD_CHANNELS)
            async with hub.http.post(
                hub.url + signed.path, data=signed.body, headers=signed.headers
            ) as r:
                tally.answer(r.status)
                if r.status == 202:
                    accepted.add(i)
                elif r.status == 503:
                    retry_after.add(r.headers.get("Retry-After", ""))
            i += 1
        for _ in range(10):  # still full: refused again, and the process answers
            signed = numbered(i, LOAD_CHANNELS)
            async with hub.http.post(
                hub.url + signed.path, data=signed.body, headers=signed.headers
            ) as r:
                tally.answer(r.status)
                assert r.status in (202, 503)
                if r.status == 202:
                    accepted.add(i)
                else:
                    retry_after.add(r.headers.get("Retry-After", ""))
            i += 1
        filler.unlink()
        for n in range(i, i + 20):
            status = (await hub.post(numbered(n, LOAD_CHANNELS)))[0]
            tally.answer(status)
            assert status == 202, "not accepted again once the disk had room"
            accepted.add(n)
        await slack.wait_for_events(len(accepted), timeout=90)
        await asyncio.sleep(1)
    assert set(tally.statuses) <= {202, 503}, tally.statuses
    assert retry_after, "no 503 carried Retry-After"
    assert all(v.isdigit() for v in retry_after), retry_after
    for name in ("queue.db", "state.db"):
        check = sqlite3.connect(settings.data_dir / name)
        try:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",), name
        finally:
            check.close()
    tally.check(slack, accepted, per_channel_order=False)
