"""The deliverer stage: post each delivery to Slack in channel order, retry or dead-letter."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from hub.broker import Broker, DeadLetter, Delivery
from hub.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from hub.history import History, MemoryHistory
from hub.log import get_logger
from hub.metrics import (
    DEAD_LETTERS,
    DELIVERIES,
    DELIVERY_ATTEMPTS,
    DELIVERY_LATENCY,
    SLACK_RATE_LIMITED,
)
from hub.notify import Notifier, Renderer
from hub.state import StateStore

log = get_logger("hub.deliverer")

POSTED_TTL = timedelta(days=7)
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 30.0


def backoff(attempt: int, initial: float = BACKOFF_INITIAL, cap: float = BACKOFF_MAX) -> float:
    """Exponential backoff with full jitter for attempt n (1-based)."""
    return random.uniform(0, min(cap, initial * 2 ** (attempt - 1)))  # noqa: S311 - jitter, not crypto


class Deliverer:
    """Consumes deliveries; per channel one at a time, in the order they were queued."""

    def __init__(
        self,
        broker: Broker,
        state: StateStore,
        notifier: Notifier,
        render: Renderer,
        max_age: timedelta = timedelta(hours=24),
        history: History | None = None,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        self.broker = broker
        self.state = state
        self.notifier = notifier
        self.render = render
        self.max_age = max_age
        self.history = history or MemoryHistory()
        self.backoff_max = backoff_max
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[str, int] = defaultdict(int)

    async def start(self) -> None:
        """Begin consuming the delivery shards."""
        await self.broker.consume_deliveries(self.handle)

    async def handle(self, delivery: Delivery) -> None:
        """Deliver one message; returns when it is posted or dead-lettered."""
        channel = delivery.channel
        self._waiting[channel] += 1
        try:
            async with self._locks[channel]:
                await self._deliver(delivery)
        finally:
            self._waiting[channel] -= 1
            if not self._waiting[channel]:
                del self._waiting[channel], self._locks[channel]

    async def _deliver(self, delivery: Delivery) -> None:
        event = delivery.event
        posted_key = f"posted:{event.id}:{delivery.channel}"
        if await self.state.get(posted_key) is not None:
            log.info("already posted; skipped", event_id=event.id, channel=delivery.channel)
            return
        intent_key = f"posting:{event.id}:{delivery.channel}"
        if await self.state.get(intent_key) is not None and await self._found(delivery):
            await self.state.put(posted_key, "1", POSTED_TTL)
            return
        await self.state.put(intent_key, "1", POSTED_TTL)
        message = self.render(event, delivery.routes, delivery.mention)
        errors: list[DeliveryError] = []
        deadline = event.receivedat + self.max_age

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, TemporaryDeliveryError) and exc.retry_after is not None:
                return exc.retry_after
            return backoff(state.attempt_number, cap=self.backoff_max)

        def stop(state: RetryCallState) -> bool:
            upcoming = state.upcoming_sleep or 0.0
            return datetime.now(UTC) + timedelta(seconds=upcoming) > deadline

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TemporaryDeliveryError),
            wait=wait,
            stop=stop,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._post_once(delivery, message, errors)
        except PermanentDeliveryError as exc:
            await self._dead_letter(delivery, exc.reason, errors)
            return
        except TemporaryDeliveryError:
            await self._dead_letter(delivery, "max_age_exceeded", errors)
            return
        # Recorded right after Slack accepted, so a redelivery never posts it twice.
        await asyncio.shield(self.state.put(posted_key, "1", POSTED_TTL))
        DELIVERIES.labels(outcome="posted").inc()
        await self.history.record_delivery(event, delivery.channel, "posted")
        DELIVERY_LATENCY.observe(max(0.0, (datetime.now(UTC) - event.receivedat).total_seconds()))

    async def _found(self, delivery: Delivery) -> bool:
        """After a crash between posting and recording it: is the message already in Slack?"""
        try:
            ts = await self.notifier.find(delivery.channel, delivery.event.id)
        except DeliveryError as exc:
            log.warning("could not check Slack for an earlier post", error=str(exc))
            return False
        if ts is not None:
            log.info("found earlier post; not posting again", event_id=delivery.event.id, ts=ts)
        return ts is not None

    async def _post_once(
        self, delivery: Delivery, message: dict[str, object], errors: list[DeliveryError]
    ) -> None:
        DELIVERY_ATTEMPTS.inc()
        try:
            await self.notifier.post(delivery.channel, message)
        except DeliveryError as exc:
            if isinstance(exc, TemporaryDeliveryError) and exc.reason == "rate_limited":
                SLACK_RATE_LIMITED.inc()
            # Warn when the error changes, not on every retry of the same one.
            if not errors or str(errors[-1]) != str(exc):
                log.warning(
                    "slack delivery failed",
                    event_id=delivery.event.id,
                    channel=delivery.channel,
                    error=str(exc),
                    retryable=isinstance(exc, TemporaryDeliveryError),
                )
            errors.append(exc)
            raise
        log.info(
            "delivered",
            event_id=delivery.event.id,
            type=delivery.event.type,
            channel=delivery.channel,
            routes=list(delivery.routes),
        )

    async def _dead_letter(
        self, delivery: Delivery, reason: str, errors: list[DeliveryError]
    ) -> None:
        await self.broker.publish_dead_letter(
            DeadLetter(
                delivery=delivery,
                reason=reason,
                attempts=len(errors),
                first_error=str(errors[0]) if errors else reason,
                last_error=str(errors[-1]) if errors else reason,
            )
        )
        DEAD_LETTERS.labels(reason=reason).inc()
        DELIVERIES.labels(outcome="dead_lettered").inc()
        await self.history.record_delivery(
            delivery.event, delivery.channel, f"dead_lettered:{reason}"
        )
        log.error(
            "delivery dead-lettered",
            event_id=delivery.event.id,
            channel=delivery.channel,
            reason=reason,
            attempts=len(errors),
        )
