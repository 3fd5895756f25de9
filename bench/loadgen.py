"""An open-loop load generator on aiohttp: requests leave on schedule, whatever the answers do.

wrk (closed loop, 64 connections) measures throughput; this one measures latency at a fixed
rate, where a closed loop would wait for slow answers and hide them (coordinated omission).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp

from bench.corpus import event_id
from bench.stats import percentile
from hub.testing.signing import Signed


@dataclass(frozen=True)
class Sample:
    """One request: its event id, when it was due and sent (epoch s), status, latency (s)."""

    event_id: str
    sent: float
    status: int
    latency: float


async def wait_port(port: int, timeout: float = 20.0) -> None:  # noqa: ASYNC109 - a bench helper
    """Wait until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on port {port}") from None
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the bench's own full collections out of the figures.

    The load generator and the fake Slack share this process; a full collection here stops
    both for 50-70 ms (measured), which would count as hub's latency. Everything alive when
    the load starts (the signed requests, the fake's state) is frozen until it ends.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def open_loop(
    base_url: str, requests: Sequence[Signed], rate: float, connections: int = 256
) -> list[Sample]:
    """POST `requests` at `rate` per second on schedule; one sample per request."""
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def send(signed: Signed, due: float) -> None:
            sent = time.time()
            started = time.perf_counter()
            try:
                async with http.post(
                    base_url + signed.path, data=signed.body, headers=signed.headers
                ) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            # Latency counts from when the request was due, so a late start is not hidden.
            latency = time.perf_counter() - started + max(0.0, sent - due)
            samples.append(Sample(event_id(signed), sent, status, latency))

        tasks = []
        with frozen_heap():
            began = time.time()
            for n, signed in enumerate(requests):
                due = began + n / rate
                delay = due - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(signed, due)))
            await asyncio.gather(*tasks)
    return samples


def summarize(samples: Sequence[Sample]) -> dict[str, float]:
    """Achieved rate, p50/p99 latency in ms, and the share of non-202 answers."""
    if not samples:
        return {"achieved": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0.0}
    latencies = [s.latency for s in samples]
    span = max(s.sent for s in samples) - min(s.sent for s in samples)
    return {
        "achieved": len(samples) / span if span else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": sum(1 for s in samples if s.status != 202) / len(samples),
    }
