"""Real hub processes for benchmarks: start them from Settings, sample their RSS, clean up."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import redis.asyncio as redis

from hub.core.settings import Settings
from hub.testing.harness import REDIS_URL, HubProcess, delete_topology, hub_settings

ROUTES_ALL = """\
version: 1
defaults: {unrouted: "#bench-unrouted"}
routes:
  - {name: everything, match: {source: [github, travis, kapacitor, sentry]}, channels: ["#bench"]}
"""


@asynccontextmanager
async def workdir() -> AsyncIterator[Path]:
    """A scratch directory for one run's data, routes and logs; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def settings_for(
    tmp: Path,
    profile: str,
    slack_url: str = "http://127.0.0.1:9/api/",
    routes: str = ROUTES_ALL,
    **overrides: Any,
) -> Settings:
    """Settings for a bench hub: production defaults (log level info), own ports and prefix."""
    values: dict[str, Any] = {
        "log_level": "info",
        "amqp_prefix": f"bench-{uuid.uuid4().hex[:10]}",
        "delivery_shards": 4,
    }
    if profile == "embedded":
        values.update(broker_url=None, state_url=None)
    else:
        values.update(state_url=REDIS_URL)
    return hub_settings(tmp, slack_url, routes, **{**values, **overrides})


def with_ports(settings: Settings) -> Settings:
    """The same hub with an ops port of its own (one per extra process of a stage)."""
    from hub.testing.harness import free_port

    return settings.model_copy(update={"ops_listen": f"127.0.0.1:{free_port()}"})


@asynccontextmanager
async def hub_processes(
    settings: Settings, commands: Sequence[str], logs: Path
) -> AsyncIterator[list[HubProcess]]:
    """Start `hub <command>` for each command (each with its own ops port); stop them all after."""
    procs: list[HubProcess] = []
    try:
        for n, command in enumerate(commands):
            own = settings if n == 0 else with_ports(settings)
            proc = HubProcess(own, command, logs / f"{command}-{n}.log")
            procs.append(proc)
        await asyncio.gather(*(p.start() for p in procs))
        yield procs
    finally:
        await asyncio.gather(*(_stop(proc) for proc in procs))


STOP_GRACE = 15.0
"""Seconds a process gets to exit after SIGTERM before it is killed (all stop in parallel)."""


async def _stop(proc: HubProcess) -> None:
    if proc.process is None or proc.process.returncode is not None:
        return
    proc.process.terminate()
    try:
        await asyncio.wait_for(proc.process.wait(), STOP_GRACE)
    except TimeoutError:
        print(f"  (hub {proc.command} still running {STOP_GRACE:.0f} s after SIGTERM: killed)")
        await proc.stop()


async def cleanup(settings: Settings) -> None:
    """Delete the run's RabbitMQ queues and exchanges and its Redis keys."""
    if settings.broker_url:
        await delete_topology(settings)
    if settings.state_url:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = [k async for k in client.scan_iter(match=f"{settings.amqp_prefix}:*")]
            for start in range(0, len(keys), 1000):
                await client.delete(*keys[start : start + 1000])
        finally:
            await client.aclose()


@asynccontextmanager
async def stack(
    profile: str,
    commands: Sequence[str],
    slack_url: str = "http://127.0.0.1:9/api/",
    routes: str = ROUTES_ALL,
    **overrides: Any,
) -> AsyncIterator[tuple[Settings, list[HubProcess]]]:
    """A fresh hub (data dir, prefix, Redis keys) running `commands`; everything removed after."""
    async with AsyncExitStack() as exits:
        tmp = await exits.enter_async_context(workdir())
        settings = settings_for(tmp, profile, slack_url, routes, **overrides)
        exits.push_async_callback(cleanup, settings)
        procs = await exits.enter_async_context(hub_processes(settings, commands, tmp))
        yield settings, procs


def rss_mib(procs: Sequence[HubProcess]) -> dict[str, float]:
    """Resident memory of each process in MiB, keyed `command-n`."""
    found = {}
    for n, proc in enumerate(procs):
        assert proc.process is not None
        try:
            rss = psutil.Process(proc.process.pid).memory_info().rss
        except psutil.NoSuchProcess:
            continue
        found[f"{proc.command}-{n}"] = rss / 2**20
    return found


async def metrics(settings: Settings) -> dict[str, float]:
    """The ops port's Prometheus samples summed by metric name and outcome label."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://{settings.ops_listen}/metrics") as resp,
    ):
        text = await resp.text()
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        metric = name.split("{", 1)[0]
        if 'outcome="' in name:
            metric += ":" + name.split('outcome="', 1)[1].split('"', 1)[0]
        try:
            totals[metric] = totals.get(metric, 0.0) + float(value)
        except ValueError:
            continue
    return totals


class CpuMeter:
    """CPU seconds used by hub processes, RabbitMQ, Redis and the whole machine over a span."""

    SERVICES = ("beam.smp", "redis-server")

    def __init__(self, procs: Sequence[HubProcess] = ()) -> None:
        self.watched: dict[str, psutil.Process] = {}
        for n, proc in enumerate(procs):
            assert proc.process is not None
            watched = psutil.Process(proc.process.pid)
            self.watched[f"{proc.command}-{n}"] = watched
            for k, child in enumerate(watched.children(recursive=True), start=1):
                self.watched[f"{proc.command}-{n}.worker-{k}"] = child  # --workers N
        for found in psutil.process_iter(["name"]):
            if found.info["name"] in self.SERVICES:
                self.watched[found.info["name"]] = found
        self._start: dict[str, float] = {}
        self._machine = 0.0
        self._wall = 0.0

    def _times(self) -> dict[str, float]:
        times = {}
        for name, proc in self.watched.items():
            try:
                t = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            times[name] = t.user + t.system
        return times

    def start(self) -> None:
        """Mark the beginning of the span."""
        self._start = self._times()
        busy = psutil.cpu_times()
        self._machine = sum(busy) - busy.idle - getattr(busy, "iowait", 0.0)
        self._wall = time.monotonic()

    def stop(self) -> dict[str, float]:
        """Cores used on average since `start`, per process and for the machine."""
        wall = time.monotonic() - self._wall
        now = self._times()
        used = {k: round((now[k] - self._start[k]) / wall, 2) for k in now if k in self._start}
        busy = psutil.cpu_times()
        machine = sum(busy) - busy.idle - getattr(busy, "iowait", 0.0)
        used["machine"] = round((machine - self._machine) / wall, 2)
        return used
