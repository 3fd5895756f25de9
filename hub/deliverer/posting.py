"""Putting deliveries into Slack: parents, thread replies, updates, digests; at most once each."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from hub.core.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from hub.core.event import Event
from hub.core.log import get_logger
from hub.core.messages import Delivery
from hub.core.metrics import DELIVERY_ATTEMPTS, SLACK_RATE_LIMITED
from hub.core.notify import Notifier, Posted, Renderer
from hub.core.severity import Severity
from hub.core.state import StateStore
from hub.deliverer.pacing import TokenBucket, backoff
from hub.deliverer.parents import EDITS_PER_MINUTE, ParentEdits
from hub.deliverer.threads import Parent, ThreadMap

log = get_logger("hub.posting")

POSTED_TTL = timedelta(days=7)
T = TypeVar("T")


def mark_key(kind: str, event: Event, channel: str) -> str:
    """The state key of a `posted` or `posting` mark: ids are unique per source, not across."""
    return f"{kind}:{event.source}:{event.id}:{channel}"


class Failed(Exception):
    """A delivery failed for good: dead-letter it with `reason` and the errors seen."""

    def __init__(self, reason: str, errors: list[DeliveryError]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors = errors


class Poster:
    """Slack calls for one channel lane, with retries, thread bookkeeping and posted marks."""

    def __init__(
        self,
        state: StateStore,
        notifier: Notifier,
        renderer: Renderer,
        max_age: timedelta,
        backoff_max: float,
        interactive: bool = False,
        edits_per_minute: float = EDITS_PER_MINUTE,
    ) -> None:
        self.state = state
        self.notifier = notifier
        self.renderer = renderer
        self.max_age = max_age
        self.backoff_max = backoff_max
        self.interactive = interactive
        self.threads = ThreadMap(state)
        self.edits = ParentEdits(self.edit_parent, edits_per_minute)

    # -- marks: a (event, channel) pair reaches Slack at most once -------------------------

    async def already_posted(
        self, event: Event, channel: str, thread_ts: str | None = None
    ) -> bool:
        """True when this event is in this channel already (recorded, or found after a crash)."""
        marks = await asyncio.gather(*self._marks(event, channel))
        return await self._seen(event, channel, marks, thread_ts)

    def _marks(
        self, event: Event, channel: str
    ) -> tuple[Awaitable[str | None], Awaitable[str | None]]:
        # Asked together, the store answers both in one round trip (hub.batching).
        return (
            self.state.get(mark_key("posted", event, channel)),
            self.state.get(mark_key("posting", event, channel)),
        )

    async def _seen(
        self, event: Event, channel: str, marks: Sequence[str | None], thread_ts: str | None
    ) -> bool:
        posted, posting = marks
        if posted is not None:
            return True
        if posting is None:
            return False
        # We crashed between posting and recording: look in Slack before posting again.
        # Slack busy is waited out (retried as a post is): posting without knowing could double.
        try:
            ts = await self._call(lambda: self.notifier.find(channel, event.id, thread_ts), event)
        except Failed as exc:
            log.warning("could not check Slack for an earlier post", error=str(exc))
            return False
        if ts is not None:
            log.info("found earlier post; not posting again", event_id=event.id, ts=ts)
            await self.mark_posted([event], channel)
        return ts is not None

    async def intend(self, events: Sequence[Event], channel: str) -> None:
        """Record that these events are about to be posted (for crash reconciliation)."""
        await _together(
            [self.state.put(mark_key("posting", e, channel), "1", POSTED_TTL) for e in events]
        )

    async def mark_posted(self, events: Sequence[Event], channel: str) -> None:
        """Record, right after Slack accepted, that these events are in this channel."""
        await _together(
            [self.state.put(mark_key("posted", e, channel), "1", POSTED_TTL) for e in events]
        )

    # -- the three shapes of delivery ------------------------------------------------------

    async def single(self, delivery: Delivery, bucket: TokenBucket) -> str:
        """Post one delivery (a parent, or a reply and its parent's paced edit); the outcome."""
        event, channel = delivery.event, delivery.channel
        key = delivery.threadkey
        # The thread parent and both marks in one round trip to the store, not three.
        posted_mark, posting_mark = self._marks(event, channel)
        *marks, parent = await asyncio.gather(
            posted_mark, posting_mark, self.threads.get(channel, key) if key else _none()
        )
        if await self._seen(event, channel, marks, parent.ts if parent else None):
            return "skipped"
        await self.intend([event], channel)
        if parent is None:
            message = self.renderer.render(
                event, delivery.routes, delivery.mention, interactive=self.interactive
            )
            posted = await self._call(lambda: self._post(channel, message, bucket), event)
            marked = self.mark_posted([event], channel)
            if not key:
                await marked
                return "posted"
            now = datetime.now(UTC).isoformat()
            parent = Parent(posted.channel, posted.ts, event.state, event.severity, now)
            await asyncio.gather(marked, self.threads.save(channel, key, parent))
            return "posted"
        reply = self.renderer.render_reply(event, delivery.routes, delivery.mention)
        reply = {**reply, "thread_ts": parent.ts}
        if _broadcast(event, parent):
            reply["reply_broadcast"] = True
        await self._call(lambda: self._post(channel, reply, bucket), event)
        await self.mark_posted([event], channel)
        self.edits.ask(delivery)
        return "updated"

    async def edit_parent(self, delivery: Delivery, count: int = 1) -> None:
        """Re-render the thread parent to show the event's state as the current one; `count`
        events of the thread (this one the latest) are new since the parent's last edit.

        One attempt (`hub.parents` paces and retries): TemporaryDeliveryError when Slack is
        busy; a parent that is gone (deleted, too old to edit) is left, with a warning."""
        event, key = delivery.event, delivery.threadkey
        assert key is not None, "only a threaded delivery has a parent"
        parent = await self.threads.get(delivery.channel, key)
        if parent is None:
            return
        changed = event.state != parent.state
        since = datetime.now(UTC).isoformat() if changed else parent.since
        annotations = {"since": since, "updates": str(parent.updates + count)}
        if changed and parent.state:
            annotations["previous_state"] = parent.state
        if parent.acknowledged_by:
            annotations["acknowledged_by"] = parent.acknowledged_by
        message = self.renderer.render(
            event,
            delivery.routes,
            (),
            interactive=self.interactive,
            annotations=annotations,
        )
        DELIVERY_ATTEMPTS.inc()
        try:
            await self.notifier.update(parent.channel, parent.ts, message)
        except PermanentDeliveryError as exc:
            # The parent is gone (deleted, or too old to edit): the replies say it all.
            log.warning("thread parent not updated", reason=exc.reason, channel=delivery.channel)
            return
        except TemporaryDeliveryError as exc:
            if exc.reason == "rate_limited":
                SLACK_RATE_LIMITED.inc()
            raise
        await self.threads.save(
            delivery.channel,
            key,
            replace(
                parent,
                state=event.state,
                severity=str(event.severity),
                since=since,
                updates=parent.updates + count,
            ),
        )

    async def digest(
        self,
        deliveries: Sequence[Delivery],
        events: Sequence[Event],
        reason: str,
        bucket: TokenBucket,
    ) -> None:
        """Post one message listing `events` for these deliveries; ask for their parents' edits."""
        channel = deliveries[0].channel
        routes = sorted({r for d in deliveries for r in d.routes})
        await self.intend(events, channel)
        message = self.renderer.render_digest(list(events), routes, reason=reason)
        await self._call(lambda: self._post(channel, message, bucket), events[0])
        await self.mark_posted(events, channel)
        # The asks of one thread merge into one waiting edit that shows the latest and counts
        # them all: a burst of twenty events of one pull request edits its parent once.
        for delivery in deliveries:
            if delivery.threadkey:
                self.edits.ask(delivery)

    # -- one Slack call, retried per policy --------------------------------------------------

    async def _post(self, channel: str, message: dict[str, Any], bucket: TokenBucket) -> Posted:
        await bucket.take()
        try:
            return await self.notifier.post(channel, message)
        except TemporaryDeliveryError as exc:
            if exc.retry_after:
                bucket.hold_off(exc.retry_after)
            raise

    async def _call(self, call: Callable[[], Awaitable[T]], event: Event) -> T:
        """Run a Slack call with retries until it works, fails for good, or gets too old."""
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

        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(TemporaryDeliveryError),
                wait=wait,
                stop=stop,
                reraise=True,
            ):
                with attempt:
                    DELIVERY_ATTEMPTS.inc()
                    try:
                        return await call()
                    except DeliveryError as exc:
                        _note(exc, errors, event)
                        raise
        except PermanentDeliveryError as exc:
            raise Failed(exc.reason, errors) from exc
        except TemporaryDeliveryError as exc:
            raise Failed("max_age_exceeded", errors) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")


def _note(exc: DeliveryError, errors: list[DeliveryError], event: Event) -> None:
    if isinstance(exc, TemporaryDeliveryError) and exc.reason == "rate_limited":
        SLACK_RATE_LIMITED.inc()
    # Warn when the error changes, not on every retry of the same one.
    if not errors or str(errors[-1]) != str(exc):
        log.warning(
            "slack call failed",
            event_id=event.id,
            error=str(exc),
            retryable=isinstance(exc, TemporaryDeliveryError),
        )
    errors.append(exc)


async def _none() -> None:
    return None


async def _together(calls: Sequence[Awaitable[Any]]) -> None:
    """Await all at once (one round trip to the store); a lone call needs no task for that."""
    if len(calls) == 1:
        await calls[0]
    elif calls:
        await asyncio.gather(*calls)


def _broadcast(event: Event, parent: Parent) -> bool:
    """Failures and recoveries also show in the channel, not only in the thread."""
    was_bad = Severity(parent.severity).rank >= Severity.WARNING.rank
    return event.severity.rank >= Severity.ERROR.rank or (
        was_bad and event.severity == Severity.SUCCESS
    )
