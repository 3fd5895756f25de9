"""The ceilings ingest is measured against, in the same run.

- framework: a bare aiohttp handler that reads and parses the same JSON (run as its own process:
  `python -m bench.ceilings --listen 127.0.0.1:PORT`), loaded by the same wrk script;
- framework + broker (distributed only): the same bare handler that also publishes the body it
  read with aio-pika, persistent and confirmed, before answering (`--publish PREFIX`), one
  process or several on one port (`--reuse-port`): the least any durable receiver does per
  webhook on this machine, with the HTTP and the publishing sharing its CPU as in hub;
- RabbitMQ: aio-pika publishing the same bytes, persistent and confirmed, through hub's topology,
  from 64 concurrent publishers;
- SQLite: the same bytes committed durably (WAL, synchronous=FULL) in transactions of 64 rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from urllib.parse import parse_qs

import aio_pika
from aiohttp import web

from bench.stats import percentile
from hub.backends.amqp.broker import AmqpBroker
from hub.backends.sqlite.broker import SCHEMA
from hub.testing.harness import AMQP_URL, delete_topologies

Publish = Callable[[bytes, str], Awaitable[None]]
"""Publishes a webhook's body (and its source) before the handler answers."""


def bare_app(publish: Publish | None = None) -> web.Application:
    """POST /hooks/{source} reads and parses the JSON and answers 202: the framework ceiling;
    with `publish`, it publishes the body first: the framework + broker ceiling."""

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if request.content_type == "application/x-www-form-urlencoded":
            body = parse_qs(body.decode())["payload"][0].encode()
        doc = json.loads(body)
        kind = request.match_info["source"]
        if publish is not None:
            await publish(body, kind)
        return web.json_response(
            {"id": str(doc.get("id", "")), "type": kind, "duplicate": False}, status=202
        )

    app = web.Application(client_max_size=25 * 2**20)
    app.router.add_post("/hooks/{source}", handle)
    return app


async def _serve_publishing(host: str, port: int, prefix: str, reuse_port: bool) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(f"{prefix}.events")

    async def publish(body: bytes, kind: str) -> None:
        await exchange.publish(
            aio_pika.Message(
                body,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=uuid.uuid4().hex,
            ),
            routing_key=f"{kind}.bench",
            mandatory=True,
        )

    runner = web.AppRunner(bare_app(publish), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_port=reuse_port).start()
    await asyncio.Event().wait()


@contextlib.asynccontextmanager
async def amqp_topology() -> AsyncIterator[str]:
    """Exactly hub's topology (quorum queue + stream bound to #) under a fresh prefix, which
    it yields; deleted afterwards."""
    shards = 4
    broker = AmqpBroker(AMQP_URL, prefix=f"bench-ceiling-{uuid.uuid4().hex[:8]}", shards=shards)
    await broker.start()
    try:
        yield broker.topology.prefix
    finally:
        await broker.close()
        await delete_topologies({(broker.topology.prefix, shards)})


async def amqp_ceiling(
    bodies: Sequence[bytes], seconds: float, concurrency: int = 64
) -> dict[str, float]:
    """Publish `bodies` round-robin, persistent and confirmed, for `seconds`; rate and latency."""
    latencies: list[float] = []
    async with amqp_topology() as prefix:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(f"{prefix}.events")
            deadline = time.perf_counter() + seconds
            counter = iter(range(10**12))

            async def publisher() -> None:
                while time.perf_counter() < deadline:
                    n = next(counter)
                    started = time.perf_counter()
                    await exchange.publish(
                        aio_pika.Message(
                            bodies[n % len(bodies)],
                            content_type="application/cloudevents+json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            message_id=str(n),
                        ),
                        routing_key="github.push",
                        mandatory=True,
                    )
                    latencies.append(time.perf_counter() - started)

            began = time.perf_counter()
            await asyncio.gather(*(publisher() for _ in range(concurrency)))
            elapsed = time.perf_counter() - began
    return _summary(latencies, elapsed)


def sqlite_ceiling(
    bodies: Sequence[bytes], seconds: float, path: Path, batch: int = 64
) -> dict[str, float]:
    """Commit `bodies` into hub's queue table, `batch` rows per fsynced commit, for `seconds`."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(SCHEMA)
    latencies: list[float] = []
    n = 0
    began = time.perf_counter()
    deadline = began + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(batch):
            conn.execute(
                "INSERT INTO messages (queue, part, body, headers, enqueued_at) "
                "VALUES (?, '', ?, '{}', ?)",
                ("route", bodies[n % len(bodies)], time.time()),
            )
            n += 1
        conn.execute("COMMIT")
        latencies.extend([time.perf_counter() - started] * batch)
    elapsed = time.perf_counter() - began
    conn.close()
    return _summary(latencies, elapsed)


def _summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    return {
        "rate": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def main() -> None:
    """Serve the framework ceiling (or, with --publish, framework + broker) until killed."""
    parser = argparse.ArgumentParser(description="bare aiohttp webhook handler (the ceiling)")
    parser.add_argument("--listen", default="127.0.0.1:8199")
    parser.add_argument("--publish", metavar="PREFIX", help="publish each body confirmed")
    parser.add_argument("--reuse-port", action="store_true", help="share the port (SO_REUSEPORT)")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    print(f"bare handler on {host}:{port}", file=sys.stderr)
    if args.publish:
        asyncio.run(_serve_publishing(host, int(port), args.publish, args.reuse_port))
        return
    web.run_app(bare_app(), host=host, port=int(port), access_log=None, print=None)


if __name__ == "__main__":
    main()
