"""The deliverer stage: one lane per channel, paced, in order; a backlog becomes a digest."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hub.core.broker import Broker
from hub.core.log import get_logger, log_failure
from hub.core.messages import DeadLetter, Delivery
from hub.core.metrics import DEAD_LETTERS, DELIVERIES, DELIVERY_LATENCY
from hub.core.notify import Notifier, Renderer
from hub.core.outage import EngineGate
from hub.core.state import StateStore
from hub.deliverer.pacing import BACKOFF_MAX, TokenBucket
from hub.deliverer.parents import EDITS_PER_MINUTE
from hub.deliverer.posting import Failed, Poster
from hub.history.entries import History, MemoryHistory

log = get_logger("hub.deliverer")

DIGEST_BACKLOG = 3
"""More than this many waiting for one channel, and the waiting ones go out as one digest."""
DIGEST_BEHIND = timedelta(seconds=10)
"""Or when the oldest waiting event is this far behind (and more than one waits)."""
DIGEST_MAX = 50
"""At most this many events in one digest message."""


@dataclass
class _Item:
    delivery: Delivery
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class _Lane:
    """One channel's deliveries in order, and its pace. Kept after it drains: a lane started
    afresh for each event of a channel that gets one every half second would post twice a
    second (one lane per channel the routes name: a bounded set)."""

    bucket: TokenBucket
    items: deque[_Item] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None


class Deliverer:
    """Consumes deliveries. A handler returns (and the message is acked) once its event is in
    Slack (alone, in a thread, or in a digest) or dead-lettered."""

    def __init__(
        self,
        broker: Broker,
        state: StateStore,
        notifier: Notifier,
        render: Renderer,
        max_age: timedelta = timedelta(hours=24),
        history: History | None = None,
        backoff_max: float = BACKOFF_MAX,
        interactive: bool = False,
        rate: float = 1.0,
        burst: int = 3,
        edits_per_minute: float = EDITS_PER_MINUTE,
        gate: EngineGate | None = None,
    ) -> None:
        self.broker = broker
        self.gate = gate or EngineGate()
        self.history = history or MemoryHistory()
        self.poster = Poster(
            state, notifier, render, max_age, backoff_max, interactive, edits_per_minute
        )
        self.rate = rate
        self.burst = burst
        self._lanes: dict[str, _Lane] = {}

    async def start(self) -> None:
        """Begin consuming the delivery shards."""
        await self.broker.consume_deliveries(self.handle)

    async def close(self, grace: float) -> None:
        """After the lanes drained: send the thread-parent edits still waiting, for `grace` s."""
        await self.poster.edits.close(grace)

    async def handle(self, delivery: Delivery) -> None:
        """Queue the delivery on its channel's lane and wait until it is settled."""
        lane = self._lanes.get(delivery.channel)
        if lane is None:
            lane = self._lanes[delivery.channel] = _Lane(TokenBucket(self.rate, self.burst))
        item = _Item(delivery)
        lane.items.append(item)
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._run(delivery.channel, lane))
        try:
            await asyncio.shield(item.done)
        except asyncio.CancelledError:
            # Shutting down: leave the item to the lane only if it is already being posted.
            with contextlib.suppress(ValueError):
                lane.items.remove(item)
            raise

    async def _run(self, channel: str, lane: _Lane) -> None:
        while lane.items:
            # Wait for the channel's pace before choosing what to send, so that what arrives
            # meanwhile joins the digest (chosen first, a digest left those for the next post).
            if (delay := lane.bucket.wait_time()) > 0:
                await asyncio.sleep(delay)
                if not lane.items:
                    break
            batch = self._next_batch(lane)
            try:
                # An engine away holds the lane on this batch, so the channel's order is kept.
                await self.gate.run(lambda: self._deliver(batch, lane))  # noqa: B023 - awaited here
            except Exception as exc:
                log_failure(log, "delivery failed; returned to the queue", exc, channel=channel)
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)

    def _next_batch(self, lane: _Lane) -> list[_Item]:
        """The head alone, or, when the channel is behind, the run of waiting ones as a digest."""
        head = lane.items[0]
        if head.delivery.held or head.delivery.digest == "off":
            return [lane.items.popleft()]
        behind = datetime.now(UTC) - head.delivery.event.receivedat > DIGEST_BEHIND
        if len(lane.items) > DIGEST_BACKLOG or (behind and len(lane.items) > 1):
            batch: list[_Item] = []
            while lane.items and len(batch) < DIGEST_MAX:
                d = lane.items[0].delivery
                if d.held or d.digest == "off":
                    break
                batch.append(lane.items.popleft())
            return batch
        return [lane.items.popleft()]

    async def _deliver(self, batch: list[_Item], lane: _Lane) -> None:
        deliveries = [item.delivery for item in batch]
        try:
            if len(deliveries) == 1 and not deliveries[0].held:
                outcome = await self.poster.single(deliveries[0], lane.bucket)
            else:
                outcome = await self._digest(deliveries, lane)
        except Failed as exc:
            for delivery in deliveries:
                await self._dead_letter(delivery, exc)
            outcome = "dead_lettered"
        for item in batch:
            if outcome not in ("skipped", "dead_lettered"):
                await self._record(item.delivery, outcome)
            if not item.done.done():
                item.done.set_result(None)

    async def _digest(self, deliveries: list[Delivery], lane: _Lane) -> str:
        channel = deliveries[0].channel
        if deliveries[0].held:
            events = list(deliveries[0].held)
            reason = "quiet hours ended"
        else:
            events = [d.event for d in deliveries]
            reason = "burst"
        # The same event can be queued twice (a router redelivery); list it once.
        unique = list({(e.source, e.id): e for e in events}.values())
        # Asked together, the store answers them in one round trip (hub.batching).
        seen = await asyncio.gather(*(self.poster.already_posted(e, channel) for e in unique))
        fresh = [e for e, posted in zip(unique, seen, strict=True) if not posted]
        if not fresh:
            return "skipped"
        await self.poster.digest(deliveries, fresh, reason, lane.bucket)
        return "digested"

    async def _record(self, delivery: Delivery, outcome: str) -> None:
        DELIVERIES.labels(outcome=outcome).inc()
        for event in delivery.held or (delivery.event,):
            DELIVERY_LATENCY.observe(
                max(0.0, (datetime.now(UTC) - event.receivedat).total_seconds())
            )
            await self.history.record_delivery(event, delivery.channel, outcome)
            log.info(
                "delivered",
                event_id=event.id,
                type=event.type,
                channel=delivery.channel,
                routes=list(delivery.routes),
                outcome=outcome,
            )

    async def _dead_letter(self, delivery: Delivery, failure: Failed) -> None:
        errors = failure.errors
        await self.broker.publish_dead_letter(
            DeadLetter(
                delivery=delivery,
                reason=failure.reason,
                attempts=len(errors),
                first_error=str(errors[0]) if errors else failure.reason,
                last_error=str(errors[-1]) if errors else failure.reason,
            )
        )
        DEAD_LETTERS.labels(reason=failure.reason).inc()
        DELIVERIES.labels(outcome="dead_lettered").inc()
        await self.history.record_delivery(
            delivery.event, delivery.channel, f"dead_lettered:{failure.reason}"
        )
        log.error(
            "delivery dead-lettered",
            event_id=delivery.event.id,
            channel=delivery.channel,
            reason=failure.reason,
            attempts=len(errors),
        )
