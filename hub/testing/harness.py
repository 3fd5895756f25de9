"""Real hubs for tests and benchmarks: settings, stages in-process or as processes, cleanup."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp

from hub.backends.amqp.broker import Topology
from hub.core.event import Event
from hub.core.settings import Settings, settings_env
from hub.core.severity import Severity
from hub.factory import make_parts
from hub.service import STAGES, running
from hub.testing import signing

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
REDIS_URL = "redis://127.0.0.1:6379/0"
SLACK_TOKEN = "xoxb-test-token"


def info_event(n: int) -> Event:
    """A plain info event `evt-<n>`, received now, of no thread (each one posts on its own)."""
    now = datetime.now(UTC)
    return Event(
        id=f"evt-{n}",
        source="kapacitor",
        type="kapacitor.alert.info",
        time=now,
        receivedat=now,
        severity=Severity.INFO,
        title=f"event {n}",
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TOPOLOGIES: set[tuple[str, int]] = set()
"""(prefix, shards) of every test hub given a broker; conftest deletes them after the session."""


def hub_settings(tmp_path: Path, slack_url: str, routes: str, **overrides: Any) -> Settings:
    """Settings for one test hub: own ports, own AMQP prefix, test secrets, the fake Slack."""
    routes_file = tmp_path / "routes.yaml"
    routes_file.write_text(routes)
    values: dict[str, Any] = {
        "routes": routes_file,
        "listen": f"127.0.0.1:{free_port()}",
        "ops_listen": f"127.0.0.1:{free_port()}",
        "data_dir": tmp_path / "data",
        "broker_url": AMQP_URL,
        "amqp_prefix": f"test-{uuid.uuid4().hex[:10]}",
        "delivery_shards": 2,
        "slack_bot_token": SLACK_TOKEN,
        "slack_api_url": slack_url,
        "github_secret": signing.GITHUB_SECRET,
        "sentry_client_secret": signing.SENTRY_SECRET,
        "travis_public_key": signing.travis_public_pem(),
        "kapacitor_token": signing.KAPACITOR_TOKEN,
        "ansible_secret": signing.ANSIBLE_SECRET,
        "alertmanager_token": signing.ALERTMANAGER_TOKEN,
        "grafana_token": signing.GRAFANA_TOKEN,
        "grafana_signing_secret": signing.GRAFANA_SIGNING_SECRET,
        "shutdown_grace": "5s",
        "log_level": "warning",
    }
    values.update(overrides)
    settings = Settings(**values)
    if settings.broker_url:
        TOPOLOGIES.add((settings.amqp_prefix, settings.delivery_shards))
    return settings


@dataclass
class RunningHub:
    """A started hub and an HTTP client pointed at it."""

    settings: Settings
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"http://{self.settings.listen}"

    @property
    def ops_url(self) -> str:
        return f"http://{self.settings.ops_listen}"

    async def post(self, signed: signing.Signed) -> tuple[int, dict[str, Any]]:
        """POST a signed request; return the status and the JSON body."""
        async with self.http.post(
            self.url + signed.path, data=signed.body, headers=signed.headers
        ) as resp:
            return resp.status, await resp.json(content_type=None)


@asynccontextmanager
async def run_hub(
    settings: Settings, stages: tuple[str, ...] = STAGES
) -> AsyncIterator[RunningHub]:
    """Start the stages; on exit stop them and delete the test's RabbitMQ topology."""
    try:
        async with running(make_parts(settings), stages), aiohttp.ClientSession() as http:
            yield RunningHub(settings, http)
    finally:
        if settings.broker_url:
            await delete_topology(settings)


async def delete_topologies(topologies: set[tuple[str, int]]) -> None:
    """Delete the queues and exchanges of these (prefix, shards); missing ones are no error."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for prefix, shards in sorted(topologies):
            topology = Topology(prefix, shards)
            for queue in topology.queues():
                await channel.queue_delete(queue, if_unused=False, if_empty=False)
            for exchange in topology.exchanges():
                await channel.exchange_delete(exchange)


async def delete_topology(settings: Settings) -> None:
    """Remove every queue and exchange under the settings' AMQP prefix."""
    await delete_topologies({(settings.amqp_prefix, settings.delivery_shards)})


@asynccontextmanager
async def capture_events(settings: Settings) -> AsyncIterator[asyncio.Queue[bytes]]:
    """Bind a private queue to the events exchange and collect every published body."""
    topology = Topology(settings.amqp_prefix, settings.delivery_shards)
    bodies: asyncio.Queue[bytes] = asyncio.Queue()
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(topology.events, routing_key="#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                await bodies.put(message.body)

        await queue.consume(on_message)
        yield bodies


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment in which a `hub` CLI process sees the same hub as `settings`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "SLACK_"))}
    return {**inherited, **settings_env(settings)}


def hub_cli() -> str:
    """The `hub` console script of this virtualenv."""
    return str(Path(sys.executable).parent / "hub")


async def hub_command(env: dict[str, str], *args: str) -> str:
    """Run `hub <args>` in a thread (off the test's loop); its stdout. Raises if it fails."""
    result = await asyncio.to_thread(
        subprocess.run,
        [hub_cli(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


async def hub_json(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    """Run a `hub … --json` command; one document per output line."""
    return [json.loads(line) for line in (await hub_command(env, *args)).splitlines()]


class HubProcess:
    """A real `hub <command>` process with the settings' environment; killed or stopped by tests."""

    def __init__(
        self, settings: Settings, command: str = "run", log_path: Path | None = None
    ) -> None:
        self.settings = settings
        self.command = command
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, wait_ready: bool = True) -> None:
        """Start the process and wait until its ops port answers /readyz."""
        env = {**cli_env(self.settings), "HUB_LOG_FORMAT": "json"}
        log = self.log_path.open("ab") if self.log_path else None
        try:
            self.process = await asyncio.create_subprocess_exec(
                hub_cli(),
                self.command,
                env=env,
                stdout=log or asyncio.subprocess.DEVNULL,
                stderr=log or asyncio.subprocess.DEVNULL,
            )
        finally:
            if log is not None:
                log.close()  # the child has its own descriptor
        if wait_ready:
            await self.wait_ready()

    async def wait_ready(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a test helper
        """Poll /readyz on the ops port until it answers 200."""
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.process is not None
                assert self.process.returncode is None, (
                    f"hub {self.command} exited with {self.process.returncode}{self.log_tail()}"
                )
                try:
                    async with http.get(f"http://{self.settings.ops_listen}/readyz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"hub {self.command} not ready in {timeout} s")
                await asyncio.sleep(0.1)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the process's log, for an assertion message ('' without a log)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "; its log ends:\n" + "\n".join(tail)

    async def kill(self) -> None:
        """SIGKILL: no cleanup of any kind."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def terminate(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109 - a test helper
        """SIGTERM and wait for the exit code."""
        assert self.process is not None
        self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> None:
        """Make sure the process is gone."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
