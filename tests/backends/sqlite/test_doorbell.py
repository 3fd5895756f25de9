"""The embedded queue's doorbell: another process's publish wakes the consumer, not polling."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.backends.sqlite.broker import SqliteBroker
from hub.backends.sqlite.doorbell import Doorbell
from hub.core.event import Event
from hub.testing.harness import info_event

HOUR = 3600.0


async def test_a_publish_elsewhere_wakes_a_consumer_that_would_poll_only_hourly(
    tmp_path: Path,
) -> None:
    """A second broker on the same data dir (as an ingest worker is) wakes the consumer."""
    consumer = SqliteBroker(tmp_path, poll_interval=HOUR)
    worker = SqliteBroker(tmp_path, poll_interval=HOUR)
    got: asyncio.Queue[str] = asyncio.Queue()

    async def handle(event: Event) -> None:
        await got.put(event.id)

    await consumer.start()
    await worker.start()
    try:
        await consumer.consume_events(handle)
        await asyncio.sleep(0.2)  # the consumer's first claim finds nothing; it waits for an hour
        for n in range(3):
            await worker.publish_event(info_event(n))
            assert await asyncio.wait_for(got.get(), 10) == f"evt-{n}"
    finally:
        await worker.close()
        await consumer.close()


async def test_only_one_process_answers_and_a_ring_without_a_listener_is_harmless(
    tmp_path: Path,
) -> None:
    """The second listener on a data dir is told no (it polls); ringing nobody raises nothing;
    a listener does not ring itself; other data dirs have their own doorbells."""
    rung: list[str] = []
    first, second = Doorbell(tmp_path, "route"), Doorbell(tmp_path, "route")
    other = Doorbell(tmp_path / "elsewhere", "route")
    try:
        second.ring()  # nobody listens yet
        await asyncio.sleep(0.05)
        assert first.listen(lambda: rung.append("first"))
        assert not second.listen(lambda: rung.append("second"))
        assert other.listen(lambda: rung.append("other"))
        first.ring()  # the listener itself: woken in-process, no datagram
        await asyncio.sleep(0.1)
        assert rung == []
        second.ring()
        second.ring()  # same loop turn: one datagram
        await asyncio.sleep(0.1)
        assert rung == ["first"]
    finally:
        for bell in (first, second, other):
            bell.close()
